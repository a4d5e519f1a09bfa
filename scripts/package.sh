#!/usr/bin/env bash
# Builds the installable Debian package (and an .rpm) into
# target/release/bundle/. AppImage is not built: its tooling downloads
# binaries at build time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
npm --prefix ui run build --silent
# The command line ships beside the window, with its completions and man
# page (written by cli/build.rs into target/release/encaisse-cli-assets/).
cargo build --release -p encaisse-cli
ui/node_modules/.bin/tauri build --bundles deb rpm
deb=$(ls -1 target/release/bundle/deb/*.deb | head -1)
listing=$(dpkg-deb -c "$deb")
for f in usr/bin/encaisse usr/bin/encaisse-cli usr/share/man/man1/encaisse-cli.1 \
         usr/share/bash-completion/completions/encaisse-cli; do
  grep -Eq " (\./)?$f\$" <<<"$listing" || { echo "missing from $deb: /$f" >&2; exit 1; }
done
ls -1 target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm
