#!/usr/bin/env bash
# Packaging, verified rather than hoped for: builds the .deb, .rpm and tarball
# (scripts/package.sh), installs the .deb with dpkg and checks the binary, the man page and the
# bash completion; lists the .rpm with rpm -qlp; installs the tarball with install.sh from a
# local server on 127.0.0.1 (and checks that a tampered tarball is refused). Leaves the
# machine as it found it. Ends with a "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
need=()
command -v rpm >/dev/null || need+=(rpm)
command -v man >/dev/null || need+=(man-db)
[ -f /usr/share/bash-completion/bash_completion ] || need+=(bash-completion)
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
bash scripts/package.sh || { echo "0 passed, 1 failed"; exit 1; }

passed=0 failed=0
check() { # check NAME COMMAND...
  local name=$1; shift
  if out=$("$@" 2>&1); then passed=$((passed + 1)); echo "ok   $name"
  else failed=$((failed + 1)); echo "FAIL $name"; echo "$out" | sed 's/^/     /' | tail -20; fi
}
deb=$(ls target/debian/*.deb | head -1)
rpm=$(ls target/generate-rpm/*.rpm | head -1)
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

check "dpkg -i installs the .deb" $SUDO dpkg -i "$deb"
check "xacct-cred --version names version, commit and target" bash -c "/usr/bin/xacct-cred --version | grep -E '^xacct-cred [0-9.]+ \\(commit $commit, target [a-z0-9_]+-[a-z0-9_-]+\\)$'"
check "man -w xacct-cred finds the man page" bash -c 'man -w xacct-cred | grep -q /usr/share/man/man1/xacct-cred.1.gz'
check "the man page documents the flags" bash -c 'zcat /usr/share/man/man1/xacct-cred.1.gz | grep -qF "refresh\\-window"'
check "bash completion registers" bash -c 'source /usr/share/bash-completion/completions/xacct-cred; complete -p xacct-cred | grep -q _xacct'
check "zsh and fish completions are installed" test -s /usr/share/zsh/vendor-completions/_xacct-cred -a -s /usr/share/fish/vendor_completions.d/xacct-cred.fish
check "dpkg -r removes it" bash -c "$SUDO dpkg -r xacct-cred >/dev/null && ! test -e /usr/bin/xacct-cred"

check "rpm -qlp lists binary, man page and completions" bash -c "rpm -qlp '$rpm' 2>/dev/null | sort | tr '\n' ' ' | grep -q '/usr/bin/xacct-cred /usr/share/bash-completion/completions/xacct-cred /usr/share/doc/xacct-cred/README.md /usr/share/fish/vendor_completions.d/xacct-cred.fish /usr/share/man/man1/xacct-cred.1.gz /usr/share/zsh/site-functions/_xacct-cred'"

# install.sh against a local "release" served on 127.0.0.1.
target=$(rustc -vV | sed -n 's/^host: //p')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 "$port" --directory target/dist >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/SHA256SUMS" >/dev/null && break; sleep 0.1; done
prefix=$(mktemp -d)
export XACCT_CRED_BASE_URL=http://127.0.0.1:$port XACCT_CRED_TARGET=$target XACCT_CRED_VERSION=$(target/release/xacct-cred --version | awk '{print $2}')
check "install.sh verifies and installs a release tarball" sh packaging/install.sh --prefix "$prefix"
check "the installed binary, man page and completions are there" test -x "$prefix/bin/xacct-cred" -a -s "$prefix/share/man/man1/xacct-cred.1.gz" -a -s "$prefix/share/bash-completion/completions/xacct-cred"
tarball=$(ls target/dist/*.tar.gz)
cp "$tarball" "$tarball.orig"; printf 'x' >> "$tarball"
rm -rf "$prefix"; prefix=$(mktemp -d)
check "install.sh refuses a tampered tarball" bash -c "! sh packaging/install.sh --prefix '$prefix' 2>&1 | tee /dev/stderr | grep -q '^installed ' && ! test -e '$prefix/bin/xacct-cred'"
mv "$tarball.orig" "$tarball"
rm -rf "$prefix"

echo "packaging: $passed passed, $failed failed"
[ "$failed" = 0 ]
