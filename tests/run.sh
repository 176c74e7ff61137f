#!/usr/bin/env bash
# tests/run.sh — THE test command (README, CI). Installs the system packages the tests
# need (real Postfix, swaks, miltertest, openssl) when missing, then runs every test.
# Under CI=true a tool that is still missing is a failure, never a silent skip.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
command -v postfix >/dev/null 2>&1 || need_pkgs+=(postfix)
command -v smtp-source >/dev/null 2>&1 || [[ " ${need_pkgs[*]} " == *" postfix "* ]] || need_pkgs+=(postfix)
command -v swaks >/dev/null 2>&1 || need_pkgs+=(swaks)
command -v miltertest >/dev/null 2>&1 || need_pkgs+=(miltertest)
command -v openssl >/dev/null 2>&1 || need_pkgs+=(openssl)

if [ "${#need_pkgs[@]}" -gt 0 ]; then
  echo "tests/run.sh: installing ${need_pkgs[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Postfix must not configure itself as this machine's MTA.
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${need_pkgs[@]}" >/dev/null
fi

missing=()
for tool in postfix postconf smtp-source swaks miltertest openssl; do
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

# Benchmarks first, as smoke tests (criterion runs each once), so that the runner's
# closing lines are the test summary.
cargo test --locked --bench rules --bench reload
cargo test --locked --lib --bins --tests
