"""An IMDSv2 emulator for the tests: a token PUT is required, token-less GETs are rejected (401),
and it serves one instance role's credentials. moto's own /latest/meta-data accepts token-less
GETs and serves credentials that belong to no role, so it cannot stand in for EC2 here.

`fault` makes it fail on purpose: `500` answers every request with HTTP 500 (an HTML page, as
IMDS's own errors are), `"hang"` reads the request and never answers (until stop()); `None` works."""
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class Imds:
    def __init__(self, role_name, credentials):
        self.role_name, self.credentials = role_name, credentials
        self.tokens = set()
        self.rejected_tokenless = 0
        self.fault = None
        self.faulted_requests = 0
        self.stopping = threading.Event()
        imds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def send(self, status, body, headers=()):
                data = body.encode()
                self.send_response(status)
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def faulted(self):
                """True if a fault answered (or swallowed) this request."""
                if imds.fault is None:
                    return False
                imds.faulted_requests += 1
                if imds.fault == "hang":
                    imds.stopping.wait(60)
                    self.close_connection = True
                    return True
                self.send(int(imds.fault), f"<html><head><title>{imds.fault} - Error</title></head><body>{imds.fault}</body></html>",
                          [("Content-Type", "text/html")])
                return True

            def do_PUT(self):
                if self.faulted():
                    return
                ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
                if self.path != "/latest/api/token" or not ttl:
                    return self.send(400, "Bad Request")
                token = secrets.token_urlsafe(32)
                imds.tokens.add(token)
                self.send(200, token, [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

            def do_GET(self):
                if self.faulted():
                    return
                if self.headers.get("X-aws-ec2-metadata-token") not in imds.tokens:
                    imds.rejected_tokenless += 1
                    return self.send(401, "Unauthorized")
                if self.path == ROLE_PATH:
                    return self.send(200, imds.role_name)
                if self.path == ROLE_PATH + imds.role_name:
                    doc = dict(Code="Success", LastUpdated="2026-11-23T00:00:00Z", Type="AWS-HMAC", **imds.credentials)
                    return self.send(200, json.dumps(doc))
                self.send(404, "Not Found")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
