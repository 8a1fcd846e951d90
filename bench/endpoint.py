"""The credential endpoint's benchmark (bench/endpoint.sh runs it): one run, all figures side by side.

1. Cache hit against nginx: `serve` for one profile, and Debian's nginx (one worker, default
   settings otherwise) serving a static JSON body of the same size on 127.0.0.1; the same wrk
   command (2 threads, 32 connections, 10 s, the token header) against each, in two modes: a
   connection per request (`Connection: close`) and keep-alive. Prints requests/s, p50, p99 and
   the ratios endpoint/nginx; the goal in each mode is p50 and p99 <= 1.2x nginx's and
   requests/s >= 0.8x. Each figure is the median of ROUNDS (default 3) runs that alternate
   between the two servers, so that a machine whose load drifts favours neither. At saturation latency is 32 / throughput (queueing), so one client's
   latency (wrk -c1, a connection per request) is printed too: the cost of one request.
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
import shutil
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
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {addr[0]}:{addr[1]}\r\nAuthorization: {token}\r\nConnection: close\r\n\r\n".encode())
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


MODES = [("a connection per request", ["-H", "Connection: close"]), ("keep-alive", [])]
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def wrk(url, token, extra, connections=32, seconds=10, threads=2):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Authorization: {token}", *extra, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = ms(re.search(r"\n\s+50%\s+(\S+)", out).group(1))
    p99 = ms(re.search(r"\n\s+99%\s+(\S+)", out).group(1))
    errors = re.findall(r"Non-2xx or 3xx responses: \d+|Socket errors: [^\n]*", out)
    return rps, p50, p99, "; ".join(errors) or "none"


def median_run(runs):
    """The median requests/s, p50 and p99 of wrk runs, and their errors."""
    errors = "; ".join(sorted({r[3] for r in runs}))
    return (*(statistics.median(r[i] for r in runs) for i in range(3)), errors)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_nginx(body_len):
    """Debian's nginx, one worker, serving a JSON document of body_len bytes at /credentials/bench."""
    prefix = tempfile.mkdtemp(prefix="xacct-endpoint-bench-nginx-")
    os.chmod(prefix, 0o755)  # the worker runs as another user
    os.makedirs(os.path.join(prefix, "www", "credentials"))
    doc = '{"Pad":""}'
    doc = '{"Pad":"' + "x" * (body_len - len(doc)) + '"}'
    with open(os.path.join(prefix, "www", "credentials", "bench"), "w") as f:
        f.write(doc)
    for d in ("www", "www/credentials"):
        os.chmod(os.path.join(prefix, d), 0o755)
    os.chmod(os.path.join(prefix, "www", "credentials", "bench"), 0o644)
    port = free_port()
    conf = os.path.join(prefix, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  server {{
    listen 127.0.0.1:{port};
    location = /credentials/bench {{ root {prefix}/www; default_type application/json; add_header Cache-Control no-store; }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    p = subprocess.Popen([nginx, "-p", prefix, "-e", os.path.join(prefix, "error.log"), "-c", conf])
    url = f"http://127.0.0.1:{port}/credentials/bench"
    for _ in range(100):
        try:
            status, body = get(("127.0.0.1", port), "/credentials/bench", "x")
            if status == 200 and len(body) == body_len:
                return p, url, prefix
        except OSError:
            pass
        time.sleep(0.05)
    p.terminate()
    p.wait()
    raise SystemExit(f"nginx did not serve its document: see {prefix}/error.log")


def cache_hit(binary):
    sts = ShortSts(lifetime=datetime.timedelta(hours=1))
    home, env = home_env(sts, None)
    server, url, token = start_serve(binary, env)
    nginx, prefix = None, None
    try:
        rest = url[len("http://"):]
        host, _, path = rest.partition("/")
        status, body = get((host.split(":")[0], int(host.split(":")[1])), "/" + path, token)
        assert status == 200, status
        nginx, nginx_url, prefix = start_nginx(len(body))
        modes = []
        for name, extra in MODES:
            # Alternating rounds, the median of each figure: on a shared machine the load
            # drifts, and one run after the other would hand the drift to one side.
            runs = {"endpoint": [], "nginx": []}
            for _ in range(ROUNDS):
                runs["endpoint"].append(wrk(url, token, extra))
                runs["nginx"].append(wrk(nginx_url, token, extra))
            modes.append((name, median_run(runs["endpoint"]), median_run(runs["nginx"])))
        single = wrk(url, token, MODES[0][1], connections=1, seconds=5, threads=1)
        times = []
        for _ in range(200):
            t = time.perf_counter()
            subprocess.run([binary, "-p", "bench"], env=env, capture_output=True, check=True)
            times.append((time.perf_counter() - t) * 1000)
        calls = sts.assume_role_calls
    finally:
        if nginx:
            nginx.terminate()
            nginx.wait()
        if prefix:
            shutil.rmtree(prefix, ignore_errors=True)
        server.terminate()
        server.wait()
        sts.stop()
    return modes, len(body), statistics.median(times), percentile(times, 99), calls, single


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
    load_before = os.getloadavg()
    modes, body_len, cp50, cp99, calls, single = cache_hit(binary)
    load_after = os.getloadavg()
    print(f"load average (1 min) before / after the wrk runs: {load_before[0]:.1f} / {load_after[0]:.1f} on {os.cpu_count()} cores")
    print(f"cache hit, 32 concurrent clients (wrk -t2 -c32 -d10s, no pause), the endpoint beside nginx (one worker, the same {body_len}-byte JSON body);")
    print(f"  median of {ROUNDS} alternating rounds per server and mode:")
    print(f"  {'mode':<26}{'server':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}  errors")
    met = []
    for name, (rps, p50, p99, err), (nrps, n50, n99, nerr) in modes:
        print(f"  {name:<26}{'endpoint':<10}{rps:>10.0f}{p50:>9.2f}{p99:>9.2f}  {err}")
        print(f"  {'':<26}{'nginx':<10}{nrps:>10.0f}{n50:>9.2f}{n99:>9.2f}  {nerr}")
        ok = rps / nrps >= 0.8 and p50 / n50 <= 1.2 and p99 / n99 <= 1.2
        met.append(ok)
        print(f"  {'':<26}{'ratio':<10}{rps / nrps:>10.2f}{p50 / n50:>9.2f}{p99 / n99:>9.2f}  goal >= 0.80, <= 1.20, <= 1.20: {'met' if ok else 'NOT MET'}")
    rps1, s50, s99, err1 = single
    print(f"  one client (wrk -c1, 5 s, a connection per request): {rps1:.0f} requests/s, p50 {s50:.2f} ms, p99 {s99:.2f} ms; errors: {err1}")
    print(f"  credential_process, same role, 200 invocations in a row: p50 {cp50:.2f} ms, p99 {cp99:.2f} ms")
    print(f"  AssumeRole calls in this phase: {calls} (target 1)")
    renewals, ar, failures, requests, rss0, rss1 = day(binary)
    print(f"simulated day: 60 s sessions renewed every ~1 s, 32 clients without pause, {DAY_SECONDS} s:")
    print(f"  requests {requests}, failed {failures} (target 0)")
    print(f"  renewals (distinct keys served) {renewals}, AssumeRole calls {ar} (target: equal, one per renewal)")
    print(f"  server RSS after 10 s {rss0 / 1024:.1f} MB, at the end {rss1 / 1024:.1f} MB (target: flat)")


if __name__ == "__main__":
    main()
