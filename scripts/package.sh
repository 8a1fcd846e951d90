#!/usr/bin/env bash
# Builds every package from one release build:
#   target/debian/xacct-cred_VERSION-1_ARCH.deb    (cargo-deb)
#   target/generate-rpm/xacct-cred-VERSION-1.ARCH.rpm (cargo-generate-rpm)
#   target/dist/xacct-cred-VERSION-TARGET.tar.gz + SHA256SUMS (for install.sh)
# Installs cargo-deb and cargo-generate-rpm with cargo if they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb
command -v cargo-generate-rpm >/dev/null || cargo install --locked cargo-generate-rpm
cargo build --release --locked -q
bash packaging/build-assets.sh target/release/xacct-cred target/assets
cargo deb --no-build --locked -q 2>/dev/null || cargo deb --no-build --locked
cargo generate-rpm
rm -rf target/dist
bash packaging/make-tarball.sh target/release/xacct-cred "$(rustc -vV | sed -n 's/^host: //p')" target/dist > /dev/null
ls target/debian/*.deb target/generate-rpm/*.rpm target/dist/*
