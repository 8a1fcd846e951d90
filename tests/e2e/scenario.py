"""The cross-account scenario on moto's server, shared by the end-to-end tests and the demo.

production (111111111111): bucket asi-production-bucket with a few objects; role
readonly-asi-production-bucket trusting the development account, allowed only to list buckets,
list and locate the bucket, and read its objects; and a role that trusts another account only
(for the trust-policy denial moto cannot give itself; see trust_check.py).
development (222222222222): IAM user asi-dev with keys, in group asi-developers whose policy
allows sts:AssumeRole on the production role; and an EC2 role whose credentials reach the
"instance" through our IMDSv2 emulator (imds.py).

Everything is created with authentication off, then moto's /moto-api/reset-auth turns on
SigV4 checking and IAM policy evaluation for every later request.
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import boto3
from botocore.config import Config

PROD, DEV = "111111111111", "222222222222"
BUCKET = "asi-production-bucket"
ROLE_NAME = "readonly-asi-production-bucket"
ROLE_ARN = f"arn:aws:iam::{PROD}:role/{ROLE_NAME}"
UNTRUSTING_ROLE_ARN = f"arn:aws:iam::{PROD}:role/trusts-someone-else"
EC2_ROLE_NAME = "allow-assume-role-readonly-asi-production-bucket"
GROUP_POLICY = "allow-assume-role-readonly-asi-production-bucket"
OBJECTS = {"reports/2026-11.csv": b"id,total\n1,42\n", "README.txt": b"production data, read-only\n", "logo.bin": bytes(range(256))}
INSTANCE_ID = "i-0123456789abcdef0"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MotoServer:
    """moto's server on 127.0.0.1, started and stopped by its owner."""

    def __init__(self, python=sys.executable):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        moto_server = os.path.join(os.path.dirname(python), "moto_server")
        self.proc = subprocess.Popen([moto_server, "-H", "127.0.0.1", "-p", str(self.port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)
                return
            except Exception:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("moto_server did not start")
                time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _client(service, endpoint, account):
    """A set-up client for one account: moto picks the account from x-moto-account-id."""
    c = boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="setup", aws_secret_access_key="setup",
                     config=Config(retries={"max_attempts": 1}))

    def add_account(request, **_):
        request.headers["x-moto-account-id"] = account

    c.meta.events.register("before-send.*.*", add_account)
    return c


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource, principal=None):
    s = {"Effect": "Allow", "Action": action}
    if principal:
        s["Principal"] = principal
    else:
        s["Resource"] = resource
    return s


def set_up(endpoint):
    """Creates both accounts' resources, then turns authentication on. Returns the secrets."""
    # production
    iam, s3 = _client("iam", endpoint, PROD), _client("s3", endpoint, PROD)
    s3.create_bucket(Bucket=BUCKET)
    for key, body in OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    trust = {
        ROLE_ARN: policy(allow("sts:AssumeRole", None, {"AWS": f"arn:aws:iam::{DEV}:root"})),
        UNTRUSTING_ROLE_ARN: policy(allow("sts:AssumeRole", None, {"AWS": "arn:aws:iam::333333333333:root"})),
    }
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust[ROLE_ARN])
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="read-asi-production-bucket", PolicyDocument=policy(
        allow("s3:ListAllMyBuckets", "*"),
        allow(["s3:ListBucket", "s3:GetBucketLocation"], f"arn:aws:s3:::{BUCKET}"),
        allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"),
    ))
    iam.create_role(RoleName="trusts-someone-else", AssumeRolePolicyDocument=trust[UNTRUSTING_ROLE_ARN])
    iam.put_role_policy(RoleName="trusts-someone-else", PolicyName="read", PolicyDocument=policy(allow("s3:ListAllMyBuckets", "*")))

    # development
    iam = _client("iam", endpoint, DEV)
    iam.create_user(UserName="asi-dev")
    iam.create_group(GroupName="asi-developers")
    iam.add_user_to_group(GroupName="asi-developers", UserName="asi-dev")
    assume_prod = policy(allow("sts:AssumeRole", [ROLE_ARN, UNTRUSTING_ROLE_ARN]))
    iam.put_group_policy(GroupName="asi-developers", PolicyName=GROUP_POLICY, PolicyDocument=assume_prod)
    key = iam.create_access_key(UserName="asi-dev")["AccessKey"]
    iam.create_role(RoleName=EC2_ROLE_NAME, AssumeRolePolicyDocument=policy(allow("sts:AssumeRole", None, {"Service": "ec2.amazonaws.com"})))
    iam.put_role_policy(RoleName=EC2_ROLE_NAME, PolicyName=GROUP_POLICY, PolicyDocument=assume_prod)
    iam.create_instance_profile(InstanceProfileName=EC2_ROLE_NAME)
    iam.add_role_to_instance_profile(InstanceProfileName=EC2_ROLE_NAME, RoleName=EC2_ROLE_NAME)
    # What EC2 would hand the instance: a session of the instance role.
    ec2_session = _client("sts", endpoint, DEV).assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/{EC2_ROLE_NAME}", RoleSessionName=INSTANCE_ID, DurationSeconds=43200)["Credentials"]

    # An administrator in each account, for tests that create more after authentication is on.
    admin = {}
    for account in (PROD, DEV):
        a = _client("iam", endpoint, account)
        a.create_user(UserName="admin")
        a.put_user_policy(UserName="admin", PolicyName="admin", PolicyDocument=policy(allow("*", "*")))
        k = a.create_access_key(UserName="admin")["AccessKey"]
        admin[account] = {"id": k["AccessKeyId"], "secret": k["SecretAccessKey"]}

    # From here on every request is authenticated and authorised by moto.
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST", headers={"Content-Type": "text/plain"}), timeout=10)
    return {
        "trust": trust,
        "admin": admin,
        "key_accounts": {key["AccessKeyId"]: DEV, ec2_session["AccessKeyId"]: DEV},
        "user_key_id": key["AccessKeyId"],
        "user_secret": key["SecretAccessKey"],
        "instance": {
            "AccessKeyId": ec2_session["AccessKeyId"],
            "SecretAccessKey": ec2_session["SecretAccessKey"],
            "Token": ec2_session["SessionToken"],
            "Expiration": ec2_session["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    }
