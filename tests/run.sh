#!/usr/bin/env bash
# tests/run.sh — THE test command (README, CI). Installs what the tests need when missing
# (real Postfix, swaks, miltertest, openssl, GnuTLS certtool; m4 and an unpacked Sendmail; systemd-analyze,
# man-db, adduser and cargo-deb for the package test), then runs every test.
# Under CI=true a tool that is still missing is a failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v postfix >/dev/null 2>&1 || need_pkgs+=(postfix)
command -v smtp-source >/dev/null 2>&1 || [[ " ${need_pkgs[*]} " == *" postfix "* ]] || need_pkgs+=(postfix)
command -v swaks >/dev/null 2>&1 || need_pkgs+=(swaks)
command -v miltertest >/dev/null 2>&1 || need_pkgs+=(miltertest)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)
# GnuTLS's certtool writes the "null password" form of a PKCS#12 file (tests/smime/make-pki.sh).
command -v certtool >/dev/null 2>&1 || need_pkgs+=(gnutls-bin)
# The SASL login binding example (docs/postfix.md): Cyrus SASL's sasldb and PLAIN.
command -v saslpasswd2 >/dev/null 2>&1 || need_pkgs+=(sasl2-bin)
dpkg-query -W -f='${Status}' libsasl2-modules 2>/dev/null | grep -q "ok installed" || need_pkgs+=(libsasl2-modules)
# The Sendmail test: m4 builds the .cf; the libraries sendmail-bin links against (the
# package itself conflicts with Postfix, so it is unpacked below, not installed).
command -v m4 >/dev/null 2>&1 || need_pkgs+=(m4)
command -v unshare >/dev/null 2>&1 || need_pkgs+=(util-linux)
for lib in libdb5.3 libldap-2.5-0 liblockfile1 libnsl2 libsasl2-2 libwrap0; do
  dpkg-query -W -f='${Status}' "$lib" 2>/dev/null | grep -q "ok installed" || need_pkgs+=("$lib")
done
# The package test: dpkg-deb (dpkg), man (lint of the man pages) and systemd-analyze.
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)
command -v man >/dev/null 2>&1 || need_pkgs+=(man-db)
command -v adduser >/dev/null 2>&1 || need_pkgs+=(adduser)
command -v setpriv >/dev/null 2>&1 || need_pkgs+=(util-linux)
# The directory tests (tests/directory.rs): Debian's OpenLDAP server, one per test, and
# ldapmodify/ldapadd to change it under a running mailwarden.
command -v slapd >/dev/null 2>&1 || [ -x /usr/sbin/slapd ] || need_pkgs+=(slapd)
command -v ldapmodify >/dev/null 2>&1 || need_pkgs+=(ldap-utils)
# ps, for the report `bounded` (below) prints when a test hangs.
command -v ps >/dev/null 2>&1 || need_pkgs+=(procps)

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "tests/run.sh: installing ${need_pkgs[*]}" >&2
  # Postfix must not configure itself as this machine's MTA.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  # slapd must not set up (or start) a system directory: each test runs its own.
  echo "slapd slapd/no_configuration boolean true" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi

missing=()
for tool in postfix postconf smtp-source swaks miltertest openssl certtool saslpasswd2 m4 unshare systemd-analyze man adduser setpriv dpkg-deb slapadd ldapmodify ps; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "tests/run.sh: missing after install: ${missing[*]}" >&2
  exit 1
fi
# The real-Postfix tests run a throw-away master, which must start as root.
if [ "$(id -u)" -ne 0 ]; then
  echo "tests/run.sh: must run as root (the real-Postfix tests start a Postfix master)" >&2
  exit 1
fi

# Sendmail 8.17 for tests/sendmail_e2e.rs, unpacked (not installed) under target/.
export MAILWARDEN_SENDMAIL_ROOT="$PWD/target/sendmail-root"
if [ ! -x "$MAILWARDEN_SENDMAIL_ROOT/usr/libexec/sendmail/sendmail" ]; then
  echo "tests/run.sh: unpacking sendmail-bin and sendmail-cf into $MAILWARDEN_SENDMAIL_ROOT" >&2
  debs="$(mktemp -d)"
  # apt's download sandbox user must be able to write there.
  chmod 0755 "$debs"
  fetch() { (cd "$debs" && apt-get download -q sendmail-bin sendmail-cf >/dev/null 2>&1); }
  fetch || { $SUDO apt-get update -qq && fetch; }
  mkdir -p "$MAILWARDEN_SENDMAIL_ROOT"
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$MAILWARDEN_SENDMAIL_ROOT"; done
  rm -rf "$debs"
fi

# cargo-deb for tests/package.rs (packaging/build-deb.sh would install it too; here so that
# every install step is in this script).
if ! cargo deb --version >/dev/null 2>&1; then
  echo "tests/run.sh: installing cargo-deb" >&2
  cargo install --locked --version 3.8.0 cargo-deb
fi

# A hung test must fail with a picture of what it waits for, well inside CI's 90 minutes,
# not run into that limit silently. `bounded SECONDS CMD...` runs CMD in its own process
# group; past SECONDS it prints every process the tests started with each thread (the
# test harness names a thread after its test) and where it sleeps, then kills the group.
bounded() {
  local budget=$1 pid start=$SECONDS
  shift
  set -m
  "$@" </dev/null &
  pid=$!
  set +m
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS - start >= budget)); then
      echo "tests/run.sh: still running after ${budget}s: $*" >&2
      describe_processes "$pid" >&2
      kill -TERM -- "-$pid" 2>/dev/null || true
      sleep 5
      kill -KILL -- "-$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      return 124
    fi
    sleep 2
  done
  wait "$pid"
}
describe_processes() { # PGID
  ps -eo pid,ppid,pgid,stat,etimes,wchan:28,args --forest || true
  local p t
  for p in $(ps -eo pid=,pgid= | awk -v g="$1" '$2 == g { print $1 }'); do
    for t in /proc/"$p"/task/*; do
      [ -r "$t/comm" ] || continue
      printf 'pid %s thread %s (%s) waits in %s\n' "$p" "${t##*/}" "$(cat "$t/comm")" \
        "$(cat "$t/wchan" 2>/dev/null)"
      head -n 6 "$t/stack" 2>/dev/null | sed 's/^/    /' || true
    done
  done
}

# Benchmarks first, as smoke tests (criterion runs each once), so that the runner's
# closing lines are the test summary.
bounded 1200 cargo test --locked --bench rules --bench reload
bounded 3000 cargo test --locked --no-fail-fast --lib --bins --tests
