# deploy/lib/host-common.sh: what install-host.sh and uninstall-host.sh share: the target root,
# the install manifest, backups, and placing files so that a rerun changes nothing.
#
# The manifest (/etc/ward/install-manifest) lists, one per line and in the order they happened,
# everything install-host.sh did to the host:
#   dir PATH               a directory it created
#   file PATH              a file it created
#   link PATH              a symlink it created
#   tree PATH              a directory tree it created and owns entirely (the Node runtime)
#   replaced PATH          a file that existed and was replaced; the original is PATH.ward-backup
#   edited-KIND PATH       a file it edited with the add_KIND filter (host-edits.sh); the
#                          original is PATH.ward-backup
# uninstall-host.sh walks it backwards. Paths are as seen on the target system; ROOT_DIR (empty
# for /) is put in front when touching them.
#
# Backups are made once, before the first change, and never overwritten.

# shellcheck source=host-edits.sh
. "$(dirname "${BASH_SOURCE[0]}")/host-edits.sh"

MANIFEST=/etc/ward/install-manifest
BACKUP_SUFFIX=.ward-backup
ROOT_DIR=''
CHANGED=0

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warn() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; }
die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

# set_root DIR: act on DIR instead of / (tests, images).
set_root() {
  [ -d "$1" ] || die "--root $1 is not a directory"
  ROOT_DIR=$(cd "$1" && pwd -P)
  [ "$ROOT_DIR" = / ] && ROOT_DIR=''
  return 0
}

# r PATH: PATH on the target root.
r() { printf '%s%s' "$ROOT_DIR" "$1"; }

# Is systemd managing the running system we act on?
systemd_running() { [ -z "$ROOT_DIR" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

manifest_has() { [ -f "$(r "$MANIFEST")" ] && grep -qxF -- "$1" "$(r "$MANIFEST")"; }

manifest_add() {
  manifest_has "$1" && return 0
  printf '%s\n' "$1" >>"$(r "$MANIFEST")"
  chmod 0644 "$(r "$MANIFEST")"
}

# Was PATH put there by install-host.sh (so it may be overwritten without a backup)?
ours() { manifest_has "file $1" || manifest_has "replaced $1" || manifest_has "link $1" || manifest_has "tree $1"; }

# ensure_dir PATH [MODE]: create PATH and any missing parent, recording each one created.
ensure_dir() {
  local p=$1 mode=${2:-0755} missing=() d
  while [ ! -e "$(r "$p")" ] && [ ! -L "$(r "$p")" ]; do
    missing=("$p" "${missing[@]}")
    p=$(dirname "$p")
  done
  [ -d "$(r "$p")" ] || die "$p exists and is not a directory"
  for d in "${missing[@]}"; do
    mkdir -m "$mode" "$(r "$d")"
    CHANGED=1
    # The manifest lives in /etc/ward: it can only be written once that directory exists.
    [ -d "$(r "$(dirname "$MANIFEST")")" ] && manifest_add "dir $d"
  done
  return 0
}

backup() {
  local d
  d=$(r "$1")
  [ -e "$d$BACKUP_SUFFIX" ] || [ -L "$d$BACKUP_SUFFIX" ] || cp -a "$d" "$d$BACKUP_SUFFIX"
}

# same_file SRC DEST MODE: DEST is a regular file with SRC's bytes, MODE and owner root.
same_file() {
  [ -f "$2" ] && [ ! -L "$2" ] && cmp -s "$1" "$2" &&
    [ "$(stat -c '%a %u %g' "$2")" = "$(printf '%o 0 0' "$((8#$3))")" ]
}

# replace_atomically SRC DEST MODE: DEST gets SRC's bytes through a rename, so a program or
# library in use is replaced, never overwritten under a process that maps it.
replace_atomically() {
  cp "$1" "$2.ward-tmp"
  chown 0:0 "$2.ward-tmp"
  chmod "$3" "$2.ward-tmp"
  mv -f "$2.ward-tmp" "$2"
}

# put_file SRC PATH MODE: make PATH a root-owned copy of SRC with MODE.
put_file() {
  local src=$1 p=$2 mode=$3 d
  d=$(r "$p")
  same_file "$src" "$d" "$mode" && return 0
  if [ -e "$d" ] || [ -L "$d" ]; then
    [ -d "$d" ] && [ ! -L "$d" ] && die "$p is a directory; refusing to replace it"
    if ! ours "$p"; then
      backup "$p"
      manifest_add "replaced $p"
    fi
  else
    ensure_dir "$(dirname "$p")"
    manifest_add "file $p"
  fi
  replace_atomically "$src" "$d" "$mode"
  CHANGED=1
}

# put_link PATH TARGET: PATH becomes a symlink to TARGET (created only, never over something else).
put_link() {
  local p=$1 target=$2 d
  d=$(r "$p")
  if [ -L "$d" ] && [ "$(readlink "$d")" = "$target" ]; then return 0; fi
  if { [ -e "$d" ] || [ -L "$d" ]; } && ! ours "$p"; then
    die "$p exists and was not made by this script; refusing to replace it"
  fi
  ensure_dir "$(dirname "$p")"
  manifest_add "link $p"
  ln -sfn "$target" "$d"
  CHANGED=1
}

# tree_listing DIR: every entry's type, mode, owner and link target, then every file's bytes.
tree_listing() {
  (
    cd "$1" || exit 1
    find . -printf '%y %m %U %G %p %l\n' | LC_ALL=C sort
    find . -type f -printf '%s %p\n' | LC_ALL=C sort
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0r cat | cksum
  )
}

# put_tree SRC PATH: make PATH an exact copy of the directory SRC (root-owned, nobody else may
# write), swapped in with renames.
put_tree() {
  local src=$1 p=$2 d
  d=$(r "$p")
  if [ -e "$d" ] || [ -L "$d" ]; then
    ours "$p" || die "$p exists and was not installed by this script; refusing to replace it"
    [ "$(tree_listing "$src")" = "$(tree_listing "$d")" ] && return 0
  else
    ensure_dir "$(dirname "$p")"
    manifest_add "tree $p"
  fi
  rm -rf "$d.ward-new" "$d.ward-old"
  cp -a "$src" "$d.ward-new"
  [ -e "$d" ] && mv "$d" "$d.ward-old"
  mv "$d.ward-new" "$d"
  rm -rf "$d.ward-old"
  CHANGED=1
}

# apply_edit PATH KIND NEWFILE: PATH gets NEWFILE's bytes (computed by add_KIND), keeping its
# owner and mode; the original is backed up first.
apply_edit() {
  local p=$1 kind=$2 new=$3 d
  d=$(r "$p")
  cmp -s "$new" "$d" && return 0
  backup "$p"
  manifest_add "edited-$kind $p"
  cp -p "$d" "$d.ward-tmp"
  cat "$new" >"$d.ward-tmp"
  mv -f "$d.ward-tmp" "$d"
  CHANGED=1
}
