// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cgroup_path.h"

#define ID "3f9a2c7b1e4d8f6a0b5c9e2d7f1a4b8c6e0d3f5a9b2c7e1d4f8a6b0c5e9d2f7a"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID63 "3f9a2c7b1e4d8f6a0b5c9e2d7f1a4b8c6e0d3f5a9b2c7e1d4f8a6b0c5e9d2f7"
#define ID65 ID "0"
#define ID_UPPER "3F9A2C7B1E4D8F6A0B5C9E2D7F1A4B8C6E0D3F5A9B2C7E1D4F8A6B0C5E9D2F7A"
#define ID_NONHEX "3f9a2c7b1e4d8f6a0b5c9e2d7f1a4b8c6e0d3f5a9b2c7e1d4f8a6b0c5e9d2f7g"
#define UID "8f2c1a34-5b6d-4e7f-9a0b-1c2d3e4f5a6b"
#define UID_ "8f2c1a34_5b6d_4e7f_9a0b_1c2d3e4f5a6b"

struct want {
	const char *runtime, *id, *pod, *qos, *unit, *slice, *name;
};

#define S(x) ((x) ? (x) : "")

/* Parse from an exactly-sized heap copy (no NUL) so ASan sees any read past len. */
static void parse_n(const char *path, size_t len, struct workload_info *w)
{
	char *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, path, len);
	memset(w, 'x', sizeof(*w)); /* must be cleared by the parser */
	assert_int_equal(cgroup_path_parse(copy, len, w), 0);
	free(copy);
}

static void expect_n(const char *path, size_t len, struct want want)
{
	struct workload_info w;

	parse_n(path, len, &w);
	assert_string_equal(w.runtime, S(want.runtime));
	assert_string_equal(w.container_id, S(want.id));
	assert_string_equal(w.container_name, S(want.name));
	assert_string_equal(w.pod_uid, S(want.pod));
	assert_string_equal(w.qos_class, S(want.qos));
	assert_string_equal(w.systemd_unit, S(want.unit));
	assert_string_equal(w.systemd_slice, S(want.slice));
}

#define EXPECT(path, ...) expect_n(path, strlen(path), (struct want){ __VA_ARGS__ })
#define NOTHING(path) EXPECT(path, .runtime = NULL)

static void test_docker_cgroupfs(void **state)
{
	EXPECT("/docker/" ID, .runtime = "docker", .id = ID);
	/* Any depth, e.g. a v1 hierarchy under a custom parent. */
	EXPECT("/custom/docker/" ID, .runtime = "docker", .id = ID);
	/* docker run --cgroup-parent=/docker/nested */
	EXPECT("/docker/nested/" ID, .runtime = "docker", .id = ID);
	/* docker in docker: the innermost */
	EXPECT("/docker/" ID "/docker/" ID2, .runtime = "docker", .id = ID2);
}

static void test_docker_systemd(void **state)
{
	EXPECT("/system.slice/docker-" ID ".scope", .runtime = "docker", .id = ID,
	       .unit = "docker-" ID ".scope", .slice = "system.slice");
}

static void test_containerd_default_namespace(void **state)
{
	EXPECT("/default/" ID, .runtime = "containerd", .id = ID);
	EXPECT("/default/" ID "/sub", .runtime = "containerd", .id = ID);
	/* Other namespaces: the id, but docker --cgroup-parent looks the same. */
	EXPECT("/k8s.io/" ID, .id = ID);
	EXPECT("/buildkit/" ID, .id = ID);
}

static void test_containerd_no_false_positives(void **state)
{
	NOTHING("/default/redis");		  /* ctr's user-chosen ids */
	NOTHING("/default/" ID63);
	NOTHING("/default/" ID_UPPER);
	NOTHING("/a/b/" ID);			  /* not directly under a top-level group */
	NOTHING("/a/default/" ID);
	NOTHING("/-bad/" ID);			  /* not a namespace name */
	NOTHING("/a..b/" ID);
	NOTHING("/kubepods/" ID);		  /* kubepods needs a pod */
	EXPECT("/system.slice/" ID, .slice = "system.slice");
	EXPECT("/foo.service/" ID, .unit = "foo.service");
	NOTHING("/" ID);
	NOTHING("/" ID "/" ID);
}

static void test_kubepods_cgroupfs(void **state)
{
	EXPECT("/kubepods/burstable/pod" UID "/" ID, .id = ID, .pod = UID, .qos = "burstable");
	EXPECT("/kubepods/besteffort/pod" UID "/" ID, .id = ID, .pod = UID, .qos = "besteffort");
	EXPECT("/kubepods/pod" UID "/" ID, .id = ID, .pod = UID, .qos = "guaranteed");
	/* The pod's own cgroup, no container yet. */
	EXPECT("/kubepods/burstable/pod" UID, .pod = UID, .qos = "burstable");
	EXPECT("/kubepods/burstable", .qos = "burstable");
	/* cri-o names its cgroupfs containers. */
	EXPECT("/kubepods/besteffort/pod" UID "/crio-" ID, .runtime = "cri-o", .id = ID,
	       .pod = UID, .qos = "besteffort");
}

static void test_kubepods_docker_shim_has_no_runtime(void **state)
{
	/* docker-shim and containerd both write a bare id under the pod. */
	EXPECT("/kubepods/besteffort/pod" UID "/" ID, .runtime = "", .id = ID, .pod = UID,
	       .qos = "besteffort");
}

static void test_kubepods_systemd(void **state)
{
	EXPECT("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
	       ".slice/cri-containerd-" ID ".scope",
	       .runtime = "containerd", .id = ID, .pod = UID, .qos = "burstable",
	       .unit = "cri-containerd-" ID ".scope",
	       .slice = "kubepods-burstable-pod" UID_ ".slice");
	EXPECT("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID ".scope",
	       .runtime = "containerd", .id = ID, .pod = UID, .qos = "guaranteed",
	       .unit = "cri-containerd-" ID ".scope", .slice = "kubepods-pod" UID_ ".slice");
	EXPECT("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/docker-" ID ".scope",
	       .runtime = "docker", .id = ID, .pod = UID, .qos = "besteffort",
	       .unit = "docker-" ID ".scope", .slice = "kubepods-besteffort-pod" UID_ ".slice");
	EXPECT("/kubepods.slice/kubepods-besteffort.slice",
	       .qos = "besteffort", .slice = "kubepods-besteffort.slice");
	EXPECT("/kubepods.slice", .slice = "kubepods.slice");
}

static void test_crio(void **state)
{
	EXPECT("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" ID ".scope",
	       .runtime = "cri-o", .id = ID, .pod = UID, .qos = "besteffort",
	       .unit = "crio-" ID ".scope", .slice = "kubepods-besteffort-pod" UID_ ".slice");
	/* crio's systemd scope can hold a "container" child on cgroup v2. */
	EXPECT("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-" ID ".scope/container",
	       .runtime = "cri-o", .id = ID, .pod = UID, .qos = "besteffort",
	       .unit = "crio-" ID ".scope", .slice = "kubepods-besteffort-pod" UID_ ".slice");
}

static void test_conmon_is_not_the_container(void **state)
{
	EXPECT("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
	       ".slice/crio-conmon-" ID ".scope",
	       .pod = UID, .qos = "besteffort", .unit = "crio-conmon-" ID ".scope",
	       .slice = "kubepods-besteffort-pod" UID_ ".slice");
	EXPECT("/kubepods/besteffort/pod" UID "/crio-conmon-" ID, .pod = UID, .qos = "besteffort");
	EXPECT("/machine.slice/libpod-conmon-" ID ".scope",
	       .unit = "libpod-conmon-" ID ".scope", .slice = "machine.slice");
	EXPECT("/system.slice/crio-conmon-" ID ".scope",
	       .unit = "crio-conmon-" ID ".scope", .slice = "system.slice");
}

static void test_podman(void **state)
{
	EXPECT("/machine.slice/libpod-" ID ".scope", .runtime = "podman", .id = ID,
	       .unit = "libpod-" ID ".scope", .slice = "machine.slice");
	EXPECT("/machine.slice/libpod-" ID ".scope/container", .runtime = "podman", .id = ID,
	       .unit = "libpod-" ID ".scope", .slice = "machine.slice");
	/* Rootless, under the user manager. */
	EXPECT("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID ".scope",
	       .runtime = "podman", .id = ID, .unit = "libpod-" ID ".scope", .slice = "user.slice");
	/* cgroupfs manager. */
	EXPECT("/libpod_parent/libpod-" ID, .runtime = "podman", .id = ID);
}

static void test_nerdctl(void **state)
{
	EXPECT("/system.slice/nerdctl-" ID ".scope", .runtime = "containerd", .id = ID,
	       .unit = "nerdctl-" ID ".scope", .slice = "system.slice");
}

static void test_lxc(void **state)
{
	EXPECT("/lxc.payload.web-1", .runtime = "lxc", .name = "web-1");
	/* systemd inside the container */
	EXPECT("/lxc.payload.web-1/system.slice/nginx.service", .runtime = "lxc", .name = "web-1",
	       .unit = "nginx.service", .slice = "system.slice");
	/* LXC 3 */
	EXPECT("/lxc/db", .runtime = "lxc", .name = "db");
	EXPECT("/lxc/db/init.scope", .runtime = "lxc", .name = "db", .unit = "init.scope");
	/* the monitor runs on the host */
	NOTHING("/lxc.monitor.web-1");
	/* not a name, or not where a name goes */
	NOTHING("/lxc.payload.");
	EXPECT("/lxc.payload.c2/sub/leaf", .runtime = "lxc", .name = "c2");
	NOTHING("/lxc.payload.-x");
	NOTHING("/lxc.payload.a$b");
	NOTHING("/lxc.payload." ID "0" ID);
	NOTHING("/x/lxc/db");
	NOTHING("/lxc");
	/* a docker container inside an LXC one: the innermost wins */
	EXPECT("/lxc.payload.c1/docker/" ID, .runtime = "docker", .id = ID);
}

static void test_systemd_nspawn(void **state)
{
	EXPECT("/machine.slice/systemd-nspawn@build-box.service", .runtime = "systemd-nspawn",
	       .name = "build-box", .unit = "systemd-nspawn@build-box.service",
	       .slice = "machine.slice");
	EXPECT("/machine.slice/systemd-nspawn@deb\\x2d12.service/payload/system.slice/cron.service",
	       .runtime = "systemd-nspawn", .name = "deb\\x2d12", .unit = "cron.service",
	       .slice = "system.slice");
	EXPECT("/machine.slice/systemd-nspawn@.service", .unit = "systemd-nspawn@.service",
	       .slice = "machine.slice");
	/* the innermost container wins either way */
	EXPECT("/machine.slice/systemd-nspawn@box.service/payload/system.slice/docker-" ID ".scope",
	       .runtime = "docker", .id = ID, .unit = "docker-" ID ".scope", .slice = "system.slice");
	EXPECT("/docker/" ID "/lxc.payload.inner", .runtime = "lxc", .name = "inner");
}

static void test_systemd_units(void **state)
{
	EXPECT("/system.slice/sshd.service", .unit = "sshd.service", .slice = "system.slice");
	EXPECT("/user.slice/user-1000.slice/session-3.scope", .unit = "session-3.scope",
	       .slice = "user-1000.slice");
	EXPECT("/user.slice/user-1000.slice/user@1000.service", .unit = "user@1000.service",
	       .slice = "user-1000.slice");
	EXPECT("/system.slice/system-getty.slice/getty@tty1.service", .unit = "getty@tty1.service",
	       .slice = "system-getty.slice");
	EXPECT("/system.slice/systemd-journald-dev-log.socket",
	       .unit = "systemd-journald-dev-log.socket", .slice = "system.slice");
	EXPECT("/system.slice/system-systemd\\x2dfsck.slice/systemd-fsck@dev-sda1.service",
	       .unit = "systemd-fsck@dev-sda1.service", .slice = "system-systemd\\x2dfsck.slice");
	/* Root-level units have no slice; a slice alone has no unit. */
	EXPECT("/init.scope", .unit = "init.scope");
	EXPECT("/system.slice", .slice = "system.slice");
	/* A unit's own sub-cgroups are not units. */
	EXPECT("/system.slice/systemd-udevd.service/udev", .unit = "systemd-udevd.service",
	       .slice = "system.slice");
}

static void test_systemd_innermost_unit_wins(void **state)
{
	EXPECT("/user.slice/user-1000.slice/user@1000.service/app.slice/foo.service",
	       .unit = "foo.service", .slice = "app.slice");
	EXPECT("/user.slice/user-1000.slice/user@1000.service/init.scope", .unit = "init.scope",
	       .slice = "user-1000.slice");
	/* The slice is the unit's: a deeper slice without a unit does not replace it. */
	EXPECT("/system.slice/foo.service/bar.slice", .unit = "foo.service",
	       .slice = "system.slice");
}

static void test_systemd_bad_unit_names(void **state)
{
	EXPECT("/system.slice/.service/x", .slice = "system.slice");
	EXPECT("/system.slice/@.service", .slice = "system.slice");
	EXPECT("/system.slice/a@b@c.service", .slice = "system.slice");
	EXPECT("/system.slice/has space.service", .slice = "system.slice");
	EXPECT("/system.slice/caf\xc3\xa9.service", .slice = "system.slice");
	EXPECT("/system.slice/foo.target", .slice = "system.slice");
	EXPECT("/system.slice/.service", .slice = "system.slice");
}

static void test_nested_under_container(void **state)
{
	/* systemd running inside a container. */
	EXPECT("/system.slice/docker-" ID ".scope/system.slice/nginx.service", .runtime = "docker",
	       .id = ID, .unit = "nginx.service", .slice = "system.slice");
	EXPECT("/docker/" ID "/init.scope", .runtime = "docker", .id = ID, .unit = "init.scope");
	EXPECT("/kubepods/burstable/pod" UID "/" ID "/sub/leaf", .id = ID, .pod = UID,
	       .qos = "burstable");
	/* docker in docker: the innermost container. */
	EXPECT("/docker/" ID "/docker/" ID2, .runtime = "docker", .id = ID2);
	/* A kind node (docker container) running pods: the pod's container wins. */
	EXPECT("/system.slice/docker-" ID ".scope/kubelet.slice/kubelet-kubepods.slice/"
	       "kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_
	       ".slice/cri-containerd-" ID2 ".scope",
	       .runtime = "containerd", .id = ID2, .pod = UID, .qos = "besteffort",
	       .unit = "cri-containerd-" ID2 ".scope",
	       .slice = "kubelet-kubepods-besteffort-pod" UID_ ".slice");
	/* A deeper kubepods level resets the pod. */
	EXPECT("/kubepods/burstable/pod" UID "/" ID "/kubepods/besteffort", .id = ID,
	       .qos = "besteffort");
}

static void test_malformed_ids(void **state)
{
	/* Unit names are still units; no runtime without an id. */
	EXPECT("/system.slice/docker-" ID63 ".scope", .unit = "docker-" ID63 ".scope",
	       .slice = "system.slice");
	EXPECT("/system.slice/docker-" ID65 ".scope", .unit = "docker-" ID65 ".scope",
	       .slice = "system.slice");
	EXPECT("/system.slice/docker-" ID_UPPER ".scope", .unit = "docker-" ID_UPPER ".scope",
	       .slice = "system.slice");
	EXPECT("/system.slice/docker-" ID_NONHEX ".scope", .unit = "docker-" ID_NONHEX ".scope",
	       .slice = "system.slice");
	EXPECT("/system.slice/docker-.scope", .unit = "docker-.scope", .slice = "system.slice");
	EXPECT("/machine.slice/libpod-" ID63 ".scope", .unit = "libpod-" ID63 ".scope",
	       .slice = "machine.slice");
	EXPECT("/x.slice/cri-containerd-" ID_UPPER ".scope",
	       .unit = "cri-containerd-" ID_UPPER ".scope", .slice = "x.slice");
	NOTHING("/docker/" ID63);
	NOTHING("/docker/" ID65);
	NOTHING("/docker/" ID_UPPER);
	NOTHING("/docker/" ID_NONHEX);
	NOTHING("/docker");
	NOTHING("/crio-" ID65);
	NOTHING("/libpod-" ID "x");
	NOTHING("/docker-" ID);	      /* the systemd form needs ".scope" */
	/* below a container, a bare id is the container's own (containerd in it) */
	EXPECT("/docker/" ID "/default/" ID2, .runtime = "docker", .id = ID);
}

static void test_malformed_pod_uid(void **state)
{
	static const char *bad[] = {
		"8F2C1A34-5b6d-4e7f-9a0b-1c2d3e4f5a6b",	 /* uppercase */
		"8f2c1a345b6d4e7f9a0b1c2d3e4f5a6b",	 /* no dashes */
		"8f2c1a34-5b6d-4e7f-9a0b-1c2d3e4f5a6",	 /* short */
		"8f2c1a34-5b6d-4e7f-9a0b-1c2d3e4f5a6b0", /* long */
		"8f2c1a3-45b6d-4e7f-9a0b-1c2d3e4f5a6b",	 /* dash misplaced */
		"8f2c1a34-5b6d-4e7f-9a0b-1c2d3e4f5a6g",	 /* non-hex */
		"8f2c1a34_5b6d_4e7f_9a0b_1c2d3e4f5a6b",	 /* systemd form in cgroupfs */
		"",
	};
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		/* No pod, and no bare id either: the layout was not recognised. */
		snprintf(path, sizeof(path), "/kubepods/burstable/pod%s/%s", bad[i], ID);
		EXPECT(path, .qos = "burstable");
		snprintf(path, sizeof(path), "/kubepods/pod%s/%s", bad[i], ID);
		NOTHING(path);
	}
	/* systemd form: dashes split the slice name, uppercase is not canonical. The scope
	 * carries its own runtime and id. */
	EXPECT("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID
	       ".slice/cri-containerd-" ID ".scope",
	       .runtime = "containerd", .id = ID, .qos = "burstable",
	       .unit = "cri-containerd-" ID ".scope",
	       .slice = "kubepods-burstable-pod" UID ".slice");
	EXPECT("/kubepods.slice/kubepods-pod8F2C1A34_5b6d_4e7f_9a0b_1c2d3e4f5a6b.slice",
	       .slice = "kubepods-pod8F2C1A34_5b6d_4e7f_9a0b_1c2d3e4f5a6b.slice");
	/* A pod outside kubepods is not a pod. */
	NOTHING("/burstable/pod" UID "/" ID "/x");
	NOTHING("/other/pod" UID);
}

static void test_empty_and_root(void **state)
{
	struct workload_info w;

	NOTHING("");
	NOTHING("/");
	NOTHING("//");
	NOTHING("/./.");
	memset(&w, 'x', sizeof(w));
	assert_int_equal(cgroup_path_parse(NULL, 0, &w), 0);
	assert_string_equal(w.runtime, "");
	assert_string_equal(w.systemd_slice, "");
}

static void test_bad_arguments(void **state)
{
	struct workload_info w;

	assert_int_equal(cgroup_path_parse("/docker/" ID, 71, NULL), -EINVAL);
	memset(&w, 'x', sizeof(w));
	assert_int_equal(cgroup_path_parse(NULL, 5, &w), -EINVAL);
	assert_string_equal(w.runtime, ""); /* still zeroed */
	assert_string_equal(w.systemd_unit, "");
}

static void test_no_leading_or_trailing_slash(void **state)
{
	EXPECT("docker/" ID, .runtime = "docker", .id = ID);
	EXPECT("default/" ID, .runtime = "containerd", .id = ID);
	EXPECT("system.slice/sshd.service", .unit = "sshd.service", .slice = "system.slice");
	EXPECT("/docker/" ID "/", .runtime = "docker", .id = ID);
	EXPECT("/system.slice/sshd.service/", .unit = "sshd.service", .slice = "system.slice");
	EXPECT("//system.slice//docker-" ID ".scope//", .runtime = "docker", .id = ID,
	       .unit = "docker-" ID ".scope", .slice = "system.slice");
}

static void test_nul_ends_path(void **state)
{
	static const char p1[] = "/docker/" ID "\0/docker/" ID2;
	static const char p2[] = "/system.slice/ss\0hd.service";

	expect_n(p1, sizeof(p1) - 1, (struct want){ .runtime = "docker", .id = ID });
	expect_n(p2, sizeof(p2) - 1, (struct want){ .slice = "system.slice" });
	/* len cuts before the NUL-terminator would: only the first 20 bytes are read. */
	expect_n("/system.slice/sshd.service", 20, (struct want){ .slice = "system.slice" });
}

static void test_10k_paths(void **state)
{
	const size_t len = 10 * 1024;
	char *p = malloc(len + 200);
	size_t i;

	assert_non_null(p);
	/* Many segments, the container at the end. */
	for (i = 0; i + 2 <= len; i += 2)
		memcpy(p + i, "/a", 2);
	memcpy(p + i, "/docker/" ID, 72);
	expect_n(p, i + 72, (struct want){ .runtime = "docker", .id = ID });
	/* One 10 KiB segment named like a unit: longer than a unit name may be. */
	p[0] = '/';
	memset(p + 1, 'a', len);
	memcpy(p + 1 + len, ".service", 8);
	expect_n(p, len + 9, (struct want){ 0 });
	/* ... and like a slice, before a real unit. */
	memcpy(p + 1 + len, ".slice/sshd.service", 19);
	expect_n(p, len + 20, (struct want){ .unit = "sshd.service" });
	/* A unit name may be 255 bytes, not 256. */
	memcpy(p + 1 + 248, ".service", 8);
	expect_n(p, 1 + 256, (struct want){ 0 });
	{
		struct workload_info w;

		memcpy(p + 1 + 247, ".service", 8);
		parse_n(p, 1 + 255, &w);
		assert_int_equal(strlen(w.systemd_unit), 255);
		assert_memory_equal(w.systemd_unit, p + 1, 255);
	}
	free(p);
}

static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random paths from layout-shaped pieces: fields stay NUL-terminated and consistent. */
static void test_random_paths(void **state)
{
	static const char *pieces[] = {
		"/", "/", "docker", "docker-", ".scope", ".slice", ".service", "kubepods",
		"burstable", "pod", UID, UID_, ID, ID63, "crio-", "libpod-", "conmon-",
		"cri-containerd-", "-", "default", "@", "\xff", "\0", "a", "lxc", "lxc.payload.",
		"systemd-nspawn@", "nerdctl-", "\\",
	};
	uint32_t seed = 0xc0ffee;
	char buf[1024];
	int iter;

	for (iter = 0; iter < 20000; iter++) {
		struct workload_info w;
		size_t n = 0, k = rng(&seed) % 24;

		while (k--) {
			const char *pc = pieces[rng(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
			size_t pl = *pc ? strlen(pc) : 1;

			if (n + pl > sizeof(buf))
				break;
			memcpy(buf + n, pc, pl);
			n += pl;
		}
		parse_n(buf, n, &w);
		assert_true(memchr(w.runtime, 0, sizeof(w.runtime)) != NULL);
		assert_true(memchr(w.systemd_unit, 0, sizeof(w.systemd_unit)) != NULL);
		assert_true(memchr(w.systemd_slice, 0, sizeof(w.systemd_slice)) != NULL);
		assert_true(strlen(w.container_id) == 0 || strlen(w.container_id) == 64);
		assert_true(strlen(w.pod_uid) == 0 || strlen(w.pod_uid) == 36);
		assert_true(memchr(w.container_name, 0, sizeof(w.container_name)) != NULL);
		if (w.runtime[0])
			assert_true(strlen(w.container_id) == 64 || w.container_name[0]);
		assert_false(w.container_id[0] && w.container_name[0]);
		if (w.pod_uid[0])
			assert_true(w.qos_class[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_cgroupfs),
		cmocka_unit_test(test_docker_systemd),
		cmocka_unit_test(test_containerd_default_namespace),
		cmocka_unit_test(test_containerd_no_false_positives),
		cmocka_unit_test(test_kubepods_cgroupfs),
		cmocka_unit_test(test_kubepods_docker_shim_has_no_runtime),
		cmocka_unit_test(test_kubepods_systemd),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_conmon_is_not_the_container),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_nerdctl),
		cmocka_unit_test(test_lxc),
		cmocka_unit_test(test_systemd_nspawn),
		cmocka_unit_test(test_systemd_units),
		cmocka_unit_test(test_systemd_innermost_unit_wins),
		cmocka_unit_test(test_systemd_bad_unit_names),
		cmocka_unit_test(test_nested_under_container),
		cmocka_unit_test(test_malformed_ids),
		cmocka_unit_test(test_malformed_pod_uid),
		cmocka_unit_test(test_empty_and_root),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_no_leading_or_trailing_slash),
		cmocka_unit_test(test_nul_ends_path),
		cmocka_unit_test(test_10k_paths),
		cmocka_unit_test(test_random_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
