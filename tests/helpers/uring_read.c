// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Read files through io_uring alone: IORING_OP_OPENAT, IORING_OP_READ and
 * IORING_OP_CLOSE, with no open, read or close syscall, as a tool that
 * avoids syscall-based monitoring would. The first file's open runs inline
 * in io_uring_enter; every later one is forced to an io-wq worker thread
 * (IOSQE_ASYNC). With --sqpoll, the kernel's SQPOLL thread submits them
 * instead (no io_uring_enter call submits). With --fixed, each file is
 * opened into the ring's fixed-file table, never into an fd: the first
 * into slot 3, the later ones into a slot the kernel picks
 * (IORING_FILE_INDEX_ALLOC), and read from there (IOSQE_FIXED_FILE). Raw
 * syscalls, no liburing.
 * Usage: uring_read [--sqpoll | --fixed] PATH... Exits 0 when every file
 * was opened and read; with --fixed, prints the slots used. */
#include <fcntl.h>
#include <stdbool.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct ring {
	int fd;
	bool sqpoll;
	unsigned *sq_tail, *sq_mask, *sq_array, *sq_flags;
	unsigned *cq_head, *cq_tail, *cq_mask;
	struct io_uring_sqe *sqes;
	struct io_uring_cqe *cqes;
};

static int ring_setup(struct ring *r, bool sqpoll)
{
	struct io_uring_params p;
	void *sq, *cq;

	memset(&p, 0, sizeof(p));
	if (sqpoll) {
		p.flags = IORING_SETUP_SQPOLL;
		p.sq_thread_idle = 1000; /* ms */
	}
	r->fd = (int)syscall(__NR_io_uring_setup, 4, &p);
	if (r->fd < 0)
		return -1;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
	r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
		return -1;
	r->sq_tail = (unsigned *)((char *)sq + p.sq_off.tail);
	r->sq_mask = (unsigned *)((char *)sq + p.sq_off.ring_mask);
	r->sq_array = (unsigned *)((char *)sq + p.sq_off.array);
	r->sq_flags = (unsigned *)((char *)sq + p.sq_off.flags);
	r->sqpoll = sqpoll;
	r->cq_head = (unsigned *)((char *)cq + p.cq_off.head);
	r->cq_tail = (unsigned *)((char *)cq + p.cq_off.tail);
	r->cq_mask = (unsigned *)((char *)cq + p.cq_off.ring_mask);
	r->cqes = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	return 0;
}

/* Submit one request and wait for it: its result. */
static int ring_run(struct ring *r, const struct io_uring_sqe *sqe)
{
	unsigned tail = *r->sq_tail, idx = tail & *r->sq_mask, head;
	int res;

	r->sqes[idx] = *sqe;
	r->sq_array[idx] = idx;
	__atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
	if (r->sqpoll) {
		/* the SQPOLL thread submits; wake it if it went idle, then wait */
		unsigned flags = IORING_ENTER_GETEVENTS;

		if (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
			flags |= IORING_ENTER_SQ_WAKEUP;
		if (syscall(__NR_io_uring_enter, r->fd, 0, 1, flags, NULL, 0) < 0)
			return -1000;
	} else if (syscall(__NR_io_uring_enter, r->fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) {
		return -1000;
	}
	head = __atomic_load_n(r->cq_head, __ATOMIC_ACQUIRE);
	if (head == __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE))
		return -1001;
	res = r->cqes[head & *r->cq_mask].res;
	__atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
	return res;
}

int main(int argc, char **argv)
{
	struct io_uring_sqe sqe;
	bool sqpoll = argc > 1 && !strcmp(argv[1], "--sqpoll");
	bool fixed = argc > 1 && !strcmp(argv[1], "--fixed");
	int first = sqpoll || fixed ? 2 : 1, fd, n;
	int sparse[8] = { -1, -1, -1, -1, -1, -1, -1, -1 };
	struct ring r;
	char buf[4096];

	if (argc <= first) {
		fprintf(stderr, "usage: uring_read [--sqpoll] PATH...\n");
		return 2;
	}
	if (ring_setup(&r, sqpoll)) {
		perror("io_uring_setup");
		return 1;
	}
	if (fixed && syscall(__NR_io_uring_register, r.fd, IORING_REGISTER_FILES, sparse, 8) < 0) {
		perror("io_uring_register files");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_OPENAT;
		sqe.fd = AT_FDCWD;
		sqe.addr = (unsigned long)argv[i];
		sqe.open_flags = O_RDONLY | (fixed ? 0 : O_CLOEXEC); /* a slot takes no O_CLOEXEC */
		sqe.flags = i > first ? IOSQE_ASYNC : 0;
		if (fixed)
			sqe.file_index = i == first ? 3 + 1 : IORING_FILE_INDEX_ALLOC;
		fd = ring_run(&r, &sqe);
		if (fd < 0) {
			fprintf(stderr, "io_uring openat %s: %s\n", argv[i], strerror(-fd));
			return 1;
		}
		if (fixed) {
			fd = i == first ? 3 : fd; /* the slot */
			printf("%d\n", fd);
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_READ;
		sqe.fd = fd;
		sqe.flags = fixed ? IOSQE_FIXED_FILE : 0;
		sqe.addr = (unsigned long)buf;
		sqe.len = sizeof(buf);
		n = ring_run(&r, &sqe);
		if (n < 0) {
			fprintf(stderr, "io_uring read %s: %s\n", argv[i], strerror(-n));
			return 1;
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = IORING_OP_CLOSE;
		if (fixed)
			sqe.file_index = fd + 1;
		else
			sqe.fd = fd;
		if (ring_run(&r, &sqe) < 0)
			return 1;
	}
	return 0;
}
