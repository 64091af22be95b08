/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* An on-disk FIFO of event lines for one sink, in a directory of its own
 * (e.g. /var/lib/idtrace/spool/<sink-id>/). Lines are appended to numbered
 * segment files (0000000001.spool, ...), each record length-prefixed and
 * CRC32-checked so a record torn by a crash is found and discarded. The read
 * position is kept in a small "cursor" file, written every few records and
 * on close, so a restart resends little (at-least-once, always in order).
 * A spool left by an earlier run is picked up by spool_open().
 *
 * Not thread-safe: one spool is used by one thread (its sink runner). */
#ifndef IDTRACE_SPOOL_H
#define IDTRACE_SPOOL_H

#include <stddef.h>
#include <stdint.h>

/* Longest line and type a record may hold. */
#define SPOOL_MAX_LINE (64u << 20)
#define SPOOL_MAX_TYPE 255u

struct spool;

/* Open (creating it 0700, parents too, when missing) the spool in dir. A
 * directory that is not ours or that group or others can write is refused
 * (-EPERM); a symlink is refused. max_bytes bounds the segment files' total
 * size; segment_bytes is the size at which a new segment starts (0: an
 * eighth of max_bytes, within 64 KiB..16 MiB). Returns 0 with *out, or
 * -errno with the cause and the fix in err. */
int spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes, struct spool **out,
	       char *err, size_t n);
/* Persist the read position and close. NULL is ignored. */
void spool_close(struct spool *s);
/* Append one line (len bytes) of event type type (NULL: ""). Returns 0,
 * -ENOSPC when it would pass max_bytes, -EMSGSIZE when the line or type is
 * too long for a record, or -errno from the disk (nothing is half-written). */
int spool_append(struct spool *s, const char *line, size_t len, const char *type);
/* As spool_append() but past max_bytes: only for the one agent.loss line
 * written at exit, which must not be lost to the full spool it reports. */
int spool_append_unbounded(struct spool *s, const char *line, size_t len, const char *type);
/* The oldest line, without removing it: 0 with *line (NUL-terminated) and
 * *type pointing into the spool's buffer, valid until the next call on s;
 * -ENODATA when the spool is empty; -errno on a read error. */
int spool_peek(struct spool *s, const char **line, size_t *len, const char **type);
/* Remove the line the last successful spool_peek() returned. Segments are
 * deleted once read. Returns 0, -EINVAL without a peeked line, or -errno. */
int spool_consume(struct spool *s);
/* Write the read position to disk now. Returns 0 or -errno. */
int spool_sync(struct spool *s);
/* Lines waiting (records not yet consumed). */
uint64_t spool_lines(const struct spool *s);
/* Bytes of segment files on disk (what max_bytes bounds). */
uint64_t spool_bytes(const struct spool *s);

#endif
