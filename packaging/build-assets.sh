#!/usr/bin/env bash
# Generates the man page and the shell completions from a built binary (they come from the
# binary's own clap definitions): packaging/build-assets.sh BIN OUTDIR
set -euo pipefail
bin=$1 out=$2
mkdir -p "$out/completions"
"$bin" generate man | gzip -9n > "$out/xacct-cred.1.gz"
"$bin" generate man > "$out/xacct-cred.1"
"$bin" generate complete-bash > "$out/completions/xacct-cred.bash"
"$bin" generate complete-zsh > "$out/completions/_xacct-cred"
"$bin" generate complete-fish > "$out/completions/xacct-cred.fish"
"$bin" generate complete-powershell > "$out/completions/_xacct-cred.ps1"
