#!/usr/bin/env bash
# decrypt-failure-timing.sh — how long mailwarden takes per message on each decryption
# outcome, to check that the time does not tell why decryption failed (no padding oracle).
#
# Usage: benches/decrypt-failure-timing.sh [-R ROUNDS] [-t SECONDS]
# Makes one 4 KB message encrypted to a test key (RSA 2048, PKCS#1 v1.5 key transport,
# AES-256-CBC) and variants: the encrypted key altered (the RSA decryption fails: mailwarden
# continues with a random content key), the last ciphertext block altered (bad padding), a
# middle block altered (good padding, garbage content), encrypted to another key (no-key).
# Rounds alternate the order of the variants; prints the median microseconds per message.
set -euo pipefail
cd "$(dirname "$0")/.."
R=5 T=1
while getopts ":R:t:h" opt; do
  case $opt in
    R) R=$OPTARG ;; t) T=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
  esac
done
W=$(mktemp -d /tmp/decrypt-timing.XXXXXX); trap 'rm -rf "$W"' EXIT
cargo build --release --locked --bench smime_verify >&2 2>/dev/null || cargo bench --locked --bench smime_verify --no-run >&2
MW=$PWD/$(ls -t target/release/deps/smime_verify-* | grep -v '\.d$' | head -1)
cd "$W"
O=openssl
$O req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -subj /CN=CA -days 30 2>/dev/null
for n in bob carol; do
  $O req -x509 -newkey rsa:2048 -nodes -keyout $n.key -out $n.pem -subj "/CN=$n" -days 30 2>/dev/null
done
chmod 600 bob.key
head -c 3000 /dev/urandom | base64 | sed 's/$/\r/' > body.txt
{ printf 'Content-Type: text/plain\r\n\r\n'; cat body.txt; } > content
$O cms -encrypt -in content -recip bob.pem -aes256 -outform DER -out ok.der
$O cms -encrypt -in content -recip carol.pem -aes256 -outform DER -out nokey.der
# Offsets from the DER: the 256-byte encryptedKey and the encrypted content (last OCTET STRING).
ek=$($O asn1parse -inform DER -in ok.der | awk -F: '/OCTET STRING/ && /l= 256/ { print $1 + 0; exit }')
ct=$($O asn1parse -inform DER -in ok.der | awk -F: '/cont \[ 0 \]|OCTET STRING/ { last = $0 } END { split(last, a, ":"); print a[1] + 0 }')
size=$(stat -c %s ok.der)
flip() { # in out offset
  cp "$1" "$2"
  local b; b=$(od -An -tu1 -j "$3" -N1 "$2" | tr -d ' ')
  printf "$(printf '\\%03o' $(( b ^ 1 )))" | dd of="$2" bs=1 seek="$3" conv=notrunc status=none
}
flip ok.der badkey.der $((ek + 4 + 100))
flip ok.der badpad.der $((size - 1))
flip ok.der badmiddle.der $(((ct + size) / 2))
for v in ok badkey badpad badmiddle nokey; do
  { printf 'From: a@example.org\r\nTo: bob@example.org\r\nSubject: t\r\nMIME-Version: 1.0\r\n'
    printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\nContent-Transfer-Encoding: base64\r\n\r\n'
    base64 $v.der | sed 's/$/\r/'; } > $v.eml
done
VARIANTS="ok badkey badpad badmiddle nokey"
# What each variant answers (with whichever mailwarden binary is built).
CLI=$(ls -t "$OLDPWD"/target/release/mailwarden "$OLDPWD"/target/debug/mailwarden 2>/dev/null | head -1 || true)
if [ -n "$CLI" ]; then
  printf '[smime]\ntrust = ["%s/ca.pem"]\nkeys = [{ cert = "%s/bob.pem", key = "%s/bob.key" }]\n' "$W" "$W" "$W" > cfg.toml
  for v in $VARIANTS; do
    echo "$v: $("$CLI" smime -c cfg.toml --json $v.eml | grep -o '"decryption":"[a-z-]*"')"
  done
fi
for r in $(seq 1 "$R"); do
  order=$VARIANTS
  [ $((r % 2)) -eq 0 ] && order=$(echo $VARIANTS | tr ' ' '\n' | tac | tr '\n' ' ')
  for v in $order; do
    "$MW" -CAfile "$W/ca.pem" -recip "$W/bob.pem" -key "$W/bob.key" -mode any -t "$T" -s "$v" "$v.eml" | sed "s/^/round=$r /"
  done
done > results.txt
# What each variant answered (once, through the CLI path of the same engine).
awk '
function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  k = f["set"]; if (!(k in seen)) { seen[k] = 1; order[++ns] = k }
  us[k, ++cnt[k]] = f["us_per_msg"] }
END {
  printf "%-10s %12s %8s %8s\n", "variant", "median us", "min", "max"
  for (i = 1; i <= ns; i++) { k = order[i]; n = cnt[k]; lo = 1e18; hi = 0
    for (j = 1; j <= n; j++) { a[j] = us[k, j]; if (a[j] < lo) lo = a[j]; if (a[j] > hi) hi = a[j] }
    printf "%-10s %12.1f %8.1f %8.1f\n", k, median(a, n), lo, hi; delete a }
}' results.txt
