"""The README's "try it": the whole cross-account scenario on a local AWS emulator (moto).

Sets everything up in a temporary directory, shows the generated ~/.aws/config, runs
`aws s3 ls` through xacct-cred twice (the second from the cache, with STS calls counted), shows
the caller identity, a denied write, the EC2 instance-role path and the shell export, then
stops every server and removes the directory.
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario  # noqa: E402
from world import World, aws_v1, run  # noqa: E402

BOLD, DIM, OFF = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def step(title):
    print(f"\n{BOLD}== {title}{OFF}")


def show(cmd, env, expect_fail=False):
    shown = " ".join(a if " " not in a else repr(a) for a in cmd) if isinstance(cmd, list) else cmd
    print(f"{DIM}$ {shown}{OFF}")
    t = time.perf_counter()
    p = run(cmd, env)
    ms = (time.perf_counter() - t) * 1000
    out = (p.stdout + p.stderr).rstrip()
    print(out if out else "(no output)")
    if (p.returncode != 0) != expect_fail:
        raise SystemExit(f"demo failed: {shown} exited {p.returncode}")
    return ms


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="xacct-cred-demo-")
    world = None
    try:
        step("Starting a local AWS (moto) with two accounts, an IMDSv2 emulator and a trust-policy check")
        world = World(binary)
        print(f"moto on {world.moto.url}; IMDSv2 on {world.imds.url}; STS (trust check) on {world.sts.url}")
        print(f"production {scenario.PROD}: bucket {scenario.BUCKET}, role {scenario.ROLE_NAME} (read-only, trusts {scenario.DEV})")
        print(f"development {scenario.DEV}: user asi-dev in group asi-developers (may assume the role); EC2 role {scenario.EC2_ROLE_NAME}")
        home = world.new_home(os.path.join(tmp, "home"))
        env = world.env(home)

        step(f"The generated ~/.aws/config ({home}/.aws/config)")
        print(open(os.path.join(home, ".aws", "config")).read().split("[profile untrusted]")[0].rstrip())

        bucket = f"s3://{scenario.BUCKET}/"
        step("aws s3 ls through xacct-cred (cold: one AssumeRole)")
        cold = show([aws_v1(), "s3", "ls", bucket, "--profile", "readonlys3crossaccount"], env)
        print(f"STS AssumeRole calls so far: {world.sts.assume_role_calls}")
        step("The same again (served from xacct-cred's cache)")
        warm = show([aws_v1(), "s3", "ls", bucket, "--profile", "readonlys3crossaccount"], env)
        print(f"STS AssumeRole calls so far: {world.sts.assume_role_calls}   (aws s3 ls took {cold:.0f} ms, then {warm:.0f} ms)")

        step("Who am I?")
        show([aws_v1(), "sts", "get-caller-identity", "--profile", "readonlys3crossaccount"], env)
        step("Reading an object")
        show([aws_v1(), "s3", "cp", f"{bucket}README.txt", "-", "--profile", "readonlys3crossaccount"], env)
        step("Writing is denied (the role is read-only)")
        upload = os.path.join(tmp, "upload.txt")
        open(upload, "w").write("nope\n")
        show([aws_v1(), "s3", "cp", upload, bucket, "--profile", "readonlys3crossaccount"], env, expect_fail=True)

        step("A build server: the instance role from IMDSv2 as the source")
        show([aws_v1(), "s3", "ls", bucket, "--profile", "readonlys3crossaccount-ec2"], env)
        step("A shell: eval the exported variables")
        show(f'eval "$({binary} --export --profile prod-readonly)"; env | grep ^AWS_ | sed "s/=.*/=…/" | sort; aws s3 ls {bucket}', env)
        step("What is cached")
        show([binary, "cache", "list"], env)
        step("A role that does not trust us: the error says what to check on both sides")
        show([aws_v1(), "s3", "ls", bucket, "--profile", "untrusted"], env, expect_fail=True)
        print(f"\n{BOLD}Demo finished: {world.sts.assume_role_calls} AssumeRole calls in all.{OFF}")
    finally:
        if world:
            world.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
