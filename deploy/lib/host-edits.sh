# deploy/lib/host-edits.sh: the edits install-host.sh makes to files the host already has
# (nsswitch.conf, the Debian PAM stacks, sshd_config), each a filter from standard input to
# standard output with an exact inverse, so uninstall-host.sh can take the edit out again even
# when an administrator has changed other lines of the file since.
#
# Every filter is idempotent: applying an `add_*` filter to its own output changes nothing.
# Sourced by host-common.sh; needs only POSIX awk.

# The comment that precedes every line added to a PAM file. The line after it is ours.
WARD_PAM_MARK='# ward: added by deploy/install-host.sh; deploy/uninstall-host.sh removes this line and the next'
SSHD_BEGIN='# BEGIN ward: added by deploy/install-host.sh (SSH keys of directory users come from ward-unixd)'
SSHD_END='# END ward'

# The PAM lines, modelled on the Debian profiles of nss-pam-ldapd and SSSD. @JUMP@ becomes the
# jump that lands where pam_unix's success lands (pam-auth-update's `success=end`): the end of
# the "Primary" block.
#  - auth and password go right after pam_unix: local users are checked first and jump over
#    us; a directory user fails pam_unix (no shadow entry), and we decide.
#  - account goes right before pam_unix: pam_unix's account check cannot pass a user who has
#    no shadow entry but an `x` password field, so a directory user the daemon accepts jumps
#    past it, and one it refuses (outside allowed_login_groups, locked, expired) fails the stack
#    whatever pam_unix says. A user the daemon does not know (a local user) is ignored, and so
#    is an unreachable daemon, leaving local logins to pam_unix.
#  - session is appended ("Additional" block): it asks for the home directory; optional, so a
#    failure never blocks a login.
PAM_AUTH_LINE='auth	[success=@JUMP@ default=ignore]	pam_ward.so use_first_pass'
PAM_PASSWORD_LINE='password	[success=@JUMP@ new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=die]	pam_ward.so'
PAM_ACCOUNT_LINE='account	[success=@JUMP@ new_authtok_reqd=done ignore=ignore user_unknown=ignore authinfo_unavail=ignore default=bad]	pam_ward.so'
PAM_SESSION_LINE='session	optional	pam_ward.so'

# --- nsswitch.conf -------------------------------------------------------------------------
# `ward` joins the passwd and group lines once, right after `files`/`systemd` (after the last of
# them, and after an [action] that follows it), so local accounts are always found first.
add_nsswitch() {
  awk '
    function add(s,   i, n, best, c, rest) {
      if (s ~ /(^|[[:space:]])ward([[:space:]]|\[|$)/) return s
      best = 0; n = length(s)
      for (i = 1; i <= n; i++) {
        if (i > 1 && substr(s, i - 1, 1) !~ /[[:space:]]/) continue
        rest = substr(s, i)
        if (rest ~ /^files([[:space:]]|\[|#|$)/) best = i + 4
        else if (rest ~ /^systemd([[:space:]]|\[|#|$)/) best = i + 6
      }
      if (best == 0) {
        c = index(s, "#"); if (c == 0) c = n + 1
        rest = substr(s, 1, c - 1); sub(/[[:space:]]+$/, "", rest)
        return rest " ward" substr(s, length(rest) + 1)
      }
      rest = substr(s, best + 1)
      if (match(rest, /^[[:space:]]*\[[^]]*\]/)) best += RLENGTH
      return substr(s, 1, best) " ward" substr(s, best + 1)
    }
    /^[[:space:]]*(passwd|group)[[:space:]]*:/ { c = index($0, ":"); print substr($0, 1, c) add(substr($0, c + 1)); next }
    { print }
  '
}

del_nsswitch() {
  awk '
    /^[[:space:]]*(passwd|group)[[:space:]]*:/ {
      if (match($0, / ward([[:space:]]|$)/)) { print substr($0, 1, RSTART - 1) substr($0, RSTART + 5); next }
    }
    { print }
  '
}

# --- PAM (Debian common-* files) -----------------------------------------------------------
# Jumps (`[success=N ...]`) count module lines, so a line inserted into a stack shifts every
# jump that crosses it: a module line at index i with a jump N where i + N >= k (k: the index of
# the inserted or removed line) gets N + 1 on insertion and N - 1 on removal. Comments and blank
# lines do not count. Exit status 3: no pam_unix line of the type (not a layout we know).
PAM_AWK_LIB='
  function is_module(l) { return l ~ /^[[:space:]]*-?(auth|account|password|session)[[:space:]]/ }
  function type_of(l,   t) { t = l; sub(/^[[:space:]]*-?/, "", t); sub(/[[:space:]].*/, "", t); return t }
  # Add d to every numeric jump of module line l (index i) that reaches index k or beyond.
  function shift(l, i, k, d,   a, b, ctl, out, n, v) {
    a = index(l, "["); if (a == 0) return l
    b = index(substr(l, a), "]"); if (b == 0) return l
    ctl = substr(l, a, b); out = ""
    while (match(ctl, /=[0-9]+/)) {
      n = substr(ctl, RSTART + 1, RLENGTH - 1) + 0
      v = (i + n >= k) ? n + d : n
      out = out substr(ctl, 1, RSTART) v
      ctl = substr(ctl, RSTART + RLENGTH)
    }
    return substr(l, 1, a - 1) out ctl substr(l, a + b)
  }
  function success_jump(l,   s) {
    if (!match(l, /\[[^]]*success=[0-9]+/)) return -1
    s = substr(l, RSTART, RLENGTH); sub(/.*success=/, "", s); return s + 0
  }
'

# add_pam_at_unix TYPE before|after LINE: insert "mark + LINE" next to the first pam_unix line
# of TYPE, LINE's @JUMP@ landing where pam_unix's success lands.
add_pam_at_unix() {
  awk -v type="$1" -v where="$2" -v newline="$3" -v mark="$WARD_PAM_MARK" "$PAM_AWK_LIB"'
    { line[NR] = $0; if ($0 == mark) present = 1 }
    END {
      if (present) { for (i = 1; i <= NR; i++) print line[i]; exit 0 }
      m = 0; at = 0
      for (i = 1; i <= NR; i++) if (is_module(line[i])) {
        m++; idx[i] = m
        if (!at && type_of(line[i]) == type && line[i] ~ /[[:space:]]pam_unix\.so([[:space:]]|$)/) at = i
      }
      if (!at || success_jump(line[at]) < 0) exit 3
      after = (where == "after")
      k = idx[at] + after
      for (i = 1; i <= NR; i++) if ((i in idx) && idx[i] < k) line[i] = shift(line[i], idx[i], k, 1)
      # pam_unix now sits at u and lands at u + 1 + its jump; ours, at k, must land there too.
      u = after ? idx[at] : idx[at] + 1
      own = newline; sub(/@JUMP@/, u + success_jump(line[at]) - k, own)
      for (i = 1; i <= NR; i++) {
        if (i == at && !after) { print mark; print own }
        print line[i]
        if (i == at && after) { print mark; print own }
      }
    }
  '
}

# add_pam_append LINE: append "mark + LINE" at the end of the stack.
add_pam_append() {
  awk -v newline="$1" -v mark="$WARD_PAM_MARK" '
    { print; if ($0 == mark) present = 1 }
    END { if (!present) { print mark; print newline } }
  '
}

# del_pam: remove every "mark + line" pair and undo the jump shifts each caused.
del_pam() {
  awk -v mark="$WARD_PAM_MARK" "$PAM_AWK_LIB"'
    { line[NR] = $0 }
    END {
      n = NR
      for (;;) {
        p = 0
        for (i = 1; i <= n; i++) if (line[i] == mark) { p = i; break }
        if (!p) break
        drop = (p < n && is_module(line[p + 1])) ? 2 : 1
        if (drop == 2) {
          k = 0
          for (i = 1; i <= p + 1; i++) if (is_module(line[i])) { k++; idx[i] = k }
          for (i = 1; i < p; i++) if (is_module(line[i])) line[i] = shift(line[i], idx[i], k, -1)
        }
        for (i = p; i + drop <= n; i++) line[i] = line[i + drop]
        n -= drop
      }
      for (i = 1; i <= n; i++) print line[i]
    }
  '
}

# --- sshd_config (when it has no sshd_config.d Include) --------------------------------------
# sshd takes the first value it reads for a keyword, and a Match block runs to the end of the
# file: the block goes at the very top.
# add_sshd_main COMMAND: COMMAND is the AuthorizedKeysCommand path.
add_sshd_main() {
  awk -v begin="$SSHD_BEGIN" -v end="$SSHD_END" -v cmd="$1" '
    { line[NR] = $0; if ($0 == begin) present = 1 }
    END {
      if (!present) {
        print begin
        print "AuthorizedKeysCommand " cmd " %u"
        print "AuthorizedKeysCommandUser nobody"
        print end
      }
      for (i = 1; i <= NR; i++) print line[i]
    }
  '
}

del_sshd_main() {
  awk -v begin="$SSHD_BEGIN" -v end="$SSHD_END" '
    $0 == begin { skip = 1; next }
    skip && $0 == end { skip = 0; next }
    !skip { print }
  '
}

# The drop-in used when sshd_config includes /etc/ssh/sshd_config.d/*.conf.
sshd_dropin_text() {
  printf '%s\n' \
    '# Written by deploy/install-host.sh (deploy/uninstall-host.sh removes it): sshd asks' \
    '# ward-unixd for the SSH keys of directory users, running the command as nobody.' \
    "AuthorizedKeysCommand $1 %u" \
    'AuthorizedKeysCommandUser nobody'
}
