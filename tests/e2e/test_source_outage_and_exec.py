"""Outages and chains with a real client (the AWS CLI v1):

- the EC2 instance role's path with instance metadata failing (HTTP 500, or hanging) while the
  cached session is due for renewal but valid: the CLI's commands still succeed; once the
  session has expired, they fail and say why;
- `xacct-cred exec -p ROLE -- aws … --profile X`, where X's credential_process is xacct-cred for
  the same role, with a cold and a warm cache.
"""
import datetime
import glob
import json
import os
import time

import pytest

import scenario
from world import aws_v1, run

BUCKET = scenario.BUCKET
EC2_PROFILE = "readonlys3crossaccount-ec2"  # credential_process = xacct-cred --profile prod-readonly-ec2


def whoami(env, profile):
    return run([aws_v1(), "sts", "get-caller-identity", "--profile", profile, "--query", "Arn", "--output", "text"], env, timeout=90)


def ls(env, profile):
    return run([aws_v1(), "s3", "ls", f"s3://{BUCKET}/", "--profile", profile], env, timeout=90)


def entry(env):
    files = glob.glob(os.path.join(env["XACCT_CRED_CACHE_DIR"], "*.json"))
    assert len(files) == 1, files
    return files[0]


def set_time_left(env, seconds):
    """Moves the cached session's expiration to `seconds` from now (moto does not check expiry,
    so the session itself keeps working)."""
    path = entry(env)
    with open(path) as f:
        doc = json.load(f)
    exp = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    doc["credentials"]["Expiration"] = exp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(path, "w") as f:
        json.dump(doc, f)


@pytest.fixture
def imds_fault(world):
    """Sets world.imds.fault for one test; always puts it back."""
    def set_fault(fault):
        world.imds.fault = fault
    world.imds.faulted_requests = 0
    yield set_fault
    world.imds.fault = None


@pytest.fixture
def fg_env(env):
    # Renew in the foreground, where the fault is met (background renewal, where it exists,
    # would hide it from the caller).
    env = dict(env)
    env["XACCT_CRED_BACKGROUND_REFRESH"] = "0"
    return env


@pytest.mark.parametrize("fault", [500, "hang"])
def test_ec2_instance_role_with_imds_failing_inside_the_window_still_serves(fault, fg_env, world, imds_fault):
    env = fg_env
    first = whoami(env, EC2_PROFILE)
    assert first.returncode == 0, first.stderr
    arn = first.stdout.strip()
    assert arn.endswith("/build-agent-1"), arn
    # Due for renewal (4 of 60 minutes left) but valid; instance metadata now fails.
    set_time_left(env, 240)
    calls = world.sts.assume_role_calls
    imds_fault(fault)
    started = time.monotonic()
    p = ls(env, EC2_PROFILE)
    assert p.returncode == 0, p.stderr
    assert "README.txt" in p.stdout, p.stdout
    who = whoami(env, EC2_PROFILE)
    assert who.returncode == 0, who.stderr
    assert who.stdout.strip() == arn
    assert world.imds.faulted_requests > 0, "IMDS was asked, and failed"
    # The CLI re-runs credential_process before each request while under 10 minutes are left;
    # after one failure xacct-cred backs off for a minute, so it costs one IMDS timeout at most.
    assert time.monotonic() - started < 60
    assert world.sts.assume_role_calls == calls, "no AssumeRole without a source credential"


def test_ec2_instance_role_with_imds_failing_and_the_session_expired_fails_clearly(fg_env, world, imds_fault):
    env = fg_env
    first = whoami(env, EC2_PROFILE)
    assert first.returncode == 0, first.stderr
    set_time_left(env, -60)
    imds_fault(500)
    p = ls(env, EC2_PROFILE)
    assert p.returncode != 0
    assert "instance metadata" in p.stderr and "HTTP 500" in p.stderr, p.stderr
    assert "using the cached one" not in p.stderr


def exec_cli(binary, env, profile):
    return run([binary, "exec", "-p", "prod-readonly", "--", aws_v1(), "sts", "get-caller-identity",
                "--profile", profile, "--query", "Arn", "--output", "text"], env, timeout=90)


def test_exec_whose_cli_profile_runs_xacct_cred_for_the_same_role_cold_and_warm(binary, env, world):
    # readonlys3crossaccount's credential_process is `xacct-cred --profile prod-readonly`: the
    # same role, the same cache key as exec's.
    assert not glob.glob(os.path.join(env["XACCT_CRED_CACHE_DIR"], "*.json")), "cold"
    before = world.sts.assume_role_calls
    cold = exec_cli(binary, env, "readonlys3crossaccount")
    assert cold.returncode == 0, cold.stderr
    assert "loops back" not in cold.stderr
    warm = exec_cli(binary, env, "readonlys3crossaccount")
    assert warm.returncode == 0, warm.stderr
    assert cold.stdout == warm.stdout
    assert cold.stdout.strip().startswith(f"arn:aws:sts::{scenario.PROD}:assumed-role/readonly-asi-production-bucket/")
    assert world.sts.assume_role_calls - before == 1, "exec renewed once; the CLI's own call was a cache hit"


def test_moto_denying_assume_role_gets_the_two_sided_explanation(binary, env, home):
    # asi-dev's own IAM policy allows sts:AssumeRole on the production role only: moto refuses
    # any other with HTTP 403 in its <ErrorResponse><Errors><Error> shape, which aws-sdk-sts
    # cannot parse (FACTS.md). The message must still be the AccessDenied one.
    other = f"arn:aws:iam::{scenario.PROD}:role/not-in-asi-devs-policy"
    with open(os.path.join(home, ".aws", "config"), "a") as f:
        f.write(f"\n[profile not-allowed]\ncredential_process = {binary} --role-arn {other} --source-profile asi-dev --region us-east-1\n")
    p = whoami(env, "not-allowed")
    assert p.returncode != 0
    assert f"AssumeRole on {other} was denied for arn:aws:iam::{scenario.DEV}:user/asi-dev" in p.stderr, p.stderr
    assert "HTTP 403" in p.stderr and "trust policy" in p.stderr and "IAM policy allowing sts:AssumeRole" in p.stderr, p.stderr
    assert "unhandled error" not in p.stderr, p.stderr
