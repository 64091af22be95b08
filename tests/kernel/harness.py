"""Shared machinery for the kernel tests: start the real daemon, run real
programs under a chosen identity, read and match the events it wrote."""

import json
import os
import pwd
import secrets
import signal
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IDTRACE = os.path.join(ROOT, ".output", "idtrace")
CGROUP2 = "/sys/fs/cgroup/unified" if os.path.isdir("/sys/fs/cgroup/unified") else "/sys/fs/cgroup"
UNSET = 4294967295
TRUE = "/usr/bin/true"


class TestFailure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise TestFailure(what)


def eq(actual, expected, what):
    if actual != expected:
        raise TestFailure(f"{what}: expected {expected!r}, got {actual!r}")


def canary(prefix="idtcanary"):
    """A fake secret made now, so no real secret can ever be in a test."""
    return prefix + secrets.token_hex(16)


def marker():
    return "idt-" + secrets.token_hex(6)


class Daemon:
    """The real idtrace, writing to a private file, stopped with SIGINT."""

    def __init__(self, *args, workdir=None, env=None):
        self.env = dict(os.environ, **env) if env else None
        self.dir = workdir or tempfile.mkdtemp(prefix="idtrace-test-")
        self.path = os.path.join(self.dir, "events.jsonl")
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.args = list(args)
        self.proc = None
        self.stopped_events = None
        self.rc = None

    def start(self, timeout=30):
        self.stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen([IDTRACE, "--output", self.path] + self.args,
                                     stdout=subprocess.DEVNULL, stderr=self.stderr, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise TestFailure(f"idtrace exited {self.proc.returncode} before agent.ready: "
                                  + self.stderr_text())
            for ev in self.events():
                if ev.get("type") == "agent.ready":
                    return self
            time.sleep(0.05)
        raise TestFailure("no agent.ready within %ds: %s" % (timeout, self.stderr_text()))

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return ""

    def raw(self):
        try:
            with open(self.path, "rb") as f:
                return f.read()
        except FileNotFoundError:
            return b""

    def events(self):
        out = []
        for line in self.raw().split(b"\n"):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                # the daemon may be mid-line; complete lines always parse
                pass
        return out

    def wait_for(self, pred, count=1, timeout=20):
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if pred(e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise TestFailure(f"waited {timeout}s for {count} matching events, got "
                                  f"{len(found)}")
            if self.proc.poll() is not None:
                raise TestFailure("idtrace died: " + self.stderr_text())
            time.sleep(0.05)

    def stop(self, timeout=30):
        """SIGINT, expect exit 0 and agent.stats as the last line."""
        if self.proc is None or self.rc is not None:
            return self.stopped_events
        self.proc.send_signal(signal.SIGINT)
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.rc = self.proc.wait()
            raise TestFailure("idtrace did not stop within %ds of SIGINT" % timeout)
        self.stderr.close()
        self.stopped_events = self.events()
        eq(self.rc, 0, "idtrace exit status after SIGINT (stderr: %s)" % self.stderr_text())
        check(self.stopped_events and self.stopped_events[-1]["type"] == "agent.stats",
              "last line is agent.stats")
        return self.stopped_events

    def stats(self):
        return self.stop()[-1]

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def execs_with(events, mark):
    """process.exec events whose argv contains mark."""
    return [e for e in events if e.get("type") == "process.exec"
            and mark in e["process"]["args"]]


def hop(event, kind):
    hops = [h for h in event["chain"] if h["kind"] == kind]
    return hops[0] if hops else None


class Cgroup:
    """A child cgroup of the v2 hierarchy, removed afterwards."""

    def __init__(self):
        self.name = "idtrace-test-" + secrets.token_hex(4)
        self.path = os.path.join(CGROUP2, self.name)
        os.mkdir(self.path)

    def remove(self):
        rmdir_cgroup(self.path)


def rmdir_cgroup(path):
    """Remove a cgroup directory once its last process has left (exit is
    asynchronous: the kernel frees it shortly after)."""
    for _ in range(50):
        try:
            os.rmdir(path)
            return
        except OSError:
            time.sleep(0.1)


def spawn(argv, env=None, loginuid=None, cgroup=None, uid=None, **kw):
    """Start argv with an exact environment, in a cgroup, with a loginuid."""

    def prepare():
        if cgroup is not None:
            with open(os.path.join(cgroup.path, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
        if loginuid is not None:
            with open("/proc/self/loginuid", "w") as f:
                f.write(str(loginuid))
        if uid is not None:
            os.setgid(uid)
            os.setuid(uid)

    return subprocess.Popen(argv, env=env if env is not None else {}, preexec_fn=prepare,
                            close_fds=True, **kw)


def run(argv, **kw):
    p = spawn(argv, **kw)
    p.wait(timeout=60)
    return p


def copy_onto_inode(src, dst, ino, tries=512):
    """Copy src to a new file dst that gets inode number ino, freed just
    before. ext4 hands out the lowest free number of the directory's group,
    but a number freed meanwhile by any other process (a test before this
    one, the daemon's own files) comes first: such lower numbers are taken
    by filler files beside dst, kept until dst has ino. A number past ino
    means ino is not free yet (its last holder may still be closing it),
    and is tried again. Fails when ino never comes."""
    fillers = []
    try:
        for _ in range(tries):
            fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
            got = os.fstat(fd).st_ino
            if got == ino:
                with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                    out.write(inp.read())
                return
            os.close(fd)
            if got > ino:  # ino is not free (yet): its last holder may still close it
                os.unlink(dst)
                time.sleep(0.02)
                continue
            filler = "%s.filler%d" % (dst, len(fillers))
            os.rename(dst, filler)
            fillers.append(filler)
        raise TestFailure("no new file got the freed inode number %d (fillers: %d)"
                          % (ino, len(fillers)))
    finally:
        for f in fillers:
            os.unlink(f)


def user_name(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def github_env(run_id, token):
    return {
        "PATH": "/usr/bin:/bin",
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/widgets",
        "GITHUB_WORKFLOW": "deploy",
        "GITHUB_RUN_ID": str(run_id),
        "GITHUB_RUN_ATTEMPT": "2",
        "GITHUB_JOB": "release",
        "GITHUB_ACTOR": "alice-gh",
        "GITHUB_TRIGGERING_ACTOR": "bob-gh",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/heads/main",
        "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_TOKEN": token,
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": token,
    }
