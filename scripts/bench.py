#!/usr/bin/env python3
"""idtrace benchmarks: each prints ratios measured side by side in one run.

Variants are interleaved round by round (untraced, idtrace, peers), so drift
of the machine hits every variant alike. Each round gives each variant a
ratio to that round's untraced time; the figure is the median of those
ratios, printed with their range.

    python3 scripts/bench.py            # every benchmark
    python3 scripts/bench.py exec       # only the exec storm
    python3 scripts/bench.py sinks      # output stage: file sinks vs Kafka mock
"""

import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDTRACE = os.path.join(ROOT, ".output", "idtrace")
HELPERS = os.path.join(ROOT, ".output", "tests", "helpers")
TOOLS = os.path.join(ROOT, ".output", "tests", "tools")
def rounds(default):
    """Rounds of a benchmark: BENCH_ROUNDS, else its own default (short
    samples get more rounds: the pairing within a round is tighter)."""
    return int(os.environ.get("BENCH_ROUNDS", default))


def repeats():
    """Samples per variant per round, of which the round keeps the fastest
    (BENCH_REPEAT, default 3). This VM's neighbours only ever add time, in
    bursts of tens of milliseconds; the fastest of a few back-to-back runs is
    the one they touched least, for every variant alike."""
    return max(1, int(os.environ.get("BENCH_REPEAT", "3")))


def wait_file_has(path, needle, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(path, "rb") as f:
                if needle in f.read():
                    return
        except FileNotFoundError:
            pass
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for %r in %s" % (needle, path))


class Idtrace:
    name = "idtrace"

    def __init__(self, *args):
        self.args = list(args)
        self.lost = []
        self.stats = []  # the agent.stats of each round
        self.tls_http = []
        self.cpu_ns = []  # the daemon's CPU time (all threads) from ready to stop, per round

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="idtrace-bench-")
        self.out = os.path.join(self.dir, "events.jsonl")
        self.p = subprocess.Popen([IDTRACE, "--output", self.out, "--log-level", "error"]
                                  + self.args, stderr=subprocess.DEVNULL)
        wait_file_has(self.out, b"agent.ready")
        self.cpu_at_ready = self.cpu()

    def cpu(self):
        """On-CPU ns of all the daemon's threads (schedstat's first field)."""
        total = 0
        task = "/proc/%d/task" % self.p.pid
        for tid in os.listdir(task):
            try:
                with open(os.path.join(task, tid, "schedstat")) as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass  # a thread that just ended
        return total

    def stop(self):
        self.cpu_ns.append(self.cpu() - self.cpu_at_ready)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(60)
        with open(self.out, "rb") as f:
            lines = f.read().splitlines()
        last = json.loads(lines[-1])
        self.lost.append(last["lost"]["total"])
        self.stats.append(last)
        # tls.request events that carry an HTTP request (not a session's end)
        self.tls_http.append(sum(1 for line in lines if b'"type":"tls.request"' in line
                                 and b'"http":{' in line))
        self.rss_kb = last["agent"]["rss_kb"]
        subprocess.run(["rm", "-rf", self.dir])


def bpf_time_per_run(daemon, sample, runs):
    """The run time of the daemon's BPF programs (kernel.bpf_stats_enabled)
    over sample(), divided by runs: idtrace's own in-kernel work, which the
    machine's noise does not touch the way it touches wall time. Measured
    in a run of its own (the stats add two clock reads to every program),
    not in the timed ones. Returns {program name: ns per run}."""
    stats = "/proc/sys/kernel/bpf_stats_enabled"
    with open(stats) as f:
        was = f.read().strip()
    daemon.start()
    try:
        ids = set()
        for fd in os.listdir("/proc/%d/fdinfo" % daemon.p.pid):
            try:
                with open("/proc/%d/fdinfo/%s" % (daemon.p.pid, fd)) as f:
                    for line in f:
                        if line.startswith("prog_id:"):
                            ids.add(int(line.split()[1]))
            except OSError:
                pass

        def times():
            out = subprocess.run(["bpftool", "prog", "show", "-j"], check=True,
                                 capture_output=True, text=True).stdout
            return {p["id"]: (p.get("name", "?"), p.get("run_time_ns", 0))
                    for p in json.loads(out) if p["id"] in ids}
        with open(stats, "w") as f:
            f.write("1")
        try:
            before = times()
            sample()
            after = times()
        finally:
            with open(stats, "w") as f:
                f.write(was)
    finally:
        daemon.stop()
    per = {}
    for i, (name, t) in after.items():
        per[name] = per.get(name, 0) + (t - before.get(i, (name, 0))[1]) / runs
    return per


class Execsnoop:
    name = "execsnoop"

    def start(self):
        # line-buffered, so its header (printed once probes are attached) arrives
        self.p = subprocess.Popen(["stdbuf", "-oL", "/usr/sbin/execsnoop"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if not self.p.stdout.readline():
            raise RuntimeError("execsnoop exited before attaching")
        # keep draining so it never blocks on a full pipe
        self.sink = subprocess.Popen(["cat"], stdin=self.p.stdout, stdout=subprocess.DEVNULL)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(30)
        self.sink.wait(30)


class Auditd:
    name = "auditd"

    def __init__(self, rules):
        self.rules = rules

    def start(self):
        os.makedirs("/var/log/audit", exist_ok=True)
        subprocess.run(["auditctl", "-D"], capture_output=True)
        self.p = subprocess.Popen(["auditd", "-n"], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        for rule in self.rules:
            subprocess.run(["auditctl"] + rule, check=True, capture_output=True)

    def stop(self):
        subprocess.run(["auditctl", "-D"], capture_output=True)
        self.p.send_signal(signal.SIGTERM)
        self.p.wait(30)


class BareUprobe:
    """What a typical uprobe-based TLS tracer pays (sslsniff and the like):
    bpftrace with an empty uprobe + uretprobe on libssl's SSL_write. A
    uretprobe puts its breakpoint on the function's first instruction, which
    the kernel single-steps: two traps per call on this machine."""
    name = "bare-uprobe"

    def __init__(self, lib):
        self.script = ("uprobe:%s:SSL_write { @[tid] = arg1; } "
                       "uretprobe:%s:SSL_write { delete(@[tid]); }" % (lib, lib))

    def start(self):
        self.p = subprocess.Popen(["bpftrace", "-e", self.script], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("Attaching"):
            raise RuntimeError("bpftrace did not attach: %r" % line)
        time.sleep(0.5)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # bpftrace is sometimes slow to detach
            self.p.kill()
            self.p.communicate()


class ProbeFloor:
    """An empty BPF program on the hook idtrace uses (tests/tools/probe_floor):
    the cost of the kernel's mechanism alone. The difference between this and
    idtrace is idtrace's own work."""

    def __init__(self, name, *args):
        self.name = name
        self.args = list(args)

    def start(self):
        self.p = subprocess.Popen([os.path.join(TOOLS, "probe_floor")] + self.args,
                                  stdout=subprocess.PIPE, text=True)
        if self.p.stdout.readline().strip() != "ready":
            raise RuntimeError("probe_floor %s did not attach" % " ".join(self.args))

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        self.p.wait(30)


def uprobe_floor(lib):
    """An empty program on the calls idtrace hooks on a request's path
    (SSL_write, SSL_write_ex, SSL_read, SSL_read_ex) at idtrace's own sites
    (instructions the kernel emulates: one trap per call)."""
    return ProbeFloor("uprobe-floor", "uprobe", lib, "SSL_write", "SSL_write_ex", "SSL_read",
                      "SSL_read_ex")


# idtrace's default kernel hooks other than uprobes: the credential opens'
# and the TLS library map's syscall exit events, and the socket layer's send
# and receive events (the TLS socket finder)
IDTRACE_SYSCALL_EVENTS = ["sys_exit_open", "sys_exit_openat", "sys_exit_openat2",
                          "sys_exit_creat", "sys_exit_open_by_handle_at", "sys_exit_mmap",
                          "raw:sock_send_length", "raw:sock_recv_length"]

SYSCALL_FLOOR_NOTE = ("syscall-floor: empty programs on the syscall exit trace events and socket "
                      "events idtrace hooks: the tracing slow path every syscall takes once any "
                      "syscall tracer is attached, and each event's own cost")


def syscall_floor():
    """Empty programs on idtrace's syscall exit trace events and socket
    events: what the kernel's mechanism costs, without idtrace's work."""
    return ProbeFloor("syscall-floor", "events", *IDTRACE_SYSCALL_EVENTS)


class Untraced:
    name = "untraced"

    def start(self):
        pass

    def stop(self):
        pass


class Medians(dict):
    """Median time per variant; .rounds keeps each round's times, in order,
    and .per_request each round's median time of one request (samples that
    report it: see interleave)."""
    rounds = None
    per_request = None


def interleave(variants, sample, n_rounds):
    """Run sample() under each variant, round by round, repeats() times in a
    row per variant (one start of the variant), keeping the fastest; return
    medians (ns). A sample may return (ns, per-request median ns): the round
    then also keeps the lowest per-request median of its runs."""
    times = {v.name: [] for v in variants}
    per_request = {v.name: [] for v in variants}
    sample()  # warm caches once, unmeasured
    for r in range(n_rounds):
        order = variants[r % len(variants):] + variants[:r % len(variants)]
        for v in order:
            v.start()
            try:
                runs = [sample() for _ in range(repeats())]
            finally:
                v.stop()
            if isinstance(runs[0], tuple):
                per_request[v.name].append(min(pr for _, pr in runs))
                runs = [t for t, _ in runs]
            times[v.name].append(min(runs))
    med = Medians((k, statistics.median(v)) for k, v in times.items())
    med.rounds = times
    med.per_request = per_request
    return med


def paired_ratios(medians, name):
    """Each round's time of name over the same round's untraced time: the
    machine's drift between rounds (this VM has slow and fast phases that
    last minutes) cancels within a round."""
    return [t / u for t, u in zip(medians.rounds[name], medians.rounds["untraced"])]


def per_request_ratios(medians, name):
    """paired_ratios of the rounds' per-request medians."""
    return [t / u for t, u in zip(medians.per_request[name], medians.per_request["untraced"])]


def report(title, medians, unit_div, unit, extra=None):
    print("\n== %s (%d rounds, fastest of %d runs per variant per round) =="
          % (title, len(medians.rounds["untraced"]), repeats()))
    print("  ratio: median over rounds of (variant / untraced in the same round); "
          "range: lowest and highest round")
    for name, t in medians.items():
        r = paired_ratios(medians, name)
        print("  %-12s %10.1f %s   ratio %.3f   range %.3f-%.3f"
              % (name, t / unit_div, unit, statistics.median(r), min(r), max(r)))
    # The neighbours only ever add time: each variant's fastest run of the
    # whole benchmark is the one they touched least. Its ratio is a second
    # estimate: a burst cannot move it, but one run that was luckier than
    # the rest can (the median above is the steadier of the two).
    print("  fastest run of all rounds, over untraced's fastest: "
          + ", ".join("%s %.3f" % (name, min(medians.rounds[name]) / min(medians.rounds["untraced"]))
                      for name in medians if name != "untraced"))
    if medians.per_request and medians.per_request["untraced"]:
        print("  per request (the median request of each run, as the client timed it; the same "
              "runs): ratio as above")
        for name in medians:
            r = per_request_ratios(medians, name)
            print("  %-12s %10.1f us   ratio %.3f   range %.3f-%.3f"
                  % (name, statistics.median(medians.per_request[name]) / 1e3,
                     statistics.median(r), min(r), max(r)))
    for line in extra or []:
        print("  " + line)


def bench_exec():
    n = int(os.environ.get("BENCH_EXECS", "1000"))

    def storm():
        out = subprocess.run([os.path.join(HELPERS, "exec_storm"), str(n)], check=True,
                             capture_output=True, text=True).stdout
        return int(out)

    idt = Idtrace()
    variants = [Untraced(), syscall_floor(), idt, Execsnoop(),
                Auditd([["-a", "always,exit", "-F", "arch=b64", "-S", "execve"]])]
    med = interleave(variants, storm, rounds(11))
    report("exec storm: %d x fork+exec of /usr/bin/true" % n, med, 1e6, "ms",
           ["idtrace lost events per storm: %s (target 0)" % idt.lost,
            "idtrace RSS at exit: %d KiB" % idt.rss_kb,
            SYSCALL_FLOOR_NOTE,
            "target: idtrace ratio < 1.05 and below execsnoop and auditd"])


def bench_open():
    """openat+close of a file nobody watches, with credential files watched."""
    n = int(os.environ.get("BENCH_OPENS", "200000"))
    home = tempfile.mkdtemp(prefix="idtrace-bench-home-")
    creds = []
    for rel in (".aws/credentials", ".ssh/id_ed25519", ".kube/config", ".netrc",
                ".docker/config.json", ".git-credentials"):
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("fake\n")
        os.chmod(path, 0o600)
        creds.append(path)
    # a file in an ordinary directory; one in a watched directory (a home:
    # .netrc lives there) costs a name lookup more, see BENCH_OPEN_IN_HOME
    where = home if os.environ.get("BENCH_OPEN_IN_HOME") else tempfile.mkdtemp()
    plain = os.path.join(where, "plain.txt")
    with open(plain, "w") as f:
        f.write("plain\n")

    def storm():
        out = subprocess.run([os.path.join(HELPERS, "open_storm"), str(n), plain], check=True,
                             capture_output=True, text=True).stdout
        return int(out)

    key = os.path.join(home, "fingerprint.key")
    idt = Idtrace("--watch-home", home, "--key-file", key, "--no-seed")
    rules = []
    for c in creds + ["/etc/shadow", "/etc/gshadow"]:
        rules.append(["-w", c, "-p", "r"])
    variants = [Untraced(), syscall_floor(), idt, Auditd(rules)]
    try:
        med = interleave(variants, storm, rounds(15))
    finally:
        subprocess.run(["rm", "-rf", home, where])
    report("open storm: %d x openat+close of a non-watched file in %s" %
           (n, "a watched home directory" if where == home else "an ordinary directory"),
           med, 1e6, "ms",
           ["idtrace lost events per storm: %s" % idt.lost,
            SYSCALL_FLOOR_NOTE,
            "target: idtrace ratio < 1.10 and below auditd (-w PATH -p r on the same files)"])


NGINX_CONF = """
user root;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(d)s/body;
    proxy_temp_path %(d)s/proxy;
    fastcgi_temp_path %(d)s/fastcgi;
    uwsgi_temp_path %(d)s/uwsgi;
    scgi_temp_path %(d)s/scgi;
    default_type application/octet-stream;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    server {
        listen 127.0.0.1:%(port)d ssl;
        server_name localhost;
        ssl_certificate %(d)s/cert.pem;
        ssl_certificate_key %(d)s/key.pem;
        root %(d)s/www;
    }
}
"""


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_tls():
    """Sequential keep-alive HTTPS requests on loopback: one curl process, one
    connection, n requests for a 1 KiB static file from nginx over TLS."""
    import socket
    n = int(os.environ.get("BENCH_TLS_REQUESTS", "1000"))
    d = tempfile.mkdtemp(prefix="idtrace-bench-tls-")
    os.makedirs(os.path.join(d, "www"))
    with open(os.path.join(d, "www", "1k.bin"), "wb") as f:
        f.write(b"x" * 1024)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    os.path.join(d, "key.pem"), "-out", os.path.join(d, "cert.pem"), "-days",
                    "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    port = free_port()
    with open(os.path.join(d, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF % {"d": d, "port": port})
    url = "https://localhost:%d/1k.bin" % port
    # a config file, not argv: 1000 URLs, each written to /dev/null; curl
    # times each transfer (write-out, to a file)
    curl_cfg = os.path.join(d, "curl.cfg")
    times_out = os.path.join(d, "times.txt")
    with open(curl_cfg, "w") as f:
        f.write('insecure\nsilent\nshow-error\nfail\nhttp1.1\n'
                'write-out = "%%{time_total}\\n"\n'
                'resolve = "localhost:%d:127.0.0.1"\n' % port)
        for _ in range(n):
            f.write('url = "%s"\noutput = "/dev/null"\n' % url)
    nginx = subprocess.Popen(["nginx", "-e", os.path.join(d, "error.log"), "-c",
                              os.path.join(d, "nginx.conf"), "-p", d, "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)

    def loop():
        with open(times_out, "w") as out:
            t0 = time.perf_counter_ns()
            subprocess.run(["curl", "-K", curl_cfg], check=True, env={"PATH": "/usr/bin:/bin"},
                           stdout=out)
            t = time.perf_counter_ns() - t0
        with open(times_out) as f:
            per = [float(x) for x in f.read().split()]
        if len(per) != n:
            raise RuntimeError("curl timed %d of %d requests" % (len(per), n))
        # the first request carries the handshake
        return t, statistics.median(per[1:]) * 1e9

    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: see %s/error.log" % d)
                time.sleep(0.05)
        idt = Idtrace("--key-file", os.path.join(d, "fingerprint.key"))
        libssl = subprocess.run(["sh", "-c", "ldd /usr/bin/curl | awk '/libssl/ {print $3}'"],
                                capture_output=True, text=True).stdout.strip()
        lib = os.path.realpath(libssl)
        med = interleave([Untraced(), BareUprobe(lib), uprobe_floor(lib), idt], loop, rounds(15))
        bpf_ns = bpf_time_per_run(Idtrace("--key-file", os.path.join(d, "fingerprint.key")),
                                  loop, n)
    finally:
        os.killpg(nginx.pid, signal.SIGTERM)
        nginx.wait(30)
        subprocess.run(["rm", "-rf", d])
    events = [s["events"]["tls.request"] for s in idt.stats]
    report("tls: %d sequential keep-alive HTTPS requests (HTTP/1.1, 1 KiB responses, "
           "one curl, nginx on loopback)" % n, med, 1e6, "ms",
           ["per request: untraced %.1f us, idtrace %.1f us"
            % (med["untraced"] / n / 1e3, med["idtrace"] / n / 1e3),
            "idtrace daemon CPU per request (all its threads, on any core; median over "
            "rounds): %.1f us" % (statistics.median(idt.cpu_ns) / (n * repeats()) / 1e3),
            "idtrace tls.request events with an HTTP request per round: %s (target %d: "
            "%d runs of %d)" % (idt.tls_http, n * repeats(), repeats(), n),
            "idtrace tls.request events per round (agent.stats): %s (the client's %d; "
            "nginx's server side is not traced)" % (events, n * repeats()),
            "idtrace lost events per round: %s (target 0)" % idt.lost,
            "idtrace BPF programs per request (bpf_stats, one run of its own; the host's "
            "other syscalls included): %.2f us = %.1f%% of an untraced request; largest: %s"
            % (sum(bpf_ns.values()) / 1e3, 100 * sum(bpf_ns.values()) * n / med["untraced"],
               ", ".join("%s %.2f" % (k, v / 1e3) for k, v in
                         sorted(bpf_ns.items(), key=lambda kv: -kv[1])[:4])),
            "bare-uprobe: an empty bpftrace uprobe+uretprobe on SSL_write (how sslsniff-like "
            "tracers probe: the entry instruction is single-stepped)",
            "uprobe-floor: an empty program at idtrace's own probe sites (one emulated trap "
            "per SSL_write and SSL_read, in curl and in nginx: about 4 per request): what "
            "any uprobe tracer of those calls pays here",
            "target: idtrace ratio < 1.05"])


def bench_sinks():
    """The output stage alone (no probes): tests/tools/sink_bench pushes N synthetic
    process.exec events into one sink and times them from the first emit until
    outputs_close() has drained it. The headline figure is the output path proper:
    pre-serialized, varied event lines through outputs_emit_line() (memory queue,
    runner thread, sink). Also measured: the same with serialization (json_t events
    through outputs_emit(), as the daemon does) and serialization alone (no queue,
    no sink), so the report says where the time goes. Sinks interleaved round by
    round like the other benchmarks; the figures are medians."""
    n = int(os.environ.get("BENCH_SINK_EVENTS", "200000"))
    rounds = int(os.environ.get("BENCH_SINK_ROUNDS", "3"))
    topic = "idtrace-bench"
    mock = subprocess.Popen([os.path.join(TOOLS, "kafka_mock"), "--brokers", "3", "--topic",
                             topic, "--partitions", "3", "--replication", "3"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    line = mock.stdout.readline().strip()
    if not line.startswith("bootstrap="):
        mock.kill()
        raise RuntimeError("kafka_mock did not start: %r" % line)
    bootstrap = line[len("bootstrap="):]
    variants = [
        ("file", "file://{dir}/events.jsonl?max_size_mb=0"),
        ("file+gzip", "file://{dir}/events.jsonl?max_size_mb=100&keep=2"),
        ("kafka-mock", "kafka://%s/%s" % (bootstrap, topic)),
    ]
    rates = {name: [] for name, _ in variants}
    json_rates = {name: [] for name, _ in variants}
    source = []
    dropped = {name: 0 for name, _ in variants}

    def one(name, uri):
        d = tempfile.mkdtemp(prefix="idtrace-bench-sink-")
        try:
            r = subprocess.run([os.path.join(TOOLS, "sink_bench"), "--sink",
                                uri.format(dir=d), "--events", str(n), "--state-dir",
                                os.path.join(d, "state")],
                               capture_output=True, text=True, timeout=600)
            res = [ln for ln in r.stdout.splitlines() if ln.startswith("RESULT ")]
            if r.returncode or not res:
                raise RuntimeError("sink_bench %s failed (%d): %s%s" % (
                    name, r.returncode, r.stdout[-500:], r.stderr[-500:]))
            res = json.loads(res[0][len("RESULT "):])
            rates[name].append(res["events_per_s"])
            json_rates[name].append(res["json_events_per_s"])
            source.append(res["source_events_per_s"])
            dropped[name] += res["dropped"]
        finally:
            subprocess.run(["rm", "-rf", d])

    try:
        one("file", variants[0][1])  # warm caches once, unmeasured
        for k in (rates, json_rates):
            k["file"].clear()
        source.clear()
        for r in range(rounds):
            order = variants[r % len(variants):] + variants[:r % len(variants)]
            for name, uri in order:
                one(name, uri)
    finally:
        mock.stdin.close()
        try:
            mock.wait(10)
        except subprocess.TimeoutExpired:
            mock.kill()
    print("\n== output stage: %d synthetic process.exec events (~1.6 KB) into one sink, "
          "no probes (%d rounds, median) ==" % (n, rounds))
    print("  %-10s %14s %18s %8s   %s" % ("sink", "output path", "with serialization",
                                         "dropped", "uri"))
    for name, uri in variants:
        print("  %-10s %10.0f ev/s %14.0f ev/s %8d   %s" % (
            name, statistics.median(rates[name]), statistics.median(json_rates[name]),
            dropped[name], uri.format(dir="DIR")))
    print("  serialization alone (json_dumpb, no queue, no sink): %.0f ev/s" %
          statistics.median(source))
    best = statistics.median(rates["file"])
    print("  target: at least 200,000 events/s to the file sink (max_size_mb=0): %s" %
          ("met (%.0f)" % best if best >= 200000 else "NOT met (%.0f)" % best))
    print("  \"output path\": pre-serialized, varied lines through outputs_emit_line() "
          "(queue, runner thread, sink), first emit to end of drain")
    print("  \"with serialization\": json_t events through outputs_emit(), as the daemon "
          "does; bounded by serialization alone")


BENCHES = {"exec": bench_exec, "open": bench_open, "tls": bench_tls, "sinks": bench_sinks}


def other_tracers():
    """Processes already running idtrace or a probe floor: their probes would
    sit under every variant, untraced included, and every ratio would be
    wrong. [(pid, exe)]."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            exe = os.readlink("/proc/%s/exe" % pid)
        except OSError:
            continue
        if os.path.basename(exe).split(" ")[0] in ("idtrace", "probe_floor"):
            found.append((int(pid), exe))
    return found


def main(argv):
    if os.geteuid() != 0:
        print("bench needs root", file=sys.stderr)
        return 1
    running = other_tracers()
    if running:
        print("bench: stop these first; their probes would be under every variant, "
              "untraced included:\n" + "\n".join("  pid %d: %s" % p for p in running),
              file=sys.stderr)
        return 1
    for name in argv or list(BENCHES):
        if name not in BENCHES:
            print("unknown benchmark %r (have: %s)" % (name, ", ".join(BENCHES)),
                  file=sys.stderr)
            return 2
        BENCHES[name]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
