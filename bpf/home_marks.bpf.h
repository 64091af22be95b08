/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Processes whose HOME the daemon does not watch yet. A home is watched
 * from the rescan that follows the first exec naming it, about 0.2 s after;
 * the process that brought it (HOME=/tmp/job sh -c 'cat ~/.aws/credentials')
 * opens its files long before. So the exec probe reads HOME from the
 * environment it copies anyway, and when the daemon has not told the
 * kernel that home (homes_known, by hash of its value), marks the process
 * (home_marks); the open probe then checks the name of each file a marked
 * process opens that no watch entry matched, as it does in a container it
 * has not scanned, and sends a watched name with its path for the daemon's
 * rules to judge. A mark goes when its home is known, at the next exec,
 * or at exit.
 *
 * Shared by the exec and files objects (the loader reuses the exec
 * object's map fds).
 */
#ifndef IDTRACE_HOME_MARKS_BPF_H
#define IDTRACE_HOME_MARKS_BPF_H

#include "idtrace_wire.h"

/* Hashes (idt_home_hash) of HOME values the daemon has dealt with: homes
 * it watches, and values that name no home (/, a missing directory). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} homes_known SEC(".maps");

/* tgid -> the hash of its unknown HOME. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, __u64);
} home_marks SEC(".maps");

/* [0]: how many marks there may be (a hint: never under the true count).
 * While zero, which is nearly always, an open pays one load for all this. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} home_marks_count SEC(".maps");

static __always_inline bool home_marks_any(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&home_marks_count, &zero);

	return n && *n;
}

static __always_inline void home_mark_set(__u32 tgid, __u64 hash)
{
	__u32 zero = 0;
	__u64 *n;

	if (bpf_map_update_elem(&home_marks, &tgid, &hash, BPF_NOEXIST)) {
		bpf_map_update_elem(&home_marks, &tgid, &hash, BPF_EXIST);
		return;
	}
	n = bpf_map_lookup_elem(&home_marks_count, &zero);
	if (n)
		__sync_fetch_and_add(n, 1);
}

static __always_inline void home_mark_clear(__u32 tgid)
{
	__u32 zero = 0;
	__u64 *n;

	if (!home_marks_any() || bpf_map_delete_elem(&home_marks, &tgid))
		return;
	n = bpf_map_lookup_elem(&home_marks_count, &zero);
	if (n && *n)
		__sync_fetch_and_add(n, -1);
}

/* The mark of tgid, when its home is still unknown; a mark whose home the
 * daemon has since dealt with is dropped. */
static __always_inline bool home_marked(__u32 tgid)
{
	__u64 *hash;

	if (!home_marks_any())
		return false;
	hash = bpf_map_lookup_elem(&home_marks, &tgid);
	if (!hash)
		return false;
	if (bpf_map_lookup_elem(&homes_known, hash)) {
		home_mark_clear(tgid);
		return false;
	}
	return true;
}

#endif
