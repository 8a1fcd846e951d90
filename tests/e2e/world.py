"""Everything the scenario runs in: moto, the IMDSv2 emulator, the trust-check proxy in front
of STS, and a fresh HOME whose ~/.aws/config points the AWS clients at xacct-cred.

Used by the end-to-end tests (conftest.py) and by the README demo (demo.py). Every server it
starts, stop() stops; every client it runs gets an environment with no AWS_* variable of the
machine, only the ones set here, which all point at 127.0.0.1.
"""
import os
import shutil
import subprocess
import sys
import tempfile

import scenario
from imds import Imds
from trust_check import TrustCheck

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
VENV_BIN = os.path.dirname(sys.executable)

CONFIG = """\
[default]
region = us-east-1

[profile prod-readonly]
role_arn = {role_arn}
source_profile = asi-dev
role_session_name = asi-dev
region = us-east-1

[profile prod-readonly-ec2]
role_arn = {role_arn}
credential_source = Ec2InstanceMetadata
role_session_name = build-agent-1
region = us-east-1

[profile readonlys3crossaccount]
credential_process = {bin} --profile prod-readonly
region = us-east-1

[profile readonlys3crossaccount-ec2]
credential_process = {bin} --profile prod-readonly-ec2
region = us-east-1

[profile readonlys3crossaccount-flags]
credential_process = {bin} --role-arn {role_arn} --source-profile asi-dev --role-session-name flags-only --region us-east-1
region = us-east-1

[profile untrusted]
credential_process = {bin} --role-arn {untrusting_arn} --source-profile asi-dev --region us-east-1
region = us-east-1

[profile asi-dev]
region = us-east-1
"""


class World:
    def __init__(self, binary):
        self.binary = binary
        self.moto = scenario.MotoServer()
        try:
            self.secrets = scenario.set_up(self.moto.url)
            self.imds = Imds(scenario.EC2_ROLE_NAME, self.secrets["instance"])
            self.sts = TrustCheck(self.moto.url, self.secrets["key_accounts"], self.secrets["trust"])
        except Exception:
            self.moto.stop()
            raise

    def stop(self):
        self.sts.stop()
        self.imds.stop()
        self.moto.stop()

    def new_home(self, path=None):
        home = path or tempfile.mkdtemp(prefix="xacct-e2e-")
        os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
        with open(os.path.join(home, ".aws", "config"), "w") as f:
            f.write(CONFIG.format(role_arn=scenario.ROLE_ARN, untrusting_arn=scenario.UNTRUSTING_ROLE_ARN, bin=self.binary))
        with open(os.path.join(home, ".aws", "credentials"), "w") as f:
            f.write(f"[asi-dev]\naws_access_key_id = {self.secrets['user_key_id']}\naws_secret_access_key = {self.secrets['user_secret']}\n")
        return home

    def env(self, home):
        """A clean environment: nothing of the machine's AWS_* variables, endpoints on 127.0.0.1."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("XACCT_CRED_")}
        env.update({
            "HOME": home,
            "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
            "AWS_ENDPOINT_URL": self.moto.url,
            "AWS_ENDPOINT_URL_STS": self.sts.url,
            "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.imds.url,
            "XACCT_CRED_CACHE_DIR": os.path.join(home, "xacct-cred-cache"),
            "AWS_PAGER": "",
        })
        return env


def aws_v1():
    return os.path.join(VENV_BIN, "aws")


def aws_v2():
    return shutil.which("aws", path="/usr/bin") or "/usr/bin/aws"


def run(cmd, env, check=False, input=None, timeout=120):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, input=input, timeout=timeout, shell=isinstance(cmd, str))
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd!r} failed ({p.returncode}):\n{p.stderr}")
    return p
