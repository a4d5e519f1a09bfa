#!/usr/bin/env bash
# Builds the installable Debian package (and an .rpm) into
# target/release/bundle/. AppImage is not built: its tooling downloads
# binaries at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm --prefix ui run build --silent
ui/node_modules/.bin/tauri build --bundles deb rpm
ls -1 target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
