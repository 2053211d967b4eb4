#!/usr/bin/env bash
# deploy/install-host.sh: make this host resolve and log in the users of a Ward IdP.
#
#   sudo deploy/install-host.sh --idp-url https://idm.example.com:8443 --ca idp-ca.pem \
#        --allowed-groups devs,ops [--token-file unixd.token] [--prefix /usr/local]
#
# Run it from a built checkout (npm ci && npm run build). It installs:
#   PREFIX/lib/ward/              a self-contained copy of the host daemons (the @ward packages'
#                                 dist/ and their runtime node_modules), root-owned, so the
#                                 services neither depend on the checkout nor read under /home
#   PREFIX/bin/ward-unixd, ward-unix, ward-unixd-tasks
#                                 small wrappers: exec NODE on that copy
#   PREFIX/bin/kanidm-ssh-authorizedkeys, ward-ssh-authorizedkeys   (build/bin)
#   LIBDIR/libnss_ward.so.2, LIBDIR/security/pam_ward.so          (build/lib; LIBDIR is the
#                                 directory holding libnss_files.so.2, e.g. /usr/lib/x86_64-linux-gnu)
#   /etc/ward/unixd.toml          from the arguments; the CA as /etc/ward/idp-ca.pem; the token as
#                                 /etc/ward/unixd.token (0600), handed to the daemon as a systemd
#                                 credential
#   /etc/systemd/system/ward-unixd.service, ward-unixd-tasks.service, enabled
# and edits: nsswitch.conf (`ward` on the passwd and group lines), the Debian PAM stacks
# (common-auth, -account, -password, -session), and sshd (a drop-in in sshd_config.d, or a
# block at the top of sshd_config when it includes none).
#
# Safe to rerun: a second run with the same arguments changes nothing. Every file it changes is
# backed up once as FILE.ward-backup, and everything it does is listed in
# /etc/ward/install-manifest, which deploy/uninstall-host.sh uses to put the host back exactly.
# Nothing is changed until every argument, build output and file to edit has been checked.
set -euo pipefail

PROG=install-host.sh
REPO=$(cd "$(dirname "$0")/.." && pwd -P)
# shellcheck source=lib/host-common.sh
. "$REPO/deploy/lib/host-common.sh"

usage() {
  cat <<'EOF'
Usage: install-host.sh --idp-url URL --allowed-groups G1,G2 [options]

  --idp-url URL          the IdP (wardd), e.g. https://idm.example.com:8443 (required)
  --allowed-groups LIST  comma-separated directory groups whose members may log in (required)
  --ca FILE              PEM CA certificate of the IdP (default: the system's trusted CAs)
  --token-file FILE      a service-account API token for the daemon (default: anonymous)
  --prefix DIR           where the commands and the runtime go (default: /usr/local)
  --root DIR             act on the system installed under DIR instead of / (no services are
                         started; systemd units are enabled by their symlinks)
  --build-dir DIR        the native build outputs (default: build/ of this checkout)
  --libdir DIR           the system library directory for libnss_ward.so.2 (default: detected)
  --node FILE            the node executable the wrappers run (default: `command -v node`)
EOF
}

IDP_URL='' GROUPS_ARG='' CA='' TOKEN='' PREFIX=/usr/local ROOT_ARG=/ BUILD_DIR=$REPO/build LIBDIR='' NODE=''
while [ $# -gt 0 ]; do
  opt=$1
  case "$opt" in
    --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
    --help | -h) usage; exit 0 ;;
    --*) [ $# -ge 2 ] || die "$opt needs a value"; val=$2; shift 2 ;;
    *) die "unexpected argument: $opt (see --help)" ;;
  esac
  case "$opt" in
    --idp-url) IDP_URL=$val ;;
    --allowed-groups) GROUPS_ARG=$val ;;
    --ca) CA=$val ;;
    --token-file) TOKEN=$val ;;
    --prefix) PREFIX=$val ;;
    --root) ROOT_ARG=$val ;;
    --build-dir) BUILD_DIR=$val ;;
    --libdir) LIBDIR=$val ;;
    --node) NODE=$val ;;
    *) die "unknown option $opt (see --help)" ;;
  esac
done

# --- checks: nothing is changed until all of these pass ------------------------------------
[ "$(id -u)" = 0 ] || die "must run as root"
set_root "$ROOT_ARG"
[ -n "$IDP_URL" ] || die "--idp-url is required (see --help)"
[[ "$IDP_URL" =~ ^https://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?/?$ ]] ||
  die "--idp-url must be an https origin such as https://idm.example.com:8443 (got '$IDP_URL')"
IDP_URL=${IDP_URL%/}
[ -n "$GROUPS_ARG" ] || die "--allowed-groups is required: without it no directory user may log in (see --help)"
GROUP_LIST=()
IFS=, read -r -a raw_groups <<<"$GROUPS_ARG"
for g in "${raw_groups[@]}"; do
  [[ "$g" =~ ^[a-z][a-z0-9_.-]*(@[a-z0-9.-]+)?$ ]] && [[ "$g" != *..* ]] ||
    die "--allowed-groups: '$g' is not a group name (or name@domain)"
  GROUP_LIST+=("$g")
done
[[ "$PREFIX" =~ ^/[A-Za-z0-9._/+-]*$ ]] && [[ "$PREFIX" != */ ]] && [[ "$PREFIX" != *..* ]] ||
  die "--prefix must be an absolute path without a trailing / (got '$PREFIX')"
[ -z "$CA" ] || [ -f "$CA" ] || die "--ca $CA: no such file"
[ -z "$CA" ] || grep -q -- '-----BEGIN CERTIFICATE-----' "$CA" || die "--ca $CA holds no PEM certificate"
[ -z "$TOKEN" ] || [ -f "$TOKEN" ] || die "--token-file $TOKEN: no such file"
if [ -z "$NODE" ]; then NODE=$(command -v node) || die "node is not installed (or pass --node)"; fi
[[ "$NODE" = /* ]] && [ -x "$NODE" ] || die "--node must be an absolute path to an executable (got '$NODE')"
case "$NODE" in /home/* | /root/* | /tmp/*) warn "$NODE is under ${NODE%/*}: the hardened services cannot run it (ProtectHome, PrivateTmp); install node system-wide" ;; esac

NSS_LIB=$BUILD_DIR/lib/libnss_ward.so.2
PAM_LIB=$BUILD_DIR/lib/security/pam_ward.so
for f in "$NSS_LIB" "$BUILD_DIR/bin/kanidm-ssh-authorizedkeys" "$BUILD_DIR/bin/ward-ssh-authorizedkeys"; do
  [ -f "$f" ] || die "$f is missing: build first (npm run build)"
done
for b in ward-unixd ward-unix ward-unixd-tasks; do
  [ -f "$REPO/packages/unixd/dist/bin/$b.js" ] || die "packages/unixd/dist/bin/$b.js is missing: build first (npm run build)"
done
HAVE_PAM=1
[ -f "$PAM_LIB" ] || { HAVE_PAM=0; warn "$PAM_LIB is not built: the PAM module and its lines are left out (lookups and SSH keys still work)"; }

# The directory that holds the system's NSS modules (and, below it, security/ for PAM).
if [ -z "$LIBDIR" ]; then
  for cand in "$ROOT_DIR"/usr/lib/*-linux-gnu* "$ROOT_DIR"/lib/*-linux-gnu* "$ROOT_DIR"/usr/lib64 "$ROOT_DIR"/lib64 "$ROOT_DIR"/usr/lib; do
    if [ -f "$cand/libnss_files.so.2" ] && [ -f "$cand/security/pam_unix.so" ]; then LIBDIR=${cand#"$ROOT_DIR"}; break; fi
  done
  [ -n "$LIBDIR" ] || die "cannot find the system library directory (libnss_files.so.2 beside security/pam_unix.so); pass --libdir"
fi
[ -d "$(r "$LIBDIR")" ] || die "--libdir $LIBDIR is not a directory"
PAMDIR=$LIBDIR/security

STAGE=$(mktemp -d /tmp/ward-install.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT

# The Node runtime: the @ward packages' dist/ and their production dependencies, as npm
# resolved them in this checkout.
stage_runtime() {
  local out=$STAGE/runtime rels=() wards=() p
  mkdir -p "$out/node_modules/@ward"
  while IFS= read -r p; do
    case "$p" in
      "$REPO") ;;
      "$REPO"/node_modules/@ward/*) wards+=("$p") ;;
      "$REPO"/node_modules/*) rels+=("${p#"$REPO"/}") ;;
      *) die "unexpected dependency location $p" ;;
    esac
  done < <(cd "$REPO" && npm ls --omit=dev --all --parseable -w @ward/unixd 2>/dev/null || true)
  [ "${#wards[@]}" -gt 0 ] && [ "${#rels[@]}" -gt 0 ] || die "npm ls found no runtime dependencies of @ward/unixd: run npm ci in $REPO"
  # A compiled addon needs only its build/Release/*.node at run time: its vendored C sources
  # (deps/) and build intermediates (most of better-sqlite3's 28 MB) stay behind.
  local excludes=() addons=() rel f
  for rel in "${rels[@]}"; do
    if [ -f "$REPO/$rel/binding.gyp" ] && compgen -G "$REPO/$rel/build/Release/*.node" >/dev/null; then
      excludes+=("--exclude=$rel/build" "--exclude=$rel/deps")
      for f in "$REPO/$rel"/build/Release/*.node; do addons+=("${f#"$REPO"/}"); done
    fi
  done
  tar -C "$REPO" "${excludes[@]}" -cf - "${rels[@]}" | tar -C "$out" -xf -
  [ "${#addons[@]}" = 0 ] || tar -C "$REPO" -cf - "${addons[@]}" | tar -C "$out" -xf -
  for p in "${wards[@]}"; do
    local src name
    src=$(readlink -f "$p") name=${p##*/}
    mkdir "$out/node_modules/@ward/$name"
    cp "$src/package.json" "$out/node_modules/@ward/$name/"
    cp -a "$src/dist" "$out/node_modules/@ward/$name/"
  done
  chown -R 0:0 "$out"
  chmod -R u+rwX,go+rX,go-w "$out"
  chmod 0755 "$out"
}

LIB_WARD=$PREFIX/lib/ward
stage_wrapper() {
  printf '#!/bin/sh\n# %s: installed by deploy/install-host.sh; runs the copy in %s.\nexec %s %s "$@"\n' \
    "$1" "$LIB_WARD" "$NODE" "$LIB_WARD/node_modules/@ward/unixd/dist/bin/$1.js" >"$STAGE/$1"
}

# unixd.toml from the arguments; CONFIG_CHECK is the same with paths a check can read now.
stage_config() {
  local groups='' g
  for g in "${GROUP_LIST[@]}"; do groups+="${groups:+, }\"$g\""; done
  {
    echo '# /etc/ward/unixd.toml: written by deploy/install-host.sh from its arguments (rerun it to'
    echo '# change them). Every key, its default and its meaning: deploy/unixd.toml.example.'
    echo "idp_url = \"$IDP_URL\""
    [ -z "$CA" ] || echo 'ca_path = "/etc/ward/idp-ca.pem"'
    [ -z "$TOKEN" ] || echo 'token_path = "/run/credentials/ward-unixd.service/token"'
    echo "allowed_login_groups = [$groups]"
  } >"$STAGE/unixd.toml"
  sed -e "s#^ca_path = .*#ca_path = \"$STAGE/idp-ca.pem\"#" -e "s#^token_path = .*#token_path = \"$STAGE/unixd.token\"#" \
    "$STAGE/unixd.toml" >"$STAGE/unixd-check.toml"
  [ -z "$CA" ] || cp "$CA" "$STAGE/idp-ca.pem"
  if [ -n "$TOKEN" ]; then cp "$TOKEN" "$STAGE/unixd.token" && chmod 0600 "$STAGE/unixd.token"; fi
  # The daemon's own loader decides, so the file cannot be accepted here and refused at start.
  "$NODE" "$REPO/packages/unixd/dist/bin/ward-unixd.js" --check -c "$STAGE/unixd-check.toml" >/dev/null ||
    die "the configuration built from the arguments is not valid (see above)"
}

stage_units() {
  local u
  for u in ward-unixd.service ward-unixd-tasks.service; do
    sed "s#/usr/local/bin/#$PREFIX/bin/#g" "$REPO/systemd/$u" >"$STAGE/$u"
  done
  printf '%s\n' '# Written by deploy/install-host.sh: the API token reaches ward-unixd as a credential,' \
    '# so the file stays root-only (token_path in /etc/ward/unixd.toml names the credential).' \
    '[Service]' 'LoadCredential=token:/etc/ward/unixd.token' >"$STAGE/token.conf"
}

# stage_pam TYPE before|after LINE: /etc/pam.d/common-TYPE with LINE next to pam_unix.
stage_pam() {
  add_pam_at_unix "$1" "$2" "$3" <"$(r "/etc/pam.d/common-$1")" >"$STAGE/common-$1" ||
    die "/etc/pam.d/common-$1 has no '$1 [success=N ...] pam_unix.so' line to join: add the ward lines by hand (see deploy/lib/host-edits.sh)"
}

# The edits, computed now so that an unknown file layout stops the install before any change.
SSHD_MODE=none
stage_edits() {
  local f
  [ -f "$(r /etc/nsswitch.conf)" ] || die "/etc/nsswitch.conf is missing"
  add_nsswitch <"$(r /etc/nsswitch.conf)" >"$STAGE/nsswitch.conf"
  if [ "$HAVE_PAM" = 1 ]; then
    for f in auth account password session; do
      [ -f "$(r /etc/pam.d/common-$f)" ] || die "/etc/pam.d/common-$f is missing: only the Debian PAM layout is supported"
    done
    stage_pam auth after "$PAM_AUTH_LINE"
    stage_pam account before "$PAM_ACCOUNT_LINE"
    stage_pam password after "$PAM_PASSWORD_LINE"
    add_pam_append "$PAM_SESSION_LINE" <"$(r /etc/pam.d/common-session)" >"$STAGE/common-session"
  fi
  local cfg
  cfg=$(r /etc/ssh/sshd_config)
  if [ ! -f "$cfg" ]; then
    warn "/etc/ssh/sshd_config is missing (no OpenSSH server?): sshd is left alone"
  elif grep -Eq '^[[:space:]]*Include[[:space:]]+/etc/ssh/sshd_config\.d/\*\.conf[[:space:]]*$' "$cfg"; then
    SSHD_MODE=dropin
    sshd_dropin_text "$PREFIX/bin/kanidm-ssh-authorizedkeys" >"$STAGE/sshd-ward.conf"
  else
    SSHD_MODE=main
    add_sshd_main "$PREFIX/bin/kanidm-ssh-authorizedkeys" <"$cfg" >"$STAGE/sshd_config"
  fi
  if [ "$SSHD_MODE" != none ]; then
    grep -Eqis '^[[:space:]]*UsePAM[[:space:]]+no' "$cfg" && warn "sshd_config says UsePAM no: sshd will not run the PAM account check (allowed groups) for key logins"
    grep -Ehis '^[[:space:]]*AuthorizedKeysCommand[[:space:]]' "$cfg" $(r /etc/ssh/sshd_config.d)/*.conf 2>/dev/null | grep -qv kanidm-ssh-authorizedkeys &&
      warn "another AuthorizedKeysCommand is configured; sshd uses the first one it reads"
  fi
  return 0
}

stage_runtime
for b in ward-unixd ward-unix ward-unixd-tasks; do stage_wrapper "$b"; done
stage_config
stage_units
stage_edits

# --- changes -------------------------------------------------------------------------------
ensure_dir /etc/ward
[ -z "$CA" ] || put_file "$STAGE/idp-ca.pem" /etc/ward/idp-ca.pem 0644
[ -z "$TOKEN" ] || put_file "$STAGE/unixd.token" /etc/ward/unixd.token 0600
put_file "$STAGE/unixd.toml" /etc/ward/unixd.toml 0644

put_tree "$STAGE/runtime" "$LIB_WARD"
for b in ward-unixd ward-unix ward-unixd-tasks; do put_file "$STAGE/$b" "$PREFIX/bin/$b" 0755; done
put_file "$BUILD_DIR/bin/kanidm-ssh-authorizedkeys" "$PREFIX/bin/kanidm-ssh-authorizedkeys" 0755
put_file "$BUILD_DIR/bin/ward-ssh-authorizedkeys" "$PREFIX/bin/ward-ssh-authorizedkeys" 0755
put_file "$NSS_LIB" "$LIBDIR/libnss_ward.so.2" 0644
[ "$HAVE_PAM" = 0 ] || put_file "$PAM_LIB" "$PAMDIR/pam_ward.so" 0644

UNITS=/etc/systemd/system
for u in ward-unixd.service ward-unixd-tasks.service; do
  put_file "$STAGE/$u" "$UNITS/$u" 0644
  put_link "$UNITS/multi-user.target.wants/$u" "$UNITS/$u"
done
[ -z "$TOKEN" ] || put_file "$STAGE/token.conf" "$UNITS/ward-unixd.service.d/token.conf" 0644

apply_edit /etc/nsswitch.conf nsswitch "$STAGE/nsswitch.conf"
if [ "$HAVE_PAM" = 1 ]; then
  for f in auth account password session; do apply_edit "/etc/pam.d/common-$f" pam "$STAGE/common-$f"; done
fi
CHANGED_BEFORE_SSHD=$CHANGED CHANGED=0
case "$SSHD_MODE" in
  dropin) put_file "$STAGE/sshd-ward.conf" /etc/ssh/sshd_config.d/20-ward.conf 0644 ;;
  main) apply_edit /etc/ssh/sshd_config sshd_main "$STAGE/sshd_config" ;;
esac
SSHD_CHANGED=$CHANGED CHANGED=$((CHANGED | CHANGED_BEFORE_SSHD))

if systemd_running; then
  systemctl daemon-reload
  if [ "$CHANGED" = 1 ]; then
    systemctl restart ward-unixd.service ward-unixd-tasks.service
  else
    systemctl start ward-unixd.service ward-unixd-tasks.service
  fi
  [ "$SSHD_CHANGED" = 0 ] || systemctl try-reload-or-restart ssh.service || warn "could not reload sshd: reload it by hand"
elif [ -z "$ROOT_DIR" ]; then
  say "systemd is not running here: start $PREFIX/bin/ward-unixd and ward-unixd-tasks by other means"
fi

if [ "$CHANGED" = 1 ]; then say "installed (undo with deploy/uninstall-host.sh${ROOT_DIR:+ --root $ROOT_DIR})"; else say "already installed: nothing changed"; fi
