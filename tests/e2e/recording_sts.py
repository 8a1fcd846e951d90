"""A recording STS in front of moto, for the differential suite (test_differential.py).

One `Recorder` is made per client run. It listens on several ports of 127.0.0.1, one per
label (`env-sts`, `env-global`, `services`, `profile-endpoint`, ...), so that "which endpoint
did the client choose" becomes "which label did its request reach". It also runs an HTTPS
CONNECT proxy (`HTTPS_PROXY`) that terminates TLS with a certificate for the requested host,
signed by a test CA made at test time, so a client that picks a *default* AWS endpoint
(sts.amazonaws.com, sts.eu-west-1.amazonaws.com, sts-fips...) is observed too, with the host as
its label, and answered locally: nothing ever leaves 127.0.0.1.

Per AssumeRole / AssumeRoleWithWebIdentity it records the form parameters, the label, and the
access key id and signing region of the SigV4 Authorization header's credential scope. It
forwards everything to moto byte for byte (Host kept, so moto still checks the signature),
except AssumeRoleWithWebIdentity, which moto's server answers with a 500 once authentication
is on: that one it answers itself, in STS's XML shape, with a real moto session of the role
that `web_identity(role_arn, session_name, duration)` returns.

Session keys that moto hands out through a recorder are remembered (`key_names`), so a
later call signed with one is recorded as "session of <RoleArn>" rather than as a random id:
that is what makes role chaining comparable between two runs.
"""
import datetime
import ipaddress
import os
import re
import socket
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from http_base import QuietHandler
from xml.sax.saxutils import escape

ROLE_ACTIONS = ("AssumeRole", "AssumeRoleWithWebIdentity")
RECORDED = ("RoleArn", "RoleSessionName", "ExternalId", "DurationSeconds", "SerialNumber", "TokenCode", "WebIdentityToken")
SCOPE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


class LocalCA:
    """A CA made at test time, and server certificates for any host name, signed by it."""

    def __init__(self, directory):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        self._x509, self._hashes, self._ser, self._ec = x509, hashes, serialization, ec
        self._eku, self._name_oid = ExtendedKeyUsageOID, NameOID
        self.dir = directory
        os.makedirs(directory, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "xacct-cred e2e test CA")])
        ski = x509.SubjectKeyIdentifier.from_public_key(self.key.public_key())
        self.cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.pem = os.path.join(directory, "ca.pem")
        with open(self.pem, "wb") as f:
            f.write(self.cert.public_bytes(serialization.Encoding.PEM))
        self._contexts, self._lock = {}, threading.Lock()

    def context(self, host):
        """A server-side TLS context presenting a certificate for host."""
        with self._lock:
            if host in self._contexts:
                return self._contexts[host]
            x509, ec = self._x509, self._ec
            key = ec.generate_private_key(ec.SECP256R1())
            now = datetime.datetime.now(datetime.timezone.utc)
            try:
                san = x509.IPAddress(ipaddress.ip_address(host))
            except ValueError:
                san = x509.DNSName(host)
            cert = (
                x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(self._name_oid.COMMON_NAME, host)]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.SubjectAlternativeName([san]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([self._eku.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False)
                .sign(self.key, self._hashes.SHA256())
            )
            safe = re.sub(r"[^A-Za-z0-9.-]", "_", host)
            cert_path, key_path = os.path.join(self.dir, safe + ".pem"), os.path.join(self.dir, safe + ".key")
            with open(cert_path, "wb") as f:
                f.write(cert.public_bytes(self._ser.Encoding.PEM))
            with open(key_path, "wb") as f:
                f.write(key.private_bytes(self._ser.Encoding.PEM, self._ser.PrivateFormat.PKCS8, self._ser.NoEncryption()))
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert_path, key_path)
            self._contexts[host] = ctx
            return ctx


def _web_identity_xml(params, creds, assumed_arn):
    session = params.get("RoleSessionName", "")
    return (
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
        "<AssumeRoleWithWebIdentityResult>"
        "<SubjectFromWebIdentityToken>e2e-subject</SubjectFromWebIdentityToken>"
        "<Audience>sts.amazonaws.com</Audience>"
        f"<AssumedRoleUser><Arn>{escape(assumed_arn)}</Arn><AssumedRoleId>AROAE2EWEBIDENTITY:{escape(session)}</AssumedRoleId></AssumedRoleUser>"
        "<Credentials>"
        f"<SessionToken>{escape(creds['SessionToken'])}</SessionToken>"
        f"<SecretAccessKey>{escape(creds['SecretAccessKey'])}</SecretAccessKey>"
        f"<Expiration>{creds['Expiration']}</Expiration>"
        f"<AccessKeyId>{escape(creds['AccessKeyId'])}</AccessKeyId>"
        "</Credentials>"
        "<Provider>e2e-recording-sts</Provider>"
        "</AssumeRoleWithWebIdentityResult>"
        "<ResponseMetadata><RequestId>e2e-web-identity</RequestId></ResponseMetadata>"
        "</AssumeRoleWithWebIdentityResponse>"
    ).encode()


class Recorder:
    """Labelled listeners + an HTTPS CONNECT proxy, all recording role calls, all in front of moto."""

    def __init__(self, upstream, key_names, web_identity, ca, labels):
        self.upstream, self.key_names, self.web_identity, self.ca = upstream, key_names, web_identity, ca
        self.calls, self.connects, self.lock = [], [], threading.Lock()
        self.servers, self.urls = [], {}
        for label in labels:
            server = self._serve(self._handler(label))
            self.urls[label] = f"http://127.0.0.1:{server.server_address[1]}"
        self.proxy_url = f"http://127.0.0.1:{self._serve(self._proxy_handler()).server_address[1]}"

    def _serve(self, handler):
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.servers.append(server)
        return server

    def stop(self):
        for s in self.servers:
            s.shutdown()
            s.server_close()

    def name_of(self, key_id):
        if not key_id:
            return None
        with self.lock:
            return self.key_names.get(key_id, f"unknown key {key_id}")

    def role_calls(self):
        with self.lock:
            return [dict(c) for c in self.calls]

    def _handler(self, label):
        rec = self

        class Handler(QuietHandler):
            def handle_any(self):
                body = self.read_body()
                query = urllib.parse.urlsplit(self.path).query
                params = dict(urllib.parse.parse_qsl(query))
                params.update(urllib.parse.parse_qsl(body.decode(errors="replace")))
                action = params.get("Action")
                if action in ROLE_ACTIONS:
                    m = SCOPE.search(self.headers.get("Authorization", ""))
                    call = {"Action": action, "endpoint": label, "key": rec.name_of(m.group(1)) if m else None,
                            "signing_region": m.group(3) if m else None}
                    call.update({k: params[k] for k in RECORDED if k in params})
                    with rec.lock:
                        rec.calls.append(call)
                if action == "AssumeRoleWithWebIdentity":
                    status = self.web_identity(params)
                    call["status"] = status
                    return
                req = urllib.request.Request(rec.upstream + self.path, data=body if body else None, method=self.command)
                for k, v in self.headers.items():
                    if k.lower() not in ("content-length", "connection", "accept-encoding", "proxy-connection"):
                        req.add_header(k, v)
                try:
                    with urllib.request.urlopen(req, timeout=30) as r:
                        status, headers, data = r.status, r.getheaders(), r.read()
                except urllib.error.HTTPError as e:
                    status, headers, data = e.code, e.headers.items(), e.read()
                if action == "AssumeRole":
                    call["status"] = status
                if action == "AssumeRole" and status == 200:
                    m = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", data)
                    if m:
                        with rec.lock:
                            rec.key_names[m.group(1).decode()] = f"session of {params.get('RoleArn')}"
                self.reply(status, headers, data)

            def web_identity(self, params):
                try:
                    creds, arn = rec.web_identity(params["RoleArn"], params.get("RoleSessionName", ""), int(params.get("DurationSeconds", 3600)))
                except Exception as e:  # shown to the client, and so in the test's failure message
                    xml = ('<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
                           f"<Code>InvalidIdentityToken</Code><Message>recording STS: {escape(str(e))}</Message></Error>"
                           "<RequestId>e2e</RequestId></ErrorResponse>")
                    self.reply(400, [("Content-Type", "text/xml")], xml.encode())
                    return 400
                with rec.lock:
                    rec.key_names[creds["AccessKeyId"]] = f"web identity session of {params['RoleArn']}"
                self.reply(200, [("Content-Type", "text/xml")], _web_identity_xml(params, creds, arn))
                return 200

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any

        return Handler

    def _proxy_handler(self):
        rec = self

        class Proxy(QuietHandler):
            def do_CONNECT(self):
                host = self.path.rsplit(":", 1)[0].strip("[]")
                with rec.lock:
                    rec.connects.append(self.path)
                self.send_response(200, "Connection Established")
                self.end_headers()
                self.wfile.flush()
                try:
                    tls = rec.ca.context(host).wrap_socket(self.connection, server_side=True)
                except (ssl.SSLError, OSError):
                    self.close_connection = True
                    return
                try:
                    rec._handler("https://" + host)(tls, self.client_address, self.server)
                except (ssl.SSLError, OSError):
                    pass
                finally:
                    try:
                        tls.close()
                    except OSError:
                        pass
                self.close_connection = True

            def do_GET(self):  # a plain-HTTP request through the proxy: nothing should send one
                self.send_error(502, "the e2e proxy only tunnels HTTPS")

            do_POST = do_GET

        return Proxy


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
