"""The IAM user's keys only in the key store (issue 19): `keys import` takes them out of
~/.aws/credentials, then the AWS CLI v1 and v2 and boto3 list the bucket through the unchanged
role profile, for the encrypted file and for a real Secret Service (GNOME Keyring on a private
D-Bus, started and stopped here). Afterwards no file under HOME (the cache included) holds the
secret. The source profile itself also works for the CLI once `keys add --write-profile` has
given it `credential_process = xacct-cred keys export asi-dev`.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time

import pytest

import scenario
from test_clients import CLIENTS, expected_arn
from world import aws_v1, run


class SecretService:
    """dbus-daemon (no service activation) + gnome-keyring-daemon, unlocked with a known
    password; a missing program fails the test, it never skips."""

    def __init__(self, data_home):
        self.runtime = tempfile.mkdtemp(prefix="xacct-ss-")
        socket = os.path.join(self.runtime, "bus")
        conf = os.path.join(self.runtime, "bus.conf")
        with open(conf, "w") as f:
            f.write(f'<busconfig><type>session</type><listen>unix:path={socket}</listen><policy context="default">'
                    '<allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy></busconfig>')
        for program in ("dbus-daemon", "gnome-keyring-daemon", "secret-tool"):
            assert shutil.which(program), f"{program} is missing: run scripts/setup-test-deps.sh"
        self.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--nopidfile", "--print-address=1", f"--config-file={conf}"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.address = self.bus.stdout.readline().strip()
        self.env = {"HOME": data_home, "XDG_DATA_HOME": data_home, "XDG_RUNTIME_DIR": self.runtime,
                    "DBUS_SESSION_BUS_ADDRESS": self.address, "PATH": os.environ["PATH"]}
        os.makedirs(data_home, exist_ok=True)
        self.keyring = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                                        env=self.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.keyring.stdin.write(b"test-keyring-password")
        self.keyring.stdin.close()
        deadline = time.time() + 15
        while True:
            p = subprocess.run(["secret-tool", "store", "--label=probe", "service", "xacct-cred-probe"], env=self.env,
                               input=b"probe", capture_output=True)
            if p.returncode == 0:
                subprocess.run(["secret-tool", "clear", "service", "xacct-cred-probe"], env=self.env, check=True)
                return
            if time.time() > deadline:
                self.stop()
                raise AssertionError(f"the Secret Service did not come up: {p.stderr!r}")
            time.sleep(0.1)

    def stop(self):
        for p in (self.keyring, self.bus):
            if p.poll() is None:
                p.terminate()
                p.wait(5)
        shutil.rmtree(self.runtime, ignore_errors=True)


@pytest.fixture(params=["file", "secret-service"])
def stored_env(request, binary, env, home, world):
    """The scenario's HOME with asi-dev's keys moved into the store by `keys import`."""
    service = None
    if request.param == "file":
        env["XACCT_CRED_KEYS_FILE"] = os.path.join(home, "keys")
        env["XACCT_CRED_FILE_PASSPHRASE"] = "e2e passphrase"
    else:
        service = SecretService(os.path.join(home, "keyring"))
        env["DBUS_SESSION_BUS_ADDRESS"] = service.address
        env["XACCT_CRED_KEYS_BACKEND"] = "secret-service"
    try:
        imported = run([binary, "keys", "import", "asi-dev"], env)
        assert imported.returncode == 0, imported.stderr
        with open(os.path.join(home, ".aws", "credentials")) as f:
            assert world.secrets["user_secret"] not in f.read()
        yield env
    finally:
        if service:
            service.stop()


def files_holding(root, needle):
    found = []
    for d, _, files in os.walk(root):
        for name in files:
            path = os.path.join(d, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                if needle in f.read():
                    found.append(path)
    return found


@pytest.mark.parametrize("client", ["aws-cli-v1", "aws-cli-v2", "boto3"])
def test_clients_list_the_bucket_with_the_source_keys_only_in_the_store(client, stored_env, home, world):
    c = CLIENTS[client]
    listed = c.ls(stored_env, "readonlys3crossaccount")
    assert listed.returncode == 0, listed.stderr
    assert "README.txt" in listed.stdout
    who = c.whoami(stored_env, "readonlys3crossaccount")
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == expected_arn("asi-dev")
    assert files_holding(home, world.secrets["user_secret"].encode()) == []


def test_the_source_profile_itself_works_through_keys_export(binary, stored_env, home, world):
    secret = world.secrets["user_secret"]
    added = run([binary, "keys", "add", "asi-dev", "--stdin", "--write-profile"], stored_env,
                input=f"{world.secrets['user_key_id']}\n{secret}\n")
    assert added.returncode == 0, added.stderr
    with open(os.path.join(home, ".aws", "config")) as f:
        assert f"credential_process = {binary} keys export asi-dev" in f.read()
    who = run([aws_v1(), "sts", "get-caller-identity", "--profile", "asi-dev", "--query", "Arn", "--output", "text"], stored_env)
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == f"arn:aws:iam::{scenario.DEV}:user/asi-dev"
    # The role profile still resolves asi-dev from the store (the line is read, not run).
    listed = CLIENTS["aws-cli-v1"].ls(stored_env, "readonlys3crossaccount")
    assert listed.returncode == 0, listed.stderr
    assert files_holding(home, secret.encode()) == []



def test_setup_source_in_store_gives_the_cli_both_profiles(binary, stored_env, home, world):
    """`setup --source-in-store` writes the role profile, the credential_process profile and
    the source profile's `keys export` line in one edit: the AWS CLI v2 then uses both."""
    done = run([binary, "setup", "--name", "prod-from-store", "--role-arn", scenario.ROLE_ARN,
                "--source-profile", "asi-dev", "--source-in-store", "--region", "us-east-1",
                "--no-doctor"], stored_env)
    assert done.returncode == 0, done.stderr
    with open(os.path.join(home, ".aws", "config")) as f:
        assert f"credential_process = {binary} keys export asi-dev" in f.read()
    for profile, arn in [("asi-dev", f"arn:aws:iam::{scenario.DEV}:user/asi-dev"),
                         ("prod-from-store", expected_arn(""))]:  # any session name
        who = CLIENTS["aws-cli-v2"].whoami(stored_env, profile)
        assert who.returncode == 0, (profile, who.stderr)
        assert who.stdout.strip().startswith(arn), (profile, who.stdout)
    again = run([binary, "setup", "--name", "prod-from-store", "--role-arn", scenario.ROLE_ARN,
                 "--source-profile", "asi-dev", "--source-in-store", "--region", "us-east-1",
                 "--no-doctor"], stored_env)
    assert again.returncode == 0 and "nothing changed" in again.stderr, again.stderr
    assert files_holding(home, world.secrets["user_secret"].encode()) == []

@pytest.fixture
def rotator(binary, env, home, world):
    """A user of its own (so the scenario's asi-dev keeps its key), allowed to manage its own
    access keys, with its key moved into the file store as profile `rotator`."""
    import boto3
    admin = world.secrets["admin"][scenario.DEV]
    iam = boto3.client("iam", endpoint_url=world.moto.url, region_name="us-east-1",
                       aws_access_key_id=admin["id"], aws_secret_access_key=admin["secret"])
    name = f"rotator-{os.path.basename(home)}-{int(time.time() * 1000)}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="own-keys", PolicyDocument=scenario.policy(
        # "*": with the user's own ARN as Resource, moto 5.2.5 refused CreateAccessKey without
        # a UserName (measured here).
        scenario.allow(["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys"], "*")))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    with open(os.path.join(home, ".aws", "credentials"), "a") as f:
        f.write(f"\n[rotator]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    env["XACCT_CRED_KEYS_FILE"] = os.path.join(home, "keys")
    env["XACCT_CRED_FILE_PASSPHRASE"] = "e2e passphrase"
    imported = run([binary, "keys", "import", "rotator"], env)
    assert imported.returncode == 0, imported.stderr
    return iam, name, key


def stored_key_id(binary, env):
    p = run([binary, "keys", "export", "rotator"], env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["AccessKeyId"]


def caller_arn(env, key_id, secret):
    e = dict(env, AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY=secret)
    return run([aws_v1(), "sts", "get-caller-identity", "--query", "Arn", "--output", "text"], e)


def test_rotate_replaces_the_key_in_iam_and_in_the_store(binary, env, home, rotator):
    iam, name, old = rotator
    p = run([binary, "keys", "rotate", "rotator"], env)
    assert p.returncode == 0, p.stderr
    new_id = stored_key_id(binary, env)
    assert new_id != old["AccessKeyId"]
    listed = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
    assert listed == [new_id], "the old key is deleted in IAM"
    exported = json.loads(run([binary, "keys", "export", "rotator"], env).stdout)
    who = caller_arn(env, new_id, exported["SecretAccessKey"])
    assert who.returncode == 0 and who.stdout.strip().endswith(f":user/{name}"), who.stderr
    assert caller_arn(env, old["AccessKeyId"], old["SecretAccessKey"]).returncode != 0, "the old key no longer works"


def test_rotate_with_sts_down_after_the_new_key_is_stored_keeps_a_working_key(binary, env, home, rotator):
    """The fault between steps: the new key is created and stored, then cannot be verified
    (STS stops answering): the old key goes back into the store and the new one is deleted."""
    iam, name, old = rotator
    from scenario import free_port
    dead = f"http://127.0.0.1:{free_port()}"
    # STS down from the start: nothing is created.
    p = run([binary, "keys", "rotate", "rotator"], dict(env, AWS_ENDPOINT_URL_STS=dead))
    assert p.returncode != 0
    assert "does not work" in p.stderr and "Nothing was changed" in p.stderr, p.stderr
    assert stored_key_id(binary, env) == old["AccessKeyId"]
    # Now STS answers the check of the current key, then dies: a proxy that answers once.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import urllib.request
    calls = {"n": 0}

    class OnceThenDown(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            calls["n"] += 1
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if calls["n"] > 1:
                self.send_response(503)
                self.end_headers()
                self.wfile.write(b"<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>injected</Message></Error></ErrorResponse>")
                return
            req = urllib.request.Request(env["AWS_ENDPOINT_URL_STS"] + self.path, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items()})
            with urllib.request.urlopen(req, timeout=10) as r:
                data = r.read()
                self.send_response(r.status)
                self.send_header("Content-Type", r.headers.get("Content-Type", "text/xml"))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), OnceThenDown)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        p = run([binary, "keys", "rotate", "rotator"], dict(env, AWS_ENDPOINT_URL_STS=url))
    finally:
        server.shutdown()
        server.server_close()
    assert p.returncode != 0
    assert "did not work within" in p.stderr and "holds the old key" in p.stderr and "was deleted in IAM" in p.stderr, p.stderr
    assert stored_key_id(binary, env) == old["AccessKeyId"], "the store holds the old, working key"
    listed = [k["AccessKeyId"] for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]]
    assert listed == [old["AccessKeyId"]], "the new key was deleted"
    assert caller_arn(env, old["AccessKeyId"], old["SecretAccessKey"]).returncode == 0
