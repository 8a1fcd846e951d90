"""The AWS SDK for Go v2 client (go/client.go), built once per test run from Debian's
golang-go and golang-github-aws-aws-sdk-go-v2-dev, offline, in GOPATH mode (FACTS.md): no
module proxy, no download. scripts/setup-test-deps.sh installs both packages; without them the
tests that use the client fail, naming what is missing.
"""
import atexit
import os
import shutil
import subprocess
import tempfile
import threading

from world import HERE

SOURCE = os.path.join(HERE, "go", "client.go")
GOPATH = "/usr/share/gocode"
SDK = os.path.join(GOPATH, "src", "github.com", "aws", "aws-sdk-go-v2")
CACHE = os.environ.get("XACCT_E2E_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "xacct-cred-e2e"))

_lock = threading.Lock()
_built = []


def path():
    """The built client's path; the first call builds it (~40 s cold, a few seconds with the
    build cache), every later call in this run reuses it."""
    with _lock:
        if not _built:
            _built.append(_build())
        return _built[0]


def _build():
    go = shutil.which("go")
    assert go, "NOT RUN: `go` is missing (Debian's golang-go); scripts/setup-test-deps.sh installs it"
    assert os.path.isdir(SDK), f"NOT RUN: {SDK} is missing (golang-github-aws-aws-sdk-go-v2-dev); scripts/setup-test-deps.sh installs it"
    out_dir = tempfile.mkdtemp(prefix="xacct-e2e-go-")
    atexit.register(shutil.rmtree, out_dir, True)
    out = os.path.join(out_dir, "client")
    env = dict(os.environ, GO111MODULE="off", GOPROXY="off", GOFLAGS="", GOPATH=GOPATH,
               GOCACHE=os.path.join(CACHE, "go-build"))
    p = subprocess.run([go, "build", "-o", out, SOURCE], env=env, cwd=os.path.dirname(SOURCE),
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, f"building the Go SDK client failed:\n{p.stderr}"
    return out
