/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Workload facts from a cgroup path: the third field of a /proc/PID/cgroup line, or a
 * cgroup v2 path relative to the mount ("/system.slice/sshd.service").
 *
 * The path is split on '/'; empty segments (leading, trailing, doubled slashes) are
 * skipped, so a leading slash is optional. It ends at len or at the first NUL.
 * Layouts recognised (<id> = exactly 64 lowercase hex; anything else is no id):
 *   docker      /docker/<id>                         (cgroupfs driver, at any depth)
 *               .../docker-<id>.scope                (systemd driver, also cri-dockerd)
 *   containerd  .../cri-containerd-<id>.scope        (CRI plugin, systemd driver)
 *               /default/<id>                        (containerd's own default cgroup
 *                                                     "/<namespace>/<id>", e.g. nerdctl)
 *   cri-o       .../crio-<id>.scope, .../crio-<id>
 *   podman      .../libpod-<id>.scope, .../libpod-<id>  (also with a "container" child)
 *   containerd  .../nerdctl-<id>.scope                (nerdctl, systemd driver)
 *   lxc         .../lxc.payload.<name>, /lxc/<name>   (LXC 4+ / Incus / LXD; LXC 3)
 *   systemd-nspawn .../systemd-nspawn@<name>.service  (machinectl start, nspawn@.service)
 *   kubepods    /kubepods[/burstable|/besteffort]/pod<uuid>/<id>           (cgroupfs)
 *               /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uuid_>.slice/...
 *               (systemd; "kubepods" may carry a prefix such as kubelet-kubepods-...)
 * Named containers (lxc, systemd-nspawn) have no id: their runtime comes with
 * container_name instead, a name of [A-Za-z0-9._-] (nspawn's systemd escapes "\xNN"
 * allowed), at most 64 bytes; lxc.monitor.<name> is LXC's monitor on the host and no
 * container.
 * Decisions:
 * - runtime is set only together with container_id or container_name. A bare <id> gives no runtime: under
 *   a pod (cgroupfs driver) docker-shim and containerd write the same path, and a
 *   top-level "/<ns>/<id>" with ns other than "default" is as likely docker's
 *   --cgroup-parent as a containerd namespace. Such an id is still published.
 * - A top-level "/<ns>/<id>" needs ns to be a containerd namespace name (alnum, '.', '_',
 *   '-') that is not a systemd unit, "kubepods" or an id; ids that are not 64 hex (ctr's
 *   user-chosen ones) are never taken, so plain "/<group>/<name>" is no false positive.
 * - conmon (crio-conmon-<id>, libpod-conmon-<id>) is the runtime's monitor on the host,
 *   not the container: no runtime and no container_id; its scope still shows as the
 *   systemd_unit, which names it.
 * - Innermost wins, for everything: the deepest container (a container nested in another,
 *   e.g. a kind node's pods inside the node's docker container, is where the process
 *   runs), the deepest kubepods pod, and the deepest systemd unit (user@1000.service/
 *   app.slice/foo.service gives foo.service). A new kubepods level resets pod_uid and
 *   qos_class.
 * - systemd_unit is a segment ending in .service, .scope, .socket, .mount or .swap (the
 *   unit types that own cgroups) made of systemd's unit-name characters, at most 255
 *   bytes; systemd_slice is the deepest .slice above that unit (or the deepest .slice when
 *   there is no unit). Root-level units such as init.scope have slice "".
 * - qos_class comes from the burstable/besteffort level; "guaranteed" is inferred when a
 *   valid pod sits directly under kubepods. pod_uid must be a canonical lowercase UUID
 *   (underscores for dashes in the systemd form).
 */
#ifndef IDTRACE_CGROUP_PATH_H
#define IDTRACE_CGROUP_PATH_H

#include <stddef.h>

struct workload_info {
	char runtime[16];	 /* "docker", "containerd", "cri-o", "podman", "lxc",
				  * "systemd-nspawn", "" */
	char container_id[65];	 /* 64 lowercase hex, only when well-formed */
	char container_name[65]; /* lxc / systemd-nspawn containers, which have no id */
	char pod_uid[37];	 /* canonical 8-4-4-4-12 lowercase uuid, from kubepods paths */
	char qos_class[16];	 /* "guaranteed", "burstable", "besteffort" for kubepods, else "" */
	char systemd_unit[256];	 /* e.g. "sshd.service", "session-3.scope", "user@1000.service" */
	char systemd_slice[256]; /* e.g. "system.slice", "user-1000.slice" */
};

/* Parse one cgroup path of len bytes (path may be NULL when len is 0) into *out, which is
 * zeroed first. Returns 0 (even when nothing is found), -EINVAL on bad arguments. Pure. */
int cgroup_path_parse(const char *path, size_t len, struct workload_info *out);

#endif
