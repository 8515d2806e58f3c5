#!/usr/bin/env bash
# The system programs mailguard's tests drive for real: Postfix (private instances), swaks (an
# SMTP client), git send-email (with Mail::Address), Chromium (the audit page), Dovecot (IMAP),
# and zsh and fish (their completion scripts).
# Used by `npm test` (tests/global-setup.ts) and by .ci/run, so both need the same things.
#
# Missing programs are installed with apt-get when run as root on Debian or Ubuntu; otherwise the
# script prints ONE message naming the packages and the command that installs them, and fails.
# Nothing is skipped: a test run without these programs would not test mailguard's real paths.
#
# Environment (for the script's own tests, and for people who never want apt to run):
#   MAILGUARD_TEST_DEPS_ASSUME_MISSING="postfix swaks"  treat these packages as missing
#   MAILGUARD_TEST_DEPS_NO_INSTALL=1                   never install, only report
set -euo pipefail

# package name -> a shell test that passes when it is usable
declare -A checks=(
  [postfix]='[ -x /usr/sbin/postfix ]'
  [swaks]='command -v swaks >/dev/null 2>&1'
  [git-email]='[ -x /usr/lib/git-core/git-send-email ] || command -v git-send-email >/dev/null 2>&1'
  # git send-email needs Mail::Address, which is only a Recommends of git-email.
  [libmailtools-perl]='perl -MMail::Address -e 1 >/dev/null 2>&1'
  [chromium]='[ -x /usr/bin/chromium ]'
  [dovecot-imapd]='[ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/imap ]'
  # mailguard completion zsh|fish: each script is checked by its own shell.
  [zsh]='command -v zsh >/dev/null 2>&1'
  [fish]='command -v fish >/dev/null 2>&1'
  # A second spreadsheet reader that cross-checks the attachment scan's counts (tests/body).
  [python3-openpyxl]='/usr/bin/python3 -c "import openpyxl" >/dev/null 2>&1'
)
order=(postfix swaks git-email libmailtools-perl chromium dovecot-imapd zsh fish python3-openpyxl)

missing() {
  local assume=" ${1:-} " pkg
  for pkg in "${order[@]}"; do
    if [[ "$assume" == *" $pkg "* ]] || ! eval "${checks[$pkg]}"; then printf '%s\n' "$pkg"; fi
  done
}

mapfile -t need < <(missing "${MAILGUARD_TEST_DEPS_ASSUME_MISSING:-}")
[ ${#need[@]} -eq 0 ] && exit 0

can_install=no
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "${MAILGUARD_TEST_DEPS_NO_INSTALL:-}" != 1 ]; then
  can_install=yes
fi

if [ "$can_install" = yes ]; then
  echo "mailguard tests: installing ${need[*]} with apt-get (needed by the end-to-end tests)..." >&2
  # Postfix asks how it should deliver; the tests run private instances, so "Local only" suffices.
  if command -v debconf-set-selections >/dev/null 2>&1; then
    printf '%s\n' 'postfix postfix/main_mailer_type select Local only' 'postfix postfix/mailname string mailguard.test' | debconf-set-selections
  fi
  log=$(mktemp)
  if DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >>"$log" 2>&1; then
    rm -f "$log"
    mapfile -t need < <(missing)
    [ ${#need[@]} -eq 0 ] && exit 0
    echo "mailguard tests: apt-get installed the packages, but these are still not usable: ${need[*]}." >&2
    exit 1
  fi
  echo "mailguard tests: apt-get could not install ${need[*]}:" >&2
  tail -n 20 "$log" >&2
  rm -f "$log"
  exit 1
fi

{
  echo "mailguard tests: missing system packages: ${need[*]}."
  echo "  The end-to-end tests run these programs for real, and the Postfix tests start private Postfix instances, which needs root."
  if command -v apt-get >/dev/null 2>&1; then
    echo "  Install them:  sudo apt-get install --no-install-recommends ${need[*]}"
    echo "  (or run npm test as root, which installs them with apt-get itself)."
  else
    echo "  Install the packages of these names with your system's package manager (they are Debian package names)."
  fi
} >&2
exit 1
