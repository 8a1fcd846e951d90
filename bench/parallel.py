"""Starts N cold invocations at once; prints p50/p99 wall time (ms) and whether all agreed."""
import json
import subprocess
import sys
import threading
import time

n, cmd = int(sys.argv[1]), sys.argv[2:]
times, outs = [0.0] * n, [None] * n
barrier = threading.Barrier(n)


def one(i):
    barrier.wait()
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True)
    times[i] = (time.perf_counter() - t) * 1000
    outs[i] = (p.returncode, p.stdout)


threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
for t in threads:
    t.start()
for t in threads:
    t.join()
times.sort()
ok = all(rc == 0 for rc, _ in outs)
same = len({o for _, o in outs}) == 1
print(json.dumps({"p50_ms": round(times[n // 2], 1), "p99_ms": round(times[min(n - 1, int(n * 0.99))], 1), "all_ok": ok, "all_same": same}))
