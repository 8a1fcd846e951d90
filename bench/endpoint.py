"""The credential endpoint's benchmark (bench/endpoint.sh runs it): one run, all figures side by side.

1. Cache hit: `serve` for one profile; wrk with 32 connections for 10 s (every request a new
   connection: the endpoint closes after each reply, as the SDKs expect): requests/s, p50, p99.
   At saturation latency is 32 / throughput (queueing), so one client's latency (wrk -c1) is
   printed beside it: the cost of one request.
   Beside it, the same role through credential_process (`xacct-cred -p P`, a cache hit), 200
   invocations one after another: p50, p99.
2. A simulated day of renewals under load: a second `serve` whose STS issues 60 s sessions and
   whose refresh window is 59 s, so the session is renewed about every second; 32 client threads
   request without pause for DAY_SECONDS. Prints renewals (distinct keys served), AssumeRole calls
   at the STS (target: equal), failed requests (target 0), and the server's RSS after warm-up and
   at the end (target: flat).

Usage: python3 bench/endpoint.py BINARY
"""
import datetime
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from short_sts import ROLE_ARN, ShortSts  # noqa: E402

DAY_SECONDS = int(os.environ.get("DAY_SECONDS", "90"))
CONFIG = f"[profile bench]\nrole_arn = {ROLE_ARN}\nsource_profile = src\nregion = us-east-1\n"


def home_env(sts, window):
    home = tempfile.mkdtemp(prefix="xacct-endpoint-bench-")
    os.makedirs(os.path.join(home, ".aws"))
    with open(os.path.join(home, ".aws", "config"), "w") as f:
        f.write(CONFIG)
    with open(os.path.join(home, ".aws", "credentials"), "w") as f:
        f.write("[src]\naws_access_key_id = AKIABENCH\naws_secret_access_key = s\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and not k.startswith("XACCT_CRED_")}
    env.update({"HOME": home, "AWS_ENDPOINT_URL_STS": sts.url, "XACCT_CRED_CACHE_DIR": os.path.join(home, "cache")})
    if window:
        env["XACCT_CRED_REFRESH_WINDOW"] = str(window)
    return home, env


def start_serve(binary, env):
    p = subprocess.Popen([binary, "serve", "-p", "bench", "--format", "json"], env=env, stdout=subprocess.PIPE, text=True)
    v = json.loads(p.stdout.readline())["bench"]
    return p, v["AWS_CONTAINER_CREDENTIALS_FULL_URI"], v["AWS_CONTAINER_AUTHORIZATION_TOKEN"]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def ms(text):
    """wrk's latency ('812.00us', '1.20ms', '2.01s') in ms."""
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def get(addr, path, token):
    s = socket.create_connection(addr, timeout=30)
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {addr[0]}:{addr[1]}\r\nAuthorization: {token}\r\n\r\n".encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def cache_hit(binary):
    sts = ShortSts(lifetime=datetime.timedelta(hours=1))
    home, env = home_env(sts, None)
    server, url, token = start_serve(binary, env)
    try:
        out = subprocess.run(["wrk", "-t2", "-c32", "-d10s", "--latency", "-H", f"Authorization: {token}", url], capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
        p99 = ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)", out)
        one = subprocess.run(["wrk", "-t1", "-c1", "-d5s", "--latency", "-H", f"Authorization: {token}", url], capture_output=True, text=True, check=True).stdout
        single = (float(re.search(r"Requests/sec:\s+([\d.]+)", one).group(1)), ms(re.search(r"\n\s+50%\s+(\S+)", one).group(1)), ms(re.search(r"\n\s+99%\s+(\S+)", one).group(1)))
        times = []
        for _ in range(200):
            t = time.perf_counter()
            subprocess.run([binary, "-p", "bench"], env=env, capture_output=True, check=True)
            times.append((time.perf_counter() - t) * 1000)
        calls = sts.assume_role_calls
    finally:
        server.terminate()
        server.wait()
        sts.stop()
    return rps, p50, p99, errors.group(0) if errors else "none", statistics.median(times), percentile(times, 99), calls, single


def day(binary):
    sts = ShortSts(lifetime=datetime.timedelta(seconds=60))
    home, env = home_env(sts, 59)
    server, url, token = start_serve(binary, env)
    rest = url[len("http://"):]
    host, _, path = rest.partition("/")
    addr = (host.split(":")[0], int(host.split(":")[1]))
    path = "/" + path
    keys, failures, requests = set(), [0], [0]
    lock = threading.Lock()
    stop = time.time() + DAY_SECONDS
    warm = {}

    def client():
        while time.time() < stop:
            status, body = get(addr, path, token)
            with lock:
                requests[0] += 1
                if status == 200:
                    keys.add(json.loads(body)["AccessKeyId"])
                else:
                    failures[0] += 1

    def sample():
        time.sleep(10)
        warm["rss"] = rss_kb(server.pid)

    threads = [threading.Thread(target=client) for _ in range(32)] + [threading.Thread(target=sample)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        end_rss = rss_kb(server.pid)
        calls = sts.assume_role_calls
    finally:
        server.terminate()
        server.wait()
        sts.stop()
    return len(keys), calls, failures[0], requests[0], warm["rss"], end_rss


def main():
    binary = sys.argv[1]
    rps, p50, p99, errors, cp50, cp99, calls, (rps1, s50, s99) = cache_hit(binary)
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on 2 cores")
    print("cache hit, 32 concurrent clients (wrk, 10 s, a connection per request, no pause):")
    print(f"  endpoint: {rps:.0f} requests/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms (target p99 <= 2 ms); errors: {errors}")
    print(f"  one client (wrk -c1, 5 s): {rps1:.0f} requests/s, p50 {s50:.2f} ms, p99 {s99:.2f} ms")
    print(f"  credential_process, same role, 200 invocations in a row: p50 {cp50:.2f} ms, p99 {cp99:.2f} ms")
    print(f"  endpoint p50 / credential_process p50: {p50 / cp50:.2f}; AssumeRole calls in this phase: {calls} (target 1)")
    renewals, ar, failures, requests, rss0, rss1 = day(binary)
    print(f"simulated day: 60 s sessions renewed every ~1 s, 32 clients without pause, {DAY_SECONDS} s:")
    print(f"  requests {requests}, failed {failures} (target 0)")
    print(f"  renewals (distinct keys served) {renewals}, AssumeRole calls {ar} (target: equal, one per renewal)")
    print(f"  server RSS after 10 s {rss0 / 1024:.1f} MB, at the end {rss1 / 1024:.1f} MB (target: flat)")


if __name__ == "__main__":
    main()
