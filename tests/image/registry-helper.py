#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Servers for the registry tests (tests/image/registry-*.sh).

usage:
  registry-helper.py port
      print a free TCP port on 127.0.0.1
  registry-helper.py token --port P --cert C --key K --sign-cert SC --sign-key SK
                           --issuer I --service S --users u:p[,u:p] --log FILE [--expires N]
      a Bearer token server (the distribution token spec): GET /token?service=&scope=...
      with Basic credentials (or none: anonymous) answers {"token","expires_in","issued_at"}
      with a JWT signed (RS256) by SK whose x5c header carries SC, which the registry's
      rootcertbundle trusts.  Known users get pull,push on every repository; anonymous
      requests get pull on repositories under public/ only.  Each request is logged.
  registry-helper.py proxy --port P --cert C --key K --upstream HOST:PORT --ca CA --log FILE
                           [--rules JSON] [--upstream-creds u:p]
      an HTTPS proxy in front of the registry that logs every request and can break
      them as the rules say; each rule applies to the first "times" requests whose
      "METHOD path" matches its regular expression "match":
        {"match": RE, "times": N, "status": 429, "headers": {"Retry-After": "1"}}
        {"match": RE, "times": N, "cut": BYTES}        close the connection after BYTES of the body
        {"match": RE, "times": N, "corrupt": OFFSET}   flip one byte of the body
        {"match": RE, "times": N, "append": BYTES}     send BYTES more than the registry did
        {"match": RE, "times": N, "rate": BYTES_PER_S} send the body slowly
        {"match": RE, "times": N, "redirect": "https://localhost:P"}
            answer 307 to that origin's /_storage/<path>, which this proxy serves from the
            registry with --upstream-creds (like a blob store's signed URL); the log says
            whether the client sent an Authorization header there (it must not).
"""
import base64
import http.client
import http.server
import json
import os
import re
import socket
import socketserver
import ssl
import sys
import threading
import time
import urllib.parse


def arg(name, default=None):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def log_line(path, text):
    with open(path, "a") as f:
        f.write(text + "\n")


def serve(handler_cls, port, cert, key):
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(("127.0.0.1", port), handler_cls)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    srv.serve_forever()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt_rs256(claims, key, headers):
    """A signed JWT (RFC 7519, RS256) with the cryptography module alone."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    head = dict(headers, alg="RS256", typ="JWT")
    signing_input = b64url(json.dumps(head, separators=(",", ":")).encode()) + "." + \
        b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


def token_server():
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    port = int(arg("--port"))
    users = dict(u.split(":", 1) for u in arg("--users", "").split(",") if u)
    logf = arg("--log")
    issuer, service = arg("--issuer"), arg("--service")
    expires = int(arg("--expires", "300"))
    with open(arg("--sign-key"), "rb") as f:
        sign_key = serialization.load_pem_private_key(f.read(), None)
    with open(arg("--sign-cert"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def answer(self, code, body, headers=()):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def grant(self, user, scopes):
            access = []
            for sc in scopes:
                parts = sc.split(":")
                if len(parts) != 3 or parts[0] != "repository":
                    continue
                want = parts[2].split(",")
                if user:
                    got = [a for a in want if a in ("pull", "push")]
                else:
                    got = ["pull"] if parts[1].startswith("public/") and "pull" in want else []
                access.append({"type": "repository", "name": parts[1], "actions": got})
            return access

        def issue(self, user, scopes, svc):
            now = int(time.time())
            claims = {"iss": issuer, "sub": user or "", "aud": svc, "exp": now + expires, "nbf": now - 10,
                      "iat": now, "jti": os.urandom(8).hex(), "access": self.grant(user, scopes)}
            tok = jwt_rs256(claims, sign_key, {"x5c": [x5c]})
            return {"token": tok, "access_token": tok, "expires_in": expires,
                    "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}

        def user(self):
            h = self.headers.get("Authorization", "")
            if not h.startswith("Basic "):
                return None, False
            try:
                u, p = base64.b64decode(h[6:]).decode().split(":", 1)
            except Exception:
                return None, True
            return (u, False) if users.get(u) == p else (None, True)

        def do_GET(self):
            url = urllib.parse.urlparse(self.path)
            q = urllib.parse.parse_qs(url.query)
            user, bad = self.user()
            scopes = q.get("scope", [])
            log_line(logf, "GET %s user=%s scopes=%s" % (url.path, user or ("BAD" if bad else "-"), " ".join(scopes)))
            if url.path != "/token":
                return self.answer(404, {"error": "not found"})
            if bad:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
            self.answer(200, self.issue(user, scopes, q.get("service", [service])[0]))

        def do_POST(self):
            n = int(self.headers.get("Content-Length", "0"))
            form = urllib.parse.parse_qs(self.rfile.read(n).decode())
            log_line(logf, "POST %s grant=%s" % (self.path, form.get("grant_type", [""])[0]))
            # identity tokens: "refresh-<user>" stands for a refresh token of that user
            rt = form.get("refresh_token", [""])[0]
            user = rt[8:] if rt.startswith("refresh-") and rt[8:] in users else None
            if not user:
                return self.answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad refresh token"}]})
            scopes = " ".join(form.get("scope", [])).split()
            self.answer(200, self.issue(user, scopes, form.get("service", [service])[0]))

    serve(H, port, arg("--cert"), arg("--key"))


def proxy_server():
    port = int(arg("--port"))
    up_host, up_port = arg("--upstream").rsplit(":", 1)
    logf = arg("--log")
    rules = json.loads(arg("--rules", "[]"))
    lock = threading.Lock()
    up_creds = arg("--upstream-creds")
    up_ctx = ssl.create_default_context(cafile=arg("--ca"))

    def rule_for(line):
        with lock:
            for r in rules:
                if r.get("times", 1) > 0 and re.search(r["match"], line):
                    r["times"] = r.get("times", 1) - 1
                    return dict(r)
        return None

    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def forward(self, path, extra_auth=None):
            n = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(n) if n else None
            hdrs = {k: v for k, v in self.headers.items()
                    if k.lower() not in ("host", "connection", "keep-alive", "transfer-encoding")}
            if extra_auth:
                hdrs["Authorization"] = extra_auth
            c = http.client.HTTPSConnection(up_host, int(up_port), context=up_ctx, timeout=60)
            c.request(self.command, path, body=body, headers=hdrs)
            return c, c.getresponse()

        def handle_one(self):
            line = "%s %s" % (self.command, self.path)
            auth = "auth" if self.headers.get("Authorization") else "noauth"
            rng = self.headers.get("Range", "-")
            log_line(logf, "%s range=%s %s" % (line, rng, auth))
            path = self.path
            extra = None
            if path.startswith("/_storage/"):
                # a blob store's URL: the registry is reached with the proxy's own credentials
                path = path[len("/_storage"):].split("?")[0]
                if up_creds:
                    extra = "Basic " + base64.b64encode(up_creds.encode()).decode()
            r = rule_for(line)
            if r and "status" in r:
                data = json.dumps({"errors": [{"code": "TOOMANYREQUESTS" if r["status"] == 429 else "UNAVAILABLE",
                                               "message": "injected by the test proxy"}]}).encode()
                self.send_response(r["status"])
                for k, v in r.get("headers", {}).items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            if r and "redirect" in r:
                n = int(self.headers.get("Content-Length", "0") or 0)
                if n:
                    self.rfile.read(n)
                self.send_response(307)
                self.send_header("Location", "%s/_storage%s?signature=test" % (r["redirect"], self.path))
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            c, resp = self.forward(path, extra)
            data = resp.read() if self.command != "HEAD" else b""
            if r and "corrupt" in r and data:
                data = bytearray(data)
                data[min(r["corrupt"], len(data) - 1)] ^= 0xFF
                data = bytes(data)
            if r and "append" in r:
                data += b"\0" * r["append"]
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                kl = k.lower()
                if kl in ("content-length", "connection", "transfer-encoding", "keep-alive"):
                    continue
                if kl == "location":
                    v = v.replace("https://%s:%s" % (up_host, up_port), "https://127.0.0.1:%d" % port)
                self.send_header(k, v)
            length = resp.getheader("Content-Length") if self.command == "HEAD" else str(len(data))
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            c.close()
            if self.command == "HEAD":
                return
            if r and "cut" in r:
                self.wfile.write(data[:r["cut"]])
                self.wfile.flush()
                log_line(logf, "CUT %s after %d bytes" % (line, r["cut"]))
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                return
            if r and "rate" in r:
                step = max(1, r["rate"] // 10)
                for i in range(0, len(data), step):
                    try:
                        self.wfile.write(data[i:i + step])
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.1)
                return
            self.wfile.write(data)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_one

    serve(H, port, arg("--cert"), arg("--key"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "port":
        free_port()
    elif cmd == "token":
        token_server()
    elif cmd == "proxy":
        proxy_server()
    else:
        sys.exit(__doc__)
