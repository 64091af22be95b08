"""Kernel tests for outbound TLS calls with token context (issue 4).

Every case runs on loopback against a server it starts itself (openssl
s_server, nginx with HTTP/2, gnutls-serv) with a self-signed certificate for
"localhost" made at test time, drives a real client (curl, python3's ssl,
gnutls-cli, openssl s_client), and asserts the exact tls.request the client's
process produced. Fake secrets carry canaries that must never reach the output.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import (UNSET, Daemon, TestFailure, canary, check, copy_onto_inode, eq,
                     github_env, hop, spawn, user_name)
from test_creds import HELPERS, fake_jwt

CAT = "/usr/bin/cat"
CURL = "/usr/bin/curl"
OPENSSL = "/usr/bin/openssl"
NGINX = "/usr/sbin/nginx"
GNUTLS_CLI = "/usr/bin/gnutls-cli"
GNUTLS_SERV = "/usr/bin/gnutls-serv"
PATH_ENV = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}


def free_port(host="127.0.0.1"):
    """A TCP port free on host (127.0.0.1 or ::1) right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                       socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def make_cert(d):
    """A self-signed certificate for localhost (and 127.0.0.1) in d."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


# An HTTPS proxy for one connection at a time: it takes TLS, reads a CONNECT
# (its credentials are not checked), answers 200 and relays bytes both ways
# between the client's TLS session and a TCP connection to the target. The
# proxy's own sessions are a server's: idtrace does not report them.
HTTPS_PROXY_PY = r"""
import select, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[3])))
ls.listen(8)
while True:
    raw, _ = ls.accept()
    try:
        conn = ctx.wrap_socket(raw, server_side=True)
        head = b""
        while b"\r\n\r\n" not in head:
            d = conn.recv(4096)
            if not d:
                raise EOFError("no CONNECT")
            head += d
        host, port = head.split(b"\r\n", 1)[0].split()[1].rsplit(b":", 1)
        target = socket.create_connection((host.decode(), int(port)))
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        done = False
        while not done:
            r = [conn] if conn.pending() else select.select([conn, target], [], [], 30)[0]
            if not r:
                break
            for s in r:
                d = s.recv(65536)
                if not d:
                    done = True
                    break
                (target if s is conn else conn).sendall(d)
    except Exception as e:  # a readiness probe's bare connect, a client gone
        print("proxy:", repr(e), file=sys.stderr, flush=True)
    finally:
        raw.close()
"""


class Server:
    """A server process on 127.0.0.1:port; stop() kills it and its group."""

    def __init__(self, argv, port, log, cwd=None, hold_stdin=False, host="127.0.0.1"):
        self.port = port
        self.log = open(log, "wb")
        # s_server without -www ends a connection when its stdin hits EOF:
        # hold_stdin keeps a pipe open until stop()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE if hold_stdin else
                                     subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True,
                                     env=PATH_ENV)
        self.log_path = log
        deadline = time.monotonic() + 20
        while True:
            if self.proc.poll() is not None:
                raise TestFailure("server %s exited %d: %s" % (argv[0], self.proc.returncode,
                                                                self.log_text()))
            try:
                socket.create_connection((host, port), timeout=1).close()
                return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TestFailure("server %s never listened on %d" % (argv[0], port))
            time.sleep(0.05)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")[-1000:]
        except OSError:
            return ""

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        if self.proc.stdin:
            self.proc.stdin.close()
        self.log.close()


class TLSFixture:
    """Temp dir with a cert, a fingerprint key path, and the servers started."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="idt-tls-")
        os.chmod(self.dir, 0o755)
        self.key_file = os.path.join(self.dir, "state", "fingerprint.key")
        self.cert, self.key = make_cert(self.dir)
        self.servers = []
        self.secrets = []

    def secret(self, value):
        """Remember a secret that must never appear in the output."""
        self.secrets.append(value)
        return value

    def fingerprint(self, secret):
        key = open(self.key_file, "rb").read()
        return "hmac-sha256:" + hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()[:32]

    def s_server(self, www=True, host="127.0.0.1"):
        port = free_port(host)
        accept = "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)
        argv = [OPENSSL, "s_server", "-accept", accept, "-cert", self.cert,
                "-key", self.key, "-quiet"]
        if www:
            argv.append("-www")
        s = Server(argv, port, os.path.join(self.dir, "s_server-%d.log" % port),
                   hold_stdin=not www, host=host)
        self.servers.append(s)
        return s

    def https_proxy(self):
        """An HTTPS proxy (HTTPS_PROXY_PY): TLS with the fixture's certificate,
        a CONNECT, then the bytes relayed to the target."""
        port = free_port()
        s = Server(["/usr/bin/python3", "-c", HTTPS_PROXY_PY, self.cert, self.key, str(port)],
                   port, os.path.join(self.dir, "proxy-%d.log" % port))
        self.servers.append(s)
        return s

    def gnutls_serv(self):
        port = free_port()
        s = Server([GNUTLS_SERV, "--http", "-p", str(port), "--x509certfile", self.cert,
                    "--x509keyfile", self.key], port,
                   os.path.join(self.dir, "gnutls-serv-%d.log" % port))
        self.servers.append(s)
        return s

    def nginx(self, extra=""):
        s = start_nginx(self.dir, self.cert, self.key, extra)
        self.servers.append(s)
        return s

    def remove(self):
        for s in self.servers:
            s.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def nginx_conf(prefix, port, cert, key, extra=""):
    return """
user root;
worker_processes 1;
pid %(p)s/nginx.pid;
error_log %(p)s/error.log warn;
events { worker_connections 128; }
http {
    access_log %(p)s/access.log;
    client_body_temp_path %(p)s/body;
    proxy_temp_path %(p)s/proxy;
    fastcgi_temp_path %(p)s/fastcgi;
    uwsgi_temp_path %(p)s/uwsgi;
    scgi_temp_path %(p)s/scgi;
    default_type application/octet-stream;
    keepalive_requests 100000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:%(port)d ssl http2;
        server_name localhost;
        ssl_certificate %(cert)s;
        ssl_certificate_key %(key)s;
        location /static/ { root %(p)s/www; }
        location / { return 200 "ok\\n"; }
        %(extra)s
    }
}
""" % {"p": prefix, "port": port, "cert": cert, "key": key, "extra": extra}


def start_nginx(base, cert, key, extra=""):
    """nginx 1.22 on a free port with HTTP/2 over TLS, all files under base/nginx
    (extra: more directives for the server block)."""
    prefix = os.path.join(base, "nginx")
    os.makedirs(os.path.join(prefix, "www", "static"), exist_ok=True)
    port = free_port()
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(nginx_conf(prefix, port, cert, key, extra))
    return Server([NGINX, "-e", os.path.join(prefix, "error.log"), "-c", conf, "-p", prefix,
                   "-g", "daemon off;"], port, os.path.join(prefix, "stdout.log"))


def assert_no_secrets(d, secrets):
    """No secret anywhere in the output; a failure names the events holding it."""
    raw = d.raw()
    for s in secrets:
        if s.encode() in raw:
            where = sorted({(line.split(b'"type":"')[1].split(b'"')[0]).decode(errors="replace")
                            if b'"type":"' in line else "?"
                            for line in raw.split(b"\n") if s.encode() in line})
            raise TestFailure("a secret (%s...) appears in the output, in: %s"
                              % (s[:12], ", ".join(where)))


def with_tls(*extra_args, watch=None, token_claims=None, aws_akid=None, netrc=False,
             git_store=False, env=None):
    """Case wrapper: a fixture and a daemon with its own key file (and, with
    aws_akid, a watched AWS credentials file holding that key id; with netrc,
    a watched .netrc for localhost; with git_store, an nginx asking for Basic
    on /repo.git/ and a home whose ~/.git-credentials holds the login)."""
    def wrap(fn):
        def case(_):
            fx = TLSFixture()
            args = ["--key-file", fx.key_file]
            if netrc:
                fx.netrc_file = os.path.join(fx.dir, "netrc")
                fx.netrc_password = fx.secret(canary("netrcpw"))
                with open(fx.netrc_file, "w") as f:
                    f.write("machine localhost login deployer password %s\n" % fx.netrc_password)
                os.chmod(fx.netrc_file, 0o600)
                args += ["--watch", fx.netrc_file + "=netrc"]
            if git_store:
                fx.git_password = fx.secret(canary("gitpw"))
                htpasswd = os.path.join(fx.dir, "htpasswd")
                hashed = subprocess.run([OPENSSL, "passwd", "-apr1", "-stdin"], check=True,
                                        input=fx.git_password, capture_output=True,
                                        text=True).stdout.strip()
                with open(htpasswd, "w") as f:
                    f.write("deployer:%s\n" % hashed)
                fx.git_srv = fx.nginx(extra="location /repo.git/ { auth_basic git; "
                                      "auth_basic_user_file %s; root %s/empty; }"
                                      % (htpasswd, fx.dir))
                fx.home = os.path.join(fx.dir, "home")
                os.makedirs(fx.home)
                fx.git_credentials = os.path.join(fx.home, ".git-credentials")
                with open(fx.git_credentials, "w") as f:
                    f.write("https://deployer:%s@localhost:%d\n"
                            % (fx.git_password, fx.git_srv.port))
                os.chmod(fx.git_credentials, 0o600)
                args += ["--watch-home", fx.home]
            if aws_akid:
                fx.aws_file = os.path.join(fx.dir, "aws", "credentials")
                os.makedirs(os.path.dirname(fx.aws_file))
                fx.aws_secret = fx.secret(canary("awssecret"))
                with open(fx.aws_file, "w") as f:
                    f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                            % (aws_akid, fx.aws_secret))
                os.chmod(fx.aws_file, 0o600)
                args += ["--watch", fx.aws_file + "=aws"]
            if watch:
                # the token file is written before the daemon starts, so the
                # test's own write is not an access the daemon sees
                fx.token_file = os.path.join(fx.dir, "secrets", "token")
                os.makedirs(os.path.dirname(fx.token_file))
                fx.token_jwt = bearer_jwt(fx, token_claims)
                with open(fx.token_file, "w") as f:
                    f.write(fx.token_jwt + "\n")
                os.chmod(fx.token_file, 0o600)
                args += ["--watch", fx.token_file + "=" + watch]
            d = Daemon(*(args + list(extra_args)), env=env)
            try:
                d.start()
                fn(d, fx)
                d.stop()
                assert_no_secrets(d, fx.secrets)
            finally:
                d.kill()
                fx.remove()
        case.__name__ = fn.__name__
        case.__doc__ = fn.__doc__
        case.no_daemon = True
        return case
    return wrap


def is_req(pid):
    return lambda e: e.get("type") == "tls.request" and e["process"]["pid"] == pid


def requests_of(d, pid, count=1):
    """Wait for count tls.request events of pid, then stop the daemon and
    return all of pid's (so an extra one is seen too)."""
    d.wait_for(is_req(pid), count=count)
    return [e for e in d.stop() if is_req(pid)(e)]


def finish(p, what, timeout=60, ok=(0,)):
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise TestFailure("%s did not finish within %ds" % (what, timeout))
    check(p.returncode in ok, "%s exit status %d" % (what, p.returncode))


def check_tls(ev, lib, port, sni="localhost"):
    tls = ev["tls"]
    eq(tls["library"], lib, "tls.library")
    eq(tls.get("server_name"), sni, "tls.server_name")
    eq(tls["remote"], {"ip": "127.0.0.1", "port": port}, "tls.remote")
    eq(tls["local"]["ip"], "127.0.0.1", "tls.local.ip")
    check(isinstance(tls["local"]["port"], int) and tls["local"]["port"] > 0,
          "tls.local.port is a positive int: %r" % tls["local"]["port"])
    check(tls["local"]["port"] != port, "local port is the client's, not the server's")
    check(isinstance(tls.get("fd"), int) and tls["fd"] >= 0, "tls.fd")
    dest = ev["chain"][-1]
    eq(dest["kind"], "destination", "last hop is the destination")
    eq(dest.get("server_name"), sni, "destination.server_name")
    eq(dest["ip"], "127.0.0.1", "destination.ip")
    eq(dest["port"], port, "destination.port")


def bearer_jwt(fx, claims):
    """A fake JWT whose signature part is a canary; returns (jwt, signature)."""
    jwt = fake_jwt(claims)
    fx.secret(jwt)
    fx.secret(jwt.rsplit(".", 1)[1])
    return jwt


ACT_CLAIMS = {"iss": "https://issuer.idtrace.test", "sub": "user:alice",
              "aud": "api.idtrace.test", "exp": 4102444800, "iat": 1700000000,
              "act": {"sub": "agent:deploy-bot", "act": {"sub": "svc:ci-runner"}}}


def header_file(fx, name, lines):
    """Request headers in a file (curl -H @file), so argv carries no secret."""
    path = os.path.join(fx.dir, name)
    with open(path, "w") as f:
        f.write("".join(line + "\n" for line in lines))
    os.chmod(path, 0o600)
    return path


@with_tls()
def test_tls_curl_http1_openssl(d, fx):
    """curl --http1.1 to openssl s_server -www, Bearer JWT with act, query canary:
    exactly one event with the destination, request line, claims, fingerprint,
    delegation and destination hops; neither the token nor the query value leak."""
    srv = fx.s_server()
    jwt = bearer_jwt(fx, ACT_CLAIMS)
    qcanary = fx.secret(canary())
    hdrs = header_file(fx, "h1.hdr", ["Authorization: Bearer " + jwt])
    url = "https://localhost:%d/v1/items?access_token=%s&page=2" % (srv.port, qcanary)
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-H", "@" + hdrs, "-o", "/dev/null", url], env=PATH_ENV)
    finish(p, "curl")
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the curl pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    eq(ev["process"]["exe"], CURL, "process.exe")
    check_tls(ev, "openssl", srv.port)
    check("protocol" not in ev["tls"], "no tls.protocol on an HTTP session")
    http = ev["http"]
    eq(http["version"], "1.1", "http.version")
    eq(http["method"], "GET", "http.method")
    eq(http["host"], "localhost:%d" % srv.port, "http.host")
    eq(http["path"], "/v1/items", "http.path without the query")
    eq(http.get("query_removed"), True, "http.query_removed")
    check(http["user_agent"].startswith("curl/"), "user_agent: %r" % http["user_agent"])
    auth = http["authorization"]
    eq(auth["scheme"], "Bearer", "authorization.scheme")
    eq(auth["credential_type"], "jwt", "authorization.credential_type")
    fp = fx.fingerprint(jwt)
    eq(auth["fingerprint"], fp, "authorization.fingerprint")
    claims = auth["claims"]
    eq(claims["iss"], ACT_CLAIMS["iss"], "claims.iss")
    eq(claims["sub"], "user:alice", "claims.sub")
    eq(claims["aud"], "api.idtrace.test", "claims.aud")
    eq(claims["exp"], 4102444800, "claims.exp")
    eq([a.get("sub") for a in claims["act"]], ["agent:deploy-bot", "svc:ci-runner"],
       "claims.act: the actors, outermost first")
    kinds = [h["kind"] for h in ev["chain"]]
    eq(kinds[-3:], ["credential", "delegation", "destination"], "last hops")
    cred = hop(ev, "credential")
    eq(cred["source"], "http_header", "credential.source")
    eq(cred["header"], "authorization", "credential.header")
    eq(cred["credential_type"], "jwt", "credential.credential_type")
    eq(cred["fingerprint"], fp, "credential hop fingerprint")
    check("path" not in cred, "no file read this token: no path in the credential hop")
    dl = hop(ev, "delegation")
    eq(dl["mechanism"], "rfc8693_act", "delegation.mechanism")
    eq(dl["subject"], "user:alice", "delegation.subject")
    eq([a.get("sub") for a in dl["actors"]], ["agent:deploy-bot", "svc:ci-runner"],
       "delegation.actors")
    eq(hop(ev, "destination")["host"], "localhost:%d" % srv.port, "destination.host")


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def gh_token():
    """A fake GitHub token (ghp_ + 36 random alnum) made now."""
    return "ghp_" + "".join(secrets.choice(ALNUM) for _ in range(36))


@with_tls()
def test_tls_curl_secrets_in_request(d, fx):
    """Secrets a client puts where no secret belongs: a bot token in the path,
    a Slack webhook secret, a ;jsessionid parameter, a token in the User-Agent,
    text in traceparent, a URL fragment, curl's compact -uTOKEN:x-oauth-basic;
    then --oauth2-bearer, -U proxy:PW and a request line longer than the
    capture. Each canary is made now and never appears in any event; the
    token behind x-oauth-basic is fingerprinted and classified."""
    srv = fx.s_server()
    base = "https://localhost:%d" % srv.port
    bot, login = fx.secret(gh_token()), fx.secret(gh_token())
    slack, session = fx.secret(canary("slack")), fx.secret(canary("jsession"))
    frag, ua_tok, trace = (fx.secret(canary("frag")), fx.secret(canary("uatok")),
                           fx.secret(canary("trace")))
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-u" + login + ":x-oauth-basic", "-A", "idt-tool/1 token=" + ua_tok,
               "-H", "@" + header_file(fx, "trace.hdr", ["traceparent: " + trace]),
               "-o", "/dev/null", base + "/bot" + bot + "/getMe",
               "-o", "/dev/null", base + "/services/T0ABC/B0DEF/" + slack,
               "-o", "/dev/null", base + "/app;jsessionid=" + session + "/x#access_token=" + frag],
              env=PATH_ENV)
    finish(p, "curl")
    d.wait_for(is_req(p.pid), count=3)
    bearer, proxy_pw = fx.secret(canary("bearer")), fx.secret(canary("proxypw"))
    p2 = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                "--oauth2-bearer", bearer, "-U", "proxy:" + proxy_pw, "-o", "/dev/null",
                base + "/" + "a" * 17000], env=PATH_ENV)
    finish(p2, "curl with a long path", ok=(0, 52, 56))
    d.wait_for(is_req(p2.pid))
    all_evs = d.stop()
    evs = [e for e in all_evs if is_req(p.pid)(e)]
    eq(len(evs), 3, "tls.request events of the first curl")
    eq(sorted(e["http"]["path"] for e in evs),
       ["/[REDACTED]/getMe", "/app/x", "/services/T0ABC/B0DEF/[REDACTED]"], "http.path")
    for ev in evs:
        http = ev["http"]
        eq(http.get("path_params_removed"), True if http["path"] == "/app/x" else None,
           "path_params_removed")
        eq(http["user_agent"], "idt-tool/1 token=[REDACTED]", "user_agent")
        check("traceparent" not in http, "a traceparent that is not W3C is dropped")
        auth = http["authorization"]
        eq(auth["scheme"], "Basic", "authorization.scheme")
        eq(auth["credential_type"], "github_pat", "the token of TOKEN:x-oauth-basic")
        eq(auth["fingerprint"], fx.fingerprint(login), "fingerprint of the token")
        check("user" not in auth, "the token is not a user name")
        args = ev["process"]["args"]
        check(args[5] in ("-u[REDACTED]:[REDACTED]", "-[REDACTED]:[REDACTED]"),
              "compact -u: %r" % args[5])
        eq(args[-1], base + "/app;jsessionid=[REDACTED]/x#[REDACTED]", "URL argument")

    evs = [e for e in all_evs if is_req(p2.pid)(e)]
    eq(len(evs), 1, "one request with the long path")
    http = evs[0]["http"]
    check("version" not in http, "no empty version: %r" % http.get("version"))
    eq(http.get("truncated"), True, "http.truncated")
    eq(http["method"], "GET", "http.method")
    check("authorization" not in http, "the headers came after the cut")
    args = evs[0]["process"]["args"]
    eq(args[args.index("--oauth2-bearer") + 1], "[REDACTED]", "--oauth2-bearer value")
    eq(args[args.index("-U") + 1], "proxy:[REDACTED]", "-U value")

def libssl_copy(fx, name):
    """A fresh copy of the system's libssl and libcrypto in fx.dir/name: the
    same code in a file the host has not seen (a container's own, a bundled
    copy). Returns the directory, for LD_LIBRARY_PATH."""
    where = os.path.join(fx.dir, name)
    os.makedirs(where)
    for lib in ("libssl.so.3", "libcrypto.so.3"):
        shutil.copy2(os.path.join(SYSTEM_LIBSSL_DIR, lib), where)
    return where


def wait_attached(d, program):
    """Until the daemon has found program (a library or an executable, by
    path) and attached to it. The first uprobe of a burst waits for an RCU
    grace period (the kernel's dup_mmap_sem; 5 to 34 ms on these VMs), so a
    process that maps a file new to the host can make its first calls
    before the probes are in: tests that check a whole first request let the
    attach finish first."""
    deadline = time.monotonic() + 20
    while "TLS: attached to " + program not in open(d.stderr_path).read():
        check(time.monotonic() < deadline,
              "the daemon attached to %s: %r" % (program, d.stderr_text()))
        time.sleep(0.02)


def curl_after_attach(d, lib, args, url):
    """curl linked to the libssl copy in lib: it maps the library at exec and
    then waits for its URL (-K -, from stdin), which it is given once the
    daemon has attached to the copy it found as it was mapped."""
    p = spawn([CURL] + args + ["-K", "-"], env=dict(PATH_ENV, LD_LIBRARY_PATH=lib),
              stdin=subprocess.PIPE)
    wait_attached(d, os.path.join(lib, "libssl.so.3"))
    p.stdin.write(('url = "%s"\n' % url).encode())
    p.stdin.close()
    finish(p, "curl")
    return p


@with_tls(env={"IDTRACE_BPF_RAW": "1"})
def test_tls_raw_tail_call(d, fx):
    """Where the syscall trace events are missing (forced here), the socket
    finder is a tail call from the open probe's raw sys_exit program."""
    check_hook(d, fx, "tail call from the raw sys_exit program",
               ["tp_btf/sys_exit", "tp_btf/sys_exit"])


@with_tls("--no-files", env={"IDTRACE_BPF_RAW": "1"})
def test_tls_raw_without_file_probes(d, fx):
    """The same, with credential opens not watched: the socket finder has a
    raw sys_exit program of its own."""
    check_hook(d, fx, "raw sys_exit", ["tp_btf/sys_exit", "tp_btf/sys_exit"])


@with_tls(env={"IDTRACE_BPF_SYSCALL_EVENTS": "1"})
def test_tls_syscall_events_hook(d, fx):
    """Where the socket layer's trace events are missing (before 6.3; forced
    here), the socket finder is on the write and read syscalls' exit events,
    and finds the socket from the syscall's fd."""
    check_hook(d, fx, "sys_exit_write/sendto/sendmsg/writev/read/recvfrom/recvmsg/readv/mmap "
               "trace events", ["tp/syscalls/sys_exit_mmap"] + socket_finder_hooks(
                   {"IDTRACE_BPF_SYSCALL_EVENTS": "1"}))


@with_tls()
def test_tls_https_proxy_authorization(d, fx):
    """curl through an HTTPS proxy: TLS to the proxy, a CONNECT in it with
    Proxy-Authorization, then the origin's TLS inside the tunnel. The CONNECT
    gives a tls.request with http.proxy_authorization (Basic: the user name and
    the password's fingerprint, a credential hop on proxy-authorization); the
    tunnelled request gives its own, with its Authorization and the socket to
    the proxy. Neither the password nor the token appears."""
    srv = fx.s_server()
    proxy = fx.https_proxy()
    pw = fx.secret(canary("proxypw"))
    tok = fx.secret(canary("innertok"))
    cfg = header_file(fx, "proxy.curlrc", [
        'proxy = "https://localhost:%d"' % proxy.port, "proxy-insecure",
        'proxy-user = "proxyuser:%s"' % pw, "insecure", "silent", "http1.1",
        'header = "Authorization: Bearer %s"' % tok, 'output = "/dev/null"',
        'url = "https://localhost:%d/inner/path?q=%s"' % (srv.port, fx.secret(canary("q")))])
    p = spawn([CURL, "-K", cfg], env=PATH_ENV)
    finish(p, "curl through the proxy")
    evs = requests_of(d, p.pid, count=2)
    eq(sorted(e["http"]["method"] for e in evs), ["CONNECT", "GET"], "the two requests")
    connect = [e for e in evs if e["http"]["method"] == "CONNECT"][0]
    get = [e for e in evs if e["http"]["method"] == "GET"][0]
    check_tls(connect, "openssl", proxy.port)
    eq(connect["http"]["host"], "localhost:%d" % srv.port, "CONNECT host: the tunnel's target")
    check("path" not in connect["http"], "CONNECT has no path: %r" % connect["http"])
    fp = fx.fingerprint(pw)
    eq(connect["http"].get("proxy_authorization"),
       {"scheme": "Basic", "credential_type": "basic", "user": "proxyuser", "fingerprint": fp},
       "http.proxy_authorization")
    check("authorization" not in connect["http"], "no Authorization on the CONNECT")
    cred = hop(connect, "credential")
    eq((cred["header"], cred["fingerprint"]), ("proxy-authorization", fp),
       "the CONNECT's credential hop")
    check_tls(get, "openssl", proxy.port)
    eq(get["http"]["path"], "/inner/path", "the tunnelled request's path, without its query")
    eq(get["http"]["host"], "localhost:%d" % srv.port, "the tunnelled request's host")
    eq(get["http"]["authorization"]["fingerprint"], fx.fingerprint(tok),
       "the tunnelled request's authorization")
    check("proxy_authorization" not in get["http"], "no proxy credential on the tunnelled request")
    eq(get["chain"][-1]["host"], "localhost:%d" % srv.port, "destination hop: the origin")
    assert_no_secrets(d, fx.secrets)


def prog_runs(d, names):
    """Run counts (bpf_stats) of the daemon's BPF programs named names: {name: count}."""
    ids = set()
    for fd in os.listdir("/proc/%d/fdinfo" % d.proc.pid):
        try:
            for line in open("/proc/%d/fdinfo/%s" % (d.proc.pid, fd)):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    runs = {}
    for p in json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show"])):
        if p["id"] in ids and p.get("name") in names:
            runs[p["name"]] = runs.get(p["name"], 0) + p.get("run_cnt", 0)
    return runs


@with_tls()
def test_tls_socket_finder_ignores_file_io(d, fx):
    """The socket finder's programs run for socket I/O only: 4000 writes and
    reads of a file run neither of them (other processes' socket I/O on the
    host may run a few), and one HTTPS request runs both and is reported."""
    names = ["idt_tls_sock_send", "idt_tls_sock_recv"]
    stats = "/proc/sys/kernel/bpf_stats_enabled"
    was = open(stats).read().strip()
    path = os.path.join(fx.dir, "io.bin")
    srv = fx.s_server()
    with open(stats, "w") as f:
        f.write("1")
    try:
        before = prog_runs(d, names)
        eq(set(before), set(names), "the daemon's socket finder programs")
        p = spawn(["/bin/dd", "if=/dev/zero", "of=" + path, "bs=64", "count=2000",
                   "status=none"], env=PATH_ENV)
        finish(p, "dd writing")
        p = spawn(["/bin/dd", "if=" + path, "of=/dev/null", "bs=64", "status=none"],
                  env=PATH_ENV)
        finish(p, "dd reading")
        after_files = prog_runs(d, names)
        url = "https://localhost:%d/files" % srv.port
        c = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                   "-o", "/dev/null", url], env=PATH_ENV)
        finish(c, "curl")
        after_curl = prog_runs(d, names)
    finally:
        with open(stats, "w") as f:
            f.write(was)
    evs = requests_of(d, c.pid)
    eq(os.path.getsize(path), 128000, "dd wrote 2000 blocks")
    for n in names:
        check(after_files[n] - before[n] < 400,
              "%s ran %d times over 4000 file writes and reads" % (n, after_files[n] - before[n]))
        check(after_curl[n] > after_files[n], "%s ran for curl's socket I/O" % n)
    eq(len(evs), 1, "tls.request events of the curl pid")
    eq(evs[0]["http"]["path"], "/files", "http.path")
    check_tls(evs[0], "openssl", srv.port)


def check_hook(d, fx, loaded, hooks):
    """The socket finder on the hook the log names (loaded), with the hooks
    agent.ready lists for it and the library-map probe (sorted): a curl
    linked to a libssl new to the host is attached as it maps it (the mmap
    hook), and its request, made after that, is reported whole."""
    check("TLS socket finder: %s\n" % loaded in d.stderr_text(),
          "the socket finder is a %s: %r" % (loaded, d.stderr_text()))
    srv = fx.s_server()
    lib = libssl_copy(fx, "raw-lib")
    url = "https://localhost:%d/v2/ping?x=1" % srv.port
    p = curl_after_attach(d, lib, ["-sk", "--http1.1", "--resolve",
                                   "localhost:%d:127.0.0.1" % srv.port, "-o", "/dev/null"], url)
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the curl pid")
    check_tls(evs[0], "openssl", srv.port)
    eq(evs[0]["http"]["method"], "GET", "http.method")
    eq(evs[0]["http"]["path"], "/v2/ping", "http.path")
    check("TLS: attached to %s/libssl.so.3 (openssl 3." % lib in open(d.stderr_path).read(),
          "the new copy was attached")
    eq(sorted(p["hook"] for p in d.stopped_events[0]["probes"]
              if p["name"] in ("tls_socket", "tls_library_map")),
       sorted(hooks), "agent.ready: the socket finder's hooks")
    check(d.stopped_events[-1]["tls"]["libraries_found_at_map"] >= 1,
          "the copy was found as it was mapped: %r" % d.stopped_events[-1]["tls"])


@with_tls()
def test_tls_curl_http2_nginx(d, fx):
    """curl over HTTP/2 to nginx, two requests on one connection (HPACK dynamic
    table references in the second): both events exact."""
    srv = fx.nginx()
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "user:bob",
                          "aud": "h2.idtrace.test", "scope": "read write"})
    hdrs = header_file(fx, "h2.hdr", ["Authorization: Bearer " + jwt,
                                      "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-"
                                      "00f067aa0ba902b7-01"])
    base = "https://localhost:%d" % srv.port
    p = spawn([CURL, "-sk", "--http2", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-H", "@" + hdrs, "-o", "/dev/null", "-o", "/dev/null",
               base + "/first/one?sig=" + fx.secret(canary()), base + "/second/two"],
              env=PATH_ENV)
    finish(p, "curl")
    evs = requests_of(d, p.pid, count=2)
    eq(len(evs), 2, "tls.request events of the curl pid")
    eq([e["http"]["path"] for e in evs], ["/first/one", "/second/two"], "paths, in order")
    eq([e["http"].get("query_removed", False) for e in evs], [True, False], "query_removed")
    fp = fx.fingerprint(jwt)
    for ev in evs:
        eq(ev["process"]["pid"], p.pid, "process.pid")
        check_tls(ev, "openssl", srv.port)
        http = ev["http"]
        eq(http["version"], "2", "http.version")
        eq(http["method"], "GET", "http.method")
        eq(http["host"], "localhost:%d" % srv.port, "http.host (:authority)")
        check(http["user_agent"].startswith("curl/"), "user_agent")
        eq(http["traceparent"], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
           "traceparent")
        auth = http["authorization"]
        eq(auth["scheme"], "Bearer", "scheme")
        eq(auth["credential_type"], "jwt", "credential_type")
        eq(auth["fingerprint"], fp, "fingerprint")
        eq(auth["claims"]["sub"], "user:bob", "claims.sub")
        eq(auth["claims"]["scope"], "read write", "claims.scope")
        eq(hop(ev, "credential")["fingerprint"], fp, "credential hop")
        check(hop(ev, "delegation") is None, "no act claim: no delegation hop")
    eq(evs[0]["tls"]["local"], evs[1]["tls"]["local"], "one connection for both requests")
    eq([e["process"]["pid"] for e in d.stopped_events if e.get("type") == "tls.request"
        and e["process"]["exe"].endswith("/nginx")], [],
       "nginx's side of the sessions (SSL_set_accept_state) is not reported")


@with_tls()
def test_tls_curl_http2_after_upload(d, fx):
    """curl over HTTP/2 uploads 60000 bytes, then makes a second request on the
    same connection. curl writes each DATA payload with the next frame's header
    (16384 + 9 bytes), more than the capture: the write's last bytes are
    captured too, so the parser keeps the stream and the request after the
    upload, with its own token, is reported."""
    srv = fx.nginx()
    body = os.path.join(fx.dir, "body.bin")
    with open(body, "wb") as f:
        f.write(os.urandom(60000))
    jwt1 = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "user:uploader"})
    jwt2 = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "user:after"})
    h1 = header_file(fx, "up.hdr", ["Authorization: Bearer " + jwt1])
    h2 = header_file(fx, "after.hdr", ["Authorization: Bearer " + jwt2])
    base = "https://localhost:%d" % srv.port
    resolve = "localhost:%d:127.0.0.1" % srv.port
    p = spawn([CURL, "-sk", "--http2", "--resolve", resolve, "-H", "@" + h1,
               "--data-binary", "@" + body, "-o", "/dev/null", base + "/upload",
               "--next", "-sk", "--http2", "--resolve", resolve, "-H", "@" + h2,
               "-o", "/dev/null", base + "/after?k=" + fx.secret(canary())], env=PATH_ENV)
    finish(p, "curl")
    evs = requests_of(d, p.pid, count=2)
    eq([(e["http"]["method"], e["http"]["path"]) for e in evs],
       [("POST", "/upload"), ("GET", "/after")], "both requests, in order")
    eq(evs[0]["tls"]["local"], evs[1]["tls"]["local"], "one connection for both requests")
    for ev, jwt, sub in ((evs[0], jwt1, "user:uploader"), (evs[1], jwt2, "user:after")):
        check_tls(ev, "openssl", srv.port)
        eq(ev["http"]["version"], "2", "http.version")
        eq(ev["http"]["authorization"]["fingerprint"], fx.fingerprint(jwt), "fingerprint")
        eq(ev["http"]["authorization"]["claims"]["sub"], sub, "claims.sub")
        check("http_stream_lost" not in ev["tls"], "the stream was kept")
    stats = [e for e in d.stopped_events if e.get("type") == "agent.stats"][-1]
    check(stats["kernel"]["tls_writes_truncated"] >= 3,
          "the upload's writes were larger than the capture: %r" % stats["kernel"])


PY_CLIENT = r"""
import sys
port, request = int(sys.argv[1]), sys.argv[2]
key = sys.stdin.readline().strip()
import socket, ssl  # only now: _ssl and the libssl it needs are dlopen()ed here
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with socket.create_connection(("127.0.0.1", port)) as raw:
    with ctx.wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(request.replace("KEY", key).encode())
        while s.recv(4096):
            pass
"""


# PY_CLIENT, but it says when ssl is imported (its libssl mapped) and waits
# for "go" before it connects.
PY_LATE_CLIENT = PY_CLIENT.replace(
    "ctx = ssl.SSLContext", "print('loaded', flush=True)\nsys.stdin.readline()\nctx = ssl.SSLContext")


@with_tls()
def test_tls_python_ssl_api_key(d, fx):
    """python3's ssl module with server_hostname: SNI, request line, x-api-key
    fingerprinted (the key is sent on stdin, so it is in no argv either)."""
    srv = fx.s_server()
    key = fx.secret(canary("idtapikey"))
    request = ("GET /py/resource?id=7 HTTP/1.1\r\nHost: api.localhost\r\n"
               "User-Agent: idt-python/1\r\nx-api-key: KEY\r\n\r\n")
    p = spawn(["/usr/bin/python3", "-c", PY_CLIENT, str(srv.port), request], env=PATH_ENV,
              stdin=subprocess.PIPE)
    p.stdin.write((key + "\n").encode())
    p.stdin.close()
    finish(p, "python3 client")
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the python pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    check_tls(ev, "openssl", srv.port)
    http = ev["http"]
    eq(http["version"], "1.1", "http.version")
    eq(http["method"], "GET", "method")
    eq(http["host"], "api.localhost", "host")
    eq(http["path"], "/py/resource", "path")
    eq(http.get("query_removed"), True, "query_removed")
    eq(http["user_agent"], "idt-python/1", "user_agent")
    check("authorization" not in http, "no authorization header sent")
    fp = fx.fingerprint(key)
    eq(http["api_keys"], [{"header": "x-api-key", "fingerprint": fp}], "api_keys")
    cred = hop(ev, "credential")
    eq(cred["header"], "x-api-key", "credential hop header")
    eq(cred["fingerprint"], fp, "credential hop fingerprint")


PY_FORK_CLIENT = r"""
import os, sys
port = int(sys.argv[1])
import socket, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", port))
s = ctx.wrap_socket(raw, server_hostname="localhost")
pid = os.fork()
if pid == 0:
    s.sendall(b"GET /forkchild?x=1 HTTP/1.1\r\nHost: localhost\r\n\r\n")
    while s.recv(4096):
        pass
    os._exit(0)
print(pid, flush=True)
os.waitpid(pid, 0)
"""


@with_tls()
def test_tls_fork_after_handshake(d, fx):
    """A client forks after its handshake and the child sends the request on
    the inherited connection: the child's event has the server name and the
    socket the parent's handshake gave, and the parent, which sent nothing,
    gives no event of its own."""
    srv = fx.s_server()
    p = spawn(["/usr/bin/python3", "-c", PY_FORK_CLIENT, str(srv.port)], env=PATH_ENV,
              stdout=subprocess.PIPE)
    out, _ = p.communicate(timeout=60)
    eq(p.returncode, 0, "python3 client")
    child = int(out.split()[0])
    ev = requests_of(d, child)[0]
    eq(ev["process"]["pid"], child, "process.pid: the child")
    check_tls(ev, "openssl", srv.port)
    eq(ev["http"]["path"], "/forkchild", "http.path")
    out = d.stop()
    eq([e for e in out if e.get("type") == "tls.request" and e["process"]["pid"] == p.pid], [],
       "no event of the parent's (it sent nothing: no no_data of the connection)")


@with_tls()
def test_tls_gnutls_cli_basic(d, fx):
    """gnutls-cli to gnutls-serv --http with Basic auth: library gnutls, the user
    name, never the password."""
    srv = fx.gnutls_serv()
    password = fx.secret(canary("idtpw"))
    blob = fx.secret(base64.b64encode(("alice:" + password).encode()).decode())
    request = ("GET /gnutls/path?secret=x HTTP/1.1\r\nHost: localhost:%d\r\n"
               "User-Agent: idt-gnutls\r\nAuthorization: Basic %s\r\n\r\n" % (srv.port, blob))
    p = spawn([GNUTLS_CLI, "--insecure", "-p", str(srv.port), "--sni-hostname", "localhost",
               "127.0.0.1"], env=PATH_ENV, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
              stderr=subprocess.DEVNULL)
    p.stdin.write(request.encode())
    p.stdin.close()
    finish(p, "gnutls-cli")
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the gnutls-cli pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    eq(ev["process"]["exe"], GNUTLS_CLI, "process.exe")
    check_tls(ev, "gnutls", srv.port)
    http = ev["http"]
    eq(http["version"], "1.1", "http.version")
    eq(http["method"], "GET", "method")
    eq(http["path"], "/gnutls/path", "path")
    eq(http.get("query_removed"), True, "query_removed")
    eq(http["user_agent"], "idt-gnutls", "user_agent")
    auth = http["authorization"]
    eq(auth["scheme"], "Basic", "scheme")
    eq(auth["credential_type"], "basic", "credential_type")
    eq(auth["user"], "alice", "authorization.user")
    eq(auth["fingerprint"], fx.fingerprint(password), "fingerprint of the Basic password")
    eq([e["process"]["pid"] for e in d.stopped_events if e.get("type") == "tls.request"
        and e["process"]["exe"].endswith("/gnutls-serv")], [],
       "gnutls-serv's side (gnutls_init with GNUTLS_SERVER) is not reported")


def cred_read(d, path, pid=None):
    return d.wait_for(lambda e: e.get("type") == "credential.read"
                      and e["file"]["path"] == path
                      and (pid is None or e["process"]["pid"] == pid))[0]


@with_tls(watch="k8s_service_account",
          token_claims={"iss": "https://kubernetes.default.svc",
                        "sub": "system:serviceaccount:payments:deployer", "aud": "api"})
def test_tls_linked_credential(d, fx):
    """sh reads a watched token file with cat, then execs curl presenting it as
    Bearer: the credential hop names the file, its type and the reader's exec."""
    srv = fx.s_server()
    jwt = fx.token_jwt
    script = ('TOKEN=$(%s %s); exec %s -sk --http1.1 --resolve localhost:%d:127.0.0.1 '
              '-o /dev/null -H "Authorization: Bearer $TOKEN" https://localhost:%d/linked'
              % (CAT, fx.token_file, CURL, srv.port, srv.port))
    p = spawn(["/bin/sh", "-c", script], env=PATH_ENV)
    finish(p, "sh -c cat+curl")
    read = cred_read(d, fx.token_file)
    check(read["process"]["pid"] != p.pid, "the reader is cat, a child of sh")
    eq(read["process"]["exe"], CAT, "reader exe")
    eq(read["process"]["ppid"], p.pid, "the reader's parent is the sh that became curl")
    eq(read["credential"]["type"], "k8s_service_account", "credential.read type")
    fp = fx.fingerprint(jwt)
    eq(read["credential"]["fingerprint"], fp, "credential.read fingerprint")
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the curl pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid (sh exec'd curl)")
    eq(ev["process"]["exe"], CURL, "process.exe")
    check_tls(ev, "openssl", srv.port)
    eq(ev["http"]["path"], "/linked", "path")
    eq(ev["http"]["authorization"]["fingerprint"], read["credential"]["fingerprint"],
       "presented fingerprint == read fingerprint")
    cred = hop(ev, "credential")
    eq(cred["path"], fx.token_file, "credential hop path")
    eq(cred["type"], read["credential"]["type"], "credential hop type")
    eq(cred["read_by_exec_id"], read["process"]["exec_id"], "credential hop read_by_exec_id")
    eq(cred["read_by_pid"], read["process"]["pid"], "credential hop read_by_pid")
    eq(cred["fingerprint"], read["credential"]["fingerprint"], "credential hop fingerprint")
    check(not [r for r in ev["provenance"]["reasons"]
               if r.startswith("credential_crossed_identities:")],
          "same originator for reader and presenter: no crossing")


@with_tls(watch="custom")
def test_tls_own_read_not_crossed(d, fx):
    """A job that read the token file itself and presents it: the credential
    hop names its own read, not a later read by another identity (a backup,
    a second tracer), and no crossing is claimed. A third job that presents
    it without reading it crossed identities: both readers are named."""
    srv = fx.s_server()
    jwt = fx.token_jwt
    fp = fx.fingerprint(jwt)
    hdrs = header_file(fx, "own.hdr", ["Authorization: Bearer " + jwt])

    def job(run_id, repo):
        env = github_env(run_id, fx.secret(canary()))
        env["GITHUB_REPOSITORY"] = repo
        return env

    def present(env, path):
        c = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                   "-H", "@" + hdrs, "-o", "/dev/null",
                   "https://localhost:%d/%s" % (srv.port, path)], env=env, loginuid=UNSET)
        finish(c, "curl")
        return d.wait_for(is_req(c.pid))[0]

    owner = job(3001, "acme/owner")
    r = spawn([CAT, fx.token_file], env=owner, loginuid=UNSET, stdout=subprocess.DEVNULL)
    finish(r, "the owner's cat")
    own_read = cred_read(d, fx.token_file, pid=r.pid)
    b = spawn([CAT, fx.token_file], env=job(3002, "acme/backup"), loginuid=UNSET,
              stdout=subprocess.DEVNULL)
    finish(b, "the backup's cat")
    backup_read = cred_read(d, fx.token_file, pid=b.pid)
    check(backup_read["provenance"]["originator"] != own_read["provenance"]["originator"],
          "two identities read the file")

    ev = present(owner, "own")
    cred = hop(ev, "credential")
    eq(cred["read_by_exec_id"], own_read["process"]["exec_id"],
       "the credential hop names the presenter's own read")
    eq([x for x in ev["provenance"]["reasons"] if x.startswith("credential_crossed_identities:")],
       [], "no crossing: the presenter read it itself")

    ev = present(job(3003, "other/taker"), "taken")
    eq(hop(ev, "credential")["read_by_exec_id"], backup_read["process"]["exec_id"],
       "a presenter that read nothing: the most recent read")
    crossed = [x for x in ev["provenance"]["reasons"]
               if x.startswith("credential_crossed_identities:")]
    for read in (own_read, backup_read):
        check(any("read_by=%s,exec_id=%s," % (read["provenance"]["originator"],
                                               read["process"]["exec_id"]) in x for x in crossed),
              "the crossing names the read by %s: %r" % (read["provenance"]["originator"], crossed))


@with_tls(watch="custom", token_claims={"iss": "https://issuer.idtrace.test",
                                        "sub": "svc:shared"})
def test_tls_crossed_identities(d, fx):
    """A token file read by one CI job and presented by another: the event says
    the credential crossed identities, naming the reader's exec."""
    srv = fx.s_server()
    jwt = fx.token_jwt
    reader_env = github_env(1111, fx.secret(canary()))
    reader_env["GITHUB_REPOSITORY"] = "acme/reader"
    r = spawn([CAT, fx.token_file], env=reader_env, loginuid=UNSET, stdout=subprocess.DEVNULL)
    finish(r, "cat")
    read = cred_read(d, fx.token_file, pid=r.pid)
    eq(read["credential"]["type"], "custom", "credential.read type")
    fp = fx.fingerprint(jwt)
    eq(read["credential"]["fingerprint"], fp, "credential.read fingerprint")
    reader_orig = read["provenance"]["originator"]
    check(reader_orig.startswith("ci:github_actions:"), "reader originator: " + reader_orig)
    # the presenter got the token some other way (a header file nobody watches)
    hdrs = header_file(fx, "crossed.hdr", ["Authorization: Bearer " + jwt])
    presenter_env = github_env(2222, fx.secret(canary()))
    presenter_env["GITHUB_REPOSITORY"] = "other/presenter"
    presenter_env["GITHUB_WORKFLOW"] = "exfil"
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-H", "@" + hdrs, "-o", "/dev/null", "https://localhost:%d/crossed" % srv.port],
              env=presenter_env, loginuid=UNSET)
    finish(p, "curl")
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the curl pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    me = ev["provenance"]["originator"]
    check(me.startswith("ci:github_actions:") and me != reader_orig,
          "presenter originator %r differs from the reader's %r" % (me, reader_orig))
    cred = hop(ev, "credential")
    eq(cred["path"], fx.token_file, "credential hop path")
    eq(cred["read_by_exec_id"], read["process"]["exec_id"], "credential hop reader")
    crossed = [x for x in ev["provenance"]["reasons"]
               if x.startswith("credential_crossed_identities:")]
    eq(len(crossed), 1, "one crossed-identities reason (%r)" % ev["provenance"]["reasons"])
    eq(crossed[0], "credential_crossed_identities:%s:read_by=%s,exec_id=%s,presented_by=%s"
       % (fp, reader_orig, read["process"]["exec_id"], me), "crossed reason")


@with_tls()
def test_tls_ci_job_token(d, fx):
    """A CI job's own token (CI_JOB_TOKEN in its environment) is a credential:
    the job's curl sending it as JOB-TOKEN names it (type ci_job_token, the
    variable, the exec that held it) with no crossing; the same token
    presented later by a human's curl, outside the job, crossed identities."""
    srv = fx.s_server()
    token = fx.secret("glcbt-" + canary("jobtok"))
    fp = fx.fingerprint(token)
    job_env = {"PATH": "/usr/bin:/bin", "GITLAB_CI": "true", "CI_PROJECT_PATH": "grp/deployer",
               "CI_PIPELINE_ID": "5150", "CI_JOB_ID": "7001", "CI_JOB_NAME": "release",
               "CI_JOB_TOKEN": token}
    url = "https://localhost:%d" % srv.port
    resolve = "localhost:%d:127.0.0.1" % srv.port
    job_hdrs = header_file(fx, "job.hdr", ["JOB-TOKEN: " + token])
    job = spawn(["/bin/sh", "-c", '"$0" -sk --http1.1 --resolve "$1" -H @"$2" -o /dev/null '
                 '"$3/api/v4/jobs/7001/artifacts"; true', CURL, resolve, job_hdrs, url],
                env=job_env, loginuid=UNSET)
    finish(job, "the job's shell")
    inside = d.wait_for(lambda e: e.get("type") == "tls.request" and
                        e["process"]["ppid"] == job.pid)[0]
    cred = hop(inside, "credential")
    eq(cred["header"], "job-token", "credential hop header")
    eq(cred["fingerprint"], fp, "fingerprint of the job token")
    eq(cred["type"], "ci_job_token", "credential hop type")
    eq(cred["env_var"], "CI_JOB_TOKEN", "credential hop env_var")
    eq(cred["held_by_pid"], job.pid, "held by the job's first exec")
    job_exec = [e for e in d.events() if e.get("type") == "process.exec"
                and e["process"]["pid"] == job.pid][0]
    eq(cred["held_by_exec_id"], job_exec["process"]["exec_id"], "held_by_exec_id")
    eq(inside["provenance"]["originator"], "ci:gitlab_ci:grp/deployer#5150", "job originator")
    eq([x for x in inside["provenance"]["reasons"] if x.startswith("credential_crossed")], [],
       "the job's own token, used inside the job: no crossing")
    # a human, outside the job, presents the same token
    hdrs = header_file(fx, "human.hdr", ["Authorization: Bearer " + token])
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", resolve, "-H", "@" + hdrs, "-o",
               "/dev/null", url + "/api/v4/projects"], env=PATH_ENV, loginuid=1000)
    finish(p, "curl")
    ev = requests_of(d, p.pid)[0]
    me = ev["provenance"]["originator"]
    check(me.startswith("human:"), "presenter is a human: " + me)
    cred = hop(ev, "credential")
    eq(cred["type"], "ci_job_token", "credential hop type")
    eq(cred["env_var"], "CI_JOB_TOKEN", "credential hop env_var")
    crossed = [x for x in ev["provenance"]["reasons"] if x.startswith("credential_crossed")]
    want = ("credential_crossed_identities:%s:env_by=ci:gitlab_ci:grp/deployer#5150,"
            "exec_id=%s,presented_by=%s" % (fp, job_exec["process"]["exec_id"], me))
    check(want in crossed, "crossed from the job's environment: %r" % crossed)
    eq(len(crossed), 2, "crossed from the job's environment and from its curl: %r" % crossed)


AKID = "AKIAIDTRACESIGV4TST1"


def test_tls_ci_job_token_seeded(_):
    """The daemon starts inside a running CI job (as a step of it would): the
    job's shell is seeded from /proc, its CI_JOB_TOKEN fingerprinted there,
    and the curl it runs afterwards names the token as the job's."""
    fx = TLSFixture()
    d = Daemon("--key-file", fx.key_file)
    try:
        srv = fx.s_server()
        token = fx.secret("glcbt-" + canary("seeded"))
        hdrs = header_file(fx, "seeded.hdr", ["JOB-TOKEN: " + token])
        env = {"PATH": "/usr/bin:/bin", "GITLAB_CI": "true", "CI_PROJECT_PATH": "grp/seeded",
               "CI_PIPELINE_ID": "6060", "CI_JOB_ID": "7070", "CI_JOB_TOKEN": token}
        sh = spawn(["/bin/sh", "-c", 'read x; "$0" -sk --http1.1 --resolve "$1" -H @"$2" '
                    '-o /dev/null "$3"; true', CURL, "localhost:%d:127.0.0.1" % srv.port, hdrs,
                    "https://localhost:%d/api/v4/job" % srv.port],
                   env=env, loginuid=UNSET, stdin=subprocess.PIPE)
        time.sleep(0.2)
        d.start()  # after the shell: it is seeded, not seen at exec
        sh.communicate(b"go\n", timeout=60)
        ev = d.wait_for(lambda e: e.get("type") == "tls.request"
                        and e["process"]["ppid"] == sh.pid)[0]
        cred = hop(ev, "credential")
        eq(cred["fingerprint"], fx.fingerprint(token), "fingerprint of the job token")
        eq(cred["type"], "ci_job_token", "credential hop type")
        eq(cred["env_var"], "CI_JOB_TOKEN", "env_var")
        eq(cred["held_by_pid"], sh.pid, "held by the seeded shell")
        eq(ev["provenance"]["originator"], "ci:gitlab_ci:grp/seeded#6060", "originator")
        d.stop()
        assert_no_secrets(d, fx.secrets)
    finally:
        d.kill()
        fx.remove()


test_tls_ci_job_token_seeded.no_daemon = True


@with_tls()
def test_tls_aws_sigv4_without_key_id(d, fx):
    """SigV4 whose Credential= is empty or missing names no credential: no
    fingerprint (the signature changes with every request and is no
    credential), and enrichment says the credential is empty."""
    srv = fx.s_server()
    sig = canary()
    pids = []
    for cred in ("Credential=, ", ""):
        p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                   "-H", "Authorization: AWS4-HMAC-SHA256 %sSignedHeaders=host, Signature=%s"
                   % (cred, sig), "-o", "/dev/null", "https://localhost:%d/sig" % srv.port],
                  env=PATH_ENV)
        finish(p, "curl")
        pids.append(p.pid)
    for pid in pids:
        ev = requests_of(d, pid)[0]
        auth = ev["http"]["authorization"]
        eq(auth["credential_type"], "aws_sigv4", "credential_type")
        eq(auth.get("fingerprint"), None, "no fingerprint of the signature")
        eq(hop(ev, "credential"), None, "no credential hop")
        eq([m["reason"] for m in ev["enrichment"]["missing"]
            if m["field"] == "http.authorization.fingerprint"], ["empty credential"],
           "enrichment names the empty credential")
    d.stop()
    check(sig.encode() not in d.raw(), "the signature never appears")


NODE = "/usr/bin/node"

# One Node.js process, many keep-alive connections on one thread: each
# request's first SSL_write comes before its handshake is done, is refused
# and is made again (from a copy) after handshake steps, while the thread
# serves the other connections in between.
NODE_PARALLEL_JS = r"""
const https = require("https");
const [port, n, token] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
const agent = new https.Agent({keepAlive: true, maxSockets: 8});
const one = (path) => new Promise((ok, fail) => {
  const q = https.request({host: "127.0.0.1", port, path, agent, servername: "localhost",
                           rejectUnauthorized: false,
                           headers: {authorization: "Bearer " + token}},
                          (r) => { r.resume(); r.on("end", ok); });
  q.on("error", fail);
  q.end();
});
const paths = [];
for (let i = 0; i < n; i++) paths.push("/node/" + i + "?canary=" + token.slice(-8));
// (a node whose OpenSSL is built in is attached some ms after its exec)
setTimeout(() => Promise.all(paths.map(one)).then(
  () => { agent.destroy(); console.log("done " + n); },
  (e) => { console.error(e.message); process.exit(1); }), 500);
"""


@with_tls()
def test_tls_node_parallel_once_each(d, fx):
    """Node.js (https, 8 keep-alive sockets on one thread, 40 requests, and
    a process's single request): each request is reported exactly once,
    although its first write is refused and repeated while the handshake
    and the other sockets' work go on."""
    srv = fx.nginx()
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:node"})
    single = spawn([NODE, "-e", NODE_PARALLEL_JS, str(srv.port), "1", jwt], env=PATH_ENV,
                   stdout=subprocess.DEVNULL)
    finish(single, "node (one request)")
    n = 40
    p = spawn([NODE, "-e", NODE_PARALLEL_JS, str(srv.port), str(n), jwt], env=PATH_ENV,
              stdout=subprocess.PIPE)
    out = p.communicate(timeout=60)[0]
    eq(p.returncode, 0, "node exit status")
    eq(out.strip(), b"done %d" % n, "node's requests answered")
    d.wait_for(is_req(p.pid), count=n)
    evs = [e for e in d.stop() if is_req(p.pid)(e) or is_req(single.pid)(e)]
    one = sorted(e["http"]["path"] for e in evs if e["process"]["pid"] == single.pid)
    eq(one, ["/node/0"], "the single request, once")
    paths = sorted(e["http"]["path"] for e in evs if e["process"]["pid"] == p.pid)
    eq(paths, sorted("/node/%d" % i for i in range(n)), "each of the %d requests once" % n)
    for e in evs:
        check_tls(e, "openssl", srv.port)
        eq(e["http"]["authorization"]["fingerprint"], fx.fingerprint(jwt), "fingerprint")
        eq(e["http"].get("query_removed"), True, "query removed")
    check(jwt.encode() not in d.raw(), "the token never appears")


@with_tls(aws_akid=AKID)
def test_tls_crossed_between_jobs_of_one_runner(d, fx):
    """A self-hosted runner started by hand: its jobs inherit its login, so
    both chains' originator is the human. Job 4801 reads an AWS file and job
    4802 (another run) signs a request with its key: the key crossed from
    one job to the other, and the reason names both jobs."""
    srv = fx.s_server()
    r = spawn([CAT, fx.aws_file], env=github_env(4801, fx.secret(canary())), loginuid=1000,
              stdout=subprocess.DEVNULL)
    finish(r, "cat")
    cred_read(d, fx.aws_file, pid=r.pid)
    cfg = os.path.join(fx.dir, "sigv4.cfg")
    with open(cfg, "w") as f:
        f.write('user = "%s:%s"\naws-sigv4 = "aws:amz:eu-west-1:s3"\n' % (AKID, fx.aws_secret))
    os.chmod(cfg, 0o600)
    env = dict(github_env(4802, fx.secret(canary())), **PATH_ENV)
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-K", cfg, "-o", "/dev/null", "https://localhost:%d/bucket/o" % srv.port],
              env=env, loginuid=1000)
    finish(p, "curl")
    ev = requests_of(d, p.pid)[0]
    eq(ev["provenance"]["originator"], "human:%s" % user_name(1000) if user_name(1000)
       else "human:uid=1000", "the originator is the runner's human")
    eq(hop(ev, "ci_job")["run_id"], "4802", "the presenting job")
    me = ev["provenance"]["originator"]
    crossed = [x for x in ev["provenance"]["reasons"] if x.startswith("credential_crossed")]
    eq(len(crossed), 1, "one crossing: %r" % ev["provenance"]["reasons"])
    check("read_by=%s/ci:github_actions:acme/widgets#4801," % me in crossed[0]
          and crossed[0].endswith("presented_by=%s/ci:github_actions:acme/widgets#4802" % me),
          "the reason names both jobs: %r" % crossed[0])


@with_tls(aws_akid=AKID)
def test_tls_aws_sigv4_linked_to_file(d, fx):
    """An AWS credentials file read by a CI job; a human's curl then signs a
    request with that key (SigV4 sends the key id, never the secret): the
    request's credential hop names the file and the job's read, and the key
    crossed identities."""
    srv = fx.s_server()
    reader_env = github_env(4711, fx.secret(canary()))
    r = spawn([CAT, fx.aws_file], env=reader_env, loginuid=UNSET, stdout=subprocess.DEVNULL)
    finish(r, "cat")
    read = cred_read(d, fx.aws_file, pid=r.pid)
    eq(read["credential"]["aws_access_key_id"], AKID, "credential.read key id")
    cfg = os.path.join(fx.dir, "sigv4.cfg")
    with open(cfg, "w") as f:
        f.write('user = "%s:%s"\naws-sigv4 = "aws:amz:eu-west-1:s3"\n' % (AKID, fx.aws_secret))
    os.chmod(cfg, 0o600)
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
               "-K", cfg, "-o", "/dev/null",
               "https://localhost:%d/bucket/object?X-Amz-Expires=60" % srv.port],
              env=PATH_ENV, loginuid=1000)
    finish(p, "curl")
    ev = requests_of(d, p.pid)[0]
    auth = ev["http"]["authorization"]
    eq(auth["scheme"], "AWS4-HMAC-SHA256", "scheme")
    eq(auth["credential_type"], "aws_sigv4", "credential_type")
    eq(auth["aws"], {"access_key_id": AKID, "region": "eu-west-1", "service": "s3"}, "aws")
    key = open(fx.key_file, "rb").read()
    fp = "hmac-sha256:" + hmac.new(key, ("aws_access_key_id:" + AKID).encode(),
                                   hashlib.sha256).hexdigest()[:32]
    eq(auth["fingerprint"], fp, "fingerprint of the key id")
    cred = hop(ev, "credential")
    eq(cred["type"], "aws", "credential hop type: the file's")
    eq(cred["path"], fx.aws_file, "credential hop path")
    eq(cred["read_by_exec_id"], read["process"]["exec_id"], "credential hop reader")
    me = ev["provenance"]["originator"]
    crossed = [x for x in ev["provenance"]["reasons"] if x.startswith("credential_crossed")]
    eq(crossed, ["credential_crossed_identities:%s:read_by=%s,exec_id=%s,presented_by=%s"
                 % (fp, read["provenance"]["originator"], read["process"]["exec_id"], me)],
       "crossed identities")


@with_tls(netrc=True)
def test_tls_basic_linked_to_netrc(d, fx):
    """curl in a CI job logs in from a .netrc (it reads the file, then sends
    Basic): the request's credential hop names the file read by the same
    process. A human sending the same password later crossed identities."""
    srv = fx.s_server()
    resolve = "localhost:%d:127.0.0.1" % srv.port
    url = "https://localhost:%d" % srv.port
    job_env = github_env(8080, fx.secret(canary()))
    job = spawn([CURL, "-sk", "--http1.1", "--resolve", resolve, "--netrc-file", fx.netrc_file,
                 "-o", "/dev/null", url + "/login"], env=job_env, loginuid=UNSET)
    finish(job, "curl --netrc-file")
    read = cred_read(d, fx.netrc_file, pid=job.pid)
    fp = fx.fingerprint(fx.netrc_password)
    eq(read["credential"]["fingerprint"], fp, "credential.read fingerprint: the password")
    inside = d.wait_for(is_req(job.pid))[0]
    auth = inside["http"]["authorization"]
    eq(auth["scheme"], "Basic", "scheme")
    eq(auth["user"], "deployer", "user")
    eq(auth["fingerprint"], fp, "Basic fingerprint: the password's")
    cred = hop(inside, "credential")
    eq(cred["type"], "netrc", "credential hop type")
    eq(cred["path"], fx.netrc_file, "credential hop path")
    eq(cred["read_by_pid"], job.pid, "read by the same curl")
    eq([x for x in inside["provenance"]["reasons"] if x.startswith("credential_crossed")], [],
       "read and sent by one chain: no crossing")
    cfg = os.path.join(fx.dir, "human.cfg")
    with open(cfg, "w") as f:
        f.write('user = "deployer:%s"\n' % fx.netrc_password)
    os.chmod(cfg, 0o600)
    p = spawn([CURL, "-sk", "--http1.1", "--resolve", resolve, "-K", cfg, "-o", "/dev/null",
               url + "/again"], env=PATH_ENV, loginuid=1000)
    finish(p, "curl")
    ev = requests_of(d, p.pid)[0]
    eq(ev["http"]["authorization"]["fingerprint"], fp, "same password, same fingerprint")
    eq(hop(ev, "credential")["path"], fx.netrc_file, "linked to the file")
    crossed = [x for x in ev["provenance"]["reasons"] if x.startswith("credential_crossed")]
    want = ("credential_crossed_identities:%s:read_by=%s,exec_id=%s,presented_by=%s"
            % (fp, read["provenance"]["originator"], read["process"]["exec_id"],
               ev["provenance"]["originator"]))
    check(want in crossed, "crossed from the job's read: %r" % crossed)


@with_tls(netrc=True)
def test_tls_basic_linked_to_second_netrc_entry(d, fx):
    """A .netrc with an entry for another host first: curl reads the file and
    sends the second entry's password. The read's fingerprint is the first
    entry's, its other_fingerprints the second's, and the request's
    credential hop names the read."""
    srv = fx.s_server()
    other = fx.secret(canary("netrcother"))
    with open(fx.netrc_file, "w") as f:  # in place: the watched inode stays
        f.write("machine other.example login ops password %s\n"
                "machine localhost login deployer password %s\n" % (other, fx.netrc_password))
    job = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                 "--netrc-file", fx.netrc_file, "-o", "/dev/null",
                 "https://localhost:%d/second" % srv.port],
                env=github_env(8181, fx.secret(canary())), loginuid=UNSET)
    finish(job, "curl --netrc-file")
    read = cred_read(d, fx.netrc_file, pid=job.pid)
    fp = fx.fingerprint(fx.netrc_password)
    eq(read["credential"]["fingerprint"], fx.fingerprint(other), "the first entry's fingerprint")
    eq(read["credential"].get("other_fingerprints"), [fp], "the second entry's")
    ev = d.wait_for(is_req(job.pid))[0]
    eq(ev["http"]["authorization"]["fingerprint"], fp, "Basic fingerprint: the second password")
    cred = hop(ev, "credential")
    eq(cred.get("path"), fx.netrc_file, "credential hop path: linked to the read")
    eq(cred.get("read_by_pid"), job.pid, "read by the same curl")
    eq(cred.get("type"), "netrc", "credential hop type")


def not_http_case(d, fx, line):
    """openssl s_client sends line (and nothing else) to openssl s_server."""
    srv = fx.s_server(www=False)
    p = spawn([OPENSSL, "s_client", "-connect", "127.0.0.1:%d" % srv.port, "-servername",
               "localhost", "-quiet", "-no_ign_eof"], env=PATH_ENV, stdin=subprocess.PIPE,
              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p.stdin.write(line)
    p.stdin.close()
    finish(p, "openssl s_client")
    deadline = time.monotonic() + 10
    while line.strip() not in open(srv.log_path, "rb").read():
        check(time.monotonic() < deadline, "s_server received the line: %r" % srv.log_text())
        time.sleep(0.05)
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "tls.request events of the s_client pid")
    ev = evs[0]
    eq(ev["process"]["pid"], p.pid, "process.pid")
    eq(ev["process"]["exe"], OPENSSL, "process.exe")
    check_tls(ev, "openssl", srv.port)
    eq(ev["tls"].get("protocol"), "not_http", "tls.protocol")
    check("http" not in ev, "no http part")
    check("http_stream_lost" not in ev["tls"], "no HTTP stream to lose")
    check(hop(ev, "credential") is None, "no credential hop")


@with_tls()
def test_tls_not_http(d, fx):
    """openssl s_client sending a line that is not HTTP: one event with
    tls.protocol not_http, no http part, the server name."""
    not_http_case(d, fx, b"hello from idtrace.test, not http at all\n")


@with_tls()
def test_tls_not_http_smtp_like(d, fx):
    """A line that starts like a request (upper-case word, space) but is no
    request line (SMTP's EHLO): still not_http once the line is complete."""
    not_http_case(d, fx, b"EHLO client.idtrace.test\r\n")

# A server that completes the handshake, then stalls before reading, so the
# client's socket buffer fills and its non-blocking SSL_write must be retried.
PY_STALL_SERVER = r"""
import socket, ssl, sys, time
cert, key, port, stall = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
ls.bind(("127.0.0.1", port))
ls.listen(1)
while True:  # the first connection is the harness seeing that we listen
    c, _ = ls.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        break
    except (ssl.SSLError, OSError):
        c.close()
time.sleep(stall)
head = b""
while b"\r\n\r\n" not in head:
    head += t.recv(65536)
length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
got = len(head.split(b"\r\n\r\n", 1)[1])
while got < length:
    got += len(t.recv(1 << 20))
t.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
t.close()
"""

# One POST of 4 MB in a single buffer on a non-blocking socket: OpenSSL
# returns WANT_WRITE when the socket is full, and the retry must pass the
# same buffer and length. Prints how many retries it made.
PY_RETRY_CLIENT = r"""
import select, socket, ssl, sys
port, token = int(sys.argv[1]), sys.stdin.readline().strip()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", port))
raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
s = ctx.wrap_socket(raw, server_hostname="localhost")
body = b"x" * (4 << 20)
data = memoryview(b"POST /upload/retry?part=1 HTTP/1.1\r\nHost: localhost\r\n"
                  b"Authorization: Bearer " + token.encode() + b"\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body) + body)
s.setblocking(False)
sent = retries = 0
while sent < len(data):
    try:
        sent += s.send(data[sent:])
    except ssl.SSLWantWriteError:
        retries += 1
        select.select([], [s], [], 5)
s.setblocking(True)
while s.recv(4096):
    pass
print(retries)
"""


@with_tls()
def test_tls_write_retry_not_recaptured(d, fx):
    """A non-blocking SSL_write that the socket cannot take whole is retried
    by the client with the same buffer: the retry is recognised in the
    kernel (kernel.tls_write_retries) and the request is reported once,
    with its head read once."""
    port = free_port()
    srv = Server(["/usr/bin/python3", "-c", PY_STALL_SERVER, fx.cert, fx.key, str(port), "1.5"],
                 port, os.path.join(fx.dir, "stall-server.log"))
    fx.servers.append(srv)
    token = fx.secret(canary("idtretry"))
    p = spawn(["/usr/bin/python3", "-c", PY_RETRY_CLIENT, str(port)], env=PATH_ENV,
              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    out, _ = p.communicate((token + "\n").encode(), timeout=60)
    eq(p.returncode, 0, "python3 client exit status")
    retries = int(out.decode().strip() or "0")
    check(retries >= 1, "the client had to retry a write (it made %d retries)" % retries)
    d.wait_for(is_req(p.pid))
    events = d.stop()
    evs = [e for e in events if is_req(p.pid)(e)]
    eq(len(evs), 1, "tls.request events of the client pid")
    http = evs[0]["http"]
    eq(http["method"], "POST", "http.method")
    eq(http["path"], "/upload/retry", "http.path")
    eq(http["host"], "localhost", "http.host")
    eq(http["authorization"]["scheme"], "Bearer", "authorization.scheme")
    eq(http["authorization"]["fingerprint"], fx.fingerprint(token), "token fingerprint")
    eq(evs[0]["tls"]["remote"]["port"], port, "tls.remote.port")
    stats = events[-1]
    check(stats["kernel"]["tls_write_retries"] >= 1,
          "kernel.tls_write_retries counts the retry: %r" % stats["kernel"].get("tls_write_retries"))
    eq(stats["lost"]["total"], 0, "nothing lost")


EMBEDDED_CLIENT = os.path.join(HELPERS, "tls_embedded_client")


@with_tls()
def test_tls_embedded_openssl_membio(d, fx):
    """A program that carries OpenSSL inside (static, exported: as Node.js
    does) is found in its own mappings and traced. It drives TLS through
    memory BIOs and calls SSL_write before the handshake is done, again after
    each step, from a moved copy: each of its 3 identical keep-alive requests
    is reported exactly once, with the socket found through
    SSL_set_connect_state."""
    srv = fx.nginx()
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:embedded",
                          "aud": "api.idtrace.test"})
    p = spawn([EMBEDDED_CLIENT, str(srv.port), "localhost", "/embedded/call", "3"],
              env=PATH_ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    wait_attached(d, EMBEDDED_CLIENT)  # the program waits for its token meanwhile
    out, _ = p.communicate((jwt + "\n").encode(), timeout=60)
    eq(p.returncode, 0, "client exit status")
    attempts = int(out.decode().split("=")[1])
    check(attempts > 3, "SSL_write was called again during the handshake (%d calls)" % attempts)
    evs = requests_of(d, p.pid, count=3)
    eq(len(evs), 3, "one tls.request per request")
    fp = fx.fingerprint(jwt)
    for ev in evs:
        check_tls(ev, "openssl", srv.port)
        http = ev["http"]
        eq(http["version"], "1.1", "http.version")
        eq(http["method"], "GET", "http.method")
        eq(http["path"], "/embedded/call", "http.path")
        eq(http["host"], "localhost", "http.host")
        eq(http["user_agent"], "embedded-client/1", "http.user_agent")
        eq(http["authorization"]["fingerprint"], fp, "fingerprint")
        eq(http["authorization"]["claims"]["sub"], "svc:embedded", "claims.sub")
    eq(len({e["tls"]["local"]["port"] for e in evs}), 1, "one connection")
    stats = d.stopped_events[-1]
    eq(stats["type"], "agent.stats", "last line")
    # (the counter is host-wide: another client's retries would only add)
    check(stats["kernel"]["tls_write_retries"] >= attempts - 3,
          "every call but the three that went out is counted as a retry: %d of %d calls"
          % (stats["kernel"]["tls_write_retries"], attempts))
    libs = [lib for lib in d.events()[0].get("tls_libraries", [])
            if lib["path"] == EMBEDDED_CLIENT]
    eq(libs, [], "not there at start: found later, in the process's mappings")


SYSTEM_LIBSSL_DIR = "/usr/lib/x86_64-linux-gnu"


@with_tls()
def test_tls_library_new_to_host(d, fx):
    """A libssl the host has not seen (a container's own, a program's bundled
    copy: the same code in another file) is found as a process maps it and
    attached, and that process's requests from then on are reported whole,
    with their server name (and a later process's from its start): curl
    linked to it at exec, and python3, which dlopen()s it at `import ssl`
    long after its exec."""
    srv = fx.nginx()

    curl_lib = libssl_copy(fx, "curl-lib")
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:container"})
    hdrs = header_file(fx, "new.hdr", ["Authorization: Bearer " + jwt])
    p = curl_after_attach(d, curl_lib, ["-sk", "--http1.1", "--resolve",
                                        "localhost:%d:127.0.0.1" % srv.port, "-H", "@" + hdrs,
                                        "-o", "/dev/null"],
                          "https://localhost:%d/first/call?t=1" % srv.port)
    ev = d.wait_for(is_req(p.pid))[0]
    check_tls(ev, "openssl", srv.port)
    eq(ev["http"]["path"], "/first/call", "curl: http.path")
    eq(ev["http"]["authorization"]["fingerprint"], fx.fingerprint(jwt), "curl: fingerprint")
    # the next process linked to the copy is traced from its start, unwaited
    again = spawn([CURL, "-sk", "--http1.1", "--resolve", "localhost:%d:127.0.0.1" % srv.port,
                   "-o", "/dev/null", "https://localhost:%d/next/process" % srv.port],
                  env=dict(PATH_ENV, LD_LIBRARY_PATH=curl_lib))
    finish(again, "second curl")
    ev2 = d.wait_for(is_req(again.pid))[0]
    check_tls(ev2, "openssl", srv.port)
    eq(ev2["http"]["path"], "/next/process", "second curl: http.path")

    py_lib = libssl_copy(fx, "python-lib")
    key = bearer_jwt(fx, {"sub": "svc:late-loader"})
    request = ("GET /late/load HTTP/1.1\r\nHost: localhost\r\nUser-Agent: idt-late/1\r\n"
               "Authorization: Bearer KEY\r\nConnection: close\r\n\r\n")
    q = spawn(["/usr/bin/python3", "-c", PY_LATE_CLIENT, str(srv.port), request],
              env=dict(PATH_ENV, LD_LIBRARY_PATH=py_lib), stdin=subprocess.PIPE,
              stdout=subprocess.PIPE)
    time.sleep(0.5)  # past the scan after its exec: the library is not mapped yet
    with open("/proc/%d/maps" % q.pid) as f:
        check(py_lib not in f.read(), "python3 has not loaded its libssl yet")
    q.stdin.write((key + "\n").encode())
    q.stdin.flush()
    eq(q.stdout.readline(), b"loaded\n", "python3 imported ssl")
    wait_attached(d, os.path.join(py_lib, "libssl.so.3"))
    q.stdin.write(b"go\n")
    q.stdin.close()
    finish(q, "python3 client")
    evs = requests_of(d, q.pid)
    eq(len(evs), 1, "python3: exactly one tls.request")
    check_tls(evs[0], "openssl", srv.port)
    eq(evs[0]["http"]["path"], "/late/load", "python3: http.path")
    eq(evs[0]["http"]["authorization"]["claims"]["sub"], "svc:late-loader", "python3: claims.sub")
    eq([e for e in d.stopped_events if is_req(p.pid)(e)], [ev], "curl: exactly one tls.request")
    log = open(d.stderr_path).read()
    for where in (curl_lib, py_lib):
        check("TLS: attached to %s/libssl.so.3 (openssl 3." % where in log,
              "attached to the copy in %s: %r" % (where, log[-800:]))
    stats = d.stopped_events[-1]
    check(stats["tls"]["libraries_found_at_map"] >= 2,
          "both found as they were mapped: %r" % stats["tls"])


@with_tls()
def test_tls_library_on_reused_inode(d, fx):
    """A libssl copied where a program the daemon judged (no TLS library)
    was deleted gets that program's inode number (ext4 hands a freed number
    to the next file made, as on a CI runner that builds and deletes
    binaries all day): it is another file all the same, told apart by its
    change time, found as curl maps it, attached, and curl's request is
    reported."""
    srv = fx.nginx()
    lib = os.path.join(fx.dir, "reuse-lib")
    os.makedirs(lib)
    shutil.copy2(os.path.join(SYSTEM_LIBSSL_DIR, "libcrypto.so.3"), lib)
    prog = os.path.join(lib, "build-step")
    shutil.copy2("/bin/sleep", prog)
    old_ino = os.stat(prog).st_ino
    p = spawn([prog, "0.6"], env=PATH_ENV)
    finish(p, "the deleted program")
    d.wait_for(lambda e: e.get("type") == "process.exec" and e["process"]["pid"] == p.pid)
    time.sleep(0.3)  # its file was judged at its exec, its mappings while it ran
    os.unlink(prog)
    ssl = os.path.join(lib, "libssl.so.3")
    copy_onto_inode(os.path.join(SYSTEM_LIBSSL_DIR, "libssl.so.3"), ssl, old_ino)
    eq(os.stat(ssl).st_ino, old_ino, "the copy has the deleted program's inode number")
    c = curl_after_attach(d, lib, ["-sk", "--http1.1", "--resolve",
                                   "localhost:%d:127.0.0.1" % srv.port, "-o", "/dev/null"],
                          "https://localhost:%d/reused/inode" % srv.port)
    ev = d.wait_for(is_req(c.pid))[0]
    check_tls(ev, "openssl", srv.port)
    eq(ev["http"]["path"], "/reused/inode", "http.path")


@with_tls()
def test_tls_ipv6_loopback(d, fx):
    """curl to openssl s_server on [::1]: the 4-tuple is IPv6, by address
    (curl sends no server name for an IP) and by a name resolved to ::1 (the
    name is the SNI); paths without their query."""
    try:
        free_port("::1")
    except OSError as e:
        raise TestFailure("IPv6 loopback (::1) is not available on this machine: %s" % e)
    srv = fx.s_server(host="::1")
    by_ip = spawn([CURL, "-sk", "-o", "/dev/null", "https://[::1]:%d/v6/by-ip?q=%s"
                   % (srv.port, fx.secret(canary()))], env=PATH_ENV)
    finish(by_ip, "curl by address")
    ev = d.wait_for(is_req(by_ip.pid))[0]
    tls = ev["tls"]
    eq(tls["remote"], {"ip": "::1", "port": srv.port}, "tls.remote")
    eq(tls["local"]["ip"], "::1", "tls.local.ip")
    check(tls["local"]["port"] > 0 and tls["local"]["port"] != srv.port, "tls.local.port")
    eq(tls.get("server_name"), None, "no server name for an address")
    eq(ev["http"]["path"], "/v6/by-ip", "http.path")
    eq(ev["http"]["host"], "[::1]:%d" % srv.port, "http.host")
    eq(ev["chain"][-1], {"kind": "destination", "host": "[::1]:%d" % srv.port, "ip": "::1",
                         "port": srv.port}, "destination hop")
    by_name = spawn([CURL, "-sk", "-o", "/dev/null", "--resolve",
                     "v6.idtrace.test:%d:::1" % srv.port,
                     "https://v6.idtrace.test:%d/v6/by-name" % srv.port], env=PATH_ENV)
    finish(by_name, "curl by name")
    evs = requests_of(d, by_name.pid)
    eq(len(evs), 1, "exactly one tls.request")
    eq(evs[0]["tls"]["server_name"], "v6.idtrace.test", "tls.server_name")
    eq(evs[0]["tls"]["remote"], {"ip": "::1", "port": srv.port}, "tls.remote")
    eq(evs[0]["http"]["path"], "/v6/by-name", "http.path")
    eq(len([e for e in d.stopped_events if is_req(by_ip.pid)(e)]), 1,
       "exactly one tls.request by address")


GIT = "/usr/bin/git"


@with_tls(git_store=True)
def test_tls_git_https_credential_store(d, fx):
    """git over HTTPS (git-remote-https: libcurl with GnuTLS, HTTP/2) with the
    credential store: nginx asks for Basic, git's credential-store reads
    ~/.git-credentials, and git-remote-https sends the login. The request
    with it is linked to that read (the store's process and the file), the
    one before it carries no credential, and the password never appears."""
    url = "https://localhost:%d/repo.git" % fx.git_srv.port
    env = dict(PATH_ENV, HOME=fx.home, GIT_SSL_NO_VERIFY="1", GIT_TERMINAL_PROMPT="0")
    p = spawn([GIT, "-c", "credential.helper=store", "ls-remote", url], env=env,
              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = p.communicate(timeout=60)
    check(b"not found" in err, "git got past the login to nginx's 404: %r" % err[-300:])
    d.wait_for(lambda e: e.get("type") == "tls.request"
               and "authorization" in e.get("http", {}))
    events = d.stop()
    reads = [e for e in events if e.get("type") == "credential.read"
             and e["file"]["path"] == fx.git_credentials
             and "credential-store" in e["process"]["args"]]
    check(len(reads) >= 1, "git credential-store read ~/.git-credentials: %r"
          % [(e["type"], e["process"]["args"]) for e in events
             if e.get("type") == "credential.read"])
    reader = reads[-1]
    eq(reader["credential"]["type"], "git", "credential.type")
    fp = fx.fingerprint(fx.git_password)
    eq(reader["credential"]["fingerprint"], fp, "the read's fingerprint is the password's")
    reqs = [e for e in events if e.get("type") == "tls.request"
            and e["process"]["exe"].endswith("/git-remote-https")]
    eq(len(reqs), 2, "git-remote-https: the request without the login, then with it")
    eq("authorization" in reqs[0]["http"], False, "the first request carries no login")
    for ev in reqs:
        check_tls(ev, "gnutls", fx.git_srv.port)
        http = ev["http"]
        eq(http["version"], "2", "http.version (libcurl negotiated h2)")
        eq(http["method"], "GET", "http.method")
        eq(http["path"], "/repo.git/info/refs", "http.path")
        eq(http.get("query_removed"), True, "?service=git-upload-pack removed")
        check(http["user_agent"].startswith("git/"), "user agent: %r" % http["user_agent"])
    auth = reqs[1]["http"]["authorization"]
    eq((auth["scheme"], auth["user"], auth["fingerprint"]), ("Basic", "deployer", fp),
       "authorization")
    cred = hop(reqs[1], "credential")
    eq((cred["type"], cred["path"], cred["read_by_pid"], cred["read_by_exec_id"]),
       ("git", fx.git_credentials, reader["process"]["pid"], reader["process"]["exec_id"]),
       "the credential hop names the store's read")
    check(not any(r.startswith("credential_crossed_identities")
                  for r in reqs[1]["provenance"]["reasons"]),
          "one originator: not crossed (%r)" % reqs[1]["provenance"]["reasons"])


# Debian 11's OpenSSL 1.1, unpacked by scripts/openssl11.sh (make kernel-test)
OPENSSL11_ROOT = os.path.realpath(os.path.join(HELPERS, "..", "..", "peers", "openssl-1.1"))
OPENSSL11 = os.path.join(OPENSSL11_ROOT, "usr", "bin", "openssl")
LIBSSL11 = os.path.join(OPENSSL11_ROOT, "usr", "lib", "x86_64-linux-gnu", "libssl.so.1.1")


@with_tls()
def test_tls_openssl_11_own_libssl(d, fx):
    """A program that brings its own OpenSSL 1.1 (Debian 11's, from a
    directory of its own, as vendored and older images do): the daemon finds
    libssl.so.1.1 as it is mapped (by `openssl enc`, its first run),
    names the version, and the next run's request is exact, with the server
    name, the 4-tuple and the token's fingerprint and claims."""
    check(os.path.exists(LIBSSL11), "OpenSSL 1.1 unpacked at %s (scripts/openssl11.sh)"
          % OPENSSL11_ROOT)
    srv = fx.nginx()
    env = dict(PATH_ENV, LD_LIBRARY_PATH=os.path.dirname(LIBSSL11),
               OPENSSL_CONF="/dev/null")
    # alive (reading its stdin) until the daemon has looked at its mappings
    first = spawn([OPENSSL11, "enc", "-base64"], env=env, stdin=subprocess.PIPE,
                  stdout=subprocess.DEVNULL)
    wait_attached(d, LIBSSL11)
    first.stdin.close()
    finish(first, "openssl 1.1 enc")
    s_client = [OPENSSL11, "s_client", "-connect", "127.0.0.1:%d" % srv.port,
                "-servername", "localhost", "-quiet"]
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:legacy",
                          "aud": "api.idtrace.test"})
    qcanary = fx.secret(canary())
    request = ("GET /legacy/v1?sig=%s HTTP/1.1\r\nHost: localhost\r\n"
               "User-Agent: legacy-client/1.1\r\nAuthorization: Bearer %s\r\n"
               "Connection: close\r\n\r\n" % (qcanary, jwt))
    # -quiet: s_client waits for the server's answer after its stdin's end
    p = spawn(s_client, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
              stderr=subprocess.DEVNULL)
    out, _ = p.communicate(request.encode(), timeout=60)
    eq(p.returncode, 0, "s_client exit status")
    check(b"HTTP/1.1 200" in out, "nginx answered: %r" % out[:200])
    evs = requests_of(d, p.pid)
    eq(len(evs), 1, "exactly one tls.request")
    ev = evs[0]
    check_tls(ev, "openssl", srv.port)
    http = ev["http"]
    eq(http["version"], "1.1", "http.version")
    eq(http["method"], "GET", "http.method")
    eq(http["path"], "/legacy/v1", "http.path")
    eq(http.get("query_removed"), True, "query removed")
    eq(http["host"], "localhost", "http.host")
    eq(http["user_agent"], "legacy-client/1.1", "http.user_agent")
    eq(http["authorization"]["fingerprint"], fx.fingerprint(jwt), "fingerprint")
    eq(http["authorization"]["claims"]["sub"], "svc:legacy", "claims.sub")
    eq(ev["process"]["exe"], OPENSSL11, "process.exe")
    check("TLS: attached to %s (openssl 1.1.1w)" % LIBSSL11 in d.stderr_text(),
          "the daemon names the library's version: %r" % d.stderr_text()[-600:])


GO_CLIENT_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "helpers",
                             "go_tls_client.go")


def build_go_client(fx, stripped):
    """go build the test client (Debian's golang-go, installed by deps.sh);
    stripped: with -s -w, as release builds are (no symbol table)."""
    out = os.path.join(fx.dir, "go_tls_client" + ("_stripped" if stripped else ""))
    env = dict(PATH_ENV, HOME=fx.dir, GOCACHE="/var/tmp/idtrace-test-gocache",
               GOFLAGS="-buildvcs=false", CGO_ENABLED="0", GO111MODULE="off")
    argv = ["go", "build", "-o", out] + (["-ldflags=-s -w"] if stripped else [])
    r = subprocess.run(argv + [os.path.abspath(GO_CLIENT_SRC)], env=env,
                       cwd=fx.dir, capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "go build: %s" % r.stderr[-2000:])
    return out


@with_tls()
def test_tls_go_crypto_tls_http2(d, fx):
    """A Go program (crypto/tls linked in, nothing exported) is found in its
    own mappings and traced at crypto/tls.(*Conn).Write, found in the Go
    runtime's function table: its two HTTP/2 requests to nginx on one
    connection, exact, with the socket and the server name found; and the
    same program built with -s -w (no symbol table, as release builds are)."""
    srv = fx.nginx()
    pids = [go_client_case(d, fx, srv, build_go_client(fx, stripped))
            for stripped in (False, True)]
    # A short-lived program, never seen: it runs at once, unwaited. The daemon
    # inspects the file at its exec, so the next run is traced from its start.
    fresh = os.path.join(fx.dir, "go_tls_client_fresh")
    shutil.copy(build_go_client(fx, True), fresh)
    jwt = bearer_jwt(fx, {"sub": "svc:short-lived"})
    runs = []
    for n in range(2):
        p = spawn([fresh, "https://localhost:%d/short/lived" % srv.port, "2"], env=PATH_ENV,
                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        p.communicate((jwt + "\n").encode(), timeout=60)
        eq(p.returncode, 0, "short-lived client exit status")
        runs.append(p.pid)
        if n == 0:
            # attached from the exec of a run that is gone (the daemon takes
            # the exec's record within its poll interval)
            wait_attached(d, fresh)
    d.wait_for(is_req(runs[1]), count=2)
    events = d.stop()  # all drained: an extra event would be here
    eq([len([e for e in events if is_req(pid)(e)]) for pid in pids], [2, 2],
       "exactly one tls.request per request, for each build")
    second = [e for e in events if is_req(runs[1])(e)]
    eq([e["http"]["path"] for e in second], ["/short/lived"] * 2, "the second run, whole")
    eq(second[0]["http"]["authorization"]["fingerprint"], fx.fingerprint(jwt), "fingerprint")
    eq(second[0]["tls"].get("server_name"), "localhost", "the second run: tls.server_name")
    eq([e for e in events if e.get("type") == "tls.request"
        and e["process"]["exe"].endswith("/nginx")], [], "nginx's side is not reported")


@with_tls()
def test_tls_go_http2_header_block_past_capture(d, fx):
    """Go writes a large header block's HEADERS and CONTINUATION frames in
    one call, larger than a write's capture: that request is reported cut
    (http.truncated, with its request line; the credential was in the part
    not captured), and the
    connection's later requests are still reported, without their headers
    (the lost bytes may have changed the HPACK table): none vanishes."""
    srv = fx.nginx(extra="large_client_header_buffers 4 64k;")
    client = build_go_client(fx, True)
    jwt = bearer_jwt(fx, {"sub": "svc:big-header"})
    p = spawn([client, "https://localhost:%d/go/big?x=1" % srv.port, "3"],
              env=dict(PATH_ENV, IDT_BIG_AUTH="30000"), stdin=subprocess.PIPE,
              stdout=subprocess.PIPE)
    wait_attached(d, client)
    out, _ = p.communicate((jwt + "\n").encode(), timeout=60)
    eq(p.returncode, 0, "client exit status")
    eq(out.decode().split(), ["HTTP/2.0"] * 3, "three HTTP/2 requests, all answered")
    d.wait_for(is_req(p.pid), count=3)
    evs = [e for e in d.stop() if is_req(p.pid)(e)]
    eq(len(evs), 3, "one tls.request per request")
    first, big, after = (e["http"] for e in evs)
    eq((first["path"], first["authorization"]["fingerprint"]), ("/go/big", fx.fingerprint(jwt)),
       "the first request, whole")
    eq((big["method"], big["path"], big.get("truncated")), ("GET", "/go/big", True),
       "the large one: its request line, and cut")
    check(big.get("authorization", {}).get("fingerprint") is None,
          "no fingerprint of a cut credential")
    eq((after.get("headers_unknown"), after.get("path")), (True, None),
       "the one after: counted, without its headers")
    for e in evs:
        eq(e["tls"]["remote"]["port"], srv.port, "tls.remote.port")


@with_tls()
def test_tls_go_program_on_reused_inode(d, fx):
    """A Go program built where a program the daemon had run was deleted
    gets its inode number (ext4), and is run briefly by a relative path
    under a new name (./g1, as a build step does): its first exec still
    wakes the daemon, which finds the file while the process runs and
    attaches, so its later runs are traced from their start."""
    srv = fx.nginx()
    client = build_go_client(fx, True)
    work = os.path.join(fx.dir, "ws")
    os.makedirs(work)
    shutil.copy2("/bin/true", os.path.join(work, "t1"))
    old_ino = os.stat(os.path.join(work, "t1")).st_ino
    p = spawn(["./t1"], env=PATH_ENV, cwd=work)
    finish(p, "the deleted program")
    d.wait_for(lambda e: e.get("type") == "process.exec" and e["process"]["pid"] == p.pid)
    time.sleep(0.3)
    os.unlink(os.path.join(work, "t1"))
    copy_onto_inode(client, os.path.join(work, "g1"), old_ino)
    eq(os.stat(os.path.join(work, "g1")).st_ino, old_ino,
       "the Go program has the deleted program's inode number")
    jwt = bearer_jwt(fx, {"sub": "svc:reused-inode"})
    pids = []
    for n in range(3):
        p = spawn(["./g1", "https://localhost:%d/reused/go" % srv.port, "1"], env=PATH_ENV,
                  cwd=work, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        p.communicate((jwt + "\n").encode(), timeout=60)
        eq(p.returncode, 0, "run %d's exit status" % n)
        pids.append(p.pid)
        if n == 0:
            wait_attached(d, os.path.join(work, "g1"))
    ev = d.wait_for(is_req(pids[2]))[0]
    eq(ev["tls"]["library"], "go", "tls.library")
    eq(ev["http"]["path"], "/reused/go", "http.path")
    eq(ev["http"]["authorization"]["fingerprint"], fx.fingerprint(jwt), "fingerprint")


def go_client_case(d, fx, srv, client):
    jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:go-deployer",
                          "aud": "api.idtrace.test"})
    p = spawn([client, "https://localhost:%d/go/call?x=1" % srv.port, "2"], env=PATH_ENV,
              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    wait_attached(d, client)
    out, _ = p.communicate((jwt + "\n").encode(), timeout=60)
    eq(p.returncode, 0, "client exit status")
    eq(out.decode().split(), ["HTTP/2.0", "HTTP/2.0"], "the client spoke HTTP/2")
    evs = d.wait_for(is_req(p.pid), count=2)
    fp = fx.fingerprint(jwt)
    for ev in evs:
        tls = ev["tls"]
        eq(tls["library"], "go", "tls.library")
        eq(tls.get("server_name"), "localhost", "tls.server_name (from hostnameInSNI)")
        eq(tls["remote"], {"ip": "127.0.0.1", "port": srv.port}, "tls.remote")
        http = ev["http"]
        eq(http["version"], "2", "http.version")
        eq(http["method"], "GET", "http.method")
        eq(http["path"], "/go/call", "http.path")
        eq(http.get("query_removed"), True, "query removed")
        eq(http["host"], "localhost:%d" % srv.port, "http.host (:authority)")
        eq(http["user_agent"], "go-client/1", "user_agent")
        eq(http["authorization"]["fingerprint"], fp, "fingerprint")
        eq(http["authorization"]["claims"]["sub"], "svc:go-deployer", "claims.sub")
        eq(ev["chain"][-1]["kind"], "destination", "destination hop")
    eq(evs[0]["tls"]["local"], evs[1]["tls"]["local"], "one connection")
    return p.pid


# A client whose session is made before the daemon starts, then only reads:
# prints its local port and fd once the handshake is done, waits for "go",
# reads until the server's line arrives, and closes the session.
PY_READ_ONLY_CLIENT = r"""
import socket, ssl, sys
port, want = int(sys.argv[1]), sys.argv[2].encode()
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")
print(s.getsockname()[1], s.fileno(), flush=True)
sys.stdin.readline()
got = b""
while want not in got:
    chunk = s.recv(4096)
    if not chunk:
        sys.exit(3)
    got += chunk
print("got", flush=True)
s.close()
del s
sys.stdin.readline()
"""


def read_only_prestart_case(client_argv, lib, read_port_fd, go, end_session, env=None):
    """A client session made before the daemon starts that only receives:
    its SSL_read / gnutls_record_recv finds the socket through the read
    underneath (a TLS record), and the session's end gives one tls.request
    with the 4-tuple and no http part. No server name: it was set before
    the start. go: the client waits for a line before it reads;
    end_session(p, line): the client ends its session once line arrived;
    env: the daemon's."""
    fx = TLSFixture()
    d = Daemon("--key-file", fx.key_file, env=env)
    try:
        srv = fx.s_server(www=False)
        p = spawn(client_argv(srv.port), env=PATH_ENV, stdin=subprocess.PIPE,
                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        lport, fd = read_port_fd(p)
        d.start()  # after the handshake: the session's start is not seen
        if go:
            p.stdin.write(b"go\n")
            p.stdin.flush()
        line = b"server-speaks-first-" + canary("line").encode() + b"\n"
        srv.proc.stdin.write(line)
        srv.proc.stdin.flush()
        end_session(p, line)
        ev = d.wait_for(is_req(p.pid))[0]
        tls = ev["tls"]
        eq(tls["library"], lib, "tls.library")
        eq(tls["remote"], {"ip": "127.0.0.1", "port": srv.port}, "tls.remote")
        eq(tls["local"], {"ip": "127.0.0.1", "port": lport}, "tls.local")
        if fd is not None:
            eq(tls.get("fd"), fd, "tls.fd")
        eq(tls.get("protocol"), "no_data", "tls.protocol")
        check("server_name" not in tls, "no server name: set before the daemon started")
        check("http" not in ev, "no http part: the session sent nothing")
        eq(ev["process"]["pid"], p.pid, "process.pid")
        dest = ev["chain"][-1]
        eq((dest["kind"], dest["ip"], dest["port"]), ("destination", "127.0.0.1", srv.port),
           "destination hop")
        p.stdin.close()
        finish(p, client_argv(0)[0])
        events = d.stop()
        eq(len([e for e in events if is_req(p.pid)(e)]), 1, "one tls.request for the session")
        eq(sorted({pr["hook"] for pr in events[0]["probes"] if pr["name"] == "tls_socket"}),
           socket_finder_hooks(env), "the socket finder's hooks")
        check(events[-1]["kernel"]["tls_conn"] >= 1, "kernel.tls_conn counts it: %r"
              % events[-1]["kernel"].get("tls_conn"))
        assert_no_secrets(d, fx.secrets)
    finally:
        d.kill()
        fx.remove()


def wait_stdout_line(p, needle, what):
    """Read p's stdout until a line holding needle."""
    line = p.stdout.readline()
    while line and needle not in line:
        line = p.stdout.readline()
    check(line, "%s: %r on its stdout" % (what, needle))


def socket_finder_hooks(env):
    """The hooks agent.ready names for the TLS socket finder under the
    daemon's environment env: the socket layer's events by default, the
    syscall exit events or the raw sys_exit where forced."""
    env = env or {}
    if env.get("IDTRACE_BPF_RAW") == "1":
        return ["tp_btf/sys_exit"]
    if env.get("IDTRACE_BPF_SYSCALL_EVENTS") == "1":
        return ["tp/syscalls/sys_exit_" + n for n in ("read", "readv", "recvfrom", "recvmsg",
                                                      "sendmsg", "sendto", "write", "writev")]
    return ["tp_btf/sock_recv_length", "tp_btf/sock_send_length"]


def python_read_only_case(env=None):
    def port_fd(p):
        lport, fd = p.stdout.readline().split()
        return int(lport), int(fd)

    def end_session(p, line):
        wait_stdout_line(p, b"got", "python3 client")  # it closes its session then
    read_only_prestart_case(
        lambda port: ["/usr/bin/python3", "-c", PY_READ_ONLY_CLIENT, str(port),
                      "server-speaks-first-"], "openssl", port_fd, True, end_session, env)


def test_tls_prestart_session_read_only_openssl(_):
    """python3 (OpenSSL): a session made before the daemon started that only
    reads is found by SSL_read's read of a TLS record."""
    python_read_only_case()


test_tls_prestart_session_read_only_openssl.no_daemon = True


def test_tls_prestart_session_read_only_raw(_):
    """The same on the raw sys_exit (forced): the read's exit reaches the
    socket finder through the open probe's tail call."""
    python_read_only_case({"IDTRACE_BPF_RAW": "1"})


test_tls_prestart_session_read_only_raw.no_daemon = True


def test_tls_prestart_session_read_only_syscall_events(_):
    """The same on the syscall exit trace events (forced; the hook where the
    socket layer's events are missing, before 6.3): the read's exit finds the
    socket from its fd."""
    python_read_only_case({"IDTRACE_BPF_SYSCALL_EVENTS": "1"})


test_tls_prestart_session_read_only_syscall_events.no_daemon = True


def test_tls_prestart_session_read_only_gnutls(_):
    """gnutls-cli: a session made before the daemon started that only reads
    is found by gnutls_record_recv's recv of a TLS record."""
    def port_fd(p):
        # gnutls-cli says nothing of its port: the one connection to the
        # server, from /proc/net/tcp, once its handshake is done
        wait_stdout_line(p, b"Handshake was completed", "gnutls-cli")
        return client_port_of(p.pid), None

    def end_session(p, line):
        wait_stdout_line(p, line.strip(), "gnutls-cli")
        p.stdin.close()  # EOF: gnutls-cli says goodbye and ends its session
    read_only_prestart_case(
        lambda port: [GNUTLS_CLI, "--insecure", "-p", str(port), "127.0.0.1"], "gnutls",
        port_fd, False, end_session)


test_tls_prestart_session_read_only_gnutls.no_daemon = True


def client_port_of(pid):
    """The local port of pid's one TCP socket on 127.0.0.1 (IPv4)."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    with open("/proc/net/tcp") as f:
        for row in f.read().splitlines()[1:]:
            cols = row.split()
            if cols[9] in inodes:
                return int(cols[1].split(":")[1], 16)
    raise TestFailure("no TCP socket of pid %d" % pid)


# A keep-alive client whose connection is made before the daemon starts:
# one request, then "ready"; on "go", COUNT more on the same connection.
PY_KEEPALIVE_CLIENT = r"""
import http.client, ssl, sys
port, count = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
c.request("GET", "/before-start")
c.getresponse().read()
print(c.sock.getsockname()[1], flush=True)
sys.stdin.readline()
for i in range(count):
    c.request("GET", "/after-start/%d" % i)
    c.getresponse().read()
print("done", flush=True)
sys.stdin.readline()
"""


def test_tls_prestart_server_session_not_reported(_):
    """nginx and a keep-alive client both made their session before the
    daemon started: the client's later requests are reported (found by its
    writes), nginx's side of the same connection is not (a socket listens on
    its local port: a server's session, whose SSL_accept was not seen)."""
    fx = TLSFixture()
    d = Daemon("--key-file", fx.key_file)
    try:
        srv = fx.nginx()
        p = spawn(["/usr/bin/python3", "-c", PY_KEEPALIVE_CLIENT, str(srv.port), "2"],
                  env=PATH_ENV, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lport = int(p.stdout.readline())
        d.start()
        p.stdin.write(b"go\n")
        p.stdin.flush()
        wait_stdout_line(p, b"done", "python3 client")
        evs = d.wait_for(is_req(p.pid), count=2)
        p.stdin.close()
        finish(p, "python3 client")
        events = d.stop()
        evs = [e for e in events if is_req(p.pid)(e)]
        eq([e["http"]["path"] for e in evs], ["/after-start/0", "/after-start/1"],
           "the client's requests after the start")
        for ev in evs:
            eq(ev["tls"]["local"], {"ip": "127.0.0.1", "port": lport}, "tls.local")
            eq(ev["tls"]["remote"], {"ip": "127.0.0.1", "port": srv.port}, "tls.remote")
        nginx = [e for e in events if e.get("type") == "tls.request"
                 and e["process"]["exe"] == NGINX]
        eq(nginx, [], "nginx's side of the connection is not reported")
        check(events[-1]["tls"]["server_sessions_dropped"] >= 1,
              "tls.server_sessions_dropped counts it: %r" % events[-1]["tls"])
        assert_no_secrets(d, fx.secrets)
    finally:
        d.kill()
        fx.remove()


test_tls_prestart_server_session_not_reported.no_daemon = True


# An HTTP/2 client (Node.js) whose connection is made before the daemon
# starts: one request, then its local port; on "go", COUNT more requests on
# the same session (HPACK's dynamic table already holds the first's fields).
NODE_H2_PRESTART_JS = r"""
const http2 = require("http2");
const readline = require("readline");
const [port, count, token] = [Number(process.argv[1]), Number(process.argv[2]), process.argv[3]];
const s = http2.connect("https://localhost:" + port, {rejectUnauthorized: false});
const get = (path) => new Promise((ok, fail) => {
  const r = s.request({":path": path, authorization: "Bearer " + token});
  r.on("response", () => {}); r.resume(); r.on("end", ok); r.on("error", fail); r.end();
});
get("/before-start").then(() => {
  console.log(s.socket.localPort);
  readline.createInterface({input: process.stdin}).once("line", async () => {
    for (let i = 0; i < count; i++) await get("/after-start/" + i);
    console.log("done");
    s.close();
  });
});
"""


def test_tls_prestart_http2_requests_counted(_):
    """An HTTP/2 session made before the daemon started: its HPACK state is
    unknown, so its requests' headers cannot be decoded (a dynamic-table
    reference would give another request's value), but each request made
    after the start is reported once, with the session's socket, version 2
    and http.headers_unknown, not as plaintext that is not HTTP."""
    fx = TLSFixture()
    d = Daemon("--key-file", fx.key_file)
    try:
        srv = fx.nginx()
        jwt = bearer_jwt(fx, {"iss": "https://issuer.idtrace.test", "sub": "svc:h2"})
        p = spawn([NODE, "-e", NODE_H2_PRESTART_JS, str(srv.port), "3", jwt], env=PATH_ENV,
                  stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        lport = int(p.stdout.readline())
        d.start()
        p.stdin.write(b"go\n")
        p.stdin.flush()
        wait_stdout_line(p, b"done", "node http2 client")
        d.wait_for(is_req(p.pid), count=3)
        p.stdin.close()
        finish(p, "node http2 client")
        evs = [e for e in d.stop() if is_req(p.pid)(e)]
        eq(len(evs), 3, "one tls.request per request after the start")
        for ev in evs:
            eq(ev["http"], {"version": "2", "headers_unknown": True}, "http")
            eq(ev["tls"]["local"], {"ip": "127.0.0.1", "port": lport}, "tls.local")
            eq(ev["tls"]["remote"], {"ip": "127.0.0.1", "port": srv.port}, "tls.remote")
            check("protocol" not in ev["tls"], "not labelled not_http: %r" % ev["tls"])
        assert_no_secrets(d, fx.secrets)
    finally:
        d.kill()
        fx.remove()


test_tls_prestart_http2_requests_counted.no_daemon = True


CASES = [
    test_tls_curl_http1_openssl,
    test_tls_curl_secrets_in_request,
    test_tls_ipv6_loopback,
    test_tls_raw_tail_call,
    test_tls_raw_without_file_probes,
    test_tls_syscall_events_hook,
    test_tls_socket_finder_ignores_file_io,
    test_tls_https_proxy_authorization,
    test_tls_curl_http2_nginx,
    test_tls_curl_http2_after_upload,
    test_tls_python_ssl_api_key,
    test_tls_fork_after_handshake,
    test_tls_gnutls_cli_basic,
    test_tls_linked_credential,
    test_tls_crossed_identities,
    test_tls_own_read_not_crossed,
    test_tls_ci_job_token,
    test_tls_ci_job_token_seeded,
    test_tls_aws_sigv4_linked_to_file,
    test_tls_aws_sigv4_without_key_id,
    test_tls_crossed_between_jobs_of_one_runner,
    test_tls_node_parallel_once_each,
    test_tls_prestart_http2_requests_counted,
    test_tls_basic_linked_to_netrc,
    test_tls_basic_linked_to_second_netrc_entry,
    test_tls_git_https_credential_store,
    test_tls_not_http,
    test_tls_not_http_smtp_like,
    test_tls_write_retry_not_recaptured,
    test_tls_embedded_openssl_membio,
    test_tls_openssl_11_own_libssl,
    test_tls_library_new_to_host,
    test_tls_library_on_reused_inode,
    test_tls_go_crypto_tls_http2,
    test_tls_go_http2_header_block_past_capture,
    test_tls_go_program_on_reused_inode,
    test_tls_prestart_session_read_only_openssl,
    test_tls_prestart_session_read_only_gnutls,
    test_tls_prestart_session_read_only_raw,
    test_tls_prestart_session_read_only_syscall_events,
    test_tls_prestart_server_session_not_reported,
]

