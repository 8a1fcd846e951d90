"""A small, honest stand-in for the one check moto does not make: cross-account trust policies.

moto 5.2.5 evaluates the caller's own IAM policies for sts:AssumeRole, but never the target
role's trust policy, so a role that trusts somebody else is still assumable there. This proxy
sits in front of moto's STS and, for AssumeRole only, compares the caller's account (from the
access key id in the SigV4 Authorization header, looked up in the keys the scenario created)
with the AWS principals of the role's trust policy (the same documents given to moto). A caller
it does not know is passed through untouched. Everything else is forwarded to moto byte for
byte (Host kept, so moto still verifies the signature). It also counts AssumeRole calls, which
the tests and the demo use to show that the cache works.
"""
import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from http_base import QuietHandler


def trusted_accounts(trust_policy):
    """Account ids whose principals a trust policy document allows to sts:AssumeRole."""
    accounts = set()
    for st in json.loads(trust_policy)["Statement"]:
        if st.get("Effect") != "Allow":
            continue
        aws = st.get("Principal", {}).get("AWS", [])
        for p in [aws] if isinstance(aws, str) else aws:
            m = re.match(r"arn:aws:iam::(\d{12}):", p) or re.match(r"^(\d{12})$", p)
            if m:
                accounts.add(m.group(1))
    return accounts


class TrustCheck:
    def __init__(self, upstream, key_accounts, role_trust):
        """key_accounts: access key id → account id; role_trust: role ARN → trust policy JSON."""
        self.upstream, self.key_accounts = upstream, dict(key_accounts)
        self.trust = {arn: trusted_accounts(doc) for arn, doc in role_trust.items()}
        self.assume_role_calls = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(QuietHandler):
            def handle_any(self):
                body = self.read_body()
                params = dict(urllib.parse.parse_qsl(body.decode(errors="replace")))
                if params.get("Action") == "AssumeRole":
                    with proxy.lock:
                        proxy.assume_role_calls += 1
                    denial = proxy.denial(self.headers.get("Authorization", ""), params.get("RoleArn", ""))
                    if denial:
                        xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                               f"<Code>AccessDenied</Code><Message>{denial}</Message></Error><RequestId>trust-check</RequestId></ErrorResponse>")
                        return self.reply(403, [("Content-Type", "text/xml")], xml.encode())
                req = urllib.request.Request(proxy.upstream + self.path, data=body if body else None, method=self.command)
                for k, v in self.headers.items():
                    if k.lower() not in ("content-length", "connection", "accept-encoding"):
                        req.add_header(k, v)
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        self.reply(r.status, r.getheaders(), r.read())
                except urllib.error.HTTPError as e:
                    self.reply(e.code, e.headers.items(), e.read())

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def denial(self, authorization, role_arn):
        m = re.search(r"Credential=([A-Z0-9]+)/", authorization)
        caller = self.key_accounts.get(m.group(1)) if m else None
        trusted = self.trust.get(role_arn)
        if caller is None or trusted is None or caller in trusted:
            return None
        return (f"User: arn:aws:iam::{caller}:* is not authorized to perform: sts:AssumeRole on resource: {role_arn} "
                "(the role's trust policy does not trust this account; checked by the test suite's trust_check.py, not by moto)")

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
