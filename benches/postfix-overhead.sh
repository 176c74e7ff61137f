#!/usr/bin/env bash
# benches/postfix-overhead.sh — end-to-end cost of mailwarden's policy work inside real
# Postfix, next to the pass-through milter (the protocol floor), in alternating rounds.
#
#   benches/postfix-overhead.sh [-R ROUNDS] [-n MESSAGES] [-z 'SIZES'] [-o OUT]
#
# mailwarden enforces a 100,000-entry sender allowlist and 100,000 access rules on every
# message (the bench's sender and recipient are the last lines, which the index does not
# care about). passmilter subscribes to envelope + DATA, as mailwarden does. Needs root
# (Postfix master) and ../shared/bench. Prints milter-overhead.sh's summary: the ratio
# column for 'mailwarden' is its throughput relative to 'passmilter'.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=10 MESSAGES=3000 SIZES="4096" OUT=/tmp/mailwarden-overhead.$(date +%Y%m%d-%H%M%S).txt
while getopts ":R:n:z:o:" opt; do
  case $opt in R) ROUNDS=$OPTARG ;; n) MESSAGES=$OPTARG ;; z) SIZES=$OPTARG ;; o) OUT=$OPTARG ;; *) sed -n '2,12p' "$0"; exit 2 ;; esac
done
SHARED=${SHARED:-../shared/bench}
[[ -x /tmp/passmilter/target/release/passmilter ]] || bash "$SHARED/make-passmilter.sh" >/dev/null
cargo build --release --locked -q
DIR=$(mktemp -d /tmp/mailwarden-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
{
  echo "# 100,000 generated entries; the benchmark's sender is the last one"
  for i in $(seq 1 99999); do echo "user$i@example.org"; done
  echo "sender@example.org"
} >"$DIR/allow.txt"
{
  echo "# SENDER RECIPIENT <METHOD> PARAM FLAGS"
  for i in $(seq 1 99999); do echo "* rcpt$i@customer.example <reg> - 0"; done
  echo "* rcpt@example.net <reg> - 0"
} >"$DIR/rules.txt"
cat >"$DIR/mailwarden.toml" <<TOML
[milter]
listen = "inet:127.0.0.1:8895"
[log]
level = "warn"
[[policy]]
name = "bench"
sender_allowlist = ["allow.txt"]
access_rules = ["rules.txt"]
TOML
./target/release/mailwarden check -c "$DIR/mailwarden.toml"
bash "$SHARED/milter-overhead.sh" -R "$ROUNDS" -n "$MESSAGES" -z "$SIZES" -o "$OUT" \
  -c "passmilter|inet:127.0.0.1:8895|/tmp/passmilter/target/release/passmilter 127.0.0.1:8895" \
  -c "mailwarden|inet:127.0.0.1:8895|$PWD/target/release/mailwarden serve -c $DIR/mailwarden.toml"
