"""The base of the small HTTP servers the end-to-end tests put in front of moto (the trust check,
the recording STS): quiet, HTTP/1.1, and a reply() that sets Content-Length itself."""
from http.server import BaseHTTPRequestHandler

HOP_HEADERS = ("content-length", "transfer-encoding", "connection", "date", "server")


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, headers, body):
        """Sends status, the headers (less the hop-by-hop ones) and body."""
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in HOP_HEADERS:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
