"""The command line: help, version, usage errors, config errors, privileges."""

import json
import os
import subprocess
import tempfile

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
    r = idtrace("--version")
    eq(r.returncode, 0, "--version exit")
    check(r.stdout.startswith("idtrace "), "version line")


def test_cli_usage_errors(_):
    for args, word in ((["--bogus"], "bogus"), (["--ring-buffer-mb", "3"], "power of two"),
                       (["extra"], "unexpected argument"), (["--log-level", "loud"], "loud")):
        r = idtrace(*args)
        eq(r.returncode, 2, "exit status of %r" % args)
        check(word in r.stderr, "%r: message names the problem: %r" % (args, r.stderr))


def test_cli_config_errors(_):
    bad = [
        (config_file('{"outptu": "/tmp/x"}'), "unknown key 'outptu'"),
        (config_file('{"ring_buffer_mb": 5}'), "ring_buffer_mb"),
        (config_file('{"output": 1}'), "'output' must be a string"),
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
            import time
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


def test_cli_not_root(_):
    """Without privileges: exit 1 and a message that says what to do."""
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", IDTRACE],
                       capture_output=True, text=True, timeout=30)
    eq(r.returncode, 1, "exit status as nobody")
    check("root" in r.stderr, "message names root: %r" % r.stderr)


for _case in (test_cli_help_version, test_cli_usage_errors, test_cli_config_errors,
              test_cli_config_applies, test_cli_not_root):
    _case.no_daemon = True

CASES = [test_cli_help_version, test_cli_usage_errors, test_cli_config_errors,
         test_cli_config_applies, test_cli_not_root]
