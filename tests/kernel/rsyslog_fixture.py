"""A real rsyslogd as a syslog peer for the kernel tests.

    with RsyslogServer(tls=True) as rs:        # or tcp=False (UDP), unix=True
        daemon = Daemon("--sink", rs.uri)       # syslog+tls://127.0.0.1:PORT?ca_file=...
        ...
        rs.wait_lines(3)                        # the JSON events received, parsed
        rs.pause(); ...; rs.resume()            # peer down, then back on the same port

rsyslogd runs in the foreground (-n) from a private work directory with its
own config (-f; /etc/rsyslog.conf is never read) and pid file (-i). Only the
one input module needed is loaded, so it never opens /dev/log or port 514.
Received messages go through a ruleset bound to the input and are written
one per line with the template "%msg%\\n", i.e. only the JSON event line.

Quirks of rsyslog 8.2302 handled here:
- maxMessageSize is 8k by default and must be raised in global() before
  the input is defined; a longer octet-counted message is not only cut, its
  remainder arrives as a second, bogus message. We set 256k.
- TLS needs the "ossl" netstream driver (package rsyslog-openssl) set as
  DefaultNetstreamDriver in global() with the CA, certificate and key;
  imtcp then takes StreamDriver.Name="ossl" StreamDriver.Mode="1" and
  StreamDriver.AuthMode "anon" (no client certificate) or "x509/certvalid".
- imuxsock would open /dev/log unless SysSock.Use="off".
- Messages reach the output file after the main queue and omfile's
  buffer: poll with wait_lines(), or stop() to drain everything. The file
  may end in a half-written line meanwhile: raw_lines(), lines() and
  wait_lines() leave it out until its newline is there.

Run this file directly for a self-test over UDP, TCP, TLS and a unix socket.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"


class RsyslogError(Exception):
    pass


def _free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(proto, port):
    """Whether something on 127.0.0.1 listens (TCP) or is bound (UDP) on port."""
    want_state = "0A" if proto == "tcp" else "07"
    try:
        with open(f"/proc/net/{proto}") as f:
            rows = f.read().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        cols = row.split()
        addr, state = cols[1], cols[3]
        if addr.upper() == f"0100007F:{port:04X}" and state == want_state:
            return True
    return False


class RsyslogServer:
    """rsyslogd receiving idtrace's syslog messages on loopback.

    tcp=True: imtcp (plain, or TLS with tls=True); tcp=False: imudp;
    unix=True: imuxsock on a socket in the work directory (tcp/tls ignored).
    client_auth=True (TLS only): the server demands a client certificate
    signed by the fixture's CA (client_cert, client_key)."""

    def __init__(self, tcp=True, tls=False, workdir=None, unix=False, client_auth=False,
                 max_message_size="256k"):
        if tls and not tcp:
            raise ValueError("TLS needs tcp=True")
        self.unix = unix
        self.tcp = tcp and not unix
        self.tls = tls and self.tcp
        self.client_auth = client_auth and self.tls
        self.max_message_size = max_message_size
        self.own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="idtrace-rsyslog-")
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        self.pidfile = os.path.join(self.dir, "rsyslogd.pid")
        self.out_path = os.path.join(self.dir, "received.jsonl")
        self.stderr_path = os.path.join(self.dir, "rsyslogd.log")
        self.socket_path = os.path.join(self.dir, "log") if unix else None
        self.port = None if unix else _free_port(socket.SOCK_STREAM if self.tcp
                                                  else socket.SOCK_DGRAM)
        self.ca_file = self.cert_file = self.key_file = None
        self.client_cert = self.client_key = None
        self.proc = None
        if self.tls:
            self._make_certs()
        self._write_conf()

    # -- set-up

    def _openssl(self, *args):
        r = subprocess.run([OPENSSL, *args], cwd=self.dir, capture_output=True, text=True)
        if r.returncode:
            raise RsyslogError(f"openssl {' '.join(args)}: {r.stderr.strip()}")

    def _make_certs(self):
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        self._openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                      "-subj", "/CN=idtrace test CA",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        names = [("server", "localhost", "DNS:localhost,IP:127.0.0.1", "serverAuth")]
        if self.client_auth:
            names.append(("client", "idtrace-client", "DNS:idtrace-client", "clientAuth"))
        for name, cn, san, eku in names:
            with open(os.path.join(self.dir, f"{name}.ext"), "w") as f:
                f.write(f"subjectAltName={san}\nextendedKeyUsage={eku}\n"
                        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n")
            self._openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr",
                          "-subj", f"/CN={cn}")
            self._openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey",
                          "ca.key", "-CAcreateserial", "-out", f"{name}.pem", "-days", "2",
                          "-extfile", f"{name}.ext")
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.cert_file = os.path.join(self.dir, "server.pem")
        self.key_file = os.path.join(self.dir, "server.key")
        if self.client_auth:
            self.client_cert = os.path.join(self.dir, "client.pem")
            self.client_key = os.path.join(self.dir, "client.key")

    def _write_conf(self):
        g = [f'workDirectory="{self.dir}"', f'maxMessageSize="{self.max_message_size}"',
             'net.enableDNS="off"']
        if self.tls:
            g += ['DefaultNetstreamDriver="ossl"',
                  f'DefaultNetstreamDriverCAFile="{self.ca_file}"',
                  f'DefaultNetstreamDriverCertFile="{self.cert_file}"',
                  f'DefaultNetstreamDriverKeyFile="{self.key_file}"']
        conf = ["# Written by tests/kernel/rsyslog_fixture.py",
                "global(" + "\n       ".join(g) + ")"]
        if self.unix:
            conf += ['module(load="imuxsock" SysSock.Use="off")',
                     f'input(type="imuxsock" Socket="{self.socket_path}" ruleset="idt")']
        elif self.tcp:
            mod = 'module(load="imtcp"'
            if self.tls:
                auth = "x509/certvalid" if self.client_auth else "anon"
                mod += f' StreamDriver.Name="ossl" StreamDriver.Mode="1" StreamDriver.AuthMode="{auth}"'
            conf += [mod + ")",
                     f'input(type="imtcp" port="{self.port}" address="127.0.0.1" ruleset="idt")']
        else:
            conf += ['module(load="imudp")',
                     f'input(type="imudp" port="{self.port}" address="127.0.0.1" ruleset="idt")']
        conf += ['template(name="idtmsg" type="string" string="%msg%\\n")',
                 'ruleset(name="idt") {',
                 f'  action(type="omfile" file="{self.out_path}" template="idtmsg")',
                 '}', '']
        with open(self.conf, "w") as f:
            f.write("\n".join(conf))

    # -- what the daemon under test is given

    @property
    def uri(self):
        """The idtrace --sink URI for this server."""
        if self.unix:
            return f"unix://{self.socket_path}"
        if not self.tcp:
            return f"syslog+udp://127.0.0.1:{self.port}"
        if not self.tls:
            return f"syslog+tcp://127.0.0.1:{self.port}"
        uri = f"syslog+tls://127.0.0.1:{self.port}?ca_file={self.ca_file}&server_name=localhost"
        if self.client_auth:
            uri += f"&cert_file={self.client_cert}&key_file={self.client_key}"
        return uri

    # -- life cycle

    def _ready(self):
        if self.unix:
            return os.path.exists(self.socket_path)
        return _listening("tcp" if self.tcp else "udp", self.port)

    def start(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            return self
        if os.path.exists(self.pidfile):
            os.unlink(self.pidfile)
        self._stderr = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen([RSYSLOGD, "-n", "-f", self.conf, "-i", self.pidfile],
                                     cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=self._stderr, stderr=self._stderr)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RsyslogError(f"rsyslogd exited {self.proc.returncode}: "
                                   + self.stderr_text())
            if self._ready():
                return self
            time.sleep(0.05)
        self.stop()
        raise RsyslogError(f"rsyslogd not listening within {timeout}s: " + self.stderr_text())

    def stop(self, timeout=10):
        """SIGTERM (rsyslogd drains its queues and closes the file), then SIGKILL."""
        if not self.proc:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self._stderr.close()

    def pause(self):
        """The peer goes away: stop rsyslogd (its port stays reserved for resume())."""
        self.stop()

    def resume(self, timeout=10):
        """Start rsyslogd again on the same port and socket."""
        return self.start(timeout)

    def cleanup(self):
        """Stop, and remove the work directory if the fixture made it."""
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def pid(self):
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    # -- what arrived

    def raw_lines(self):
        """The received messages as text, one per line. Data after the last
        newline is not a message yet: omfile writes its buffer in pieces, so
        while rsyslogd runs the file may end in the middle of a line. That
        piece is left out until its newline is written (after stop() every
        line is complete)."""
        try:
            with open(self.out_path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        data = data[:data.rfind(b"\n") + 1]  # nothing when there is no newline
        text = data.decode("utf-8", errors="replace")
        return [ln.strip() for ln in text.split("\n") if ln.strip()]

    def lines(self):
        """The received messages, each parsed as JSON (a line that is not
        JSON raises ValueError naming it)."""
        out = []
        for ln in self.raw_lines():
            try:
                out.append(json.loads(ln))
            except ValueError as e:
                raise ValueError(f"rsyslog received a non-JSON message: {ln[:300]!r}") from e
        return out

    def wait_lines(self, n, timeout=10, pred=None):
        """Wait until at least n messages (matching pred, if given) arrived; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            got = [e for e in self.lines() if pred is None or pred(e)]
            if len(got) >= n or time.monotonic() >= deadline:
                if len(got) < n:
                    raise RsyslogError(f"{len(got)} of {n} messages within {timeout}s: "
                                       + self.stderr_text())
                return got
            time.sleep(0.05)

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")[-2000:]
        except OSError:
            return ""


# -- self-test: python3 tests/kernel/rsyslog_fixture.py

def _rfc5424(i, extra=""):
    ev = json.dumps({"type": "process.exec", "n": i, "s": "caf\u00e9 \"q\"" + extra},
                    ensure_ascii=False)
    ts = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    return f"<86>1 {ts} selftest idtrace {os.getpid()} process.exec - {ev}".encode()


def _octet(msg):
    return str(len(msg)).encode() + b" " + msg


def _self_test():
    import ssl

    for kind in ("udp", "tcp", "tls", "unix"):
        rs = RsyslogServer(tcp=kind != "udp", tls=kind == "tls", unix=kind == "unix")
        with rs:
            big = "x" * 100000 if kind in ("tcp", "tls") else ""
            msgs = [_rfc5424(i, big if i == 2 else "") for i in range(3)]
            if kind == "udp":
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                    for m in msgs:
                        s.sendto(m, ("127.0.0.1", rs.port))
            elif kind == "unix":
                with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
                    for i in range(3):
                        ev = json.dumps({"type": "process.exec", "n": i})
                        s.sendto(f"<86>{time.strftime('%b %e %H:%M:%S')} idtrace[1]: {ev}"
                                 .encode(), rs.socket_path)
            else:
                s = socket.create_connection(("127.0.0.1", rs.port))
                if kind == "tls":
                    ctx = ssl.create_default_context(cafile=rs.ca_file)
                    s = ctx.wrap_socket(s, server_hostname="localhost")
                s.sendall(b"".join(_octet(m) for m in msgs))
                # Close gracefully: close() with unread data (TLS 1.3 session
                # tickets) sends a RST, and the RST makes the peer's kernel
                # drop what rsyslogd had not read yet.
                raw = socket.socket(fileno=s.detach())
                raw.shutdown(socket.SHUT_WR)
                raw.settimeout(5)
                while raw.recv(65536):
                    pass
                raw.close()
            got = rs.wait_lines(3)
            assert [e["n"] for e in got] == [0, 1, 2], got
            if big:
                assert got[2]["s"].endswith(big), len(got[2]["s"])
            if kind != "unix":
                assert got[0]["s"] == "caf\u00e9 \"q\"", got[0]
            rs.pause()
            assert not rs._ready()
            rs.resume()
            assert rs._ready()
        print(f"{kind}: ok ({rs.uri})")
        rs.cleanup()


if __name__ == "__main__":
    _self_test()
