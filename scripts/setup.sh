#!/usr/bin/env bash
# Installs everything Encaisse needs to build, run and test on Debian/Ubuntu.
# Safe to run twice: each step checks before it installs.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(
  libwebkit2gtk-4.1-dev build-essential libxdo-dev libssl-dev libayatana-appindicator3-dev
  librsvg2-dev libgtk-3-dev pkg-config file curl xvfb xauth webkit2gtk-driver poppler-utils
  xdotool imagemagick fonts-dejavu-core libdbus-1-dev qpdf
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Rust (stable, 1.85 or newer).
if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "== rustup"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# Node.js 20.19 or newer (Vite 8).
if ! command -v npm >/dev/null 2>&1; then
  echo "== nodejs"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi

# UI packages at the locked versions. `npm install` rather than `npm ci`: npm
# leaves the other platforms' optional builds of @tauri-apps/cli out of the
# lock file, and `npm ci` then refuses a lock it calls out of sync.
if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "== npm install"
  (cd ui && npm install --no-audit --no-fund --loglevel=error)
fi

# WebDriver bridge for the end-to-end tests.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "== tauri-driver"
  cargo install tauri-driver --locked --quiet
fi
