"""A minimal local STS for the benchmark: answers AssumeRole and GetCallerIdentity, counts calls.

Signatures are not checked (this measures xacct-cred, not STS). GET /count returns the number
of AssumeRole calls; POST /reset zeroes it. Prints its port on stdout, then serves until killed.
"""
import datetime
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

count = 0
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="text/xml"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.reply(200, str(count), "text/plain")

    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        if self.path == "/reset":
            with lock:
                count = 0
            return self.reply(200, "0", "text/plain")
        params = dict(urllib.parse.parse_qsl(body))
        action = params.get("Action")
        if action == "GetCallerIdentity":
            return self.reply(200, '<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::222222222222:user/bench</Arn><UserId>AIDA</UserId><Account>222222222222</Account></GetCallerIdentityResult></GetCallerIdentityResponse>')
        with lock:
            count += 1
            n = count
        exp = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        role = params.get("RoleArn", "")
        session = params.get("RoleSessionName", "")
        self.reply(200, f'<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>ASIABENCH{n:011d}</AccessKeyId><SecretAccessKey>bench-secret-{n}</SecretAccessKey><SessionToken>bench-token-{n}</SessionToken><Expiration>{exp}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA:{session}</AssumedRoleId><Arn>{role}/{session}</Arn></AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>')


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
