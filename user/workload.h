/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The workload a process runs as: its cgroup, the container runtime and id,
 * the Kubernetes pod and service account, the systemd unit, and a configured
 * SPIFFE ID. Caches what is costly (cgroup paths, service-account claims per
 * mount namespace).
 */
#ifndef IDTRACE_WORKLOAD_H
#define IDTRACE_WORKLOAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include "proc_table.h"

struct workload_ctx;

/* New context. cgroup2 resolution is disabled when the host has no cgroup2
 * mount (every event then says so). proc_root is "/proc". spiffe_id may be
 * NULL. NULL on ENOMEM. */
struct workload_ctx *workload_ctx_new(const char *proc_root, const char *spiffe_id);
void workload_ctx_free(struct workload_ctx *w);
/* The cgroup v1 controller whose hierarchy the exec probe should record
 * ("memory"), or NULL: no v1 hierarchy on this host. */
const char *workload_cgroup_v1_controller(const struct workload_ctx *w);
/* Mount point of cgroup2, or NULL. */
const char *workload_cgroup2_mount(const struct workload_ctx *w);

/* A cgroup was made: id is the cgroup at path in cgroup2 (v1 false) or in
 * the v1 hierarchy the exec probe records. Kept, so that processes of a
 * cgroup removed before they are reported are still placed. */
void workload_note_cgroup(struct workload_ctx *w, bool v1, uint64_t id, const char *path);

/* Build the "workload" hop for p (caller owns it). Facts that could not be
 * established are appended to missing as {"field", "reason"}. Fills
 * p->cgroup_path when it was unknown. */
json_t *workload_hop(struct workload_ctx *w, struct proc *p, json_t *missing);

#endif
