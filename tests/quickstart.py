"""README's quick start, run as a newcomer would: the commands of the block README.md marks with
`<!-- quickstart: ... -->`, taken from README as written and run one by one with bash, in an
empty HOME, against moto (a local STS, IAM and S3) on 127.0.0.1.

What a newcomer has before the quick start, and README says so, is set up here and nowhere
else: a role `readonly` in account 111111111111 that lists buckets, and a profile `dev` holding
the keys of a user in account 222222222222 allowed to assume it (written with the AWS CLI's own
`aws configure set`). The environment holds nothing of this machine's but PATH and the locale;
`AWS_ENDPOINT_URL` sends the AWS CLI (v1, from the test venv) and xacct-cred to moto.

Fails when the marked block is missing or has fewer than three commands, when a command exits
non-zero, or when `aws s3 ls` does not list the role account's bucket. Everything it starts,
it stops; the HOME is removed.

    python tests/quickstart.py XACCT_CRED_BINARY   (tests/quickstart.sh finds both)
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "e2e"))
import scenario  # noqa: E402  (moto's server and the set-up clients, shared with the e2e tier)

ROLE_ACCOUNT, SOURCE_ACCOUNT = "111111111111", "222222222222"
ROLE_NAME = "readonly"
BUCKET = "quickstart-reports"
MARK = "<!-- quickstart:"


def quick_start_commands(readme):
    """The lines of the first fenced block after the marker: each one a command."""
    lines = open(readme, encoding="utf-8").read().splitlines()
    try:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(MARK))
    except StopIteration:
        sys.exit(f"quickstart: no '{MARK}' marker in {readme}: mark the quick start block")
    rest = lines[at + 1:]
    if not rest or not rest[0].startswith("```"):
        sys.exit(f"quickstart: the line after the marker in {readme} must open a fenced block")
    commands = []
    for line in rest[1:]:
        if line.startswith("```"):
            break
        if line.strip() and not line.lstrip().startswith("#"):
            commands.append(line.strip())
    else:
        sys.exit(f"quickstart: the quick start block in {readme} is not closed")
    if len(commands) < 3:
        sys.exit(f"quickstart: expected at least three commands in the quick start, found {commands!r}")
    return commands


def set_up_accounts(endpoint):
    """The role and the user the quick start assumes exist; then moto checks every request."""
    iam, s3 = scenario._client("iam", endpoint, ROLE_ACCOUNT), scenario._client("s3", endpoint, ROLE_ACCOUNT)
    s3.create_bucket(Bucket=BUCKET)
    trust = scenario.policy(scenario.allow("sts:AssumeRole", None, {"AWS": f"arn:aws:iam::{SOURCE_ACCOUNT}:root"}))
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="list", PolicyDocument=scenario.policy(
        scenario.allow("s3:ListAllMyBuckets", "*")))
    iam = scenario._client("iam", endpoint, SOURCE_ACCOUNT)
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=scenario.policy(
        scenario.allow("sts:AssumeRole", f"arn:aws:iam::{ROLE_ACCOUNT}:role/{ROLE_NAME}")))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    import urllib.request
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset-auth", data=b"0", method="POST",
                                                  headers={"Content-Type": "text/plain"}), timeout=10)
    return key["AccessKeyId"], key["SecretAccessKey"]


def run(command, env, cwd, shown=None):
    print(f"$ {shown or command}", flush=True)
    p = subprocess.run(["bash", "-c", command], env=env, cwd=cwd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    for stream in (p.stdout, p.stderr):
        if stream:
            print("  " + stream.rstrip().replace("\n", "\n  "), flush=True)
    return p


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    readme = os.path.join(os.path.dirname(HERE), "README.md")
    commands = quick_start_commands(readme)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("quickstart: terminated"))

    venv_bin = os.path.dirname(sys.executable)
    home = tempfile.mkdtemp(prefix="xacct-quickstart-")
    bindir = os.path.join(home, "bin")  # only xacct-cred, as an installed binary would be
    os.makedirs(bindir)
    os.symlink(binary, os.path.join(bindir, "xacct-cred"))
    moto = scenario.MotoServer(python=sys.executable)
    try:
        key_id, secret = set_up_accounts(moto.url)
        env = {
            "HOME": home,
            "PATH": os.pathsep.join([bindir, venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "AWS_ENDPOINT_URL": moto.url,
            "AWS_PAGER": "",
        }
        # Before the quick start: the newcomer's own profile (README: "aws configure --profile dev").
        for key, value in (("aws_access_key_id", key_id), ("aws_secret_access_key", secret)):
            if run(f"aws configure set {key} {value} --profile dev", env, home, f"aws configure set {key} … --profile dev").returncode != 0:
                sys.exit("quickstart: could not write the dev profile (set-up, not the quick start)")
        failed = []
        for command in commands:
            p = run(command, env, home)
            if p.returncode != 0:
                failed.append(f"{command!r} exited {p.returncode}")
                break
            if command.startswith("aws s3 ls") and BUCKET not in p.stdout:
                failed.append(f"{command!r} did not list {BUCKET}")
                break
        if failed:
            print("quickstart: FAILED: " + "; ".join(failed), flush=True)
            return 1
        print(f"quickstart: all {len(commands)} commands of README's quick start passed", flush=True)
        return 0
    finally:
        moto.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
