#!/usr/bin/env bash
# deploy/uninstall-host.sh: undo deploy/install-host.sh, exactly.
#
#   sudo deploy/uninstall-host.sh [--root DIR] [--keep-cache]
#
# It walks /etc/ward/install-manifest backwards: files, links and the runtime it created are
# removed, directories it created are removed when empty, and every file it replaced or edited
# gets its original back from FILE.ward-backup, byte for byte (with its owner and mode). A file
# an administrator has changed since the install is not rolled back over those changes: only
# ward's lines are taken out, and the backup is kept for comparison.
#
# The daemon's cache (/var/cache/ward-unixd, which holds offline password hashes) goes too,
# unless --keep-cache. Home directories made for directory users are user data and stay.
# Safe to rerun: without a manifest there is nothing to do.
set -euo pipefail

PROG=uninstall-host.sh
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
# shellcheck source=lib/host-common.sh
. "$REPO/deploy/lib/host-common.sh"

ROOT_ARG=/ KEEP_CACHE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) [ $# -ge 2 ] || die "--root needs a value"; ROOT_ARG=$2; shift 2 ;;
    --root=*) ROOT_ARG=${1#*=}; shift ;;
    --keep-cache) KEEP_CACHE=1; shift ;;
    --help | -h) echo 'Usage: uninstall-host.sh [--root DIR] [--keep-cache]'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "must run as root"
set_root "$ROOT_ARG"

M=$(r "$MANIFEST")
if [ ! -f "$M" ]; then
  say "nothing to uninstall (no $MANIFEST)"
  exit 0
fi
mapfile -t ENTRIES <"$M"

# restore_edit PATH KIND: take ward's edit out of PATH; the original comes back when nothing
# else changed.
restore_edit() {
  local p=$1 kind=$2 d b tmp
  d=$(r "$p") b=$(r "$p")$BACKUP_SUFFIX
  if [ ! -f "$d" ]; then
    warn "$p is gone; its original is $p$BACKUP_SUFFIX"
    return 0
  fi
  tmp=$(mktemp)
  "del_$kind" <"$d" >"$tmp"
  if [ -f "$b" ] && cmp -s "$tmp" "$b"; then
    mv -f "$b" "$d"
  else
    cp -p "$d" "$d.ward-tmp"
    cat "$tmp" >"$d.ward-tmp"
    mv -f "$d.ward-tmp" "$d"
    warn "$p was changed after the install: only ward's lines were taken out; the original is kept as $p$BACKUP_SUFFIX"
  fi
  rm -f "$tmp"
}

restore_replaced() {
  local p=$1 d
  d=$(r "$p")
  if [ -e "$d$BACKUP_SUFFIX" ] || [ -L "$d$BACKUP_SUFFIX" ]; then
    mv -f "$d$BACKUP_SUFFIX" "$d"
  else
    warn "$p$BACKUP_SUFFIX is missing: $p stays as the install left it"
  fi
}

if systemd_running; then
  systemctl stop ward-unixd-tasks.service ward-unixd.service 2>/dev/null || true
fi

SSHD_TOUCHED=0
DIRS=()
for ((i = ${#ENTRIES[@]} - 1; i >= 0; i--)); do
  entry=${ENTRIES[i]}
  kind=${entry%% *} p=${entry#* }
  [[ "$p" = /* ]] || { warn "ignoring a malformed manifest line: $entry"; continue; }
  d=$(r "$p")
  case "$p" in /etc/ssh/*) SSHD_TOUCHED=1 ;; esac
  case "$kind" in
    file | link) rm -f "$d" "$d.ward-tmp" ;;
    tree) rm -rf "$d" "$d.ward-new" "$d.ward-old" ;;
    replaced) restore_replaced "$p" ;;
    edited-nsswitch | edited-pam | edited-sshd_main) restore_edit "$p" "${kind#edited-}" ;;
    dir) DIRS+=("$p") ;;
    *) warn "ignoring an unknown manifest entry: $entry" ;;
  esac
done
rm -f "$M"
for p in "${DIRS[@]}"; do
  rmdir "$(r "$p")" 2>/dev/null || warn "$p is not empty: left in place"
done

if [ "$KEEP_CACHE" = 0 ]; then
  rm -rf "$(r /var/cache/ward-unixd)" "$(r /var/cache/private/ward-unixd)"
fi

if systemd_running; then
  systemctl daemon-reload
  [ "$SSHD_TOUCHED" = 0 ] || systemctl try-reload-or-restart ssh.service || warn "could not reload sshd: reload it by hand"
fi
say "uninstalled"
