"""The scenario with the clients people use: AWS CLI v1 and v2, boto3, the JS, Rust and Go SDKs,
and a shell, each through a profile whose only credential key is `credential_process = xacct-cred …`,
for both sources (asi-dev's keys, the EC2 instance role through IMDSv2) and once with flags only.
"""
import concurrent.futures
import json
import os
import sys

import pytest

import go_client
import scenario
from world import HERE, ROOT, aws_v1, aws_v2, run

BUCKET = scenario.BUCKET
SOURCES = {
    # source: (credential_process profile, role profile for --export, session name)
    "user-keys": ("readonlys3crossaccount", "prod-readonly", "asi-dev"),
    "ec2-instance-role": ("readonlys3crossaccount-ec2", "prod-readonly-ec2", "build-agent-1"),
    "flags-only": ("readonlys3crossaccount-flags", None, "flags-only"),
}
RUST_CLIENT = os.environ.get("XACCT_CRED_RUST_CLIENT", os.path.join(ROOT, "target", "debug", "examples", "s3_client"))
JS_CLIENT = os.path.join(HERE, "js", "client.mjs")


class Cli:
    """The AWS CLI. v2 from Debian (2.9.19) ignores AWS_ENDPOINT_URL*, so it gets --endpoint-url."""

    def __init__(self, exe, explicit_endpoints):
        self.exe, self.explicit = exe, explicit_endpoints

    def _endpoint(self, env, service):
        if not self.explicit:
            return []
        return ["--endpoint-url", env["AWS_ENDPOINT_URL_STS"] if service == "sts" else env["AWS_ENDPOINT_URL"]]

    def ls(self, env, profile):
        return run([self.exe, "s3", "ls", f"s3://{BUCKET}/", "--profile", profile, *self._endpoint(env, "s3")], env)

    def get(self, env, profile, key):
        return run([self.exe, "s3", "cp", f"s3://{BUCKET}/{key}", "-", "--profile", profile, *self._endpoint(env, "s3")], env)

    def put(self, env, profile, key):
        path = os.path.join(env["HOME"], "upload.txt")
        with open(path, "w") as f:
            f.write("should not land\n")
        return run([self.exe, "s3", "cp", path, f"s3://{BUCKET}/{key}", "--profile", profile, *self._endpoint(env, "s3")], env)

    def whoami(self, env, profile):
        return run([self.exe, "sts", "get-caller-identity", "--profile", profile, "--query", "Arn", "--output", "text", *self._endpoint(env, "sts")], env)


class Boto3:
    SCRIPT = """
import sys, boto3
profile, op, key = sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""
session = boto3.Session(profile_name=profile)
try:
    if op == "ls":
        for o in session.client("s3").list_objects_v2(Bucket="%s").get("Contents", []):
            print(o["Key"])
    elif op == "get":
        sys.stdout.write(session.client("s3").get_object(Bucket="%s", Key=key)["Body"].read().decode())
    elif op == "put":
        session.client("s3").put_object(Bucket="%s", Key=key, Body=b"x"); print("written")
    elif op == "whoami":
        print(session.client("sts").get_caller_identity()["Arn"])
except Exception as e:
    print(f"{type(e).__name__}: {e}", file=sys.stderr); sys.exit(1)
""" % (BUCKET, BUCKET, BUCKET)

    def _run(self, env, *args):
        return run([sys.executable, "-c", self.SCRIPT, *args], env)

    def ls(self, env, profile):
        return self._run(env, profile, "ls")

    def get(self, env, profile, key):
        return self._run(env, profile, "get", key)

    def put(self, env, profile, key):
        return self._run(env, profile, "put", key)

    def whoami(self, env, profile):
        return self._run(env, profile, "whoami")


class Program:
    """A client program taking PROFILE OP [KEY]: the JS and Rust SDK clients."""

    def __init__(self, argv):
        self.argv = argv

    def ls(self, env, profile):
        return run([*self.argv, profile, "ls", "", BUCKET], env)

    def get(self, env, profile, key):
        return run([*self.argv, profile, "get", key, BUCKET], env)

    def put(self, env, profile, key):
        return run([*self.argv, profile, "put", key, BUCKET], env)

    def whoami(self, env, profile):
        return run([*self.argv, profile, "whoami"], env)


class GoProgram(Program):
    """The Go SDK v2 client, built on first use (go_client.py); it passes the endpoints from
    AWS_ENDPOINT_URL* to its clients itself, as that SDK version reads neither variable."""

    def __init__(self):
        pass

    @property
    def argv(self):
        return [go_client.path()]


CLIENTS = {
    "aws-cli-v1": Cli(aws_v1(), explicit_endpoints=False),
    "aws-cli-v2": Cli(aws_v2(), explicit_endpoints=True),
    "boto3": Boto3(),
    "js-sdk-v3": Program(["node", JS_CLIENT]),
    "rust-sdk": Program([RUST_CLIENT]),
    "go-sdk-v2": GoProgram(),
}


def expected_arn(session):
    return f"arn:aws:sts::{scenario.PROD}:assumed-role/{scenario.ROLE_NAME}/{session}"


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("client", CLIENTS)
def test_client_reads_the_bucket_and_cannot_write(client, source, env, world):
    c, (profile, _, session) = CLIENTS[client], SOURCES[source]
    listed = c.ls(env, profile)
    assert listed.returncode == 0, listed.stderr
    for key in ("README.txt", "reports/2026-11.csv", "logo.bin"):
        if "/" in key and isinstance(c, Cli):
            key = key.split("/")[0] + "/"  # `aws s3 ls` shows the prefix of a nested key
        assert key in listed.stdout, listed.stdout

    got = c.get(env, profile, "README.txt")
    assert got.returncode == 0, got.stderr
    assert got.stdout == scenario.OBJECTS["README.txt"].decode()

    put = c.put(env, profile, f"uploads/{client}.txt")
    assert put.returncode != 0, "the read-only role must not write"
    assert "AccessDenied" in put.stderr or "Access Denied" in put.stderr, put.stderr

    who = c.whoami(env, profile)
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == expected_arn(session)
    if source == "ec2-instance-role":
        assert world.imds.rejected_tokenless == 0, "every IMDS GET carried an IMDSv2 token"


@pytest.mark.parametrize("source", ["user-keys", "ec2-instance-role"])
def test_shell_export_then_the_cli(source, binary, env):
    _, role_profile, session = SOURCES[source]
    script = f'set -e; eval "$({binary} --export --profile {role_profile})"; aws s3 ls s3://{BUCKET}/; aws sts get-caller-identity --query Arn --output text'
    p = run(["bash", "-c", script], env)
    assert p.returncode == 0, p.stderr
    assert "README.txt" in p.stdout
    assert p.stdout.strip().endswith(expected_arn(session))


def test_the_manual_path_gives_the_same_identity(env):
    """What users did by hand: aws sts assume-role with the user's keys."""
    manual = run([aws_v1(), "sts", "assume-role", "--role-arn", scenario.ROLE_ARN, "--role-session-name", "asi-dev", "--profile", "asi-dev"], env)
    assert manual.returncode == 0, manual.stderr
    manual_arn = json.loads(manual.stdout)["AssumedRoleUser"]["Arn"]
    ours = CLIENTS["aws-cli-v1"].whoami(env, "readonlys3crossaccount")
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout.strip() == manual_arn == expected_arn("asi-dev")


def test_the_second_command_is_served_from_the_cache(env, world):
    before = world.sts.assume_role_calls
    for _ in range(3):
        p = CLIENTS["aws-cli-v1"].ls(env, "readonlys3crossaccount")
        assert p.returncode == 0, p.stderr
    assert world.sts.assume_role_calls - before == 1


def test_parallel_cli_commands_on_a_cold_cache_make_one_sts_call(env, world):
    before = world.sts.assume_role_calls
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: CLIENTS["aws-cli-v1"].whoami(env, "readonlys3crossaccount"), range(16)))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results if r.returncode]
    assert {r.stdout for r in results} == {expected_arn("asi-dev") + "\n"}
    assert world.sts.assume_role_calls - before == 1


def test_a_role_that_does_not_trust_the_caller_is_explained(env):
    p = CLIENTS["aws-cli-v1"].whoami(env, "untrusted")
    assert p.returncode != 0
    assert f"AssumeRole on {scenario.UNTRUSTING_ROLE_ARN} was denied for arn:aws:iam::{scenario.DEV}:user/asi-dev" in p.stderr, p.stderr
    assert "trust policy" in p.stderr and "sts:AssumeRole" in p.stderr


def test_imds_emulator_rejects_tokenless_gets(world):
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(world.imds.url + "/latest/meta-data/iam/security-credentials/", timeout=5)
    assert e.value.code == 401
