"""doctor, setup, policy and exec against moto, with the real AWS CLI."""
import json
import os

import boto3
import pytest

import scenario
from world import aws_v1, run

BUCKET = scenario.BUCKET


def test_doctor_passes_for_both_sources(binary, env):
    for profile in ("prod-readonly", "prod-readonly-ec2"):
        p = run([binary, "doctor", "--profile", profile, "--json"], env)
        report = json.loads(p.stdout)
        assert p.returncode == 0 and report["ok"], p.stdout + p.stderr
        assert "assumed-role/readonly-asi-production-bucket" in report["steps"][4]["detail"]


def test_exec_runs_the_cli_with_the_role(binary, env):
    p = run([binary, "exec", "--profile", "prod-readonly", "--", "aws", "s3", "ls", f"s3://{BUCKET}/"], env)
    assert p.returncode == 0, p.stderr
    assert "README.txt" in p.stdout
    p = run([binary, "exec", "--profile", "prod-readonly", "--", "aws", "s3", "rm", f"s3://{BUCKET}/README.txt"], env)
    assert p.returncode != 0 and "AccessDenied" in p.stderr


def test_setup_writes_profiles_the_cli_can_use(binary, env, home):
    config = os.path.join(home, ".aws", "config")
    before = open(config).read()
    p = run([binary, "setup", "--name", "fromsetup", "--role-arn", scenario.ROLE_ARN, "--source-profile", "asi-dev", "--region", "us-east-1"], env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "All checks passed" in p.stdout
    after = open(config).read()
    assert after.startswith(before.rstrip("\n")), "existing lines kept"
    p = run([aws_v1(), "s3", "ls", f"s3://{BUCKET}/", "--profile", "fromsetup"], env)
    assert p.returncode == 0, p.stderr
    assert "README.txt" in p.stdout


@pytest.mark.parametrize("access", ["--read-only", "--read-write"])
def test_policy_documents_create_a_role_that_works(access, binary, env, world, tmp_path):
    """Create a new role and user in moto from the generated documents, then use them."""
    role_name = "generated" + access.replace("-", "")
    bucket = "generated-bucket" + access.replace("--", "-")
    out = run([binary, "policy", "--role-account", scenario.PROD, "--trusted-account", scenario.DEV, "--role-name", role_name, "--bucket", bucket, access], env)
    assert out.returncode == 0, out.stderr
    docs = json.loads(out.stdout)

    # Moto has authentication on now: set up as an administrator of each account.
    keys = world.secrets
    dev_iam = boto3.client("iam", endpoint_url=world.moto.url, region_name="us-east-1", aws_access_key_id=keys["admin"][scenario.DEV]["id"], aws_secret_access_key=keys["admin"][scenario.DEV]["secret"])
    prod_iam = boto3.client("iam", endpoint_url=world.moto.url, region_name="us-east-1", aws_access_key_id=keys["admin"][scenario.PROD]["id"], aws_secret_access_key=keys["admin"][scenario.PROD]["secret"])
    prod_s3 = boto3.client("s3", endpoint_url=world.moto.url, region_name="us-east-1", aws_access_key_id=keys["admin"][scenario.PROD]["id"], aws_secret_access_key=keys["admin"][scenario.PROD]["secret"])
    prod_s3.create_bucket(Bucket=bucket)
    prod_s3.put_object(Bucket=bucket, Key="hello.txt", Body=b"hello\n")
    prod_iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=json.dumps(docs["trust_policy"]))
    prod_iam.put_role_policy(RoleName=role_name, PolicyName="permissions", PolicyDocument=json.dumps(docs["permission_policy"]))
    user = "user" + access.replace("-", "")
    dev_iam.create_user(UserName=user)
    dev_iam.put_user_policy(UserName=user, PolicyName="source", PolicyDocument=json.dumps(docs["source_policy"]))
    key = dev_iam.create_access_key(UserName=user)["AccessKey"]
    world.sts.key_accounts[key["AccessKeyId"]] = scenario.DEV
    with open(os.path.join(env["HOME"], ".aws", "credentials"), "a") as f:
        f.write(f"\n[{user}]\naws_access_key_id = {key['AccessKeyId']}\naws_secret_access_key = {key['SecretAccessKey']}\n")
    with open(os.path.join(env["HOME"], ".aws", "config"), "a") as f:
        f.write(f"\n[profile gen]\ncredential_process = {binary} --role-arn arn:aws:iam::{scenario.PROD}:role/{role_name} --source-profile {user}\nregion = us-east-1\n")

    ls = run([aws_v1(), "s3", "ls", f"s3://{bucket}/", "--profile", "gen"], env)
    assert ls.returncode == 0, ls.stderr
    assert "hello.txt" in ls.stdout
    upload = tmp_path / "up.txt"
    upload.write_text("x")
    put = run([aws_v1(), "s3", "cp", str(upload), f"s3://{bucket}/up.txt", "--profile", "gen"], env)
    if access == "--read-only":
        assert put.returncode != 0 and "AccessDenied" in put.stderr, put.stderr
    else:
        assert put.returncode == 0, put.stderr


def test_console_switch_role_and_federated_sign_in(binary, env, world):
    """The federation endpoint here is a stand-in (moto has none); it checks the session it is
    given against moto's STS before handing out a token, so a wrong session fails the test."""
    import threading
    import urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    p = run([binary, "console", "--profile", "prod-readonly"], env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == f"https://signin.aws.amazon.com/switchrole?account={scenario.PROD}&roleName={scenario.ROLE_NAME}&displayName=prod-readonly"

    seen = {}

    class Federation(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
            session = json.loads(q["Session"])
            sts = boto3.client("sts", endpoint_url=world.moto.url, region_name="us-east-1", aws_access_key_id=session["sessionId"],
                               aws_secret_access_key=session["sessionKey"], aws_session_token=session["sessionToken"])
            seen["arn"] = sts.get_caller_identity()["Arn"]
            body = json.dumps({"SigninToken": "token-for-" + session["sessionId"]}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Federation)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}/federation"
        p = run([binary, "console", "--profile", "prod-readonly", "--federated", "--federation-endpoint", endpoint], env)
        assert p.returncode == 0, p.stderr
        assert p.stdout.startswith(endpoint + "?Action=login&Issuer=xacct-cred&Destination=")
        assert "&SigninToken=token-for-" in p.stdout
        assert seen["arn"] == f"arn:aws:sts::{scenario.PROD}:assumed-role/{scenario.ROLE_NAME}/asi-dev"
    finally:
        server.shutdown()
        server.server_close()
