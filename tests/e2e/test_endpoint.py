"""The credential endpoint with the clients people use: `xacct-cred exec --server` running the AWS
CLI v1 and v2, boto3, the JS SDK v3, the Rust SDK and the Go SDK v2, and `xacct-cred serve --token-file` used
through AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, against a recording STS whose sessions expire
in 60 s and which refuses an expired session (short_sts.py).

xacct-cred renews once fewer than 50 s remain (XACCT_CRED_REFRESH_WINDOW): in the background
while more than the margin (16 s) remains, in the call below it. Two calls 45 s apart (57 s for
the Rust SDK, which keeps credentials until 5-10 s before they expire; 62 s for the JS SDK, see
GAP) must use two different keys, from one command that was never restarted; the boto3 loop
crosses three renewals, most of them in the background.
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import time

import pytest

import go_client
from short_sts import ROLE_ARN, ShortSts
from world import HERE, ROOT, VENV_BIN, aws_v1, aws_v2

RUST_CLIENT = os.environ.get("XACCT_CRED_RUST_ENDPOINT_CLIENT", os.path.join(ROOT, "target", "debug", "examples", "endpoint_client"))
JS_CLIENT = os.path.join(HERE, "js", "endpoint_client.mjs")
ARN_PREFIX = "arn:aws:sts::111111111111:assumed-role/endpoint-role/"

CONFIG = f"""\
[default]
region = us-east-1

[profile endpoint]
role_arn = {ROLE_ARN}
source_profile = src
role_session_name = e2e
region = us-east-1

[profile src]
region = us-east-1
"""

BOTO3_LOOP = """
import sys, time, boto3
calls, seconds = int(sys.argv[1]), float(sys.argv[2])
sts = boto3.client("sts")
for i in range(calls):
    if i:
        time.sleep(seconds)
    try:
        print(sts.get_caller_identity()["Arn"], flush=True)
    except Exception as e:
        print(f"ERROR: {type(e).__name__}: {e}", flush=True)
        sys.exit(1)
"""


@pytest.fixture
def sts():
    s = ShortSts()
    yield s
    s.stop()


def new_env(sts, tmp, name):
    home = os.path.join(tmp, name)
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(home, ".aws", "credentials"), "w") as f:
        f.write("[src]\naws_access_key_id = AKIASRCEXAMPLE000001\naws_secret_access_key = src-secret\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("XACCT_CRED_")}
    env.update({
        "HOME": home,
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
        "AWS_ENDPOINT_URL_STS": sts.url,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
        "XACCT_CRED_CACHE_DIR": os.path.join(home, "cache"),
        "XACCT_CRED_REFRESH_WINDOW": "50",
    })
    return env


def cli_loop(exe, explicit_endpoint, calls, seconds):
    endpoint = ' --endpoint-url "$AWS_ENDPOINT_URL_STS"' if explicit_endpoint else ""
    return ["sh", "-c", f'i=0; while [ $i -lt {calls} ]; do [ $i = 0 ] || sleep {seconds}; {exe} sts get-caller-identity --query Arn --output text{endpoint} || {{ echo ERROR; exit 1; }}; i=$((i+1)); done']


CLIENTS = {
    "aws-cli-v1": lambda calls, s: cli_loop(aws_v1(), False, calls, s),
    "aws-cli-v2": lambda calls, s: cli_loop(aws_v2(), True, calls, s),
    "boto3": lambda calls, s: [sys.executable, "-c", BOTO3_LOOP, str(calls), str(s)],
    "js-sdk-v3": lambda calls, s: ["node", JS_CLIENT, str(calls), str(s)],
    "rust-sdk": lambda calls, s: [RUST_CLIENT, str(calls), str(s)],
    # Reads FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN; the STS endpoint is passed by the
    # client itself from AWS_ENDPOINT_URL_STS (that SDK version reads no AWS_ENDPOINT_URL*).
    "go-sdk-v2": lambda calls, s: [go_client.path(), "--endpoint", str(calls), str(s)],
}
# Seconds between the two calls: past xacct-cred's renewal, and past the client's own cache.
# The Rust SDK keeps credentials until 5-10 s before they expire (a jittered buffer); the JS SDK v3's default chain
# refreshes in the background once fewer than 5 minutes remain and signs with the old, still
# valid, credentials meanwhile, so only a call after they expired is sure to use new ones.
# The others ask the endpoint on every call: 45 s is past the blocking margin (16 s left of 60),
# so the second call's request renews in the call. (At 12 s it would be answered at once with
# the old session while a detached renewal fetched the next one: that path is the boto3 loop's.)
# The Go SDK v2's credentials cache keeps them until they expire (no expiry window by default).
GAP = {"rust-sdk": 57, "js-sdk-v3": 62, "go-sdk-v2": 62}
DEFAULT_GAP = 45


def keys_of(output):
    lines = [l for l in output.splitlines() if l.strip()]
    assert all(l.startswith(ARN_PREFIX) for l in lines), output
    return [l[len(ARN_PREFIX):] for l in lines]


def test_every_client_renews_through_exec_server_without_a_restart(binary, sts, tmp_path):
    assert os.access(RUST_CLIENT, os.X_OK), f"build the example first: cargo build --examples ({RUST_CLIENT})"

    def one(name):
        env = new_env(sts, str(tmp_path), name)
        cmd = [binary, "exec", "--server", "-p", "endpoint", "--", *CLIENTS[name](2, GAP.get(name, DEFAULT_GAP))]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
        return name, p

    with concurrent.futures.ThreadPoolExecutor(len(CLIENTS)) as pool:
        results = list(pool.map(one, CLIENTS))
    for name, p in results:
        assert p.returncode == 0, f"{name}: {p.returncode}\n{p.stdout}\n{p.stderr}"
        keys = keys_of(p.stdout)
        assert len(keys) == 2, f"{name}: {p.stdout}"
        assert keys[0] != keys[1], f"{name}: the second call, after a renewal, used the same key"
        assert "short-secret" not in p.stderr and "short-token" not in p.stderr
    assert all(ok for _, ok in sts.identity_calls)


def test_a_boto3_client_lives_through_three_renewals(binary, sts, tmp_path):
    env = new_env(sts, str(tmp_path), "loop")
    cmd = [binary, "exec", "--server", "-p", "endpoint", "--", sys.executable, "-c", BOTO3_LOOP, "17", "3"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stdout + p.stderr
    keys = keys_of(p.stdout)
    assert len(keys) == 17
    distinct = list(dict.fromkeys(keys))
    assert len(distinct) >= 4, f"three renewals in ~48 s: {distinct}"
    # One AssumeRole per renewal; a last detached renewal, started by one of the last calls,
    # may finish after the loop has ended, so its session is never seen.
    assert len(distinct) <= sts.assume_role_calls <= len(distinct) + 1, "one AssumeRole per renewal"


UNAUTHENTICATED = """
import os, sys, urllib.request, urllib.error, boto3
url = os.environ["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
for headers in ({}, {"Authorization": "wrong"}, {"Authorization": "Bearer " + os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]}):
    try:
        urllib.request.urlopen(urllib.request.Request(url, headers=headers))
        print("served without the token"); sys.exit(1)
    except urllib.error.HTTPError as e:
        print(e.code)
good = os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"]
os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "0" * len(good)
try:
    boto3.Session().client("sts").get_caller_identity()
    print("boto3 got credentials with a wrong token"); sys.exit(1)
except Exception as e:
    print("refused:", type(e).__name__)
os.environ["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = good
print(boto3.Session().client("sts").get_caller_identity()["Arn"])
"""


def test_a_request_without_the_token_is_refused(binary, sts, tmp_path):
    env = new_env(sts, str(tmp_path), "unauth")
    p = subprocess.run([binary, "exec", "--debug", "--server", "-p", "endpoint", "--", sys.executable, "-c", UNAUTHENTICATED], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = p.stdout.splitlines()
    assert lines[:3] == ["401", "401", "401"], p.stdout
    assert lines[3].startswith("refused:"), p.stdout
    assert lines[4].startswith(ARN_PREFIX), p.stdout
    assert "refused so far" in p.stderr  # counted in the debug log
    assert "short-secret" not in p.stderr


def test_serve_token_file_through_the_token_file_variable(binary, sts, tmp_path):
    env = new_env(sts, str(tmp_path), "serve")
    token_file = os.path.join(str(tmp_path), "token")
    server = subprocess.Popen([binary, "serve", "-p", "endpoint", "--format", "json", "--token-file", token_file], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        vars = json.loads(server.stdout.readline())["endpoint"]
        assert "AWS_CONTAINER_AUTHORIZATION_TOKEN" not in vars
        assert vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] == token_file
        client_env = dict(env, **vars)
        for name in ["aws-cli-v1", "boto3", "js-sdk-v3", "rust-sdk"]:
            p = subprocess.run(CLIENTS[name](1, 0), env=client_env, capture_output=True, text=True, timeout=120)
            assert p.returncode == 0, f"{name}: {p.stdout}{p.stderr}"
            assert len(keys_of(p.stdout)) == 1, f"{name}: {p.stdout}"
        wrong = os.path.join(str(tmp_path), "wrong-token")
        with open(wrong, "w") as f:
            f.write("0" * 64)
        p = subprocess.run(CLIENTS["boto3"](1, 0), env=dict(client_env, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=wrong), capture_output=True, text=True, timeout=120)
        assert p.returncode != 0 and "did not carry this endpoint's token" in p.stdout + p.stderr, p.stdout + p.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        rc = server.wait(timeout=30)
    assert rc == 0, server.stderr.read()
    assert not os.path.exists(token_file)


def test_serve_token_file_with_the_go_sdk_v2():
    pytest.skip("NOT RUN: the AWS SDK for Go v2 in Debian (config 1.17.10, credentials 1.12.23) does not read "
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (FACTS.md); it is tested through exec --server with "
                "AWS_CONTAINER_AUTHORIZATION_TOKEN instead")


TRAPPING = """
import signal, sys, boto3
sts = boto3.client("sts")
def on_term(signum, frame):
    # The endpoint still answers while the command shuts down.
    print("trapped", sts.get_caller_identity()["Arn"], flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
print("ready", sts.get_caller_identity()["Arn"], flush=True)
signal.pause()
"""


def test_sigterm_reaches_the_commands_trap(binary, sts, tmp_path):
    env = new_env(sts, str(tmp_path), "trap")
    p = subprocess.Popen([binary, "exec", "--server", "-p", "endpoint", "--", sys.executable, "-c", TRAPPING], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = p.stdout.readline()
    assert ready.startswith("ready " + ARN_PREFIX), ready + p.stderr.read()
    p.send_signal(signal.SIGTERM)
    rest, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert rest.startswith("trapped " + ARN_PREFIX), rest + err
