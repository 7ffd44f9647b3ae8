#!/usr/bin/env bash
# Installs the Supervisor Assist .deb on a clean Debian 12 (bookworm) chroot and checks it works there.
#   scripts/check-deb-install.sh [path/to/supervisor-assist_*.deb]   # default: the newest one under the target dir
#   scripts/check-deb-install.sh --prepare                            # only build/refresh the cached base system
# Needs root (debootstrap, chroot, mounts). The pristine base system is cached in $SA_CHROOT_CACHE
# (default /var/tmp/sa-chroot/base, ~2 min the first time); every check runs in a fresh copy of it
# ($SA_CHROOT_CACHE/run), with downloaded .debs kept in $SA_CHROOT_CACHE/apt-archives so reruns are fast.
# Checks, inside the chroot: `apt-get install ./supervisor-assist_*.deb` pulls the declared Depends; the packaged
# files are present; `ldd` finds every library of the binary and of libonnxruntime.so; the tray library is
# installed; `supervisor-assist self-check` finds the model + ONNX Runtime in /usr/lib/supervisor-assist and
# embeds a sentence; `supervisor-assist headless --demo` produces suggestion cards from the packaged demo data;
# `apt-get purge` removes every packaged file.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${SA_CHROOT_CACHE:-/var/tmp/sa-chroot}
BASE=$CACHE/base
RUN=$CACHE/run
ARCHIVES=$CACHE/apt-archives
SUITE=bookworm
start=$(date +%s)
log() { printf '[check-deb %3ss] %s\n' "$(( $(date +%s) - start ))" "$*"; }
die() { printf 'check-deb: FAIL: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, chroot and mounts need it)"

# The Debian mirror this machine's apt uses (deb822 or one-line sources), else deb.debian.org.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | head -n1)
  [[ -n $uri ]] || uri=$(grep -hsE '^deb .*/debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | head -n1)
  echo "${uri:-http://deb.debian.org/debian}"
}

ensure_host_tools() {
  command -v debootstrap >/dev/null && return
  log "installing debootstrap on the host"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

prepare_base() {
  if [[ -f $BASE/.sa-base-ready ]]; then
    log "base system cached in $BASE"
    return
  fi
  ensure_host_tools
  local mirror
  mirror=$(debian_mirror)
  log "debootstrap $SUITE (minbase) from $mirror into $BASE"
  rm -rf "$BASE" && mkdir -p "$BASE" "$ARCHIVES"
  debootstrap --variant=minbase --cache-dir="$ARCHIVES" "$SUITE" "$BASE" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE/debootstrap.log" >&2; die "debootstrap failed (log: $CACHE/debootstrap.log)"; }
  cat >"$BASE/etc/apt/sources.list" <<EOF
deb $mirror $SUITE main
deb $mirror $SUITE-updates main
deb ${mirror%/debian*}/debian-security $SUITE-security main
EOF
  # A stock minbase image with fresh package lists; the package cache is kept outside.
  with_mounts "$BASE" chroot "$BASE" apt-get update -qq
  touch "$BASE/.sa-base-ready"
  log "base system ready ($(du -sh "$BASE" | cut -f1))"
}

# Runs "$@" with /proc, /dev/pts, resolv.conf and the shared apt archive cache available in chroot $1.
with_mounts() {
  local root=$1; shift
  mkdir -p "$root/var/cache/apt/archives" "$ARCHIVES"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  mount -t proc proc "$root/proc"
  mount --bind "$ARCHIVES" "$root/var/cache/apt/archives"
  local status=0
  "$@" || status=$?
  umount "$root/var/cache/apt/archives" || umount -l "$root/var/cache/apt/archives"
  umount "$root/proc" || umount -l "$root/proc"
  return $status
}

find_deb() {
  local target=${CARGO_TARGET_DIR:-$ROOT/target}
  ls -t "$target"/release/bundle/deb/supervisor-assist_*.deb 2>/dev/null | head -n1
}

main() {
  prepare_base
  [[ ${1:-} == --prepare ]] && return
  local deb=${1:-$(find_deb)}
  [[ -n $deb && -f $deb ]] || die "no .deb found; build it with scripts/package-deb.sh or pass its path"
  log "fresh copy of the base system -> $RUN"
  rm -rf "$RUN" && cp -a "$BASE" "$RUN"
  mkdir -p "$RUN/tmp/pkg"
  cp "$deb" "$RUN/tmp/pkg/"
  cp "$ROOT/scripts/deb-checks-in-chroot.sh" "$RUN/tmp/pkg/checks.sh"
  log "installing $(basename "$deb") and running the checks inside the chroot"
  with_mounts "$RUN" chroot "$RUN" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    bash /tmp/pkg/checks.sh "/tmp/pkg/$(basename "$deb")"
  log "PASS: $(basename "$deb") installs and runs on a clean Debian 12 (total $(( $(date +%s) - start ))s)"
}

main "$@"
