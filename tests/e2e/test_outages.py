"""Real clients while STS hangs: the AWS CLI v1, its credential_process xacct-cred,
a session cached with 13 of 60 minutes left (inside the 16-minute window, above the 5-minute
margin), and an STS that accepts connections and never answers. Twelve parallel commands all
succeed at once; a command run while the background renewal is in flight returns without
waiting for it (botocore reads credential_process's stdout to EOF).
"""
import concurrent.futures
import datetime
import glob
import json
import os
import signal
import socket
import threading
import time

import pytest

import scenario
from world import aws_v1, run

PROFILE = "readonlys3crossaccount-timed"


def add_timed_profile(world, home):
    """The usual credential_process profile, with xacct-cred's own time (ms) logged per call:
    on a loaded machine the CLI's start-up dominates its wall time, and what matters
    is the credential_process the CLI waits for."""
    log = os.path.join(home, "xacct-cred-ms.log")
    script = f's=$(date +%s%N); {world.binary} --profile prod-readonly; r=$?; echo $(( ($(date +%s%N) - s) / 1000000 )) >> {log}; exit $r'
    with open(os.path.join(home, ".aws", "config"), "a") as f:
        f.write(f"\n[profile {PROFILE}]\ncredential_process = sh -c '{script}'\nregion = us-east-1\n")
    return log


def logged_ms(log):
    with open(log) as f:
        return [int(line) for line in f if line.strip()]


class SwitchableSts:
    """A TCP proxy in front of the real (moto) STS: relays while `hanging` is false; once it is
    true, accepts each connection, reads what comes, and never answers."""

    def __init__(self, upstream_url):
        host, port = upstream_url.split("//", 1)[1].rsplit(":", 1)
        self.upstream = (host, int(port.rstrip("/")))
        self.hanging = False
        self.held = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.hanging:
                self.held.append(conn)
                threading.Thread(target=self._drain, args=(conn,), daemon=True).start()
            else:
                threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    @staticmethod
    def _drain(conn):
        try:
            while conn.recv(65536):
                pass
        except OSError:
            pass

    def _relay(self, conn):
        up = socket.create_connection(self.upstream)

        def pipe(a, b):
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                for s in (a, b):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        threading.Thread(target=pipe, args=(up, conn), daemon=True).start()
        pipe(conn, up)

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.held:
            c.close()


def processes_of(home):
    """Live processes whose environment names this HOME (the callers and their renewals)."""
    needle = f"HOME={home}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if needle in f.read().split(b"\0"):
                    with open(f"/proc/{pid}/cmdline", "rb") as c:
                        found.append((int(pid), c.read().replace(b"\0", b" ").decode(errors="replace")))
        except OSError:
            pass
    return found


@pytest.fixture
def hanging_sts(world, home, env):
    sts = SwitchableSts(world.sts.url)
    env = dict(env, AWS_ENDPOINT_URL_STS=sts.url)
    env["XACCT_TIMED_LOG"] = add_timed_profile(world, home)
    yield sts, env
    sts.stop()
    for pid, _ in processes_of(home):
        os.kill(pid, signal.SIGKILL)


def warm_inside_the_window(env, left_seconds=780):
    """A real session from moto through xacct-cred, then its cached Expiration moved to 13
    minutes from now (moto does not enforce expiry, so the keys stay good)."""
    ls = run([aws_v1(), "s3", "ls", f"s3://{scenario.BUCKET}/", "--profile", PROFILE], env)
    assert ls.returncode == 0, ls.stderr
    (entry,) = glob.glob(os.path.join(env["XACCT_CRED_CACHE_DIR"], "*.json"))
    with open(entry) as f:
        doc = json.load(f)
    soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=left_seconds)
    doc["credentials"]["Expiration"] = soon.strftime("%Y-%m-%dT%H:%M:%SZ")
    with open(entry, "w") as f:
        json.dump(doc, f)
    return doc["credentials"]["AccessKeyId"]


def baseline_wall(env, cmd):
    """Twelve parallel commands with the cache served fresh (no renewal, no STS): this
    machine's own floor for the figure above."""
    fresh = dict(env, XACCT_CRED_REFRESH_WINDOW="60")
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda _: run(cmd, fresh, timeout=60), range(12)))
    took = time.monotonic() - started
    print(f"twelve CLI commands with a fresh cache: {took:.1f} s")
    return took


def renewals(home):
    return [p for p in processes_of(home) if "background-renewal" in p[1] and "renew" in p[1]]


def test_twelve_parallel_cli_commands_while_sts_hangs_all_succeed_within_15_s(home, hanging_sts):
    sts, env = hanging_sts
    warm_inside_the_window(env)
    sts.hanging = True
    cmd = [aws_v1(), "s3", "ls", f"s3://{scenario.BUCKET}/", "--profile", PROFILE]

    def one(_):
        started = time.monotonic()
        p = run(cmd, env, timeout=60)
        return p, time.monotonic() - started

    def twelve():
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            results = list(pool.map(one, range(12)))
        return results, time.monotonic() - started

    log = env["XACCT_TIMED_LOG"]
    open(log, "w").close()
    results, wall = twelve()
    for p, took in results:
        assert p.returncode == 0, p.stderr
    ms = logged_ms(log)
    assert len(ms) >= 12, ms
    # Each credential_process returned at once (queueing behind STS took 10, 20, 30 s).
    assert max(ms) < 3000, f"xacct-cred took {ms} ms"
    # The CLI commands themselves: within 15 s, unless this machine is so loaded that twelve
    # commands with nothing renewing at all take that long (then not much longer than those).
    print(f"twelve CLI commands while STS hangs: wall {wall:.1f} s, slowest {max(t for _, t in results):.1f} s; xacct-cred ms {sorted(ms)}")
    assert max(t for _, t in results) < 15 or wall < 5 + 1.5 * baseline_wall(env, cmd), f"wall {wall:.1f} s"
    # One renewal, hanging on STS, that nobody waited for.
    assert len(renewals(home)) == 1, processes_of(home)
    assert sts.held, "the renewal did reach the hanging STS"


def test_a_cli_command_run_while_a_renewal_is_in_flight_returns_without_waiting(home, hanging_sts):
    sts, env = hanging_sts
    warm_inside_the_window(env)
    sts.hanging = True
    cmd = [aws_v1(), "s3", "ls", f"s3://{scenario.BUCKET}/", "--profile", PROFILE]
    first = run(cmd, env, timeout=60)
    assert first.returncode == 0, first.stderr
    deadline = time.monotonic() + 10
    while not sts.held and time.monotonic() < deadline:
        time.sleep(0.05)
    assert renewals(home), "a renewal is in flight"
    log = env["XACCT_TIMED_LOG"]
    open(log, "w").close()
    second = run(cmd, env, timeout=60)
    assert second.returncode == 0, second.stderr
    # The renewal hangs for 10 s per attempt sequence; the call did not wait for it.
    ms = logged_ms(log)
    assert ms and max(ms) < 3000, f"xacct-cred took {ms} ms"
    assert renewals(home), "it returned while the renewal was still in flight"
