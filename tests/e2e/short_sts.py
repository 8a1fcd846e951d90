"""A recording STS for the endpoint's end-to-end tests: every AssumeRole issues a new session
that expires in 60 s; GetCallerIdentity names the access key it was called with, and refuses a
key it never issued, a session token that is not that key's, or a session that has expired.

So a client that keeps using a session past its life fails, and one that renewed shows its new
key. Signatures are not verified (moto's tests do that); keys, tokens and expiry are. Started on
127.0.0.1 by the tests, stopped by them.
"""
import datetime
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LIFETIME = datetime.timedelta(seconds=60)  # the default; ShortSts(lifetime=…) for others
ROLE_ARN = "arn:aws:iam::111111111111:role/endpoint-role"


class ShortSts:
    def __init__(self, lifetime=LIFETIME):
        self.lifetime = lifetime
        self.lock = threading.Lock()
        self.sessions = {}  # key id -> (token, expiry)
        self.assume_role_calls = 0
        self.identity_calls = []  # (key id, ok)
        sts = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def reply(self, status, body):
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                params = dict(urllib.parse.parse_qsl(body))
                action = params.get("Action")
                if action == "AssumeRole":
                    return self.reply(200, sts.assume_role(params))
                if action == "GetCallerIdentity":
                    status, text = sts.caller_identity(self.headers)
                    return self.reply(status, text)
                self.reply(400, error("InvalidAction", f"unknown action {action}"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def assume_role(self, params):
        with self.lock:
            self.assume_role_calls += 1
            n = self.assume_role_calls
            key = f"ASIASHORT{n:011d}"
            token = f"short-token-{n}"
            expiry = datetime.datetime.now(datetime.timezone.utc) + self.lifetime
            self.sessions[key] = (token, expiry)
        session = params.get("RoleSessionName", "s")
        exp = expiry.strftime("%Y-%m-%dT%H:%M:%SZ")
        return (
            '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>'
            f"<AccessKeyId>{key}</AccessKeyId><SecretAccessKey>short-secret-{n}</SecretAccessKey>"
            f"<SessionToken>{token}</SessionToken><Expiration>{exp}</Expiration></Credentials>"
            f"<AssumedRoleUser><AssumedRoleId>AROA:{session}</AssumedRoleId><Arn>{params.get('RoleArn', '')}/{session}</Arn></AssumedRoleUser>"
            "</AssumeRoleResult></AssumeRoleResponse>"
        )

    def caller_identity(self, headers):
        m = re.search(r"Credential=([A-Z0-9]+)/", headers.get("Authorization", ""))
        key = m.group(1) if m else ""
        token = headers.get("X-Amz-Security-Token", "")
        now = datetime.datetime.now(datetime.timezone.utc)
        with self.lock:
            issued = self.sessions.get(key)
            if key.startswith("AKIA"):  # the source user's own keys
                ok, why = True, ""
            elif issued is None:
                ok, why = False, "a key this STS never issued"
            elif issued[0] != token:
                ok, why = False, "a session token that is not this key's"
            elif issued[1] <= now:
                ok, why = False, "an expired session"
            else:
                ok, why = True, ""
            self.identity_calls.append((key, ok))
        if not ok:
            return 403, error("ExpiredToken", f"The security token included in the request is invalid: {why}")
        return 200, (
            '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
            f"<Arn>arn:aws:sts::111111111111:assumed-role/endpoint-role/{key}</Arn><UserId>AROA:{key}</UserId>"
            "<Account>111111111111</Account></GetCallerIdentityResult></GetCallerIdentityResponse>"
        )


def error(code, message):
    return f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>r</RequestId></ErrorResponse>'
