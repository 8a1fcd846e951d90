#!/usr/bin/env bash
# A release tarball and its SHA256SUMS line, as install.sh expects them:
#   packaging/make-tarball.sh BIN TARGET OUTDIR  →  OUTDIR/xacct-cred-VERSION-TARGET.tar.gz
set -euo pipefail
bin=$1 target=$2 out=$3
here=$(cd "$(dirname "$0")/.." && pwd)
version=$("$bin" --version | awk '{print $2}')
name=xacct-cred-$version-$target
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
cp "$bin" "$stage/$name/xacct-cred"
bash "$here/packaging/build-assets.sh" "$bin" "$stage/$name/share"
rm -f "$stage/$name/share/xacct-cred.1"
cp "$here/README.md" "$stage/$name/"
tar -C "$stage" -czf "$out/$name.tar.gz" "$name"
(cd "$out" && sha256sum "$name.tar.gz" >> SHA256SUMS && sort -u -k2 SHA256SUMS -o SHA256SUMS)
echo "$out/$name.tar.gz"
