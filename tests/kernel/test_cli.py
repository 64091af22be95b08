"""The command line: help, version, usage errors, config errors, privileges."""

import json
import os
import subprocess
import tempfile
import time

from harness import IDTRACE, check, eq


def idtrace(*args, **kw):
    return subprocess.run([IDTRACE] + list(args), capture_output=True, text=True, timeout=30,
                          **kw)


def config_file(content, mode=0o600):
    fd, path = tempfile.mkstemp(suffix=".json")
    os.write(fd, content.encode())
    os.close(fd)
    os.chmod(path, mode)
    return path


def test_cli_help_version(_):
    r = idtrace("--help")
    eq(r.returncode, 0, "--help exit")
    check("--output FILE" in r.stdout and "--config FILE" in r.stdout, "help lists options")
    for cap in unit_capabilities():
        check("CAP_" + cap.upper() in r.stdout,
              "help names CAP_%s, which dist/idtrace.service keeps" % cap.upper())
    check("usage or\nconfig error" in r.stdout, "help: exit 2 is also a config error")
    r = idtrace("--version")
    eq(r.returncode, 0, "--version exit")
    check(r.stdout.startswith("idtrace "), "version line")


def test_cli_usage_errors(_):
    for args, word in ((["--bogus"], "bogus"), (["--ring-buffer-mb", "3"], "power of two"),
                       (["extra"], "unexpected argument"), (["--log-level", "loud"], "loud"),
                       (["--spiffe-id", "spiffe://"], "not a SPIFFE ID"),
                       (["--spiffe-id", "spiffe://Example.org/x"], "not a SPIFFE ID"),
                       (["--spiffe-id", "spiffe://example.org//x"], "not a SPIFFE ID"),
                       (["--spiffe-id", "spiffe://example.org/../x"], "not a SPIFFE ID")):
        r = idtrace(*args)
        eq(r.returncode, 2, "exit status of %r" % args)
        check(word in r.stderr, "%r: message names the problem: %r" % (args, r.stderr))


def test_cli_config_errors(_):
    bad = [
        (config_file('{"outptu": "/tmp/x"}'), "unknown key 'outptu'"),
        (config_file('{"ring_buffer_mb": 5}'), "ring_buffer_mb"),
        (config_file('{"output": 1}'), "'output' must be a string"),
        (config_file('{"spiffe_id": "example.org/host/x"}'), "'spiffe_id' must be a SPIFFE ID"),
        (config_file('{"spiffe_id": "spiffe://"}'), "'spiffe_id' must be a SPIFFE ID"),
        (config_file('{"output": '), "line"),
        (config_file('{"output": "/tmp/x"}', mode=0o666), "writable by group or others"),
        ("/nonexistent/idtrace.json", "cannot open"),
    ]
    for path, word in bad:
        r = idtrace("--config", path)
        eq(r.returncode, 2, "exit status for config %s" % path)
        check(word in r.stderr, "message for %s names %r: %r" % (path, word, r.stderr))


def test_cli_config_applies(_):
    """A valid config is taken: its output path receives agent.ready."""
    d = tempfile.mkdtemp()
    out = os.path.join(d, "ev.jsonl")
    path = config_file(json.dumps({"output": out, "ring_buffer_mb": 4, "log_level": "error"}))
    p = subprocess.Popen([IDTRACE, "--config", path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            if os.path.exists(out) and b"agent.ready" in open(out, "rb").read():
                break
            time.sleep(0.05)
        p.send_signal(2)
        eq(p.wait(30), 0, "exit after SIGINT")
        lines = [json.loads(x) for x in open(out, "rb").read().splitlines()]
        eq(lines[0]["type"], "agent.ready", "first line in the configured output")
        eq(lines[-1]["type"], "agent.stats", "last line")
        eq(p.stdout.read(), b"", "nothing on stdout")
    finally:
        if p.poll() is None:
            p.kill()


def test_cli_stdout_reader_leaves(_):
    """`idtrace | head -1`: the first line is agent.ready; when the reader closes the
    pipe, the daemon stops by itself (exit 1, the cause on stderr), with no event to
    write (nothing runs in between). The next run's first line is its own agent.ready,
    not a line the earlier run could not write."""
    state = tempfile.mkdtemp(prefix="idt-state-")
    for run in (1, 2):
        p = subprocess.Popen([IDTRACE, "--state-dir", state, "--log-level", "warning"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            first = json.loads(p.stdout.readline())
            eq(first["type"], "agent.ready", "run %d: first line" % run)
            eq(first["agent"]["pid"], p.pid, "run %d: this run's agent.ready" % run)
            if run == 1:
                # an event the reader never reads: it is in the pipe or in the spool
                subprocess.run(["/bin/true"], check=True)
                time.sleep(0.5)
            p.stdout.close()
            eq(p.wait(30), 1, "run %d: exit status once the reader is gone" % run)
            err = p.stderr.read().decode()
            check("reader or terminal is gone): stopping" in err,
                  "run %d: the cause is said: %r" % (run, err))
        finally:
            if p.poll() is None:
                p.kill()
    subprocess.run(["rm", "-rf", state])


def test_cli_stdout_terminal_hangs_up(_):
    """idtrace in a terminal window that is closed (its pty's master end goes): the
    first line is agent.ready; then the daemon stops by itself (exit 1) instead of
    spooling for a terminal that cannot come back."""
    import pty
    master, slave = pty.openpty()
    p = subprocess.Popen([IDTRACE, "--state-dir", tempfile.mkdtemp(prefix="idt-state-"),
                          "--log-level", "warning"], stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    try:
        with os.fdopen(master, "rb", buffering=0) as term:
            buf = b""
            while b"\n" not in buf:
                chunk = term.read(4096)
                check(chunk, "the terminal got output")
                buf += chunk
            first = json.loads(buf.split(b"\n")[0].rstrip(b"\r"))
            eq(first["type"], "agent.ready", "first line on the terminal")
            eq(first["agent"]["pid"], p.pid, "this run's agent.ready")
        eq(p.wait(30), 1, "exit status once the terminal is gone")
        err = p.stderr.read().decode()
        check("reader or terminal is gone): stopping" in err, "the cause is said: %r" % err)
    finally:
        if p.poll() is None:
            p.kill()


def unit_capabilities():
    """The CapabilityBoundingSet of dist/idtrace.service, as setpriv names."""
    unit = os.path.join(os.path.dirname(IDTRACE), "..", "dist", "idtrace.service")
    for line in open(unit):
        if line.startswith("CapabilityBoundingSet="):
            return [c.lower().replace("cap_", "") for c in line.split("=", 1)[1].split()]
    raise AssertionError("no CapabilityBoundingSet in " + unit)


def test_cli_unit_capabilities(_):
    """The systemd unit's capability set is enough: every probe and TLS library attaches."""
    caps = unit_capabilities()
    check("sys_module" not in caps and "net_admin" not in caps and len(caps) <= 6,
          "a narrow bounding set: %r" % caps)
    work = tempfile.mkdtemp(prefix="idtrace-caps-")
    out = os.path.join(work, "events.jsonl")
    p = subprocess.Popen(["setpriv", "--bounding-set=-all," + ",".join("+" + c for c in caps),
                          "--inh-caps=-all", "--", IDTRACE, "--output", out, "--state-dir",
                          os.path.join(work, "state"), "--key-file", os.path.join(work, "key")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(400):
            if os.path.exists(out) and b"agent.ready" in open(out, "rb").read():
                break
            if p.poll() is not None:
                break
            time.sleep(0.05)
        subprocess.run(["/usr/bin/true", "caps-marker"])
        time.sleep(0.5)
        p.send_signal(2)
        rc = p.wait(30)
        err = p.stderr.read().decode(errors="replace")
        eq(rc, 0, "exit under the unit's capabilities (stderr: %s)" % err[-600:])
        check("Permission denied" not in err and "Operation not permitted" not in err,
              "no privilege errors: " + err[-600:])
        lines = [json.loads(x) for x in open(out, "rb").read().splitlines()]
        ready = lines[0]
        eq(ready["type"], "agent.ready", "first line")
        check(len(ready["probes"]) >= 5, "all probes attached: %r" % ready["probes"])
        libs = sorted(lib["library"] for lib in ready["tls_libraries"])
        check("openssl" in libs and "gnutls" in libs, "TLS libraries attached: %r" % libs)
        check(any(e["type"] == "process.exec" and "caps-marker" in e["process"]["args"]
                  for e in lines), "an exec is traced")
    finally:
        if p.poll() is None:
            p.kill()


def sink_lines(f):
    """The JSON lines of a file sink (none yet: [])."""
    try:
        return [json.loads(x) for x in open(f, "rb").read().splitlines() if x.strip()]
    except FileNotFoundError:
        return []


def marked(f, mark):
    """The process.exec events in file sink f whose args hold mark."""
    return [e for e in sink_lines(f) if e.get("type") == "process.exec"
            and mark in e["process"]["args"]]


def wait(pred, what):
    for _ in range(200):
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def test_cli_sighup_reloads_sinks(_):
    """SIGHUP re-reads the config's sinks: events after it go to the new sink,
    the old one keeps what it had; the probes stay attached."""
    work = tempfile.mkdtemp(prefix="idtrace-hup-")
    a, b = os.path.join(work, "a.jsonl"), os.path.join(work, "b.jsonl")
    path = config_file(json.dumps({"sinks": ["file://" + a], "state_dir": work + "/state"}))

    p = subprocess.Popen([IDTRACE, "--config", path, "--key-file", work + "/key"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait(lambda: any(e["type"] == "agent.ready" for e in sink_lines(a)), "agent.ready in a")
        subprocess.run(["/usr/bin/true", "hup-before"])
        wait(lambda: marked(a, "hup-before"), "the first event in a")
        with open(path, "w") as f:
            f.write(json.dumps({"sinks": ["file://" + b], "state_dir": work + "/state"}))
        p.send_signal(1)
        wait(lambda: os.path.exists(b), "the new sink's file")
        subprocess.run(["/usr/bin/true", "hup-after"])
        wait(lambda: marked(b, "hup-after"), "the second event in b")
        p.send_signal(2)
        eq(p.wait(30), 0, "exit after SIGINT")
        eq(len(marked(a, "hup-before")), 1, "the old sink has the event from before")
        eq(marked(a, "hup-after"), [], "the old sink gets nothing after SIGHUP")
        eq(marked(b, "hup-before"), [], "the new sink starts after SIGHUP")
        eq(sink_lines(b)[-1]["type"], "agent.stats", "agent.stats closes the new sink")
        eq(os.stat(b).st_mode & 0o777, 0o600, "the new file is 0600")
        check(b"reloaded" in p.stderr.read(), "the reload is logged")
    finally:
        if p.poll() is None:
            p.kill()


def test_cli_sighup_keeps_command_line_sinks(_):
    """With --sink on the command line beside --config, the config file's
    sinks are not used, at the start or at SIGHUP (docs/config.md): SIGHUP
    reopens the command line's sink and events keep going there."""
    work = tempfile.mkdtemp(prefix="idtrace-hup-cli-")
    a, c = os.path.join(work, "a.jsonl"), os.path.join(work, "c.jsonl")
    path = config_file(json.dumps({"sinks": ["file://" + a], "state_dir": work + "/state"}))

    p = subprocess.Popen([IDTRACE, "--config", path, "--sink", "file://" + c, "--no-tls",
                          "--key-file", work + "/key"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait(lambda: any(e["type"] == "agent.ready" for e in sink_lines(c)), "agent.ready in c")
        subprocess.run(["/usr/bin/true", "hup-cli-before"])
        wait(lambda: marked(c, "hup-cli-before"), "the first event in c")
        p.send_signal(1)
        time.sleep(0.5)
        subprocess.run(["/usr/bin/true", "hup-cli-after"])
        wait(lambda: marked(c, "hup-cli-after"), "the event after SIGHUP in c")
        p.send_signal(2)
        eq(p.wait(30), 0, "exit after SIGINT")
        check(not os.path.exists(a), "the config file's sink is never opened")
        eq(sink_lines(c)[-1]["type"], "agent.stats", "agent.stats closes the command line's sink")
        check(b"reloaded" not in p.stderr.read(), "no reload from the config file")
    finally:
        if p.poll() is None:
            p.kill()


def test_cli_not_root(_):
    """Without privileges: exit 1 and a message that says what to do."""
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IDTRACE],
                       capture_output=True, text=True, timeout=30)
    eq(r.returncode, 1, "exit status as nobody")
    check("root" in r.stderr, "message names root: %r" % r.stderr)
    for cap in unit_capabilities():
        check("CAP_" + cap.upper() in r.stderr, "message names CAP_%s: %r" % (cap.upper(), r.stderr))


for _case in (test_cli_help_version, test_cli_usage_errors, test_cli_config_errors,
              test_cli_sighup_keeps_command_line_sinks,
              test_cli_config_applies, test_cli_not_root, test_cli_stdout_reader_leaves,
              test_cli_stdout_terminal_hangs_up):
    _case.no_daemon = True

CASES = [test_cli_sighup_reloads_sinks, test_cli_sighup_keeps_command_line_sinks, test_cli_unit_capabilities, test_cli_help_version, test_cli_usage_errors, test_cli_config_errors,
         test_cli_config_applies, test_cli_not_root, test_cli_stdout_reader_leaves,
         test_cli_stdout_terminal_hangs_up]
