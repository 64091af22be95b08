"""Kernel tests for the output stage (issue 5): syslog over TCP and TLS with a
real rsyslogd, an outage that the spool bridges, Kafka through librdkafka's
mock cluster, file rotation and SIGHUP, a spool that fills up, hostile
configurations and OCSF.

Every case starts its own peers on loopback, gives the daemon a private
--state-dir in a temporary directory and leaves nothing running. The daemon
always runs with the harness's --output FILE as well: that file sink gets
every event the daemon emits, in order, and serves as the reference the
sink under test is compared with line for line (both get the same JSON
line for every event; the sink under test is sinks[0] in agent.stats).

Events are made by one shell running `/usr/bin/true MARK SEQ` for SEQ =
0, 1, 2, ...: each exec is one process.exec whose args carry a marker unique
to the case and a sequence number, so completeness, order and duplicates are
checked per event.
"""

import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import IDTRACE, ROOT, TRUE, Daemon, TestFailure, check, eq, marker
from rsyslog_fixture import RsyslogServer

TOOLS = os.path.join(ROOT, ".output", "tests", "tools")
KAFKA_MOCK = os.path.join(TOOLS, "kafka_mock")
KCAT = shutil.which("kcat") or "/usr/bin/kcat"
# Quiet and quick to start: no TLS or file probes, a big ring buffer so a
# storm never loses records in the kernel (that would not be the sinks' fault).
DAEMON_ARGS = ["--no-tls", "--no-files", "--ring-buffer-mb", "64"]


# -- helpers

def tool(path):
    """A test tool, built on demand (make kernel-test builds them all)."""
    if not os.access(path, os.X_OK):
        subprocess.run(["make", "--no-print-directory", "-s", "-C", ROOT,
                        os.path.relpath(path, ROOT)], check=True)
    return path


def storm(mark, start, end, gates=()):
    """Exec `/usr/bin/true MARK SEQ` for SEQ in [start, end), one after another,
    in the background. For each (SEQ, PATH) in gates the shell waits before SEQ
    until PATH exists. Returns the Popen of the shell."""
    wait = "".join('if [ $i -eq %d ]; then while [ ! -e %s ]; do sleep 0.05; done; fi; '
                   % (seq, path) for seq, path in gates)
    script = ('i=%d; while [ $i -lt %d ]; do %s%s %s $i || exit 1; i=$((i+1)); done'
              % (start, end, wait, TRUE, mark))
    return subprocess.Popen(["/bin/sh", "-c", script], env={"PATH": "/usr/bin:/bin"},
                            stdin=subprocess.DEVNULL)


def run_storm(mark, start, end):
    p = storm(mark, start, end)
    eq(p.wait(timeout=600), 0, "exit status of the exec storm")


def seqs(events, mark):
    """The sequence numbers of the marked process.exec events, in arrival order."""
    out = []
    for e in events:
        if e.get("type") != "process.exec":
            continue
        args = e.get("process", {}).get("args", [])
        if len(args) == 3 and args[1] == mark:
            out.append(int(args[2]))
    return out


def check_sequence(got, expected, what):
    """got must be exactly expected (a list of ints): say how it differs."""
    if got == expected:
        return
    want = set(expected)
    dups = len(got) - len(set(got))
    missing = sorted(want - set(got))
    extra = sorted(set(got) - want)
    disorder = next((i for i in range(1, len(got)) if got[i] <= got[i - 1]), None)
    raise TestFailure(
        "%s: %d events, expected %d; missing %d (first %s), duplicates %d, unexpected %s, "
        "first out of order at index %s%s" % (
            what, len(got), len(expected), len(missing), missing[:10], dups, extra[:10],
            disorder, "" if disorder is None else " (%s after %s)" % (got[disorder],
                                                                     got[disorder - 1])))


def check_at_least_once(got, n, restarts_max, dups_max, what):
    """got (sequence numbers in arrival order) is 0..n-1 delivered at least
    once: no gap, each first arrival in increasing order, and duplicates only
    where a resend restarts the sequence (at most restarts_max times, fewer
    than dups_max duplicates in all). Returns (duplicates, restarts)."""
    expected = dups = 0
    restarts = []
    prev = None
    for i, q in enumerate(got):
        if prev is not None and q != prev + 1:
            restarts.append("index %d: %d after %d" % (i, q, prev))
        if q > expected:
            raise TestFailure("%s: a gap at index %d: %d arrived, %d expected next (%d events, "
                              "restarts %s)" % (what, i, q, expected, len(got), restarts[:5]))
        if q == expected:
            expected += 1
        else:
            dups += 1
        prev = q
    if expected != n:
        check_sequence(got, list(range(n)), what)
    check(len(restarts) <= restarts_max,
          "%s: the sequence restarts %d times (%s), at most %d allowed (one per reconnect)"
          % (what, len(restarts), restarts[:5], restarts_max))
    check(dups < dups_max, "%s: %d duplicates, fewer than %d allowed (the resend window's "
          "worth; restarts %s)" % (what, dups, dups_max, restarts[:5]))
    return dups, restarts


def unique_events(events):
    """events without repeats (exactly equal events), first occurrences kept."""
    seen, out = set(), []
    for e in events:
        k = json.dumps(e, sort_keys=True)
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def same_events(got, ref, what):
    """got (what the sink under test received) equals ref (the reference file
    sink's events): same events, same order."""
    if got == ref:
        return
    n = next((i for i in range(min(len(got), len(ref))) if got[i] != ref[i]), None)
    detail = ""
    if n is not None:
        detail = "; first difference at line %d: got %s, reference %s" % (
            n, json.dumps(got[n])[:300], json.dumps(ref[n])[:300])
    raise TestFailure("%s: %d events, the reference file sink has %d%s"
                      % (what, len(got), len(ref), detail))


def wait_until(pred, timeout, what, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TestFailure("waited %ds for %s" % (timeout, what))
        time.sleep(step)


def rs_events(rs):
    """What rsyslogd wrote so far, parsed (RsyslogServer.lines() leaves out a
    last line omfile is still writing)."""
    return rs.lines()


def rs_wait(rs, n, pred, timeout):
    """Wait until at least n received events match pred; returns them."""
    return wait_until(lambda: (lambda got: got if len(got) >= n else None)(
        [e for e in rs_events(rs) if pred(e)]), timeout,
        "%d matching events at rsyslogd" % n)


def is_mark(mark):
    return lambda e: (e.get("type") == "process.exec"
                      and e.get("process", {}).get("args", [])[1:2] == [mark])


def file_seqs(d, mark):
    return seqs(d.events(), mark)


class Workdir:
    """A temporary directory for one case: the daemon's files, its state
    directory, the peers' files. Removed at the end."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="idtrace-sinks-")
        self.state = os.path.join(self.path, "state")

    def sub(self, name):
        p = os.path.join(self.path, name)
        os.makedirs(p, exist_ok=True)
        return p

    def remove(self):
        shutil.rmtree(self.path, ignore_errors=True)


def daemon(w, *args):
    """The daemon with the given sinks (sinks[0]) plus the harness's reference
    file, a private state directory, started."""
    d = Daemon(*args, "--state-dir", w.state, *DAEMON_ARGS, workdir=w.sub("daemon"))
    return d.start()


def sink0(stats, uri):
    s = stats["sinks"][0]
    eq(s["uri"], uri, "agent.stats sinks[0].uri")
    return s


def no_loss(stats, s, what):
    eq(s["dropped"], 0, what + ": sinks[0].dropped")
    eq(s["loss_lines"], 0, what + ": sinks[0].loss_lines (agent.loss lines sent)")
    eq(stats["lost"]["sinks"], 0, what + ": lost.sinks")
    eq(stats["lost"]["total"], 0, what + ": events lost in the kernel")


def idtrace(*args, timeout=60):
    return subprocess.run([IDTRACE] + list(args), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def config_file(w, obj, mode=0o600, name="idtrace.json"):
    path = os.path.join(w.path, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    os.chmod(path, mode)
    return path


def closed_port():
    """A loopback TCP port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def mark_cases(*cases):
    for c in cases:
        c.no_daemon = True


# -- syslog over TCP and TLS

N_SYSLOG = 5000


def _syslog_run(w, rs):
    d = None
    try:
        rs.start()
        d = daemon(w, "--sink", rs.uri)
        mark = marker()
        run_storm(mark, 0, N_SYSLOG)
        rs_wait(rs, N_SYSLOG, is_mark(mark), 120)
        stats = d.stats()
        rs.stop()  # drains rsyslogd's queues into its file
        got = rs.lines()  # raises on a message that is not JSON
        check_sequence(seqs(got, mark), list(range(N_SYSLOG)), "marked execs at rsyslog")
        check_sequence(seqs(d.stopped_events, mark), list(range(N_SYSLOG)),
                       "marked execs in the reference file")
        same_events(got, d.stopped_events, "rsyslog")
        s = sink0(stats, rs.uri)
        no_loss(stats, s, "syslog")
        eq(s["spooled"], 0, "nothing spooled while rsyslogd was up")
        check(s["enqueued"] >= N_SYSLOG, "enqueued >= %d: %d" % (N_SYSLOG, s["enqueued"]))
        eq(s["delivered"], s["enqueued"], "delivered == enqueued at agent.stats")
    finally:
        if d:
            d.kill()
        rs.stop()


def test_sink_syslog_tcp(_):
    """5000 execs over syslog+tcp to rsyslogd: all arrive, in order, parseable JSON,
    identical to the reference file; dropped 0."""
    w = Workdir()
    rs = RsyslogServer(tcp=True, workdir=w.sub("rsyslog"))
    try:
        _syslog_run(w, rs)
    finally:
        rs.stop()
        w.remove()


def test_sink_syslog_tls(_):
    """The same over syslog+tls (the fixture's CA, server_name=localhost verified);
    a wrong server_name is refused at start: the name is really checked."""
    w = Workdir()
    rs = RsyslogServer(tcp=True, tls=True, workdir=w.sub("rsyslog"))
    try:
        _syslog_run(w, rs)
        rs.start()
        bad = rs.uri.replace("server_name=localhost", "server_name=wrong.example")
        r = idtrace("--check-config", "--sink", bad, "--state-dir", w.state)
        eq(r.returncode, 2, "exit status with a server_name the certificate lacks")
        check("certificate verify failed" in r.stderr and "wrong.example" in r.stderr,
              "the message names the verification failure: %r" % r.stderr)
        r = idtrace("--check-config", "--sink", rs.uri, "--state-dir", w.state)
        eq(r.returncode, 0, "--check-config with the right name (stderr %r)" % r.stderr)
    finally:
        rs.stop()
        w.remove()


# -- an outage bridged by the spool

N_OUTAGE = 5000
OUTAGE_S = 10


def test_sink_syslog_outage(_):
    """rsyslogd stopped for 10 s in the middle of a 5000-exec run, then started again:
    every event arrives, spooled > 0, replayed > 0, no loss.

    rsyslogd is stopped while frames flow: what the kernel had accepted but
    rsyslogd had not read dies with its socket. The sink's resend window
    writes those frames again after the reconnect, so delivery is at least
    once: no gap, first arrivals in order, and duplicates only where the
    sequence restarts after a reconnect, fewer than the window holds
    (resend_window_bytes, 1 MiB, of events)."""
    _outage_run(tls=False)


def test_sink_syslog_outage_tls(_):
    """The same over syslog+tls: SSL_write's success means no more than write()'s,
    and the same resend window covers it."""
    _outage_run(tls=True)


def _outage_run(tls):
    w = Workdir()
    rs = RsyslogServer(tcp=True, tls=tls, workdir=w.sub("rsyslog"))
    d = p = None
    mark = marker()
    gate = os.path.join(w.path, "resumed")
    try:
        rs.start()
        d = daemon(w, "--sink", rs.uri)
        # The last fifth of the run waits until rsyslogd is back, so new events
        # arrive while the spool is replayed, whatever the speed of the machine.
        p = storm(mark, 0, N_OUTAGE, gates=[(N_OUTAGE * 4 // 5, gate)])
        # Stop the peer while events flow: a fifth of the run has arrived.
        rs_wait(rs, N_OUTAGE // 5, is_mark(mark), 120)
        rs.pause()
        paused_at = len(file_seqs(d, mark))
        time.sleep(OUTAGE_S)
        during = len(file_seqs(d, mark)) - paused_at
        rs.resume()
        with open(gate, "w"):
            pass
        eq(p.wait(timeout=600), 0, "exit status of the exec storm")
        p = None
        # Reconnection is with back-off (at most 30 s between tries).
        try:
            wait_until(lambda: len(set(seqs(rs_events(rs), mark))) >= N_OUTAGE, 120,
                       "%d distinct marked execs at rsyslogd" % N_OUTAGE)
        except TestFailure as e:
            check_sequence(sorted(set(seqs(rs_events(rs), mark))), list(range(N_OUTAGE)),
                           "%s; marked execs at rsyslog (paused after %d; daemon: %s)"
                           % (e, paused_at, d.stderr_text()[-1500:]))
            raise
        stats = d.stats()
        rs.stop()
        got = rs.lines()
        check(during > 100, "events were made during the outage: %d" % during)
        s = sink0(stats, rs.uri)
        marked = [e for e in got if is_mark(mark)(e)]
        # The window holds at most 1 MiB of frames the peer acknowledged
        # (plus what it had not acknowledged yet: nothing much on loopback).
        window_events = (1 << 20) // min(len(json.dumps(e, separators=(",", ":")))
                                         for e in marked) + 1
        dups, restarts = check_at_least_once(
            seqs(got, mark), N_OUTAGE, max(1, s["reconnects"]),
            window_events * max(1, s["reconnects"]), "marked execs at rsyslog")
        same_events(unique_events(got), d.stopped_events, "rsyslog, duplicates removed")
        eq([e for e in got if e.get("type") == "agent.loss"], [], "agent.loss events")
        no_loss(stats, s, "outage")
        check(s["spooled"] > 0, "spooled > 0: %d" % s["spooled"])
        check(s["replayed"] > 0, "replayed > 0: %d" % s["replayed"])
        eq(s["replayed"], s["spooled"], "every spooled line was replayed")
        check(s["reconnects"] >= 1, "reconnects >= 1: %d" % s["reconnects"])
        eq(s["spool_lines"], 0, "spool empty at agent.stats")
        print("     outage: %d execs made while rsyslogd was down; spooled %d, replayed %d, "
              "reconnects %d; resent %s, %d duplicates at rsyslogd (%s)"
              % (during, s["spooled"], s["replayed"], s["reconnects"],
                 s.get("sink", {}).get("resent"), dups, "; ".join(restarts) or "no restart"))
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        if d:
            d.kill()
        rs.stop()
        w.remove()


# -- Kafka through librdkafka's mock cluster

# librdkafka's mock keeps about 5 MB per partition and drops the oldest
# messages beyond that (measured with 2.0.2: 3138 of 5000 1.5 KB messages
# left): 2000 execs of ~1.5 KB stay below it.
N_KAFKA = 2000


class KafkaMock:
    def __init__(self, topic, brokers=3):
        self.p = subprocess.Popen([tool(KAFKA_MOCK), "--brokers", str(brokers), "--topic", topic,
                                   "--partitions", "3", "--replication", "3"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        line = self.p.stdout.readline().strip()
        if not line.startswith("bootstrap="):
            self.stop()
            raise TestFailure("kafka_mock did not start: %r" % line)
        self.bootstrap = line[len("bootstrap="):]

    def cmd(self, text):
        self.p.stdin.write(text + "\n")
        self.p.stdin.flush()
        answer = self.p.stdout.readline().strip()
        eq(answer, "ok", "kafka_mock answer to %r" % text)

    def stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write("quit\n")
                self.p.stdin.flush()
                self.p.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def kcat_consume(bootstrap, topic):
    """Every message of topic, from the beginning: [(partition, offset, value)]."""
    r = subprocess.run([KCAT, "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                        "-f", "%p %o %s\\n"], capture_output=True, text=True, timeout=120)
    eq(r.returncode, 0, "kcat exit status (stderr %r)" % r.stderr[-500:])
    out = []
    for line in r.stdout.splitlines():
        if not line:
            continue
        part, off, value = line.split(" ", 2)
        out.append((int(part), int(off), value))
    return out


def test_sink_kafka(_):
    """2000 execs to kafka:// on a 3-broker mock; the partitions' leader (broker 1)
    goes down mid-run and comes back: kcat reads every event exactly once, in order,
    all on one partition (the host key), identical to the reference file."""
    w = Workdir()
    topic = "idtrace-" + marker()[4:]
    km = KafkaMock(topic)
    d = p = None
    mark = marker()
    try:
        for part in range(3):  # broker 1 leads every partition: its loss matters
            km.cmd("leader %s %d 1" % (topic, part))
        uri = "kafka://%s/%s" % (km.bootstrap, topic)
        d = daemon(w, "--sink", uri)
        # The storm stops at a third until the broker is down, and at two
        # thirds until it is back: events flow before, during and after the
        # outage, whatever the speed of the machine.
        # The broker goes down only once the first third is in the topic:
        # librdkafka's mock dedupes a retried batch only for transactional
        # producers (rd_kafka_mock_validate_records), so a Produce in flight
        # as the connection drops would be appended twice, where a real
        # broker answers DUPLICATE_SEQUENCE_NUMBER to our idempotent producer.
        went_down = os.path.join(w.path, "down")
        came_up = os.path.join(w.path, "up")
        p = storm(mark, 0, N_KAFKA, gates=[(N_KAFKA // 3, went_down),
                                           (N_KAFKA * 2 // 3, came_up)])
        wait_until(lambda: len(seqs([json.loads(m[2]) for m in
                                     kcat_consume(km.bootstrap, topic)], mark)) >= N_KAFKA // 3,
                   120, "the first third of the storm in the topic", step=0.5)
        km.cmd("down 1")
        with open(went_down, "w"):
            pass
        time.sleep(3)
        km.cmd("up 1")
        with open(came_up, "w"):
            pass
        eq(p.wait(timeout=600), 0, "exit status of the exec storm")
        p = None
        # Like a consumer: wait for every event before stopping the daemon.
        # librdkafka resumes some seconds after the broker is back (its
        # reconnect back-off); stopping earlier would leave events in its
        # memory beyond close_timeout_ms (docs/sinks-kafka.md).
        wait_until(lambda: len(seqs([json.loads(m[2]) for m in
                                     kcat_consume(km.bootstrap, topic)], mark)) >= N_KAFKA,
                   90, "all %d events in the topic" % N_KAFKA, step=1)
        stats = d.stats()  # then agent.ready .. agent.stats, all of them
        msgs = kcat_consume(km.bootstrap, topic)
        parts = sorted({m[0] for m in msgs})
        eq(len(parts), 1, "partitions used (one key per host: one partition)")
        msgs.sort(key=lambda m: m[1])
        eq(msgs[0][1] if msgs else None, 0, "first offset (the mock kept the whole log)")
        got = [json.loads(m[2]) for m in msgs]
        check_sequence(seqs(got, mark), list(range(N_KAFKA)), "marked execs in Kafka")
        same_events(got, d.stopped_events, "Kafka topic")
        s = sink0(stats, uri)
        no_loss(stats, s, "kafka")
        eq(s.get("sink", {}).get("delivery_failed", 0), 0, "kafka delivery_failed")
    finally:
        if p and p.poll() is None:
            p.kill()
            p.wait()
        if d:
            d.kill()
        km.stop()
        w.remove()


# -- the file sink: rotation and SIGHUP

N_ROTATE = 2500


def test_sink_file_rotation(_):
    """max_size_mb=1: the rotated .gz files (zcat, oldest first) then the live file
    hold exactly the lines written, in order; none over 1 MiB."""
    w = Workdir()
    logs = w.sub("logs")
    path = os.path.join(logs, "events.jsonl")
    uri = "file://%s?max_size_mb=1&keep=100" % path
    d = None
    mark = marker()
    try:
        d = daemon(w, "--sink", uri)
        run_storm(mark, 0, N_ROTATE)
        wait_until(lambda: len(file_seqs(d, mark)) >= N_ROTATE, 60, "the storm in the file")
        stats = d.stats()
        names = sorted(os.listdir(logs))
        gz = [n for n in names if n.endswith(".gz")]
        check(len(gz) >= 2, "at least two rotations at 1 MiB: %s" % names)
        eq(sorted(names), sorted(gz + ["events.jsonl"]), "files in the directory")
        nums = sorted(int(n[len("events.jsonl."):-len(".gz")]) for n in gz)
        eq(nums, list(range(1, len(gz) + 1)), "rotated file numbers")
        data = b""
        for k in reversed(nums):  # PATH.N.gz is the oldest
            gzp = os.path.join(path + ".%d.gz" % k)
            eq(os.stat(gzp).st_mode & 0o777, 0o600, "mode of %s" % gzp)
            r = subprocess.run(["zcat", gzp], capture_output=True, timeout=60)
            eq(r.returncode, 0, "zcat %s" % gzp)
            check(0 < len(r.stdout) <= 1 << 20, "%s holds 1..1 MiB: %d" % (gzp, len(r.stdout)))
            check(r.stdout.endswith(b"\n"), "%s ends with a whole line" % gzp)
            with gzip.open(gzp) as f:
                eq(f.read(), r.stdout, "gzip module and zcat agree on %s" % gzp)
            data += r.stdout
        with open(path, "rb") as f:
            data += f.read()
        got = [json.loads(line) for line in data.split(b"\n") if line]
        check_sequence(seqs(got, mark), list(range(N_ROTATE)), "marked execs across files")
        same_events(got, d.stopped_events, "rotated files + live file")
        s = sink0(stats, uri)
        no_loss(stats, s, "file")
        # agent.stats is made before the last rotation(s) could happen: at least
        # all but the files rotated after it.
        check(s["sink"]["rotations"] <= len(gz), "rotations %d <= %d .gz files"
              % (s["sink"]["rotations"], len(gz)))
        eq(s["sink"]["compress_failed"], 0, "compress_failed")
    finally:
        if d:
            d.kill()
        w.remove()


def test_sink_file_sighup(_):
    """mv events.jsonl events.jsonl.old; kill -HUP: new events go to a new
    events.jsonl (0600), the old file keeps exactly the old ones."""
    w = Workdir()
    logs = w.sub("logs")
    path = os.path.join(logs, "events.jsonl")
    uri = "file://%s" % path
    d = None
    mark = marker()
    try:
        d = daemon(w, "--sink", uri)
        run_storm(mark, 0, 200)
        wait_until(lambda: len(file_seqs(d, mark)) >= 200, 60, "the first batch")

        def seqs_in(p):
            try:
                with open(p, "rb") as f:
                    lines = [ln for ln in f.read().split(b"\n") if ln]
            except FileNotFoundError:
                return []
            return seqs([json.loads(ln) for ln in lines], mark)

        # the sink may still hold the tail in its buffer: wait for it in the file
        wait_until(lambda: len(seqs_in(path)) >= 200, 30, "the first batch in the sink's file")
        os.rename(path, path + ".old")
        d.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: os.path.exists(path), 30, "a new %s after SIGHUP" % path)
        eq(os.stat(path).st_mode & 0o777, 0o600, "mode of the new file")
        run_storm(mark, 200, 400)
        wait_until(lambda: len(file_seqs(d, mark)) >= 400, 60, "the second batch")
        stats = d.stats()
        check_sequence(seqs_in(path + ".old"), list(range(200)), "events in the renamed file")
        check_sequence(seqs_in(path), list(range(200, 400)), "events in the new file")
        with open(path + ".old", "rb") as f:
            old = [json.loads(ln) for ln in f.read().split(b"\n") if ln]
        with open(path, "rb") as f:
            new = [json.loads(ln) for ln in f.read().split(b"\n") if ln]
        same_events(old + new, d.stopped_events, "renamed file + new file")
        no_loss(stats, sink0(stats, uri), "file after SIGHUP")
    finally:
        if d:
            d.kill()
        w.remove()


# -- a spool that fills up

N_SPOOL = 2000


def test_sink_spool_full(_):
    """syslog+tcp with rsyslogd stopped and spool_max_mb=1 (the smallest the config
    takes): 2000 execs (~3 MiB) overflow it. After rsyslogd is back: sinks[0].dropped
    equals the number of events that never arrived (from the markers and, for every
    event, from the reference file), and exactly one agent.loss arrives, after the
    replayed spool, with loss.dropped equal to it. The events written before the
    pause may arrive twice (the resend window, at least once): duplicates are
    removed first, and there are at most as many as the sink resent."""
    w = Workdir()
    rs = RsyslogServer(tcp=True, workdir=w.sub("rsyslog"))
    d = None
    mark = marker()
    try:
        rs.start()
        cfg = config_file(w, {"spool_max_mb": 1, "state_dir": w.state})
        d = daemon(w, "-c", cfg, "--sink", rs.uri)
        rs.pause()
        run_storm(mark, 0, N_SPOOL)
        wait_until(lambda: len(file_seqs(d, mark)) >= N_SPOOL, 60, "the storm in the file")
        rs.resume()
        # after the spool's replay comes the one agent.loss line
        rs_wait(rs, 1, lambda e: e.get("type") == "agent.loss", 120)
        run_storm(mark, N_SPOOL, N_SPOOL + 10)  # after the recovery: all arrive
        rs_wait(rs, 1, lambda e: e.get("type") == "process.exec"
                and e["process"]["args"][1:] == [mark, str(N_SPOOL + 9)], 60)
        stats = d.stats()
        rs.stop()
        raw = rs.lines()
        got = unique_events(raw)
        s = sink0(stats, rs.uri)
        check(len(raw) - len(got) <= s["sink"]["resent"],
              "%d duplicates at rsyslog, at most the %d messages the sink resent"
              % (len(raw) - len(got), s["sink"]["resent"]))
        arrived = seqs(got, mark)
        check_sequence(arrived, sorted(set(arrived)), "marked execs at rsyslog: in order, "
                       "no duplicates")
        missing_marks = N_SPOOL + 10 - len(arrived)
        check(missing_marks > 0, "some marked events were dropped (spool of 1 MiB, ~3 MiB "
              "of events): arrived %d of %d" % (len(arrived), N_SPOOL + 10))
        eq(arrived[-10:], list(range(N_SPOOL, N_SPOOL + 10)), "events after the recovery")
        # Every event, not only ours: what reached the reference file but not
        # rsyslogd. Identical JSON lines; rsyslogd's are a subsequence of it.
        losses = [e for e in got if e.get("type") == "agent.loss"]
        rest = [e for e in got if e.get("type") != "agent.loss"]
        ref = d.stopped_events
        j = 0
        for e in rest:
            while j < len(ref) and ref[j] != e:
                j += 1
            check(j < len(ref), "rsyslog's events are the reference's, in order: %s"
                  % json.dumps(e)[:300])
            j += 1
        never = len(ref) - len(rest)
        missing_other = never - missing_marks
        eq(s["dropped"], never, "sinks[0].dropped == events that never arrived (%d marked, "
           "%d others)" % (missing_marks, missing_other))
        eq(stats["lost"]["sinks"], never, "lost.sinks")
        eq(len(losses), 1, "agent.loss events at rsyslog")
        eq(losses[0]["loss"]["dropped"], never, "agent.loss loss.dropped")
        eq(losses[0]["loss"]["sink"], rs.uri, "agent.loss loss.sink")
        eq(s["loss_lines"], 1, "sinks[0].loss_lines")
        eq(s["loss_pending"], 0, "sinks[0].loss_pending")
        # the loss line comes after the replayed spool, before the new events
        at = got.index(losses[0])
        check(max(seqs(got[:at], mark)) < N_SPOOL <= min(seqs(got[at:], mark)),
              "agent.loss between the replayed spool and the events after the recovery")
        check(s["spooled"] > 0 and s["replayed"] == s["spooled"],
              "spooled %d, replayed %d" % (s["spooled"], s["replayed"]))
        print("     spool full: spooled %d, dropped %d (%d marked + %d others), agent.loss "
              "dropped=%d" % (s["spooled"], s["dropped"], missing_marks, missing_other,
                              losses[0]["loss"]["dropped"]))
    finally:
        if d:
            d.kill()
        rs.stop()
        w.remove()


# -- hostile configurations

def test_sink_hostile_config(_):
    """Unknown scheme, a closed port, a missing CA file, a config writable by others:
    each exits 2 at start naming the problem; --check-config on a good config exits 0."""
    w = Workdir()
    rs = RsyslogServer(tcp=True, workdir=w.sub("rsyslog"))
    try:
        port = closed_port()
        missing_ca = os.path.join(w.path, "no-such-ca.pem")
        cases = [
            (["--sink", "gopher://127.0.0.1:70/x"], ["gopher"]),
            (["--sink", "syslog+tcp://127.0.0.1:%d" % port],
             ["127.0.0.1:%d" % port, "Connection refused"]),
            (["--sink", "syslog+tls://127.0.0.1:%d?ca_file=%s" % (port, missing_ca)],
             ["ca_file", missing_ca, "No such file"]),
        ]
        twice = os.path.join(w.path, "twice.jsonl")
        cases.append((["--output", twice, "--sink", "file://" + twice],
                      ["file://" + twice, "given twice"]))
        bad_cfg = config_file(w, {"stats_interval_s": 5}, mode=0o666, name="loose.json")
        cases.append((["-c", bad_cfg], [bad_cfg, "writable by group or others"]))
        for args, words in cases:
            for mode in ([], ["--check-config"]):
                argv = mode + args + ["--state-dir", w.state] + DAEMON_ARGS
                t0 = time.monotonic()
                r = idtrace(*argv)
                eq(r.returncode, 2, "exit status of %r (stderr %r)" % (argv, r.stderr[-300:]))
                for word in words:
                    check(word in r.stderr, "%r: the message names %r: %r"
                          % (argv, word, r.stderr))
                check(time.monotonic() - t0 < 30, "%r fails at start" % argv)
        # paths the daemon would make: --check-config makes nothing, but says what would fail
        for args, words in ((["--key-file", w.path, "--state-dir", w.state],
                             [w.path, "Is a directory", "not its directory"]),
                            (["--state-dir", "/proc/idtrace-nope"],
                             ["/proc/idtrace-nope", "on /proc or /sys"]),
                            (["--key-file", "/proc/idtrace-nope/key", "--state-dir", w.state],
                             ["/proc/idtrace-nope/key", "cannot be made"])):
            r = idtrace("--check-config", *args)
            eq(r.returncode, 2, "--check-config %r: exit status (stderr %r)" % (args, r.stderr))
            for word in words:
                check(word in r.stderr, "%r: the message names %r: %r" % (args, word, r.stderr))
        check(not os.path.exists("/proc/idtrace-nope"), "nothing made")
        rs.start()
        logs = w.sub("logs")
        good = config_file(w, {"sinks": [{"uri": "file://%s/ev.jsonl" % logs, "max_size_mb": 1},
                                         rs.uri],
                               "state_dir": w.state, "spool_max_mb": 1, "drain_timeout_s": 2})
        r = idtrace("--check-config", "-c", good)
        eq(r.returncode, 0, "--check-config on a good config (stderr %r)" % r.stderr)
        check("configuration ok" in r.stdout and rs.uri in r.stdout,
              "--check-config lists the sinks: %r" % r.stdout)
    finally:
        rs.stop()
        w.remove()


# -- OCSF

def test_sink_file_ocsf(_):
    """format=ocsf on a file sink: the exec is Process Activity (1007, Launch) with the
    pid, cmd_line and the identity chain of the same event in our JSON."""
    w = Workdir()
    logs = w.sub("logs")
    path = os.path.join(logs, "ocsf.jsonl")
    uri = "file://%s?format=ocsf" % path
    d = None
    mark = marker()
    try:
        d = daemon(w, "--sink", uri)
        p = subprocess.Popen([TRUE, mark], env={"PATH": "/usr/bin"})
        eq(p.wait(timeout=30), 0, "true's exit status")
        ours = d.wait_for(lambda e: e.get("type") == "process.exec"
                          and e["process"]["args"] == [TRUE, mark])[0]
        stats = d.stats()
        with open(path, "rb") as f:
            lines = [json.loads(ln) for ln in f.read().split(b"\n") if ln]
        found = [e for e in lines if e.get("class_uid") == 1007
                 and e.get("process", {}).get("cmd_line") == "%s %s" % (TRUE, mark)]
        eq(len(found), 1, "OCSF events for the exec")
        o = found[0]
        eq(o["process"]["pid"], p.pid, "process.pid")
        eq(o["process"]["pid"], ours["process"]["pid"], "the same pid as our JSON event")
        eq(o["activity_id"], 1, "activity_id (Launch)")
        eq(o["type_uid"], 100701, "type_uid")
        eq(o["category_uid"], 1, "category_uid")
        eq(o["process"]["uid"], ours["process"]["exec_id"], "process.uid is the exec_id")
        eq(o["process"]["name"], "true", "process.name")
        eq(o["actor"]["process"]["pid"], ours["process"]["ppid"], "actor.process.pid")
        eq(o["metadata"]["product"]["name"], "idtrace", "metadata.product.name")
        eq(o["unmapped"]["idtrace"]["chain"], ours["chain"], "the identity chain, whole")
        eq(o["device"]["hostname"], ours["host"]["hostname"], "device.hostname")
        eq(lines[0].get("class_uid"), 6002, "agent.ready as Application Lifecycle")
        eq(len(lines), len(d.stopped_events), "one OCSF line per event")
        s = sink0(stats, uri)
        eq(s["format"], "ocsf", "sinks[0].format")
        no_loss(stats, s, "ocsf")
    finally:
        if d:
            d.kill()
        w.remove()


CASES = [test_sink_syslog_tcp, test_sink_syslog_tls, test_sink_syslog_outage,
         test_sink_syslog_outage_tls, test_sink_kafka,
         test_sink_file_rotation, test_sink_file_sighup, test_sink_spool_full,
         test_sink_hostile_config, test_sink_file_ocsf]
mark_cases(*CASES)
