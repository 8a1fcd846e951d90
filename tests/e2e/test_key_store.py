"""The IAM user's keys only in the key store (issue 19): `keys import` takes them out of
~/.aws/credentials, then the AWS CLI v1 and v2 and boto3 list the bucket through the unchanged
role profile, for the encrypted file and for a real Secret Service (GNOME Keyring on a private
D-Bus, started and stopped here). Afterwards no file under HOME (the cache included) holds the
secret. The source profile itself also works for the CLI once `keys add --write-profile` has
given it `credential_process = xacct-cred keys export asi-dev`.
"""
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
