"""Kernel tests for credential file reads (issue: credential file reads)."""

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

from harness import (CGROUP2, ROOT, UNSET, Daemon, TestFailure, canary, check, eq, execs_with,
                     github_env, hop, marker, rmdir_cgroup, run, spawn)

HELPERS = os.path.join(ROOT, ".output", "tests", "helpers")
CAT = "/usr/bin/cat"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def fake_jwt(claims):
    header = b64url(json.dumps({"alg": "RS256", "kid": "test"}).encode())
    payload = b64url(json.dumps(claims).encode())
    return "%s.%s.%s" % (header, payload, b64url(os.urandom(64)))


class Creds:
    """A temporary home full of fake credentials, all carrying one canary."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="idt-creds-")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        self.key_file = os.path.join(self.dir, "state", "fingerprint.key")
        self.secret = canary()
        self.akid = "AKIA" + os.urandom(8).hex().upper()
        os.makedirs(os.path.join(self.home, ".aws"))
        self.aws = os.path.join(self.home, ".aws", "credentials")
        self.write(self.aws, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                   % (self.akid, self.secret))
        self.token_dir = os.path.join(self.dir, "secrets")
        os.makedirs(self.token_dir)
        self.token = os.path.join(self.token_dir, "token")
        self.jwt = fake_jwt({"iss": "https://kubernetes.default.svc", "sub":
                             "system:serviceaccount:payments:deployer", "aud": ["api"],
                             "exp": 4102444800, "iat": 1700000000, "canary": self.secret,
                             "kubernetes.io": {"namespace": "payments",
                                               "pod": {"name": "deployer-7f9", "uid": "u1"},
                                               "serviceaccount": {"name": "deployer",
                                                                  "uid": "u2"}}})
        self.write(self.token, self.jwt + "\n")

    def write(self, path, text, mode=0o600):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, mode)

    def args(self):
        return ["--watch-home", self.home, "--key-file", self.key_file,
                "--watch", self.token + "=k8s_service_account"]

    def fingerprint(self, secret):
        key = open(self.key_file, "rb").read()
        return "hmac-sha256:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def reads(d, pid=None, path=None, count=1, timeout=20, uid=None):
    def pred(e):
        return (e.get("type") == "credential.read" and (pid is None or e["process"]["pid"] == pid)
                and (path is None or e["file"]["path"] == path)
                and (uid is None or e["process"]["uid"] == uid))
    return d.wait_for(pred, count=count, timeout=timeout)


def only_read(d, pid, path):
    """Exactly one credential.read of path by pid, after the daemon drained."""
    reads(d, pid, path)
    evs = [e for e in d.stop() if e.get("type") == "credential.read"
           and e["process"]["pid"] == pid]
    eq(len(evs), 1, "credential.read events by pid %d" % pid)
    eq(evs[0]["file"]["path"], path, "file.path")
    return evs[0]


def assert_no_canary(d, c):
    raw = d.raw()
    check(c.secret.encode() not in raw, "the canary secret never appears in the output")
    check(c.jwt.encode() not in raw, "the token never appears in the output")


def with_creds(fn=None, *, env=None, args=()):
    """Case wrapper: fake credentials and a daemon watching them (with env
    added to the daemon's environment, and args to its command line; an arg
    that is a dict is written to a config file given with --config)."""
    if fn is None:
        return lambda f: with_creds(f, env=env, args=args)

    def case(_):
        c = Creds()
        extra = []
        for a in args:
            if isinstance(a, dict):
                path = os.path.join(c.dir, "config.json")
                with open(path, "w") as f:
                    json.dump(a, f)
                os.chmod(path, 0o600)
                extra += ["--config", path]
            else:
                extra.append(a)
        d = Daemon(*c.args(), *extra, env=env)
        try:
            d.start()
            fn(d, c)
            d.stop()
            assert_no_canary(d, c)
        finally:
            d.kill()
            c.remove()
    case.__name__ = fn.__name__
    case.__doc__ = fn.__doc__
    case.no_daemon = True
    return case


@with_creds
def test_cred_cat_aws(d, c):
    """cat ~/.aws/credentials: path, type, access key id, fingerprint, chain."""
    p = run([CAT, c.aws], env={"PATH": "/usr/bin"}, loginuid=1000, stdout=subprocess.DEVNULL)
    ev = only_read(d, p.pid, c.aws)
    eq(ev["process"]["exe"], CAT, "process.exe")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"]["aws_access_key_id"], c.akid, "access key id")
    eq(ev["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint of the secret key")
    eq(ev["file"]["result"] >= 0, True, "result is an fd")
    check("O_RDONLY" in ev["file"]["flags"], "flags named")
    eq(ev["file"]["inode"], os.stat(c.aws).st_ino, "file.inode")
    last = ev["chain"][-1]
    eq(last["kind"], "credential", "credential hop last")
    eq(last["fingerprint"], c.fingerprint(c.secret), "hop fingerprint")
    eq(last["read_by_exec_id"], ev["process"]["exec_id"], "hop names the reader")
    eq(hop(ev, "human")["uid"], 1000, "human hop")
    eq(os.stat(c.key_file).st_mode & 0o777, 0o600, "key file mode")


@with_creds
def test_cred_sandbox_namespaces(d, c):
    """A read inside unshare (new mount, pid, network and user namespaces, no
    cgroup of its own): the workload hop names each namespace that is not
    the host's, by the inode number /proc/PID/ns shows; a host reader's hop
    names none."""
    out = os.path.join(c.dir, "ns.txt")
    script = ("for n in mnt pid net user; do echo $n $(stat -L -c %%i /proc/self/ns/$n); done > %s; "
              "exec %s %s" % (out, CAT, c.aws))
    p = run(["unshare", "-m", "-p", "-n", "-U", "--fork", "--map-root-user", "sh", "-c", script],
            env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL)
    ev = reads(d, path=c.aws)[0]
    want = {}
    with open(out) as f:
        for line in f:
            name, ino = line.split()
            want[name] = int(ino)
    for name in want:
        check(want[name] != os.stat("/proc/self/ns/" + name).st_ino,
              "unshare made a new %s namespace" % name)
    eq(ev["process"]["exe"], CAT, "the reader is cat inside unshare")
    check(ev["process"]["pid"] != p.pid, "cat is unshare's child")
    eq(hop(ev, "workload").get("namespaces"), want, "workload.namespaces")
    host = run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL)
    ev = reads(d, host.pid, c.aws)[0]
    eq(hop(ev, "workload").get("namespaces"), None, "a host process's hop names no namespace")


@with_creds
def test_cred_replaced_inode_reused(d, c):
    """A watched file replaced by rename frees its inode number, which the
    file system gives to the next file made there, before the rescan that
    follows the rename: opens of those files are not reported as the
    credential (the entry no longer names the file), while the new file at
    the credential's path still is."""
    makers, news = [], []
    # live, then with the daemon stopped meanwhile: its records then come
    # after the rescan that dropped the old inode's entry
    for paused in (False, True):
        old_ino = os.stat(c.aws).st_ino
        tmp = c.aws + ".new"
        made, reused = [], None
        for i in range(300):  # made by one shell, right after the rename
            made.append(os.path.join(c.home, ".aws", "notes%d-%d.txt" % (paused, i)))
        if paused:
            os.kill(d.proc.pid, signal.SIGSTOP)
        try:
            shutil.copy(c.aws, tmp)
            os.rename(tmp, c.aws)
            makers.append(run(["/bin/sh", "-c", "for f in \"$@\"; do echo x > \"$f\"; done",
                               "sh"] + made, env={}))
            makers.append(run([CAT] + made, env={}, stdout=subprocess.DEVNULL))
        finally:
            if paused:
                os.kill(d.proc.pid, signal.SIGCONT)
        for f in made:
            if os.stat(f).st_ino == old_ino:
                reused = f
        news.append(run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL))
        reads(d, news[-1].pid, c.aws)
        print("    %s: old inode %d reused by %s" % ("paused" if paused else "live", old_ino,
                                                    reused))
    evs = [e for e in d.stop() if e.get("type") == "credential.read"]
    bogus = [e["file"]["path_as_given"] for e in evs
             if e["process"]["pid"] in [m.pid for m in makers]]
    eq(bogus, [], "no open of the files made after the rename is a credential read")
    eq([e["file"]["path"] for e in evs if e["process"]["pid"] in [n.pid for n in news]],
       [c.aws, c.aws], "the new file at the credential's path is reported, each time")


@with_creds
def test_cred_new_home_read_at_once(d, c):
    """A HOME no rule watches yet (not in passwd, not --watch-home), named
    first by the very process that reads its credentials at once: the exec
    probe marks the process (its HOME is unknown to the kernel), its open is
    checked by name and the daemon judges the path with that home. Reported
    with the file's fingerprint; a later read matches by inode."""
    home = os.path.join(c.dir, "job-home")
    os.makedirs(os.path.join(home, ".aws"))
    aws = os.path.join(home, ".aws", "credentials")
    secret = canary()
    c.write(aws, "[default]\naws_access_key_id = AKIANEWHOME000000001\n"
            "aws_secret_access_key = %s\n" % secret)
    first = run([CAT, aws], env={"HOME": home}, stdout=subprocess.DEVNULL)
    ev = reads(d, first.pid, aws)[0]
    eq(ev["file"]["match"], "name", "matched by name: the home was not watched yet")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"].get("aws_access_key_id"), "AKIANEWHOME000000001", "the key id")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(secret), "the file's fingerprint")
    time.sleep(1)  # the rescan that watches the new home
    later = run([CAT, aws], env={"HOME": home}, stdout=subprocess.DEVNULL)
    eq(reads(d, later.pid, aws)[0]["file"]["match"], "inode", "then by inode")
    # a file of another name in that home is not a credential
    other = os.path.join(home, ".aws", "notes.txt")
    c.write(other, "plain\n")
    fresh = os.path.join(c.dir, "other-home")
    os.makedirs(os.path.join(fresh, ".kube"))
    plain = os.path.join(fresh, ".kube", "cache.json")
    c.write(plain, "{}\n")
    runs = [run([CAT, plain, other], env={"HOME": fresh}, stdout=subprocess.DEVNULL)]
    evs = [e for e in d.stop() if e.get("type") == "credential.read"]
    eq([e["file"]["path"] for e in evs if e["process"]["pid"] == runs[0].pid], [],
       "no other file of a new home is reported")
    check(secret.encode() not in d.raw(), "the secret never appears")


@with_creds
def test_cred_python_token(d, c):
    """python3 open() of a service-account token: JWT claims, never the token."""
    p = run(["python3", "-c", "open(%r).read()" % c.token], env={"PATH": "/usr/bin:/bin"})
    ev = only_read(d, p.pid, c.token)
    eq(ev["credential"]["type"], "k8s_service_account", "type")
    claims = ev["credential"]["claims"]
    eq(claims["iss"], "https://kubernetes.default.svc", "iss")
    eq(claims["sub"], "system:serviceaccount:payments:deployer", "sub")
    eq(claims["exp"], 4102444800, "exp")
    eq(claims["kubernetes"]["namespace"], "payments", "namespace")
    eq(claims["kubernetes"]["serviceaccount"], "deployer", "service account")
    eq(ev["credential"]["fingerprint"], c.fingerprint(c.jwt), "fingerprint of the token")


@with_creds
def test_cred_relative_path(d, c):
    """A relative path after cd resolves against the process's cwd."""
    p = run(["/bin/sh", "-c", "cd %s/.aws && exec %s credentials" % (c.home, CAT)],
            env={"PATH": "/usr/bin"}, stdout=subprocess.DEVNULL)
    ev = only_read(d, p.pid, c.aws)
    eq(ev["file"]["path_as_given"], "credentials", "path as given")


@with_creds
def test_cred_symlink(d, c):
    """A symlink to a credential is reported with the credential's real path."""
    link = os.path.join(c.dir, "innocent.txt")
    os.symlink(c.aws, link)
    p = run([CAT, link], env={}, stdout=subprocess.DEVNULL)
    ev = only_read(d, p.pid, c.aws)
    eq(ev["file"]["path_as_given"], link, "path as given")
    eq(ev["credential"]["type"], "aws", "type")


@with_creds
def test_cred_created_later(d, c):
    """A credential file created after the daemon started is watched."""
    gh = os.path.join(c.home, ".config", "gh")
    os.makedirs(gh)
    hosts = os.path.join(gh, "hosts.yml")
    token = "gho_" + c.secret
    c.write(hosts, "github.com:\n    oauth_token: %s\n    user: octo\n" % token)
    time.sleep(0.5)  # inotify or the kernel's directory match: either must see it
    p = run([CAT, hosts], env={}, stdout=subprocess.DEVNULL)
    ev = only_read(d, p.pid, hosts)
    eq(ev["credential"]["type"], "github_cli", "type")
    eq(ev["credential"]["fingerprint"], c.fingerprint(token), "fingerprint of the oauth token")


@with_creds
def test_cred_o_path_not_reported(d, c):
    """mv onto a credential probes the name with O_PATH|O_DIRECTORY (ENOTDIR),
    and an O_PATH open reaches no content: neither is a credential.read; the
    read that follows the replacement is, with the new file's facts."""
    tmp = os.path.join(c.home, ".aws", ".credentials.new")
    c.write(tmp, "[default]\naws_access_key_id = AKIAIDTRACEREPLACED1\n"
            "aws_secret_access_key = %s\n" % c.secret)
    mv = run(["/usr/bin/mv", tmp, c.aws], env={})
    eq(mv.returncode, 0, "mv exit status")
    probe = run(["/usr/bin/python3", "-c",
                 "import os, sys; os.close(os.open(sys.argv[1], os.O_PATH))", c.aws],
                env={"PATH": "/usr/bin"})
    eq(probe.returncode, 0, "O_PATH open exit status")
    time.sleep(0.5)  # the replaced file is watched again (inotify)
    p = run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL)
    ev = only_read(d, p.pid, c.aws)
    eq(ev["credential"]["aws_access_key_id"], "AKIAIDTRACEREPLACED1", "the new file's key id")
    others = [e for e in d.stopped_events if e.get("type") == "credential.read"
              and e["process"]["pid"] in (mv.pid, probe.pid)]
    eq(others, [], "no credential.read from mv's or python's O_PATH opens")


KUBELET = "/var/lib/kubelet"


@with_creds
def test_cred_pod_token_seen_from_node(d, c):
    """A pod's service-account token, as a node sees it: kubelet writes it in a
    tmpfs mounted on a new volume directory (made after the daemon started;
    the mount itself makes no inotify event, a follow-up rescan finds it),
    with the atomic writer's ..data symlinks, and the pod reads it through a
    bind mount at /var/run/secrets/...: one credential.read, matched by
    inode, named by the kubelet path, with the token's claims."""
    check(not os.path.exists(KUBELET), "no kubelet on this test host (%s exists)" % KUBELET)
    uid = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
    vol = os.path.join(KUBELET, "pods", uid, "volumes", "kubernetes.io~projected",
                       "kube-api-access-t3st")
    pod_view = os.path.join(c.dir, "pod-root", "serviceaccount")
    mounted = []
    try:
        os.makedirs(vol)
        os.makedirs(pod_view)
        time.sleep(0.6)  # the daemon has rescanned: an empty directory
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", vol], check=True)
        mounted.append(vol)
        stamp = os.path.join(vol, "..2026_12_02_10_00_00.123456789")
        os.mkdir(stamp)
        c.write(os.path.join(stamp, "token"), c.jwt)
        os.symlink(os.path.basename(stamp), os.path.join(vol, "..data"))
        os.symlink("..data/token", os.path.join(vol, "token"))
        subprocess.run(["mount", "--bind", vol, pod_view], check=True)
        mounted.append(pod_view)
        time.sleep(2.0)  # the follow-up rescans (0.3 s, 1 s after the change)
        p = run([CAT, os.path.join(pod_view, "token")], env={}, stdout=subprocess.DEVNULL)
        ev = only_read(d, p.pid, os.path.join(vol, "token"))
    finally:
        for m in reversed(mounted):
            subprocess.run(["umount", m], check=False)
        shutil.rmtree(KUBELET, ignore_errors=True)
    eq(ev["file"]["match"], "inode", "matched by inode in the kernel")
    eq(ev["file"]["path_as_given"], os.path.join(pod_view, "token"), "path as the pod gave it")
    eq(ev["credential"]["type"], "k8s_service_account", "credential.type")
    eq(ev["credential"]["fingerprint"], c.fingerprint(c.jwt), "fingerprint of the token")
    k8s = ev["credential"]["claims"]["kubernetes"]
    eq(k8s["namespace"], "payments", "claims.kubernetes.namespace")
    eq(k8s["serviceaccount"], "deployer", "claims.kubernetes.serviceaccount")


class daemon_paused:
    """The daemon stopped (SIGSTOP) for the block: the probes keep recording
    into the ring, but the daemon updates no watch map. A file made in the
    block is still unknown to the kernel when read there, so that read can
    only match by directory + name, not by the inode a rescan would add."""

    def __init__(self, d):
        self.d = d

    def __enter__(self):
        os.kill(self.d.proc.pid, signal.SIGSTOP)

    def __exit__(self, *exc):
        os.kill(self.d.proc.pid, signal.SIGCONT)


def check_probe_variant(d, c, variant):
    """The daemon loaded the open probe's variant, and it matches a watched file
    by inode and a new file in a watched directory by name."""
    variant += ", and io_uring opens"
    check("credential-open probes: %s\n" % variant in d.stderr_text(),
          "the variant loaded is %r: %r" % (variant, d.stderr_text()))
    p = run([CAT, c.aws], env={"PATH": "/usr/bin"}, stdout=subprocess.DEVNULL)
    # the file did not exist: its creating open can only match by directory + name
    vault = os.path.join(c.home, ".vault-token")
    with daemon_paused(d):
        c.write(vault, "hvs.%s\n" % c.secret)
        h = run([os.path.join(HELPERS, "handle_read"), vault], env={})
    eq(h.returncode, 0, "handle_read helper")
    u = run([os.path.join(HELPERS, "uring_read"), c.aws], env={})
    eq(u.returncode, 0, "uring_read helper")
    reads(d, p.pid, c.aws)
    reads(d, os.getpid(), vault)
    reads(d, h.pid, vault)
    reads(d, u.pid, c.aws)
    evs = [e for e in d.stop() if e.get("type") == "credential.read"]
    by_handle = [e for e in evs if e["process"]["pid"] == h.pid]
    eq([(e["file"]["syscall"], e["file"]["match"]) for e in by_handle],
       [("open_by_handle_at", "directory")], "the open by handle, matched by directory")
    by_uring = [e for e in evs if e["process"]["pid"] == u.pid]
    eq([(e["file"]["syscall"], e["file"]["match"], e["file"]["path"]) for e in by_uring],
       [("io_uring_openat", "inode", c.aws)], "the io_uring open, matched by inode")
    cat = [e for e in evs if e["process"]["pid"] == p.pid]
    eq(len(cat), 1, "credential.read events by cat")
    eq(cat[0]["file"]["match"], "inode", "cat's open matched by inode")
    eq(cat[0]["file"]["inode"], os.stat(c.aws).st_ino, "file.inode")
    eq(cat[0]["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint")
    mine = [e for e in evs if e["process"]["pid"] == os.getpid() and e["file"]["path"] == vault]
    eq(mine[0]["file"]["match"], "directory", "the creating open matched by name")
    eq(mine[0]["credential"]["type"], "vault", "type")
    eq(mine[0]["file"]["inode"], os.stat(vault).st_ino, "file.inode")


@with_creds(env={"IDTRACE_BPF_COMPAT": "1"})
def test_cred_compat_probe(d, c):
    """The open probe without kfuncs (kernels before 6.2, forced here): a watched
    file matched by inode, a new file in a watched directory matched by name."""
    check_probe_variant(d, c, "sys_exit_open* trace events")


@with_creds(env={"IDTRACE_BPF_RAW": "1"})
def test_cred_raw_probe(d, c):
    """The open probe on the raw sys_exit tracepoint (the fallback for kernels
    without the syscall trace events, forced here): the same matches."""
    check_probe_variant(d, c, "raw sys_exit with bpf_rdonly_cast")


@with_creds
def test_cred_failed_open(d, c):
    """A non-root attempt on a credential (EACCES) and a missing one (ENOENT) are evidence."""
    netrc = os.path.join(c.home, ".netrc")
    c.write(netrc, "machine example.com login me password %s\n" % c.secret, mode=0o000)
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", CAT, netrc],
            env={"PATH": "/usr/bin"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    check(p.returncode != 0, "cat as nobody failed")
    # (the test's own write of the file is an access too: look for nobody's)
    evs = reads(d, path=netrc, uid=65534)
    eq(evs[0]["file"]["result"], "EACCES", "result")
    eq(evs[0]["credential"], {"type": "netrc", "source": "file"},
       "credential of a failed open: no fingerprint (the process got nothing)")
    check("fingerprint" not in evs[0]["chain"][-1], "no fingerprint in the credential hop")
    check("enrichment" not in evs[0], "nothing is missing from a failed open's event")
    missing = os.path.join(c.home, ".vault-token")
    p = run([CAT, missing], env={}, stderr=subprocess.DEVNULL)
    ev = reads(d, p.pid, missing)[0]
    eq(ev["file"]["result"], "ENOENT", "result of a missing credential")
    eq(ev["credential"], {"type": "vault", "source": "file"}, "credential of a missing file")
    eq(ev["file"]["match"], "name", "matched by name")
    # cat opens with O_RDONLY (glibc adds no O_CLOEXEC); python's open() asks for
    # O_CLOEXEC, which an open file's flags never hold: a failed open's do not either
    p = run(["python3", "-c", "import os\ntry: os.open(%r, os.O_RDONLY | os.O_CLOEXEC)\n"
             "except OSError: pass" % missing], env={})
    ev = reads(d, p.pid, missing)[0]
    eq(ev["file"]["flags"], ["O_RDONLY"], "a failed open's flags, as an open file's read")


REPLACE_PY = '''
import os, sys
path, new = sys.argv[1], sys.argv[2]
os.close(os.open(path, os.O_RDONLY))
with open(path + ".tmp", "w") as f:
    f.write(new)
os.rename(path + ".tmp", path)
'''


@with_creds
def test_cred_replaced_before_read(d, c):
    """A credential opened, then replaced by rename (as atomic writers,
    useradd and passwd do) before the daemon read it: that open has no
    fingerprint (the file it opened is gone), and the next read of the new
    file has the new file's."""
    vault = os.path.join(c.home, ".vault-token")
    c.write(vault, "hvs.%s\n" % canary())
    new_secret = canary()
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        p = run(["python3", "-c", REPLACE_PY, vault, "hvs.%s\n" % new_secret], env={})
        eq(p.returncode, 0, "open, then replace")
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    first = reads(d, p.pid, vault)[0]
    check("fingerprint" not in first["credential"], "no fingerprint for the replaced file")
    eq(first["enrichment"]["missing"][0]["field"], "credential.fingerprint", "said missing")
    cat = run([CAT, vault], env={}, stdout=subprocess.DEVNULL)
    ev = reads(d, cat.pid, vault)[0]
    eq(ev["credential"].get("fingerprint"), c.fingerprint("hvs." + new_secret),
       "the new file's fingerprint")


@with_creds
def test_cred_home_churn_no_rescan(d, c):
    """Files that no rule names coming and going in a watched home (editors,
    shells, builds) do not rescan the watch list; a credential's name does."""
    time.sleep(0.5)
    for i in range(30):
        scratch = os.path.join(c.home, "scratch-%d.tmp" % i)
        c.write(scratch, "x")
        os.unlink(scratch)
    time.sleep(1.0)
    npmrc = os.path.join(c.home, ".npmrc")
    c.write(npmrc, "//registry.npmjs.org/:_authToken=npm_%s\n" % canary())
    time.sleep(0.6)
    stats = [e for e in d.stop() if e.get("type") == "agent.stats"][-1]
    eq(stats["credential_watch"]["rescans"] >= 1, True, "a credential's name brings a rescan")
    eq(stats["credential_watch"]["rescans"] <= 2, True,
       "30 unrelated files in a home bring none: %r" % stats["credential_watch"])


@with_creds
def test_cred_home_of_user_added_later(d, c):
    """A user added after the daemon started (useradd): the credentials in
    that user's home are watched before the user ever runs anything."""
    home = os.path.join(c.dir, "later-home")
    os.makedirs(os.path.join(home, ".aws"))
    aws = os.path.join(home, ".aws", "credentials")
    c.write(aws, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
            % (c.akid, c.secret))
    user = "idt" + secrets.token_hex(4)
    eq(run(["/usr/sbin/useradd", "-M", "-d", home, "-s", "/usr/sbin/nologin", user]).returncode, 0,
       "useradd")
    try:
        deadline, pid = time.monotonic() + 15, None
        while pid is None:
            check(time.monotonic() < deadline, "a read of the new user's AWS file is reported")
            p = run([CAT, aws], env={}, stdout=subprocess.DEVNULL)
            time.sleep(0.3)
            if any(e.get("type") == "credential.read" and e["process"]["pid"] == p.pid
                   for e in d.events()):
                pid = p.pid
        ev = reads(d, pid, aws)[0]
        eq(ev["credential"]["type"], "aws", "credential.type")
        eq(ev["file"]["match"], "inode", "matched by inode")
        eq(ev["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint")
    finally:
        run(["/usr/sbin/userdel", user])


# A container's shell: into its cgroup, a mount namespace of its own with the
# host's /usr bound in, then $INNER chrooted into $ROOTFS.
CONTAINER_SH = r"""
set -e
echo $$ > "$CG/cgroup.procs"
exec unshare -m sh -ec '
  mount --bind /usr "$ROOTFS/usr"
  exec chroot "$ROOTFS" /bin/sh -c "$INNER"
'
"""


def check_container_reads(c, d):
    """A container (its own root file system, mount namespace and docker-style
    cgroup) reads the credentials of its own image: the root's AWS file, and
    the .netrc of a user of the container's /etc/passwd. Reported with the
    path the container sees, the fingerprint of the container's file (not of
    a host file at that path) and the container's workload. d None: the
    daemon starts once the container runs (and is returned)."""
    rootfs, cid = os.path.join(c.dir, "rootfs"), secrets.token_hex(32)
    rootfs_skeleton(rootfs, "root/.aws", "home/app")
    c.write(os.path.join(rootfs, "etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", 0o644)
    aws_secret, netrc_pw = canary(), canary()
    c.write(os.path.join(rootfs, "root/.aws/credentials"),
            "[default]\naws_access_key_id = AKIACONTAINER0000001\naws_secret_access_key = %s\n"
            % aws_secret)
    c.write(os.path.join(rootfs, "home/app/.netrc"),
            "machine api.example.com login app password %s\n" % netrc_pw)
    cg = os.path.join(CGROUP2, "docker", cid)
    os.makedirs(cg)
    inner = ("echo ready; read go; cat /root/.aws/credentials; cat /home/app/.netrc; "
             "echo done")
    p = subprocess.Popen(["sh", "-c", CONTAINER_SH], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         env={"CG": cg, "ROOTFS": rootfs, "INNER": inner,
                              "PATH": "/usr/sbin:/usr/bin:/bin"})
    try:
        eq(p.stdout.readline().strip(), "ready", "the container's shell started")
        if d is None:
            d = Daemon(*c.args()).start()
            check("the container of pid %d " % p.pid in d.stderr_text(),
                  "a container running at the start is watched by agent.ready: %r"
                  % d.stderr_text())
        let_container_read(d, p, 15, True)
    finally:
        p.kill()
        rmdir_cgroup(cg)
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and e["file"]["path"] in ("/root/.aws/credentials", "/home/app/.netrc")
                     and (hop(e, "workload") or {}).get("container_id") == cid, count=2)
    by_path = {e["file"]["path"]: e for e in evs}
    aws, netrc = by_path["/root/.aws/credentials"], by_path["/home/app/.netrc"]
    eq(aws["file"]["match"], "inode", "matched by inode")
    eq(aws["credential"]["type"], "aws", "type")
    eq(aws["credential"]["fingerprint"], c.fingerprint(aws_secret), "the container file's fingerprint")
    eq(aws["credential"]["aws_access_key_id"], "AKIACONTAINER0000001", "its access key id")
    eq(hop(aws, "workload").get("runtime"), "docker", "workload.runtime")
    eq(netrc["credential"]["type"], "netrc", "type")
    eq(netrc["credential"]["fingerprint"], c.fingerprint(netrc_pw), "the .netrc's fingerprint")
    d.stop()
    raw = d.raw()
    for secret in (aws_secret, netrc_pw):
        check(secret.encode() not in raw, "the container's secrets never appear")
    return d


@with_creds
def test_cred_container_own_files(d, c):
    """A container started while the daemon runs reads its own credentials."""
    check_container_reads(c, d)


def test_cred_container_running_before_start(_):
    """A container already running when the daemon starts (found among the
    processes seeded from /proc) reads its own credentials."""
    c, d = Creds(), None
    try:
        d = check_container_reads(c, None)
    finally:
        if d:
            d.kill()
        c.remove()


test_cred_container_running_before_start.no_daemon = True


RECYCLED_SH = r'''
set -e
echo $$ > "$CG/cgroup.procs"
exec unshare -m sh -ec '
  mount --bind /usr "$ROOTFS/usr"
  readlink /proc/self/ns/mnt
  exec chroot "$ROOTFS" /bin/sh -c "read go; cat /root/.aws/credentials; echo done"
'
'''


def let_container_read(d, p, wait_s, must_watch):
    """Wait (up to wait_s) for the daemon to watch the files of p's container
    (failing when must_watch), then let it read ("go") and check it did."""
    deadline = time.monotonic() + wait_s
    while "the container of pid %d " % p.pid not in d.stderr_text():
        if time.monotonic() >= deadline:
            check(not must_watch,
                  "the daemon watches the container's files: %r" % d.stderr_text()[-500:])
            break
        time.sleep(0.05)
    p.stdin.write("go\n")
    p.stdin.flush()
    out = p.stdout.read()
    eq(p.wait(10), 0, "the container's reads")
    check(out.endswith("done\n"), "the container read its files: %r" % out[-200:])


def rootfs_skeleton(rootfs, *dirs):
    """A container's root file system at rootfs: usr, etc and dirs made, and
    the host's /bin, /lib, /lib64 and /sbin links (usr-merged) copied."""
    for sub in ("usr", "etc") + dirs:
        os.makedirs(os.path.join(rootfs, sub))
    for link in ("bin", "lib", "lib64", "sbin"):
        if os.path.islink("/" + link):
            os.symlink(os.readlink("/" + link), os.path.join(rootfs, link))


@contextlib.contextmanager
def tmpfs_dir(path, label):
    """A directory on a tmpfs of its own (kubelet's volumes, a host directory
    beside an overlay root: another file system than the container's root),
    unmounted after the block."""
    os.makedirs(path)
    run(["mount", "-t", "tmpfs", "-o", "size=1m", label, path])
    try:
        yield path
    finally:
        run(["umount", "-l", path])


def pod_rootfs_var_run(c):
    """An image whose /var/run links to /run (Debian's base and most others),
    with the pod's token mount point at /run/secrets/kubernetes.io/
    serviceaccount/token as a runtime makes it (an empty file)."""
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "run/secrets/kubernetes.io/serviceaccount", "var")
    os.symlink("/run", os.path.join(rootfs, "var/run"))
    c.write(os.path.join(rootfs, "run/secrets/kubernetes.io/serviceaccount/token"), "", 0o644)
    return rootfs


def first_read_and_next(d, cid):
    """The two reads of a container whose first process reads at once, then
    again once it is scanned: the first matched by name (or by inode, when
    the daemon's scan beat it to the open under load: either way it is
    reported, which without the fix under test it is not), the second by
    inode."""
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and (hop(e, "workload") or {}).get("container_id") == cid, count=2,
                     timeout=10)
    check(evs[0]["file"]["match"] in ("container_name", "inode") and
          evs[1]["file"]["match"] == "inode",
          "the first read by name (or by inode when the scan came first), then by inode: %r"
          % [e["file"]["match"] for e in evs])
    return evs


def make_rootfs(c, name, secret, akid="AKIARECYCLED00000001"):
    """A container image: the root's AWS file with its own secret."""
    rootfs = os.path.join(c.dir, name)
    rootfs_skeleton(rootfs, "root/.aws")
    c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    c.write(os.path.join(rootfs, "root/.aws/credentials"),
            "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid, secret))
    return rootfs


def run_container(d, rootfs, cid, wait_watched):
    """One docker-style container that reads its AWS file once the daemon
    watches it (or after wait_watched s): its mount namespace and pid."""
    cg = os.path.join(CGROUP2, "docker", cid)
    os.makedirs(cg)
    p = subprocess.Popen(["sh", "-c", RECYCLED_SH], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True,
                         env={"CG": cg, "ROOTFS": rootfs, "PATH": "/usr/sbin:/usr/bin:/bin"})
    try:
        mntns = p.stdout.readline().strip()
        check(mntns.startswith("mnt:"), "the container's mount namespace: %r" % mntns)
        let_container_read(d, p, wait_watched, False)
    finally:
        p.kill()
        rmdir_cgroup(cg)
    return mntns, p.pid


BIND_SH = r'''
set -e
echo $$ > "$CG/cgroup.procs"
exec unshare -m sh -ec '
  mount --bind /usr "$ROOTFS/usr"
  mount --bind "$HOSTFILE" "$ROOTFS/root/.aws/credentials"
  exec chroot "$ROOTFS" /bin/sh -c "read go; cat /root/.aws/credentials; echo done"
'
'''


@with_creds
def test_cred_container_bind_mounted_host_file_exits(d, c):
    """A container reads a host credential file bind-mounted into it (docker
    run -v ~/.aws:/root/.aws) and exits at once: its root is gone when the
    daemon follows the read up, and the file is read by its host path (the
    same inode) for its fingerprint. An inode watched under two roots is
    named by the first found, the host's (as a hard link is)."""
    rootfs = make_rootfs(c, "bindfs", canary())
    cid = "b" * 64
    cg = os.path.join(CGROUP2, "docker", cid)
    os.makedirs(cg)
    p = subprocess.Popen(["sh", "-c", BIND_SH], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True, env={"CG": cg, "ROOTFS": rootfs, "HOSTFILE": c.aws,
                                         "PATH": "/usr/sbin:/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 10
        while "the container of pid %d " % p.pid not in d.stderr_text():
            check(time.monotonic() < deadline,
                  "the daemon watches the container's files: %r" % d.stderr_text()[-500:])
            time.sleep(0.05)
        time.sleep(0.3)  # the rescan that watches its root
        let_container_read(d, p, 0, True)
    finally:
        p.kill()
        rmdir_cgroup(cg)
    ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                    and (hop(e, "workload") or {}).get("container_id") == cid)[0]
    eq(ev["file"]["path"], c.aws, "file.path: the host file's")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(c.secret),
       "the fingerprint of the host file: %r" % ev.get("enrichment"))
    eq(ev["credential"].get("aws_access_key_id"), c.akid, "the key id")


@with_creds
def test_cred_container_recycled_mntns(d, c):
    """The kernel gives a freed mount namespace's number to the next one made,
    so a container started after another has exited often has the number
    the daemon knows the first one by. Its own files are watched (the first
    one's root, still held, is not taken for it), and its read is reported
    with its fingerprint and its workload."""
    first_secret = canary()
    first = make_rootfs(c, "rootfs-first", first_secret)
    for attempt in range(5):
        cid_a, cid_b = secrets.token_hex(32), secrets.token_hex(32)
        ns_a, _ = run_container(d, first, cid_a, 15)
        d.wait_for(lambda e: e.get("type") == "credential.read"
                   and (hop(e, "workload") or {}).get("container_id") == cid_a)
        second_secret = canary()
        second = make_rootfs(c, "rootfs-second-%d" % attempt, second_secret)
        # at most 5 s for the watch log: without the fix it never comes
        ns_b, _ = run_container(d, second, cid_b, 5)
        if ns_b == ns_a:
            break
    check(ns_b == ns_a, "the second container got the first one's namespace number "
          "(%s, %s): the kernel did not reuse it, the test cannot tell" % (ns_a, ns_b))
    ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                    and (hop(e, "workload") or {}).get("container_id") == cid_b, timeout=10)[0]
    eq(ev["file"]["path"], "/root/.aws/credentials", "the path as the container sees it")
    eq(ev["credential"]["fingerprint"], c.fingerprint(second_secret),
       "the second container's own file's fingerprint")
    d.stop()
    raw = d.raw()
    for secret in (first_secret, second_secret):
        check(secret.encode() not in raw, "the containers' secrets never appear")


# The container's process makes its AWS file and reads it at once (docker run
# debian sh -c 'mkdir -p /root/.aws; printf ... > /root/.aws/credentials; cat
# ...'); before it, a file with a credential's name where no rule looks. The
# secret comes in the environment, which is never reported.
WRITE_THEN_READ = ('mkdir -p /root/.aws /opt/app; '
                   'printf "[default]\\naws_access_key_id = %s\\naws_secret_access_key = %s\\n" '
                   '"$AKID" "$SECRET" > /root/.aws/credentials; '
                   'printf "[default]\\naws_access_key_id = AKIANOTWATCHED000001\\n" '
                   '> /opt/app/credentials; '
                   'exec cat /opt/app/credentials /root/.aws/credentials')


def check_first_read(c, d, inner, baked):
    """A docker-style container (its own root, mount namespace and cgroup)
    whose first process reads its AWS file at once, before the daemon has
    scanned the container's files: reported all the same, with the path the
    container sees, the fingerprint of the container's file, its key id and
    the container's workload. baked: the file is in the image already, else
    the process makes it right before."""
    rootfs, cid = os.path.join(c.dir, "rootfs"), secrets.token_hex(32)
    rootfs_skeleton(rootfs, "root")
    c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    secret, akid = canary(), "AKIA" + os.urandom(8).hex().upper()
    if baked:
        os.makedirs(os.path.join(rootfs, "root/.aws"))
        c.write(os.path.join(rootfs, "root/.aws/credentials"),
                "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (akid, secret))
    # The first exec of a program new to the daemon wakes it at once: these
    # are not new to a host's daemon (and would let it scan the container in
    # the middle of the shell's few milliseconds).
    run(["sh", "-c", "mkdir -p /tmp; cat /dev/null; unshare --version; chroot --version; "
         "mount --version"], stdout=subprocess.DEVNULL)
    cg = os.path.join(CGROUP2, "docker", cid)
    os.makedirs(cg)
    try:
        p = subprocess.Popen(["sh", "-c", CONTAINER_SH], stdout=subprocess.PIPE, text=True,
                             env={"CG": cg, "ROOTFS": rootfs, "INNER": inner, "AKID": akid,
                                  "SECRET": secret, "PATH": "/usr/sbin:/usr/bin:/bin"})
        out = p.communicate(timeout=20)[0]
        eq(p.returncode, 0, "the container's run")
        check(akid in out, "the container read its file")
    finally:
        rmdir_cgroup(cg)
    ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                    and (hop(e, "workload") or {}).get("container_id") == cid
                    and "O_RDONLY" in e["file"]["flags"], timeout=10)[0]
    eq(ev["process"]["pid"], p.pid, "process.pid: the container's first process")
    eq(ev["file"]["path"], "/root/.aws/credentials", "file.path: as the container sees it")
    eq(ev["file"]["match"], "container_name", "matched by its name in an unscanned container")
    eq(ev["file"]["path_as_given"],
       "credentials" if inner == READ_RELATIVE else "/root/.aws/credentials", "path_as_given")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(secret),
       "the fingerprint of the container's file: %r" % ev.get("enrichment"))
    eq(ev["credential"].get("aws_access_key_id"), akid, "the key id")
    eq(hop(ev, "workload").get("runtime"), "docker", "workload.runtime")
    eq(ev["chain"][-1]["fingerprint"], c.fingerprint(secret), "the credential hop")
    evs = [e for e in d.stop() if e.get("type") == "credential.read"
           and (hop(e, "workload") or {}).get("container_id") == cid]
    # (the shell's open for writing, when it made the file, is one too)
    eq([(e["file"]["path"], e["file"]["flags"][0]) for e in evs],
       ([] if baked else [("/root/.aws/credentials", "O_WRONLY")])
       + [("/root/.aws/credentials", "O_RDONLY")],
       "its opens of the file, not of the file of that name where no rule looks")
    check(secret.encode() not in d.raw(), "the container's secret never appears")


@with_creds
def test_cred_container_first_process_reads_new_file(d, c):
    """The container's first process makes its AWS file and reads it at once."""
    check_first_read(c, d, WRITE_THEN_READ, False)


@with_creds
def test_cred_container_first_exec_reads_image_file(d, c):
    """The container's first program is cat of the AWS file in its image
    (docker run img cat /root/.aws/credentials)."""
    check_first_read(c, d, "exec cat /root/.aws/credentials", True)


# by a relative path: the one the container sees comes from the file's dentries
READ_RELATIVE = "cd /root/.aws && exec cat credentials"


@with_creds(env={"IDTRACE_BPF_COMPAT": "1"})
def test_cred_container_first_read_compat_probe(d, c):
    """The same with the open probe without kfuncs, by a relative path."""
    check_first_read(c, d, READ_RELATIVE, True)


@with_creds(env={"IDTRACE_BPF_RAW": "1"})
def test_cred_container_first_read_raw_probe(d, c):
    """The same with the open probe on the raw sys_exit tracepoint, by a
    relative path."""
    check_first_read(c, d, READ_RELATIVE, True)


CONTAINER_SH_PY = r"""
import ctypes, os, subprocess, sys
cg, rootfs, script, home = sys.argv[1:5]
open(os.path.join(cg, "cgroup.procs"), "w").write(str(os.getpid()))
assert ctypes.CDLL(None, use_errno=True).unshare(0x20000) == 0  # CLONE_NEWNS, no exec
subprocess.run(["mount", "--make-rprivate", "/"], check=True)
subprocess.run(["mount", "--bind", "/usr", os.path.join(rootfs, "usr")], check=True)
for bind in sys.argv[5:]:  # SRC:DST, DST inside rootfs: in the container's namespace only
    src, dst = bind.split(":")
    subprocess.run(["mount", "--bind", src, os.path.join(rootfs, dst.lstrip("/"))], check=True)
os.execve("/usr/sbin/chroot", ["chroot", rootfs, "/bin/sh", "-c", script],
          {"PATH": "/usr/bin:/bin", "HOME": home})
"""


def container_sh(cg, rootfs, script, home="/root", binds=(), **kw):
    """A docker-style container: a process moved into cgroup cg makes its
    own mount namespace (runc's order: no exec in between), and runs sh -c
    script chrooted in rootfs, with HOME home; binds: (host path, path in
    the container) pairs, bind-mounted in its namespace alone (docker -v).
    Returns the Popen."""
    return subprocess.Popen(["python3", "-c", CONTAINER_SH_PY, cg, rootfs, script, home] +
                            ["%s:%s" % b for b in binds], **kw)


@contextlib.contextmanager
def docker_cgroup(cid):
    """A docker-style cgroup /docker/<cid> for the block (removed once its
    processes are gone), after an exec of the tools a container run uses, so
    that the daemon has met them before."""
    run(["sh", "-c", "mount --version; chroot --version; cat /dev/null"],
        stdout=subprocess.DEVNULL)
    cg = os.path.join(CGROUP2, "docker", cid)
    os.makedirs(cg)
    try:
        yield cg
    finally:
        rmdir_cgroup(cg)


RUNC_ORDER_PY = r"""
import ctypes, os, subprocess, sys, time
cg, rootfs, plain = sys.argv[1:4]
open(os.path.join(cg, "cgroup.procs"), "w").write(str(os.getpid()))
assert ctypes.CDLL(None, use_errno=True).unshare(0x20000) == 0  # CLONE_NEWNS, no exec
os.close(os.open(plain, os.O_RDONLY))  # the namespace's first open
time.sleep(0.3)  # (the daemon has heard of the namespace)
subprocess.run(["mount", "--bind", "/usr", os.path.join(rootfs, "usr")], check=True)
sys.stdout.flush()
os.execv("/usr/sbin/chroot", ["chroot", rootfs, "/bin/cat", "/root/.aws/credentials"])
"""


@with_creds
def test_cred_container_namespace_made_before_its_cgroup_known(d, c):
    """runc's order: a process exec'd outside the container's cgroup is moved
    into it, makes the container's mount namespace without an exec and opens
    files there, then the container's program reads its AWS file at once.
    The namespace is not taken for a process's in no container (by the
    cgroup its exec had), which would stop the probe checking its opens."""
    cid, secret = secrets.token_hex(32), canary()
    rootfs = make_rootfs(c, "rootfs", secret, akid="AKIARUNCORDER0000001")
    plain = os.path.join(c.dir, "plain.txt")
    c.write(plain, "plain\n")
    with docker_cgroup(cid) as cg:
        p = subprocess.Popen(["python3", "-c", RUNC_ORDER_PY, cg, rootfs, plain],
                             stdout=subprocess.PIPE, text=True)
        out = p.communicate(timeout=20)[0]
        eq(p.returncode, 0, "the container's run")
        check("AKIARUNCORDER0000001" in out, "the container read its file")
    ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                    and (hop(e, "workload") or {}).get("container_id") == cid, timeout=10)[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    eq(ev["file"]["path"], "/root/.aws/credentials", "file.path: as the container sees it")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(secret), "the container file's fingerprint")
    eq(ev["credential"].get("aws_access_key_id"), "AKIARUNCORDER0000001", "the key id")
    d.stop()
    check(secret.encode() not in d.raw(), "the container's secret never appears")


@with_creds
def test_cred_container_var_run_link(d, c):
    """An image whose /var/run is a link to /run (Debian's base and most
    others): the pod's service-account token, opened as
    /var/run/secrets/..., is the file /run/secrets/...; its reads are
    reported by the container's first process (matched by name before the
    container is scanned) and after the scan (by inode), named by the real
    path, with the token's claims."""
    cid = secrets.token_hex(32)
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "run/secrets/kubernetes.io/serviceaccount", "var")
    os.symlink("/run", os.path.join(rootfs, "var/run"))
    jwt = fake_jwt({"iss": "https://kubernetes.default.svc", "canary": c.secret,
                    "sub": "system:serviceaccount:ci:runner"})
    c.write(os.path.join(rootfs, "run/secrets/kubernetes.io/serviceaccount/token"), jwt + "\n",
            0o644)
    with docker_cgroup(cid) as cg:
        tok = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        p = container_sh(cg, rootfs, "cat %s; sleep 1.5; exec cat %s" % (tok, tok),
                         stdout=subprocess.PIPE, text=True)
        out = p.communicate(timeout=30)[0]
        eq(p.returncode, 0, "the container's run")
        eq(out, (jwt + "\n") * 2, "the container read its token twice")
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and (hop(e, "workload") or {}).get("container_id") == cid, count=2,
                     timeout=10)
    eq([e["file"]["path"] for e in evs], ["/run/secrets/kubernetes.io/serviceaccount/token"] * 2,
       "file.path: the real path inside the container")
    eq([e["file"]["match"] for e in evs], ["container_name", "inode"],
       "matched by name first, then by inode once the container is watched")
    for e in evs:
        eq(e["file"]["path_as_given"], "/var/run/secrets/kubernetes.io/serviceaccount/token",
           "path as given")
        eq(e["credential"]["type"], "k8s_service_account", "credential.type")
        eq(e["credential"]["claims"]["sub"], "system:serviceaccount:ci:runner", "claims.sub")
        eq(e["credential"].get("fingerprint"), c.fingerprint(jwt), "the token's fingerprint")


@with_creds
def test_cred_container_var_run_link_mounted_token(d, c):
    """The pod's token bind-mounted as a file (kubelet's tmpfs) in an image
    whose /var/run links to /run, read as /var/run/secrets/... by the
    container's first process (matched by name: the mount's dentries are the
    host's) and after the scan (by inode): both reads named alike, by the
    path the scan gives it, /run/secrets/..."""
    cid = secrets.token_hex(32)
    with tmpfs_dir(os.path.join(c.dir, "kubelet-vol"), "idt-sa") as vol:
        jwt = fake_jwt({"iss": "https://kubernetes.default.svc", "canary": c.secret,
                        "sub": "system:serviceaccount:ci:first"})
        c.write(os.path.join(vol, "token"), jwt + "\n", 0o644)
        rootfs = pod_rootfs_var_run(c)
        tok = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "cat %s; sleep 1.5; exec cat %s" % (tok, tok),
                             binds=[(os.path.join(vol, "token"),
                                     "/run/secrets/kubernetes.io/serviceaccount/token")],
                             stdout=subprocess.PIPE, text=True)
            out = p.communicate(timeout=30)[0]
            eq(p.returncode, 0, "the container's run")
            eq(out, (jwt + "\n") * 2, "the container read its token twice")
        evs = first_read_and_next(d, cid)
        eq([e["file"]["path"] for e in evs],
           ["/run/secrets/kubernetes.io/serviceaccount/token"] * 2, "file.path, alike")
        for e in evs:
            eq(e["file"]["path_as_given"], tok, "path as given")
            eq(e["credential"].get("fingerprint"), c.fingerprint(jwt), "the token's fingerprint")
        d.stop()
        check(c.secret.encode() not in d.raw(), "the canary never appears")


@with_creds
def test_cred_container_projected_token_first_read(d, c):
    """A projected token, /var/run/secrets/tokens/NAME, whose rule names
    every file of its directory: the container's first process, whose opens
    the kernel checks by name before the container is scanned, is reported
    reading it (by its directory's name), then a later read by inode; a file
    in another directory called tokens is not a credential."""
    cid = secrets.token_hex(32)
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "var/run/secrets/tokens", "app/tokens")
    jwt = fake_jwt({"iss": "https://oidc.example.test", "canary": c.secret,
                    "sub": "system:serviceaccount:ci:vault-auth", "aud": "vault"})
    name = "vault-token-%s" % secrets.token_hex(3)
    c.write(os.path.join(rootfs, "var/run/secrets/tokens", name), jwt + "\n", 0o644)
    c.write(os.path.join(rootfs, "app/tokens/readme.txt"), "not a secret\n", 0o644)
    with docker_cgroup(cid) as cg:
        tok = "/var/run/secrets/tokens/" + name
        p = container_sh(cg, rootfs, "cat /app/tokens/readme.txt %s; sleep 1.5; exec cat %s"
                         % (tok, tok), stdout=subprocess.PIPE, text=True)
        out = p.communicate(timeout=30)[0]
        eq(p.returncode, 0, "the container's run")
        eq(out, "not a secret\n" + (jwt + "\n") * 2, "the container read its files")
    evs = first_read_and_next(d, cid)
    eq([e["file"]["path"] for e in evs], [tok] * 2, "file.path")
    for e in evs:
        eq(e["credential"]["type"], "k8s_service_account", "credential.type")
        eq(e["credential"]["claims"]["sub"], "system:serviceaccount:ci:vault-auth", "claims.sub")
        eq(e["credential"].get("fingerprint"), c.fingerprint(jwt), "the token's fingerprint")
    time.sleep(0.5)
    eq([e["file"]["path"] for e in d.events() if e.get("type") == "credential.read"
        and (hop(e, "workload") or {}).get("container_id") == cid], [tok] * 2,
       "no event for /app/tokens/readme.txt")


@with_creds
def test_cred_container_projected_token_dir_mounted(d, c):
    """Kubelet's projected tokens, a host directory (its own name, not
    "tokens") bind-mounted at /var/run/secrets/tokens: the container's first
    process reads a token at once, before the container is scanned. The
    opened file's directory has the host's name, so the kernel checks the
    directory named in the path as given (by a bpf_loop over it). Reported,
    then a later read by inode."""
    cid = secrets.token_hex(32)
    with tmpfs_dir(os.path.join(c.dir, "kube-api-access-x7k2p"), "idt-proj") as vol:
        jwt = fake_jwt({"iss": "https://oidc.example.test", "canary": c.secret,
                        "sub": "system:serviceaccount:ci:vault-mounted", "aud": "vault"})
        name = "vault-token-%s" % secrets.token_hex(3)
        c.write(os.path.join(vol, name), jwt + "\n", 0o644)
        rootfs = os.path.join(c.dir, "rootfs")
        rootfs_skeleton(rootfs, "var/run/secrets/tokens")
        tok = "/var/run/secrets/tokens/" + name
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "cat %s; sleep 1.5; exec cat %s" % (tok, tok),
                             binds=[(vol, "/var/run/secrets/tokens")],
                             stdout=subprocess.PIPE, text=True)
            out = p.communicate(timeout=30)[0]
            eq(p.returncode, 0, "the container's run")
            eq(out, (jwt + "\n") * 2, "the container read its token twice")
        evs = first_read_and_next(d, cid)
        eq([e["file"]["path"] for e in evs], [tok] * 2, "file.path")
        for e in evs:
            eq(e["credential"]["type"], "k8s_service_account", "credential.type")
            eq(e["credential"].get("fingerprint"), c.fingerprint(jwt), "the token's fingerprint")
        d.stop()
        check(c.secret.encode() not in d.raw(), "the canary never appears")


@with_creds
def test_cred_container_absolute_links_stay_inside(d, c):
    """An image whose credentials are absolute symlinks (/root/.aws/credentials
    -> /DIR/aws.ini, /root/.kube -> /DIR/kube): the daemon resolves them in
    the container's root, as its processes do, not on the host. The
    container's reads are reported with its own file's fingerprint; the
    host's files at the same absolute paths, which no rule names, are never
    watched in their place (the image's owner would choose which host file
    the daemon reads and describes)."""
    cid, mine, decoy = secrets.token_hex(32), canary(), canary()
    target = "/tmp/idt-link-target-" + secrets.token_hex(4)
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "root/.aws", target.lstrip("/") + "/kube")
    c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    aws = "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
    c.write(os.path.join(rootfs, target.lstrip("/"), "aws.ini"), aws % ("AKIAIMAGEOWNFILE0001", mine))
    c.write(os.path.join(rootfs, target.lstrip("/"), "kube/config"), "apiVersion: v1\n")
    os.symlink(target + "/aws.ini", os.path.join(rootfs, "root/.aws/credentials"))
    os.symlink(target + "/kube", os.path.join(rootfs, "root/.kube"))
    os.makedirs(target + "/kube")
    try:
        c.write(target + "/aws.ini", aws % ("AKIAHOSTDECOYFILE001", decoy))
        c.write(target + "/kube/config", "apiVersion: v1\n# host\n")
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "sleep 1.5; exec cat /root/.aws/credentials "
                             "/root/.kube/config", stdout=subprocess.PIPE, text=True)
            out = p.communicate(timeout=30)[0]
            eq(p.returncode, 0, "the container's run")
            check("AKIAIMAGEOWNFILE0001" in out, "the container read its own file")
        subprocess.run(["cat", target + "/aws.ini", target + "/kube/config"],
                       stdout=subprocess.DEVNULL, check=True)
        evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                         and (hop(e, "workload") or {}).get("container_id") == cid, timeout=10)
        e = evs[0]
        eq(e["process"]["pid"], p.pid, "process.pid: the container's cat")
        eq(e["file"]["path"], "/root/.aws/credentials", "file.path: the watched name")
        eq(e["file"]["match"], "inode", "matched by inode: the link was resolved in the container")
        eq(e["credential"].get("aws_access_key_id"), "AKIAIMAGEOWNFILE0001",
           "the container's own key id")
        eq(e["credential"].get("fingerprint"), c.fingerprint(mine), "the container's file's fingerprint")
        time.sleep(1)
        paths = sorted(x["file"]["path"] for x in d.events() if x.get("type") == "credential.read"
                       and x["process"]["pid"] == p.pid)
        eq(paths, ["/root/.aws/credentials", "/root/.kube/config"], "both of the container's reads")
        eq([x["file"]["path"] for x in d.events() if x.get("type") == "credential.read"
            and x["process"]["args"][:1] == ["cat"] and target in " ".join(x["process"]["args"])
            and x["process"]["pid"] != p.pid], [], "the host's files at the links' targets are not watched")
        d.stop()
        check(decoy.encode() not in d.raw() and mine.encode() not in d.raw(),
              "neither secret appears")
    finally:
        shutil.rmtree(target, ignore_errors=True)


@with_creds
def test_cred_container_runtime_unnamed(d, c):
    """A container whose cgroup names no runtime (runc or crun run with a
    cgroup of the user's choosing, rootless podman without systemd): its own
    mount namespace over a root of its own makes it a container all the
    same: a read once the daemon has scanned it is reported with the
    container's path and its file's fingerprint. (Its first process's reads
    before that are not: the namespace is told to the kernel as no
    container's while its process still has the host's root, before its
    pivot_root or chroot; a named container's is not.)"""
    secret = canary()
    rootfs = make_rootfs(c, "rootfs", secret, akid="AKIAUNNAMEDRUNTIME01")
    cg = os.path.join(CGROUP2, "idt-plain-" + secrets.token_hex(4))
    os.makedirs(cg)
    try:
        run(["sh", "-c", "mount --version; chroot --version; cat /dev/null"],
            stdout=subprocess.DEVNULL)
        p = container_sh(cg, rootfs, "cat /root/.aws/credentials; sleep 1.5; "
                         "exec cat /root/.aws/credentials", stdout=subprocess.PIPE, text=True)
        out = p.communicate(timeout=30)[0]
        eq(p.returncode, 0, "the container's run")
        eq(out.count("AKIAUNNAMEDRUNTIME01"), 2, "the container read its file twice")
    finally:
        rmdir_cgroup(cg)
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and e["process"]["args"][:1] == ["cat"]
                     and e["credential"].get("aws_access_key_id") == "AKIAUNNAMEDRUNTIME01",
                     timeout=10)
    eq([e["file"]["path"] for e in evs], ["/root/.aws/credentials"],
       "file.path: as the container sees it")
    eq([e["file"]["match"] for e in evs], ["inode"], "by inode: the container was scanned")
    eq(evs[0]["process"]["pid"], p.pid, "process.pid: the container's last cat")
    for e in evs:
        eq(e["credential"].get("fingerprint"), c.fingerprint(secret), "the file's fingerprint")
        w = hop(e, "workload")
        eq(w.get("container_id"), None, "no container id: the cgroup names none")
        check("mnt" in w.get("namespaces", {}), "its own mount namespace is named")
    d.stop()
    check(secret.encode() not in d.raw(), "the container's secret never appears")


@with_creds
def test_cred_container_first_read_by_given_name(d, c):
    """A new container's first process reads, at once, a watched name whose
    file has another name: a host file bind-mounted in
    (docker run -v ./kubecfg.yaml:/root/.kube/config) and an image's
    relative link (/root/.aws/credentials -> ../../opt/sec/aws.ini). The
    kernel checks the name it was opened by too; each read is reported by
    that name, with the file's fingerprint."""
    cid, secret = secrets.token_hex(32), canary()
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "root/.kube", "root/.aws", "opt/sec")
    c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    c.write(os.path.join(rootfs, "opt/sec/aws.ini"),
            "[default]\naws_access_key_id = AKIAGIVENNAMELINK001\naws_secret_access_key = %s\n"
            % secret)
    os.symlink("../../opt/sec/aws.ini", os.path.join(rootfs, "root/.aws/credentials"))
    jwt = fake_jwt({"sub": "kube-admin", "canary": c.secret})
    host_cfg = os.path.join(c.dir, "kubecfg-%s.yaml" % secrets.token_hex(3))
    c.write(host_cfg, "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n"
            "    token: %s\n" % jwt)
    target = os.path.join(rootfs, "root/.kube/config")
    c.write(target, "")
    run(["mount", "--bind", host_cfg, target])
    try:
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "exec cat /root/.kube/config /root/.aws/credentials",
                             stdout=subprocess.PIPE, text=True)
            out = p.communicate(timeout=30)[0]
            eq(p.returncode, 0, "the container's run")
            check("AKIAGIVENNAMELINK001" in out and "kube-admin" not in out, "it read both")
    finally:
        run(["umount", target])
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and e["process"]["pid"] == p.pid, count=2, timeout=10)
    by_path = {e["file"]["path"]: e for e in evs}
    eq(sorted(by_path), ["/root/.aws/credentials", "/root/.kube/config"],
       "file.path: the names it was opened by")
    for e in evs:
        # by name before the scan; by inode when the scan beat cat to its open (under load)
        check(e["file"]["match"] in ("container_name", "inode"),
              "%s matched by name before the scan: %r" % (e["file"]["path"], e["file"]["match"]))
        eq((hop(e, "workload") or {}).get("container_id"), cid, "the container's workload")
    eq(by_path["/root/.kube/config"]["credential"]["type"], "kubeconfig", "kubeconfig")
    eq(by_path["/root/.kube/config"]["credential"].get("fingerprint"), c.fingerprint(jwt),
       "the bind-mounted file's token fingerprint")
    eq(by_path["/root/.aws/credentials"]["credential"].get("fingerprint"), c.fingerprint(secret),
       "the linked file's fingerprint")
    d.stop()
    check(secret.encode() not in d.raw(), "the secret never appears")


@with_creds
def test_cred_container_mounted_file_after_exit(d, c):
    """docker run -v HOSTDIR:/root/.aws img sh -c 'sleep 1.5; cat ...': a
    file mounted in from another file system, which the host does not watch,
    read by a container that is gone (and its mounts with it) before the
    daemon handles the read. The daemon held the file open since its scan,
    so the read still has the file's fingerprint."""
    cid, secret = secrets.token_hex(32), canary()
    with tmpfs_dir(os.path.join(c.dir, "vol"), "idt-vol") as vol:
        c.write(os.path.join(vol, "credentials"),
                "[default]\naws_access_key_id = AKIAMOUNTEDVOLUME001\naws_secret_access_key = %s\n"
                % secret)
        rootfs = os.path.join(c.dir, "rootfs")
        rootfs_skeleton(rootfs, "root/.aws")
        c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "read go; exec cat /root/.aws/credentials",
                             binds=[(vol, "/root/.aws")], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)  # its sh runs, and the container is scanned
            d.proc.send_signal(signal.SIGSTOP)  # the read waits in the ring
            try:
                out = p.communicate("go\n", timeout=30)[0]
            finally:
                d.proc.send_signal(signal.SIGCONT)
            eq(p.returncode, 0, "the container's run")
            check("AKIAMOUNTEDVOLUME001" in out, "the container read the mounted file")
        ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                        and e["process"]["pid"] == p.pid, timeout=10)[0]
        eq(ev["file"]["path"], "/root/.aws/credentials", "file.path")
        eq(ev["file"]["match"], "inode", "matched by inode: the container was scanned")
        eq(ev["credential"].get("aws_access_key_id"), "AKIAMOUNTEDVOLUME001", "the key id")
        eq(ev["credential"].get("fingerprint"), c.fingerprint(secret),
           "the fingerprint, read through the file held since the scan")
        d.stop()
        check(secret.encode() not in d.raw(), "the secret never appears")


@with_creds
def test_cred_container_mounted_token_via_link_after_exit(d, c):
    """A pod's token bind-mounted as a file from another file system
    (kubelet's tmpfs), read through the image's /var/run -> /run link by a
    container already scanned, which is gone (its mounts with it) before
    the daemon handles the reads: the root's name now shows the empty mount
    point beneath, which is not a replacement of the watched file. Every
    read is reported, by inode, under the real path."""
    cid = secrets.token_hex(32)
    with tmpfs_dir(os.path.join(c.dir, "kubelet-vol"), "idt-sa") as vol:
        jwt = fake_jwt({"iss": "https://kubernetes.default.svc", "canary": c.secret,
                        "sub": "system:serviceaccount:ci:mounted"})
        c.write(os.path.join(vol, "token"), jwt + "\n", 0o644)
        rootfs = pod_rootfs_var_run(c)
        tok = "/var/run/secrets/kubernetes.io/serviceaccount/token"
        with docker_cgroup(cid) as cg:
            p = container_sh(cg, rootfs, "read go; cat %s; cat %s; exec cat %s" % (tok, tok, tok),
                             binds=[(os.path.join(vol, "token"),
                                     "/run/secrets/kubernetes.io/serviceaccount/token")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            time.sleep(1.5)  # its sh runs, and the container is scanned
            d.proc.send_signal(signal.SIGSTOP)  # the reads wait in the ring
            try:
                out = p.communicate("go\n", timeout=30)[0]
            finally:
                d.proc.send_signal(signal.SIGCONT)
            eq(p.returncode, 0, "the container's run")
            eq(out, (jwt + "\n") * 3, "the container read the mounted token three times")
        evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                         and (hop(e, "workload") or {}).get("container_id") == cid, count=3,
                         timeout=10)
        eq([e["file"]["path"] for e in evs],
           ["/run/secrets/kubernetes.io/serviceaccount/token"] * 3, "file.path")
        eq([e["file"]["match"] for e in evs], ["inode"] * 3, "matched by inode")
        for e in evs:
            eq(e["file"]["path_as_given"], tok, "path as given")
            eq(e["credential"].get("fingerprint"), c.fingerprint(jwt), "the token's fingerprint")
        d.stop()
        check(c.secret.encode() not in d.raw(), "the canary never appears")


def test_cred_kubelet_token_rotation(_):
    """Kubelet's token volume: token -> ..data/token, ..data -> ..<timestamp>,
    there before the daemon starts; a new token comes as a new directory and
    a new link renamed over ..data, the old directory then removed. No name
    a rule watches changes, yet the token file does: the rename of ..data,
    which the watched link goes through, brings a rescan, and the new
    token's reads are reported (by inode) with its fingerprint, well before
    the periodic rescan (30 s)."""
    c = Creds()
    tdir = c.token_dir

    def volume(version, jwt):
        os.makedirs(os.path.join(tdir, version))
        c.write(os.path.join(tdir, version, "token"), jwt + "\n", 0o644)

    os.unlink(c.token)
    volume("..2026_12_03_10_00_00.1", c.jwt)
    os.symlink("..2026_12_03_10_00_00.1", os.path.join(tdir, "..data"))
    os.symlink("..data/token", c.token)
    d = Daemon(*c.args())
    try:
        d.start()
        p = run([CAT, c.token], stdout=subprocess.DEVNULL)
        first = reads(d, p.pid)[0]
        eq(first["file"]["match"], "inode", "the first token's read: file.match")
        eq(first["credential"].get("fingerprint"), c.fingerprint(c.jwt),
           "the first token's fingerprint")
        new_jwt = fake_jwt({"iss": "https://kubernetes.default.svc", "canary": c.secret,
                            "sub": "system:serviceaccount:payments:rotated"})
        volume("..2026_12_03_11_00_00.2", new_jwt)
        os.symlink("..2026_12_03_11_00_00.2", os.path.join(tdir, "..data_tmp"))
        os.rename(os.path.join(tdir, "..data_tmp"), os.path.join(tdir, "..data"))
        shutil.rmtree(os.path.join(tdir, "..2026_12_03_10_00_00.1"))
        ev = None
        for _ in range(10):  # within 6 s
            time.sleep(0.2)
            p = run([CAT, c.token], stdout=subprocess.DEVNULL)
            try:
                ev = reads(d, p.pid, timeout=0.4)[0]
                break
            except TestFailure:
                continue
        check(ev is not None, "a read of the rotated token is reported within 6 s")
        eq(ev["file"]["path"], c.token, "file.path")
        eq(ev["file"]["match"], "inode", "file.match")
        eq(ev["credential"]["type"], "k8s_service_account", "credential.type")
        eq(ev["credential"].get("fingerprint"), c.fingerprint(new_jwt),
           "the new token's fingerprint")
        eq(ev["credential"]["claims"]["sub"], "system:serviceaccount:payments:rotated",
           "claims.sub")
        d.stop()
        assert_no_canary(d, c)
    finally:
        d.kill()
        c.remove()


test_cred_kubelet_token_rotation.no_daemon = True


@with_creds
def test_cred_read_then_replaced_at_once(d, c):
    """git's credential store, sed -i, editors: a process reads its
    credential file and replaces it by rename at once. Its read is handled
    after the rename (batched: the file's first read, which woke the
    daemon, came just before), when the file it read is gone from its
    path: it is known by its inode and change time from that first read,
    and keeps its fingerprint. Four rounds, each file new (a new inode)."""
    new = c.aws + ".new"
    for n in range(4):
        shutil.copy2(c.aws, new)
        first = run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL)
        ev = reads(d, first.pid, c.aws)[0]
        eq(ev["credential"].get("fingerprint"), c.fingerprint(c.secret),
           "round %d: the first read's fingerprint" % n)
        sh = run(["/bin/sh", "-c", 'cat "$1" >/dev/null; mv "$2" "$1"', "sh", c.aws, new],
                 env={"PATH": "/usr/bin:/bin"})
        eq(sh.returncode, 0, "round %d" % n)
        ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                        and e["process"]["exe"] == CAT and e["file"]["path"] == c.aws
                        and e["process"]["ppid"] == sh.pid)[0]
        eq(ev["credential"].get("fingerprint"), c.fingerprint(c.secret),
           "round %d: the fingerprint of the file cat read: %r" % (n, ev.get("enrichment")))
        eq(ev["credential"].get("aws_access_key_id"), c.akid, "the key id")


@with_creds
def test_cred_host_dir_mounted_into_two_containers(d, c):
    """docker run -v HOSTDIR:/root/.aws in two containers, the host directory
    watched by no rule of the host's: the file is watched under each
    container's root. Each container's read is its own, named as that
    container names it, with no container_path (which is for a reader
    outside the container)."""
    vol = os.path.join(c.dir, "shared-aws")
    os.makedirs(vol)
    # another file system than the containers' roots, as a host directory is
    # beside an overlay root: held from the scan, read after the containers
    run(["mount", "-t", "tmpfs", "-o", "size=1m", "idt-shared", vol])
    c.write(os.path.join(vol, "credentials"),
            "[default]\naws_access_key_id = AKIASHAREDVOLUME0001\naws_secret_access_key = %s\n"
            % c.secret, 0o644)
    cids, procs = [secrets.token_hex(32), secrets.token_hex(32)], []
    cgs = [os.path.join(CGROUP2, "docker", cid) for cid in cids]
    try:
        for n, cg in enumerate(cgs):
            os.makedirs(cg)
            rootfs = os.path.join(c.dir, "rootfs-%d" % n)
            rootfs_skeleton(rootfs, "root/.aws")
            c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
            procs.append(container_sh(cg, rootfs, "read go; exec cat /root/.aws/credentials",
                                      binds=[(vol, "/root/.aws")], stdin=subprocess.PIPE,
                                      stdout=subprocess.DEVNULL, text=True))
        time.sleep(1.5)  # both scanned
        for p in procs:
            p.communicate("go\n", timeout=30)
            eq(p.returncode, 0, "the container's run")
        for p, cid in zip(procs, cids):
            ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                            and e["process"]["pid"] == p.pid)[0]
            eq(hop(ev, "workload").get("container_id"), cid, "its container")
            eq(ev["file"]["path"], "/root/.aws/credentials", "file.path, as the container names it")
            eq(ev["file"].get("container_path"), None, "no container_path: not an outside reader")
            eq(ev["file"]["match"], "inode", "matched by inode")
            eq(ev["credential"].get("aws_access_key_id"), "AKIASHAREDVOLUME0001", "key id")
    finally:
        for p in procs:
            p.kill()
        for cg in cgs:
            if os.path.isdir(cg):
                rmdir_cgroup(cg)
        run(["umount", "-l", vol])


IN_PLACE_PY = r"""
import sys
path = sys.argv[1]
open(path).read()          # the first read: the daemon reads the file at once
print("read", flush=True)
new = sys.stdin.read()     # (once the test saw that read reported)
for _ in range(3):         # vim reads it again...
    open(path).read()
with open(path, "r+") as f:  # ...then rewrites it in place: truncate, write
    f.truncate(0)
    f.write(new)
"""


@with_creds
def test_cred_rewritten_in_place_after_reads(d, c):
    """vim's edit: a process reads the file, reads it again, then truncates
    it and writes it anew in place (same inode). Its later reads, handled
    after the rewrite, get the fingerprint of the file as it was when they
    opened it (known by its change time), not the new content's."""
    new_secret = canary()
    p = spawn(["/usr/bin/python3", "-c", IN_PLACE_PY, c.aws], env={}, stdin=subprocess.PIPE,
              stdout=subprocess.PIPE)
    eq(p.stdout.readline().strip(), b"read", "the first read")
    reads(d, p.pid, c.aws)
    p.communicate(("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                   % (c.akid, new_secret)).encode(), timeout=30)
    eq(p.returncode, 0, "the editor's run")
    evs = reads(d, p.pid, c.aws, count=5)
    eq([e["file"]["flags"][0] for e in evs], ["O_RDONLY"] * 4 + ["O_RDWR"], "four reads, one rewrite")
    for e in evs[:4]:
        eq(e["credential"].get("fingerprint"), c.fingerprint(c.secret),
           "a read's fingerprint: the secret it read, not the new one (%r)" % e.get("enrichment"))
    d.stop()
    check(new_secret.encode() not in d.raw(), "the new secret never appears")


@with_creds
def test_cred_failed_open_through_linked_home(d, c):
    """A home that is a symlink (/home/u -> /srv/u): a missing credential
    opened by the home's link path is reported, under the real path (its
    directory resolved), as a read through the link of a file that exists
    is."""
    link = os.path.join(c.dir, "linked-home")
    os.symlink(c.home, link)
    missing = os.path.join(link, ".vault-token")
    p = run([CAT, missing], env={}, stderr=subprocess.DEVNULL)
    ev = reads(d, p.pid)[0]
    eq(ev["file"]["path"], os.path.join(c.home, ".vault-token"), "file.path: the real one")
    eq(ev["file"]["path_as_given"], missing, "path as given: through the link")
    eq(ev["file"]["result"], "ENOENT", "result")
    eq(ev["credential"], {"type": "vault", "source": "file"}, "credential")


@with_creds
def test_cred_replaced_after_relative_read(d, c):
    """The pattern of sed -i and of copy-and-rename edits, by relative paths:
    from the home, cp -p .aws/credentials .aws/new, cat .aws/credentials,
    mv .aws/new .aws/credentials. The daemon handles the reads after the
    processes are gone and the file replaced (it is stopped meanwhile), so
    the relative path cannot be resolved; the name the process gave is the
    watched file's, and both reads are reported under it."""
    aws_dir = os.path.dirname(c.aws)
    d.proc.send_signal(signal.SIGSTOP)
    try:
        cp = run(["cp", "-p", ".aws/credentials", ".aws/new"], cwd=c.home)
        cat = run(["cat", ".aws/credentials"], cwd=c.home, stdout=subprocess.DEVNULL)
        run(["mv", os.path.join(aws_dir, "new"), c.aws])
    finally:
        d.proc.send_signal(signal.SIGCONT)
    evs = d.wait_for(lambda e: e.get("type") == "credential.read"
                     and e["process"]["pid"] in (cp.pid, cat.pid), count=2, timeout=10)
    eq(sorted((e["process"]["pid"], e["file"]["path"], e["file"]["path_as_given"]) for e in evs),
       sorted([(cp.pid, c.aws, ".aws/credentials"), (cat.pid, c.aws, ".aws/credentials")]),
       "both reads, under the watched path")
    for e in evs:
        eq(e["file"]["match"], "inode", "matched by inode")
        eq(e["credential"]["type"], "aws", "credential.type")


@with_creds
def test_cred_new_home_spelled_otherwise(d, c):
    """A HOME that is a symlink, or spelled with "//" or a trailing '/', read
    at once by the process that brings it: the home is taken as its real
    path, so the read is reported by its real path; later reads, by the
    link or by the real path, are reported under that same path."""
    real = os.path.join(c.dir, "home-real")
    os.makedirs(real)
    link = os.path.join(c.dir, "home-link")
    os.symlink(real, link)
    netrc = os.path.join(real, ".netrc")
    c.write(netrc, "machine example.com login me password %s\n" % canary())
    odd = os.path.join(c.dir, "home-odd")
    os.makedirs(odd)
    odd_netrc = os.path.join(odd, ".netrc")
    c.write(odd_netrc, "machine example.com login me password %s\n" % canary())
    first = run([CAT, link + "/.netrc"], env={"HOME": link}, stdout=subprocess.DEVNULL)
    eq(reads(d, first.pid)[0]["file"]["path"], netrc, "the link's read: its real path")
    slashes = c.dir + "//home-odd/"
    second = run([CAT, odd_netrc], env={"HOME": slashes}, stdout=subprocess.DEVNULL)
    eq(reads(d, second.pid)[0]["file"]["path"], odd_netrc, "a HOME with // and a trailing /")
    time.sleep(1)  # the rescan that watches the homes
    later = [run([CAT, p], env={"HOME": link}, stdout=subprocess.DEVNULL)
             for p in (link + "/.netrc", netrc)]
    eq([(reads(d, r.pid)[0]["file"]["path"], reads(d, r.pid)[0]["file"]["match"])
        for r in later], [(netrc, "inode")] * 2, "later reads: by inode, the real path")


@with_creds
def test_cred_container_env_home(d, c):
    """A container whose HOME (set by its runtime, as a GitHub Actions job
    container's /github/home) is no home of its /etc/passwd: the HOME its
    first process names is watched in its file system too, and a later read
    there is reported with the container's path and the file's fingerprint."""
    cid, secret = secrets.token_hex(32), canary()
    rootfs = os.path.join(c.dir, "rootfs")
    rootfs_skeleton(rootfs, "github/home/.aws")
    c.write(os.path.join(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n", 0o644)
    c.write(os.path.join(rootfs, "github/home/.aws/credentials"),
            "[default]\naws_access_key_id = AKIAJOBCONTAINER0001\naws_secret_access_key = %s\n"
            % secret)
    with docker_cgroup(cid) as cg:
        p = container_sh(cg, rootfs, "sleep 1.5; exec cat $HOME/.aws/credentials",
                         home="/github/home", stdout=subprocess.PIPE, text=True)
        out = p.communicate(timeout=30)[0]
        eq(p.returncode, 0, "the container's run")
        check("AKIAJOBCONTAINER0001" in out, "the container read its file")
    ev = d.wait_for(lambda e: e.get("type") == "credential.read"
                    and (hop(e, "workload") or {}).get("container_id") == cid, timeout=10)[0]
    eq(ev["process"]["pid"], p.pid, "process.pid: the container's cat")
    eq(ev["file"]["path"], "/github/home/.aws/credentials", "file.path: as the container sees it")
    eq(ev["file"]["match"], "inode", "matched by inode: the HOME was watched in the container")
    eq(ev["credential"].get("aws_access_key_id"), "AKIAJOBCONTAINER0001", "the key id")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(secret), "the file's fingerprint")
    d.stop()
    check(secret.encode() not in d.raw(), "the container's secret never appears")


@with_creds
def test_cred_container_file_read_from_host(d, c):
    """A host process reads a running container's AWS file through
    /proc/PID/root: file.path is the path it gave (not the container's
    /root/.aws/credentials, which would read as the host root's own file),
    file.container_path the container's name for it, and the workload hop
    is the reader's (the host's)."""
    cid, secret = secrets.token_hex(32), canary()
    rootfs = make_rootfs(c, "rootfs", secret, akid="AKIAHOSTREADSCONT001")
    with docker_cgroup(cid) as cg:
        box = container_sh(cg, rootfs, "read go", stdin=subprocess.PIPE, text=True)
        try:
            time.sleep(1.5)  # its sh runs, and the container's file system is scanned
            given = "/proc/%d/root/root/.aws/credentials" % box.pid
            p = run([CAT, given], env={}, stdout=subprocess.DEVNULL)
            eq(p.returncode, 0, "cat through /proc/PID/root")
            ev = reads(d, p.pid)[0]
        finally:
            box.communicate("go\n", timeout=10)
    eq(ev["file"]["path"], given, "file.path: the path the host reader gave")
    eq(ev["file"].get("container_path"), "/root/.aws/credentials", "file.container_path")
    eq(ev["file"]["match"], "inode", "matched by the container file's inode")
    eq((hop(ev, "workload") or {}).get("container_id"), None, "the reader's workload: the host")
    eq(ev["credential"].get("aws_access_key_id"), "AKIAHOSTREADSCONT001", "the container file's key id")
    eq(ev["credential"].get("fingerprint"), c.fingerprint(secret), "its fingerprint")
    d.stop()
    check(secret.encode() not in d.raw(), "the container's secret never appears")


def mntns_known(d):
    """The daemon's map of mount namespaces the open probe leaves alone: {id: value}."""
    for fd in os.listdir("/proc/%d/fd" % d.proc.pid):
        try:
            info = open("/proc/%d/fdinfo/%s" % (d.proc.pid, fd)).read()
        except OSError:
            continue
        f = dict(line.split(":\t", 1) for line in info.splitlines() if ":\t" in line)
        # the LRU hash of 4096 u64 -> u32 (map_type 9)
        if (f.get("map_type", "").strip(), f.get("key_size", "").strip(),
                f.get("value_size", "").strip(), f.get("max_entries", "").strip()) == \
                ("9", "8", "4", "4096"):
            dump = json.loads(subprocess.check_output(
                ["bpftool", "-j", "map", "dump", "id", f["map_id"].strip()]))
            return {e["formatted"]["key"]: e["formatted"]["value"] for e in dump}
    raise TestFailure("no mntns_known map among the daemon's fds")


UNSHARE_PY = r"""
import ctypes, fcntl, os, struct, sys
assert ctypes.CDLL(None, use_errno=True).unshare(0x20000) == 0  # CLONE_NEWNS, no exec
fd = os.open("/proc/self/ns/mnt", os.O_RDONLY)
buf = bytearray(8)
fcntl.ioctl(fd, 0x8008b705, buf)  # NS_GET_MNTNS_ID
print(struct.unpack("Q", buf)[0], flush=True)
for _ in range(3):
    os.close(os.open(sys.argv[1], os.O_RDONLY))
sys.stdin.readline()
"""


@with_creds
def test_cred_private_namespace_without_exec(d, c):
    """A process in no container that makes itself a private mount namespace
    without an exec (as a sandbox's forked child does): its first open tells
    the daemon, which tells the probe to leave the namespace's opens alone
    (no name check for each), and nothing is reported."""
    plain = os.path.join(c.dir, "plain.txt")
    c.write(plain, "plain\n")
    p = subprocess.Popen(["python3", "-c", UNSHARE_PY, plain], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        ns_id = int(p.stdout.readline())
        deadline, known = time.monotonic() + 10, {}
        while known.get(ns_id) != 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            known = mntns_known(d)
        eq(known.get(ns_id), 2, "the namespace in mntns_known as no container's (%r)" % known)
    finally:
        p.communicate("go\n", timeout=10)
    check(not [e for e in d.stop() if e.get("type") == "credential.read"
               and e["process"]["pid"] == p.pid], "nothing reported")


POD_SH = r'''
set -e
echo $$ > "$CG/cgroup.procs"
exec unshare -m --root="$ROOTFS" /bin/sh -c "read go" "$MARK"
'''


@with_creds
def test_pod_service_accounts_not_mixed(d, c):
    """Two pods, one after the other, each with its own service-account token:
    each process's workload hop names its own pod's account. The daemon
    caches the account per mount namespace, whose number the kernel gives
    to the next namespace made once one is freed (and which a process
    record may also hold from its parent): not by that number alone."""
    for n in ("a", "b"):
        rootfs = os.path.join(c.dir, "pod-" + n)
        tokdir = os.path.join(rootfs, "var/run/secrets/kubernetes.io/serviceaccount")
        rootfs_skeleton(rootfs)
        os.makedirs(tokdir)
        c.write(os.path.join(tokdir, "token"), fake_jwt({
            "iss": "https://kubernetes.default.svc", "canary": c.secret,
            "sub": "system:serviceaccount:team-%s:builder-%s" % (n, n),
            "kubernetes.io": {"namespace": "team-" + n,
                              "serviceaccount": {"name": "builder-" + n}}}) + "\n", 0o644)
        pod = str(uuid.uuid4())
        made = [os.path.join(CGROUP2, "kubepods"), os.path.join(CGROUP2, "kubepods", "burstable"),
                os.path.join(CGROUP2, "kubepods", "burstable", "pod" + pod)]
        made.append(os.path.join(made[-1], secrets.token_hex(32)))
        created = []
        for path in made:
            if not os.path.isdir(path):
                os.mkdir(path)
                created.append(path)
        mark = marker()
        # runc's order: the first exec in the pod's cgroup still has the
        # host's root, the container's process then its own
        eq(run(["mount", "--bind", "/usr", os.path.join(rootfs, "usr")]).returncode, 0,
           "bind /usr")
        p = subprocess.Popen(["sh", "-c", POD_SH], stdin=subprocess.PIPE, text=True,
                             env={"CG": made[-1], "ROOTFS": rootfs, "MARK": mark,
                                  "PATH": "/usr/sbin:/usr/bin:/bin"})
        try:
            ev = d.wait_for(lambda e: e in execs_with([e], mark)
                            and e["process"]["exe"] == "/bin/sh")[0]
            p.stdin.write("go\n")
            p.stdin.flush()
            eq(p.wait(10), 0, "pod %s's shell" % n)
        finally:
            p.kill()
            run(["umount", os.path.join(rootfs, "usr")])
            for path in reversed(created):
                rmdir_cgroup(path)
        wl = hop(ev, "workload")
        eq(wl.get("pod_uid"), pod, "pod %s's uid" % n)
        eq(wl.get("service_account"), {"namespace": "team-" + n, "name": "builder-" + n},
           "pod %s's own service account" % n)


POD_RUNC_SH = r'''
set -e
echo $$ > "$CG/cgroup.procs"
exec unshare -m /bin/sh -c 'echo "$0" >/dev/null; exec chroot "$ROOTFS" /bin/sh -c "read go" "$0"' "$MARK"
'''


@with_creds
def test_pod_service_account_after_runc_init(d, c):
    """runc's init: in the pod's cgroup and its own mount namespace, but
    still with the host's root (before its pivot_root), it execs; there is
    no token there. The container's process then execs in the same
    namespace, now with the pod's root: its workload hop names the pod's
    service account (the failed read of the init's image is not kept for
    the namespace)."""
    rootfs = os.path.join(c.dir, "pod-runc")
    tokdir = os.path.join(rootfs, "var/run/secrets/kubernetes.io/serviceaccount")
    rootfs_skeleton(rootfs)
    os.makedirs(tokdir)
    c.write(os.path.join(tokdir, "token"), fake_jwt({
        "iss": "https://kubernetes.default.svc", "canary": c.secret,
        "sub": "system:serviceaccount:prod:deployer",
        "kubernetes.io": {"namespace": "prod", "serviceaccount": {"name": "deployer"}}}) + "\n",
        0o644)
    pod = str(uuid.uuid4())
    made = [os.path.join(CGROUP2, "kubepods"), os.path.join(CGROUP2, "kubepods", "besteffort"),
            os.path.join(CGROUP2, "kubepods", "besteffort", "pod" + pod)]
    made.append(os.path.join(made[-1], secrets.token_hex(32)))
    created = []
    for path in made:
        if not os.path.isdir(path):
            os.mkdir(path)
            created.append(path)
    mark = marker()
    eq(run(["mount", "--bind", "/usr", os.path.join(rootfs, "usr")]).returncode, 0, "bind /usr")
    p = subprocess.Popen(["sh", "-c", POD_RUNC_SH], stdin=subprocess.PIPE, text=True,
                         env={"CG": made[-1], "ROOTFS": rootfs, "MARK": mark,
                              "PATH": "/usr/sbin:/usr/bin:/bin"})
    try:
        evs = d.wait_for(lambda e: e in execs_with([e], mark) and e["process"]["exe"] == "/bin/sh",
                         count=2)
        p.stdin.write("go\n")
        p.stdin.flush()
        eq(p.wait(10), 0, "the pod's shell")
    finally:
        p.kill()
        run(["umount", os.path.join(rootfs, "usr")])
        for path in reversed(created):
            rmdir_cgroup(path)
    init, ctr = evs
    eq(hop(init, "workload").get("service_account"), None, "the init's (the host's root): none")
    eq(hop(ctr, "workload")["namespaces"]["mnt"], hop(init, "workload")["namespaces"]["mnt"],
       "one mount namespace")
    eq(hop(ctr, "workload").get("pod_uid"), pod, "pod_uid")
    eq(hop(ctr, "workload").get("service_account"), {"namespace": "prod", "name": "deployer"},
       "the container's process: the pod's service account")


def test_cred_failed_open_type_of_its_rule(_):
    """A failed open of a name that several rules share (`*.key` is also a
    SPIRE key's) takes the type of the rule its directory matches."""
    c = Creds()
    keys = os.path.join(c.dir, "keys")
    os.makedirs(keys)
    c.write(os.path.join(keys, "app.key"), c.secret + "\n")
    d = Daemon(*c.args(), "--watch", keys + "/*.key=custom")
    try:
        d.start()
        missing = os.path.join(keys, "gone.key")
        p = run([CAT, missing], env={}, stderr=subprocess.DEVNULL)
        ev = only_read(d, p.pid, missing)
        eq(ev["file"]["match"], "name", "matched by name")
        eq(ev["credential"], {"type": "custom", "source": "file"}, "credential")
        eq(ev["chain"][-1]["type"], "custom", "the credential hop's type")
        assert_no_canary(d, c)
    finally:
        d.kill()
        c.remove()


test_cred_failed_open_type_of_its_rule.no_daemon = True


def test_cred_two_daemons_do_not_feed_each_other(_):
    """Two idtrace daemons on one host: each sees the other's fingerprint read
    of a credential once (a real read), and neither opens a missing name
    another process tried (which the other would see, and answer in turn)."""
    c = Creds()
    a, b = Daemon(*c.args()), Daemon(*c.args())
    try:
        a.start()
        b.start()
        missing = os.path.join(c.home, ".vault-token")
        for _ in range(3):
            run([CAT, missing], env={}, stderr=subprocess.DEVNULL)
        p = run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL)
        reads(a, p.pid, c.aws)
        reads(b, p.pid, c.aws)
        time.sleep(2)
        pids = {a.proc.pid: "a", b.proc.pid: "b"}
        for me, other in ((a, b), (b, a)):
            by_daemons = [e for e in me.events() if e.get("type") == "credential.read"
                          and e["process"]["pid"] in pids]
            eq(len([e for e in by_daemons if e["file"]["path"] == missing]), 0,
               "opens of the missing name by a daemon")
            eq([(e["process"]["pid"], e["file"]["path"]) for e in by_daemons],
               [(other.proc.pid, c.aws)], "the other daemon's one read of the AWS file")
        a.stop()
        b.stop()
        assert_no_canary(a, c)
        assert_no_canary(b, c)
    finally:
        a.kill()
        b.kill()
        c.remove()


test_cred_two_daemons_do_not_feed_each_other.no_daemon = True


@with_creds
def test_cred_openat2(d, c):
    """An open through openat2(2) is seen too."""
    p = run([os.path.join(HELPERS, "openat2_read"), c.aws], env={})
    eq(p.returncode, 0, "openat2 helper")
    ev = only_read(d, p.pid, c.aws)
    eq(ev["file"]["syscall"], "openat2", "syscall")


@with_creds
def test_cred_open_by_handle(d, c):
    """A read through name_to_handle_at + open_by_handle_at, which passes no
    path (the helper's O_PATH open of the name is not one): seen by the
    file's inode, with its watched path, in a CI job's chain."""
    p = run([os.path.join(HELPERS, "handle_read"), c.aws], env=github_env(4242, canary()))
    eq(p.returncode, 0, "handle_read helper")
    ev = only_read(d, p.pid, c.aws)
    eq(ev["file"]["syscall"], "open_by_handle_at", "syscall")
    eq(ev["file"]["match"], "inode", "matched by inode")
    eq(ev["file"]["path_as_given"], "", "no path was given")
    eq(ev["credential"]["type"], "aws", "credential.type")
    eq(ev["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint")
    eq(hop(ev, "ci_job")["run_id"], "4242", "the job that read it")


@with_creds
def test_cred_io_uring_open(d, c):
    """Files opened and read through io_uring alone (IORING_OP_OPENAT and
    IORING_OP_READ: no open or read syscall), one open run inline in
    io_uring_enter, one forced to an io-wq worker thread, and one submitted by
    the kernel's SQPOLL thread: each is a credential.read of the process (not
    of the kernel's thread), with its path, type and fingerprint, in the CI
    job's chain. So are opens into the ring's fixed-file table (no fd; read
    from the slot): a chosen slot and one the kernel allocates. A failed
    io_uring open of a credential's name is evidence, as a failed open syscall
    is (the name taken at submission). The probes are named in agent.ready."""
    vault = os.path.join(c.home, ".vault-token")
    with daemon_paused(d):  # the new file is read before any rescan: by directory
        c.write(vault, "hvs.%s\n" % c.secret)
        p = run([os.path.join(HELPERS, "uring_read"), c.aws, vault],
                env=github_env(5151, canary()))
    eq(p.returncode, 0, "uring_read helper")
    q = run([os.path.join(HELPERS, "uring_read"), "--sqpoll", c.aws], env=github_env(5252, canary()))
    eq(q.returncode, 0, "uring_read --sqpoll helper")
    f = run([os.path.join(HELPERS, "uring_read"), "--fixed", c.aws, vault],
            env=github_env(5353, canary()), stdout=subprocess.PIPE)
    slots = [int(x) for x in f.stdout.read().split()]
    eq(f.returncode, 0, "uring_read --fixed helper")
    eq(slots[0], 3, "the chosen slot")
    missing = os.path.join(c.home, ".netrc")
    m = run([os.path.join(HELPERS, "uring_read"), missing], env={}, stderr=subprocess.DEVNULL)
    eq(m.returncode, 1, "uring_read of a missing file fails")
    mf = run([os.path.join(HELPERS, "uring_read"), "--fixed", missing], env={},
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    eq(mf.returncode, 1, "uring_read --fixed of a missing file fails")
    reads(d, p.pid, c.aws)
    reads(d, p.pid, vault)
    reads(d, q.pid, c.aws)
    reads(d, f.pid, c.aws)
    reads(d, f.pid, vault)
    reads(d, m.pid, missing)
    reads(d, mf.pid, missing)
    out = d.stop()
    ready = out[0]
    eq(ready["type"], "agent.ready", "first line")
    for hook in ("tp_btf/io_uring_submit_req", "tp_btf/io_uring_complete"):
        check({"name": "open", "hook": hook} in ready["probes"],
              "%s in agent.ready: %r" % (hook, ready["probes"]))
    failed = [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == m.pid]
    eq([(e["file"]["path"], e["file"]["path_as_given"], e["file"]["syscall"], e["file"]["match"],
         e["file"]["result"], e["credential"]) for e in failed],
       [(missing, missing, "io_uring_openat", "name", "ENOENT", {"type": "netrc", "source": "file"})],
       "the failed io_uring open, by its name")
    failed = [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == mf.pid]
    eq([(e["file"]["path"], e["file"]["syscall"], e["file"]["result"]) for e in failed],
       [(missing, "io_uring_openat_fixed", "ENOENT")], "a failed open into a fixed-file slot")
    evs = [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == p.pid]
    eq([(e["file"]["path"], e["file"]["syscall"], e["file"]["match"]) for e in evs],
       [(c.aws, "io_uring_openat", "inode"), (vault, "io_uring_openat", "directory")],
       "the two io_uring opens (the second by an io-wq worker), in order")
    aws, vt = evs
    eq(aws["file"]["path_as_given"], c.aws, "the path the request gave")
    eq(aws["file"]["inode"], os.stat(c.aws).st_ino, "file.inode")
    eq(aws["credential"]["type"], "aws", "credential.type")
    eq(aws["credential"]["aws_access_key_id"], c.akid, "access key id")
    eq(aws["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint")
    eq(vt["credential"]["type"], "vault", "credential.type of the second")
    eq(vt["file"]["inode"], os.stat(vault).st_ino, "file.inode of the second")
    for e in evs:
        eq(e["process"]["exe"], os.path.join(HELPERS, "uring_read"), "process.exe")
        eq(e["process"]["uid"], 0, "process.uid")
        eq(hop(e, "ci_job")["run_id"], "5151", "the job that read it")
    sq = [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == q.pid]
    eq([(e["file"]["path"], e["file"]["syscall"], e["file"]["match"]) for e in sq],
       [(c.aws, "io_uring_openat", "inode")], "the open the SQPOLL thread submitted")
    eq(sq[0]["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint (SQPOLL)")
    eq(hop(sq[0], "ci_job")["run_id"], "5252", "the job that read it (SQPOLL)")
    fx = [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == f.pid]
    eq([(e["file"]["path"], e["file"]["syscall"], e["file"]["result"], e["credential"]["type"])
        for e in fx],
       [(c.aws, "io_uring_openat_fixed", slots[0], "aws"),
        (vault, "io_uring_openat_fixed", slots[1], "vault")],
       "the opens into fixed-file slots, with their slots")
    eq(fx[0]["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint (fixed slot)")
    eq(hop(fx[1], "ci_job")["run_id"], "5353", "the job that read it (fixed slot)")


_IA32 = []


def ia32_available():
    """Does this kernel take int 0x80 from a 64-bit program? One built with
    IA32 emulation can have it off at boot (ia32_emulation=false, some VMs):
    the instruction then raises a general protection fault (SIGSEGV), traced
    or not. Tried once, on /dev/null, which no rule watches."""
    if not _IA32:
        p = run([os.path.join(HELPERS, "ia32_open"), "open", "/dev/null"], env={})
        _IA32.append(p.returncode == 0)
        if p.returncode != 0:
            check(p.returncode == -signal.SIGSEGV,
                  "ia32_open of /dev/null: exit status %d" % p.returncode)
            print("     int 0x80 is off in this kernel (SIGSEGV, untraced): the ia32 program's "
                  "load and attach are checked, not its events")
    return _IA32[0]


def check_ia32_opens(d, c):
    """Credential opens through the 32-bit syscall interface (int 0x80 from a
    64-bit program), which the syscall trace events do not report: open by absolute
    path (matched by inode), openat with a dirfd and a relative name, and a
    failed open of a watched name (ENOENT). Each with its ia32 arguments read
    right: path, dfd-resolved path, flags."""
    helper = os.path.join(HELPERS, "ia32_open")
    if not ia32_available():
        return d.stop()[0]
    a = run([helper, "open", c.aws], env=github_env(6161, canary()))
    eq(a.returncode, 0, "ia32 open")
    b = run([helper, "openat", os.path.dirname(c.aws), "credentials"], env={})
    eq(b.returncode, 0, "ia32 openat")
    missing = os.path.join(c.home, ".netrc")
    m = run([helper, "open", missing], env={}, stderr=subprocess.DEVNULL)
    eq(m.returncode, 1, "ia32 open of a missing file fails")
    for p, path in ((a, c.aws), (b, c.aws), (m, missing)):
        reads(d, p.pid, path)
    out = d.stop()
    ready = out[0]
    evs = {p.pid: [e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == p.pid]
           for p in (a, b, m)}
    ea, = evs[a.pid]
    eq((ea["file"]["syscall"], ea["file"]["syscall_abi"], ea["file"]["match"],
        ea["file"]["path_as_given"], ea["file"]["flags"]),
       ("open", "ia32", "inode", c.aws, ["O_RDONLY"]), "ia32 open")
    eq(ea["credential"]["fingerprint"], c.fingerprint(c.secret), "fingerprint")
    eq(ea["credential"]["aws_access_key_id"], c.akid, "access key id")
    eq(hop(ea, "ci_job")["run_id"], "6161", "the job that read it")
    eb, = evs[b.pid]
    eq((eb["file"]["syscall"], eb["file"]["syscall_abi"], eb["file"]["path"],
        eb["file"]["path_as_given"]), ("openat", "ia32", c.aws, "credentials"),
       "ia32 openat, relative to its dirfd")
    em, = evs[m.pid]
    eq((em["file"]["syscall"], em["file"]["syscall_abi"], em["file"]["match"], em["file"]["path"],
        em["file"]["result"], em["credential"]["type"]),
       ("open", "ia32", "name", missing, "ENOENT", "netrc"), "failed ia32 open")
    return ready


@with_creds(args=["--ia32-syscalls"])
def test_cred_ia32_syscalls(d, c):
    """With --ia32-syscalls, int 0x80 opens are seen by the raw program beside
    the trace events (named open_ia32 in agent.ready, and in the log)."""
    ready = check_ia32_opens(d, c)
    check({"name": "open_ia32", "hook": "tp_btf/sys_exit"} in ready["probes"],
          "the ia32 probe in agent.ready: %r" % ready["probes"])
    check(", and 32-bit syscalls (raw sys_exit)\n" in d.stderr_text(), "said in the log")


@with_creds(env={"IDTRACE_BPF_COMPAT": "1"}, args=[{"ia32_syscalls": True}])
def test_cred_ia32_syscalls_config(d, c):
    """The config key ia32_syscalls does the same, here with the probes
    without kfuncs."""
    ready = check_ia32_opens(d, c)
    check({"name": "open_ia32", "hook": "tp_btf/sys_exit"} in ready["probes"],
          "the ia32 probe in agent.ready: %r" % ready["probes"])


@with_creds
def test_cred_ia32_syscalls_off_by_default(d, c):
    """Without the option no raw program runs on every syscall: an int 0x80
    open is not seen (the trace events leave it out), and a 64-bit one is."""
    a = None
    if ia32_available():
        a = run([os.path.join(HELPERS, "ia32_open"), "open", c.aws], env={})
        eq(a.returncode, 0, "ia32 open")
    p = run([CAT, c.aws], env={}, stdout=subprocess.DEVNULL)
    reads(d, p.pid, c.aws)
    out = d.stop()
    check(not any(pr["hook"] == "tp_btf/sys_exit" for pr in out[0]["probes"]),
          "no raw sys_exit program: %r" % out[0]["probes"])
    if a:
        eq([e for e in out if e.get("type") == "credential.read" and e["process"]["pid"] == a.pid],
           [], "the ia32 open, unseen")


@with_creds(env={"IDTRACE_BPF_RAW": "1"})
def test_cred_ia32_syscalls_raw(d, c):
    """On the raw sys_exit fallback, ia32 syscalls are told apart by their
    numbers (an ia32 number is not the 64-bit one)."""
    ready = check_ia32_opens(d, c)
    check({"name": "open", "hook": "tp_btf/sys_exit"} in ready["probes"],
          "the raw sys_exit fallback: %r" % ready["probes"])


@with_creds
def test_cred_pivot(d, c):
    """The same credential read by a human, then by a CI job: a pivot."""
    p1 = run([CAT, c.aws], env={}, loginuid=1000, stdout=subprocess.DEVNULL)
    reads(d, p1.pid, c.aws)
    p2 = run([CAT, c.aws], env=github_env(9001, canary()), loginuid=UNSET,
             stdout=subprocess.DEVNULL)
    ev = reads(d, p2.pid, c.aws)[0]
    pivots = [r for r in ev["provenance"]["reasons"] if r.startswith("credential_pivot:")]
    eq(len(pivots), 1, "one pivot reason")
    check("read_by=human:" in pivots[0], "names the earlier reader: %s" % pivots[0])
    first = reads(d, p1.pid, c.aws)[0]
    check(first["process"]["exec_id"] in pivots[0], "names the earlier exec")


def test_cred_open_storm_filtered(_):
    """100k opens of a non-credential file: no record ever reaches the ring buffer."""
    c = Creds()
    d = Daemon(*c.args())
    plain = os.path.join(c.dir, "plain.txt")
    c.write(plain, "nothing secret\n")
    try:
        d.start()
        p = run([os.path.join(HELPERS, "open_storm"), "100000", plain], env={},
                stdout=subprocess.DEVNULL)
        eq(p.returncode, 0, "open storm")
        stats = d.stats()
        events = d.stopped_events
        creds = [e for e in events if e.get("type") == "credential.read"]
        check(not [e for e in creds if e["file"]["path"] == plain], "no event for the plain file")
        check(stats["kernel"]["opens_checked"] >= 100000, "the kernel checked every open")
        eq(stats["kernel"]["open"], stats["received"]["open"], "records sent == received")
        eq(stats["received"]["open"], len(creds) + stats["received"]["open_filtered"],
           "every record became an event or was a rule miss")
        check(stats["received"]["open"] < 10, "the storm produced no records (%d)"
              % stats["received"]["open"])
        eq(stats["lost"]["open"], 0, "no open record lost")
    finally:
        d.kill()
        c.remove()


test_cred_open_storm_filtered.no_daemon = True

CASES = [
    test_cred_cat_aws,
    test_cred_sandbox_namespaces,
    test_cred_replaced_inode_reused,
    test_cred_container_var_run_link,
    test_cred_container_var_run_link_mounted_token,
    test_cred_container_projected_token_first_read,
    test_cred_container_projected_token_dir_mounted,
    test_cred_container_absolute_links_stay_inside,
    test_cred_container_runtime_unnamed,
    test_cred_container_first_read_by_given_name,
    test_cred_container_mounted_file_after_exit,
    test_cred_container_mounted_token_via_link_after_exit,
    test_cred_host_dir_mounted_into_two_containers,
    test_cred_kubelet_token_rotation,
    test_cred_read_then_replaced_at_once,
    test_cred_rewritten_in_place_after_reads,
    test_cred_replaced_after_relative_read,
    test_cred_new_home_spelled_otherwise,
    test_cred_new_home_read_at_once,
    test_cred_container_env_home,
    test_cred_container_file_read_from_host,
    test_cred_python_token,
    test_cred_relative_path,
    test_cred_symlink,
    test_cred_created_later,
    test_cred_o_path_not_reported,
    test_cred_pod_token_seen_from_node,
    test_cred_failed_open,
    test_cred_failed_open_through_linked_home,
    test_cred_home_of_user_added_later,
    test_cred_home_churn_no_rescan,
    test_cred_replaced_before_read,
    test_cred_container_own_files,
    test_cred_container_running_before_start,
    test_cred_container_recycled_mntns,
    test_cred_container_bind_mounted_host_file_exits,
    test_cred_container_first_process_reads_new_file,
    test_cred_container_first_exec_reads_image_file,
    test_cred_container_first_read_compat_probe,
    test_cred_container_first_read_raw_probe,
    test_cred_private_namespace_without_exec,
    test_cred_container_namespace_made_before_its_cgroup_known,
    test_pod_service_accounts_not_mixed,
    test_pod_service_account_after_runc_init,
    test_cred_failed_open_type_of_its_rule,
    test_cred_two_daemons_do_not_feed_each_other,
    test_cred_compat_probe,
    test_cred_raw_probe,
    test_cred_openat2,
    test_cred_open_by_handle,
    test_cred_io_uring_open,
    test_cred_ia32_syscalls,
    test_cred_ia32_syscalls_config,
    test_cred_ia32_syscalls_off_by_default,
    test_cred_ia32_syscalls_raw,
    test_cred_pivot,
    test_cred_open_storm_filtered,
]
