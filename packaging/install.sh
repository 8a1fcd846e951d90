#!/bin/sh
# Installs xacct-cred from a release tarball after checking it against the release's SHA256SUMS.
#
#   XACCT_CRED_BASE_URL=<the release's download URL> sh install.sh [--prefix DIR]
#
# Variables: XACCT_CRED_BASE_URL (required: where the tarballs and SHA256SUMS are),
# XACCT_CRED_VERSION (default: the version this script was released with),
# XACCT_CRED_TARGET (default: detected: x86_64/aarch64 Linux musl, universal macOS).
# Installs bin/xacct-cred, share/man/man1/xacct-cred.1.gz and the bash, zsh and fish
# completions under the prefix (default /usr/local, or ~/.local when that is not writable).
set -eu

version=${XACCT_CRED_VERSION:-0.1.0}
base=${XACCT_CRED_BASE_URL:-}
prefix=""
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$base" ] || { echo "install.sh: set XACCT_CRED_BASE_URL to the release's download URL" >&2; exit 2; }
if [ -z "$prefix" ]; then
  if [ -w /usr/local/bin ] 2>/dev/null; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi

target=${XACCT_CRED_TARGET:-}
if [ -z "$target" ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-musl ;;
    Linux-aarch64|Linux-arm64) target=aarch64-unknown-linux-musl ;;
    Darwin-*) target=universal-apple-darwin ;;
    *) echo "install.sh: no release for $(uname -s) $(uname -m); build from source with cargo install --path ." >&2; exit 1 ;;
  esac
fi

name=xacct-cred-$version-$target
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

fetch() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL -o "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then wget -q -O "$2" "$1"
  else echo "install.sh: needs curl or wget" >&2; exit 1; fi
}
fetch "$base/$name.tar.gz" "$tmp/$name.tar.gz"
fetch "$base/SHA256SUMS" "$tmp/SHA256SUMS"

expected=$(awk -v f="$name.tar.gz" '$2 == f || $2 == "*" f {print $1}' "$tmp/SHA256SUMS")
[ -n "$expected" ] || { echo "install.sh: SHA256SUMS has no line for $name.tar.gz" >&2; exit 1; }
if command -v sha256sum >/dev/null 2>&1; then actual=$(sha256sum "$tmp/$name.tar.gz" | awk '{print $1}')
else actual=$(shasum -a 256 "$tmp/$name.tar.gz" | awk '{print $1}'); fi
if [ "$actual" != "$expected" ]; then
  echo "install.sh: checksum mismatch for $name.tar.gz (expected $expected, got $actual); nothing was installed" >&2
  exit 1
fi

tar -xzf "$tmp/$name.tar.gz" -C "$tmp"
src=$tmp/$name
mkdir -p "$prefix/bin" "$prefix/share/man/man1" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
install -m 755 "$src/xacct-cred" "$prefix/bin/xacct-cred"
install -m 644 "$src/share/xacct-cred.1.gz" "$prefix/share/man/man1/xacct-cred.1.gz"
install -m 644 "$src/share/completions/xacct-cred.bash" "$prefix/share/bash-completion/completions/xacct-cred"
install -m 644 "$src/share/completions/_xacct-cred" "$prefix/share/zsh/site-functions/_xacct-cred"
install -m 644 "$src/share/completions/xacct-cred.fish" "$prefix/share/fish/vendor_completions.d/xacct-cred.fish"
echo "installed $("$prefix/bin/xacct-cred" --version) to $prefix"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "add $prefix/bin to PATH" ;; esac
