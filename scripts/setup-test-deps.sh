#!/usr/bin/env bash
# Installs what the tests use beyond Rust, idempotently, cached between runs:
#   Debian packages: the AWS CLI v2 (awscli), Node.js and npm, the venv module, fish/dash for
#   the export round trips, curl, Go and the AWS SDK for Go v2 (built offline in GOPATH mode by
#   tests/e2e/go_client.py); a real Secret Service for the key store tests (dbus-daemon,
#   gnome-keyring, secret-tool from libsecret-tools), keyctl (keyutils) and setfacl (acl); a Python venv
#   (tests/e2e/requirements.txt) with moto's server, the AWS CLI v1, boto3 and pytest; the JS
#   SDK v3 (tests/e2e/js, npm ci).
# Prints the path of the venv's python on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/aws ] || need+=(awscli)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
command -v fish >/dev/null || need+=(fish)
command -v dash >/dev/null || need+=(dash)
command -v curl >/dev/null || need+=(curl)
command -v go >/dev/null || need+=(golang-go)
[ -d /usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/config ] || need+=(golang-github-aws-aws-sdk-go-v2-dev)
command -v python3 >/dev/null || need+=(python3)
python3 -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv)
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v secret-tool >/dev/null || need+=(libsecret-tools)
command -v keyctl >/dev/null || need+=(keyutils)
command -v setfacl >/dev/null || need+=(acl)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

cache=${XACCT_E2E_CACHE:-$HOME/.cache/xacct-cred-e2e}
venv=$cache/venv
stamp=$(sha256sum tests/e2e/requirements.txt | cut -c1-16)
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "creating the test venv in $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/e2e/requirements.txt >&2
  echo "$stamp" > "$venv/.stamp"
fi

js=tests/e2e/js
lock=$(sha256sum $js/package-lock.json | cut -c1-16)
if [ "$(cat $js/node_modules/.stamp 2>/dev/null)" != "$lock" ]; then
  echo "installing the JS SDK (npm ci)" >&2
  (cd $js && npm ci --no-audit --no-fund --loglevel=error >&2)
  echo "$lock" > $js/node_modules/.stamp
fi
echo "$venv/bin/python"
