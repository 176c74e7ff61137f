#!/usr/bin/env bash
# benches/directory-postfix.sh — throughput through real Postfix of a policy answered by
# real-time LDAP lookups with a warm cache, next to the same policy read from files, in
# alternating rounds (issue 18's goal: directory >= 0.95x files).
#
#   benches/directory-postfix.sh [-R ROUNDS] [-n MESSAGES] [-z 'SIZES'] [-o OUT] [-p LDAP_PORT]
#
# Starts its own slapd (Debian's, as tests/run.sh installs it) on 127.0.0.1:LDAP_PORT with
# 1,000 people; the bench's sender is a member and its recipient has a mobile number.
# Both configurations enforce the sender allowlist and one access rule per recipient: from
# two files ('files', the reference) or from the directory ('directory'). Needs root
# (Postfix master) and ../shared/bench. The ratio column is throughput relative to 'files'.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=10 MESSAGES=3000 SIZES="4096" OUT=/tmp/mailwarden-dirbench.$(date +%Y%m%d-%H%M%S).txt
LDAP_PORT=3899
while getopts ":R:n:z:o:p:" opt; do
  case $opt in
    R) ROUNDS=$OPTARG ;; n) MESSAGES=$OPTARG ;; z) SIZES=$OPTARG ;; o) OUT=$OPTARG ;;
    p) LDAP_PORT=$OPTARG ;; *) sed -n '2,12p' "$0"; exit 2 ;;
  esac
done
SHARED=${SHARED:-../shared/bench}
SLAPD=/usr/sbin/slapd
[[ -x $SLAPD ]] || { echo "needs slapd (tests/run.sh installs it)" >&2; exit 1; }
if (exec 3<>"/dev/tcp/127.0.0.1/$LDAP_PORT") 2>/dev/null; then
  echo "port $LDAP_PORT is taken; pass -p" >&2
  exit 1
fi
cargo build --release --locked -q
DIR=$(mktemp -d /tmp/mailwarden-dirbench.XXXXXX)
SLAPD_PID=""
cleanup() {
  [[ -n $SLAPD_PID ]] && kill "$SLAPD_PID" 2>/dev/null && wait "$SLAPD_PID" 2>/dev/null
  rm -rf "$DIR"
}
trap cleanup EXIT

SUFFIX="dc=example,dc=org"
mkdir "$DIR/db"
cat >"$DIR/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
pidfile $DIR/slapd.pid
database mdb
suffix "$SUFFIX"
rootdn "cn=admin,$SUFFIX"
rootpw admin-secret
directory $DIR/db
index mail eq
access to attrs=userPassword by anonymous auth by * none
access to * by * read
CONF
person() { # uid mail mobile category
  printf 'dn: uid=%s,ou=people,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\nmail: %s\nmobile: %s\nbusinessCategory: %s\n\n' \
    "$1" "$SUFFIX" "$1" "$1" "$1" "$2" "$3" "$4"
}
{
  printf 'dn: %s\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n' "$SUFFIX"
  printf 'dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n' "$SUFFIX"
  printf 'dn: cn=mailwarden,%s\nobjectClass: person\ncn: mailwarden\nsn: reader\nuserPassword: reader-secret\n\n' "$SUFFIX"
  for i in $(seq 1 998); do person "u$i" "user$i@example.org" "+35840$(printf %07d "$i")" secure; done
  person sender sender@example.org +358400000000 secure
  person rcpt rcpt@example.net +358409999999 staff
} >"$DIR/people.ldif"
slapadd -q -f "$DIR/slapd.conf" -l "$DIR/people.ldif"
"$SLAPD" -f "$DIR/slapd.conf" -h "ldap://127.0.0.1:$LDAP_PORT/" -d 0 2>"$DIR/slapd.log" &
SLAPD_PID=$!
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$LDAP_PORT") 2>/dev/null && break
  sleep 0.1
done
(umask 077 && echo reader-secret >"$DIR/ldap.password")

# The same decisions from files: the group's addresses, and the rules the template makes.
{
  for i in $(seq 1 998); do echo "user$i@example.org"; done
  echo "sender@example.org"
} >"$DIR/allow.txt"
{
  for i in $(seq 1 998); do echo "* user$i@example.org <sms> +35840$(printf %07d "$i") 0"; done
  echo "* sender@example.org <sms> +358400000000 0"
  echo "* rcpt@example.net <sms> +358409999999 0"
} >"$DIR/rules.txt"
common='[milter]
listen = "inet:127.0.0.1:8895"
[log]
level = "warn"'
cat >"$DIR/files.toml" <<TOML
$common
[[policy]]
name = "bench"
sender_allowlist = ["allow.txt"]
access_rules = ["rules.txt"]
TOML
cat >"$DIR/directory.toml" <<TOML
$common
[directory.corp]
urls = ["ldap://127.0.0.1:$LDAP_PORT"]
tls = "none"
bind_dn = "cn=mailwarden,$SUFFIX"
password_file = "ldap.password"
base = "ou=people,$SUFFIX"
cache_ttl = 3600
[[policy]]
name = "bench"
sender_allowlist = [{ directory = "corp", filter = "(&(mail={address})(businessCategory=secure))" }]
access_rules = [{ directory = "corp", filter = "(mail={recipient})", rule = "* {recipient} <sms> {mobile} 0" }]
TOML
./target/release/mailwarden check -c "$DIR/files.toml"
./target/release/mailwarden check -c "$DIR/directory.toml"
./target/release/mailwarden query -c "$DIR/directory.toml" --from sender@example.org --rcpt rcpt@example.net
bash "$SHARED/milter-overhead.sh" -R "$ROUNDS" -n "$MESSAGES" -z "$SIZES" -o "$OUT" \
  -c "files|inet:127.0.0.1:8895|$PWD/target/release/mailwarden serve -c $DIR/files.toml" \
  -c "directory|inet:127.0.0.1:8895|$PWD/target/release/mailwarden serve -c $DIR/directory.toml"
