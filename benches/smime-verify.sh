#!/usr/bin/env bash
# smime-verify.sh — S/MIME verification throughput, mailwarden vs OpenSSL's CMS_verify,
# side by side in alternating rounds on the same files (../shared/bench corpus and loop).
#
# Usage: benches/smime-verify.sh [-R ROUNDS] [-t SECONDS] [-c CORPUS] [-s 'SETS'] [-o OUT]
#   Sets named encrypted-* run in decrypt mode, signenc-* in decrypt-verify mode (bob's key).
#   -R  rounds (default 5); each round runs every set with both tools, order alternating
#   -t  seconds per timed run (default 2)
#   -c  corpus dir made by ../shared/bench/make-smime-corpus.sh (made if missing)
#   -s  sets (default: signed-{rsa,ec}-{4k,64k,1m})
#   -o  raw RESULT lines appended here (default /tmp/smime-verify.<date>.txt)
# Prints per set the median msgs per CPU-second of each tool and the median per-round ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=$(cd ../shared/bench && pwd)
R=5 T=2 CORPUS=/tmp/smime-corpus OUT=""
SETS="signed-rsa-4k signed-rsa-64k signed-rsa-1m signed-ec-4k signed-ec-64k signed-ec-1m"
while getopts ":R:t:c:s:o:h" opt; do
  case $opt in
    R) R=$OPTARG ;; t) T=$OPTARG ;; c) CORPUS=$OPTARG ;; s) SETS=$OPTARG ;; o) OUT=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2 ;;
  esac
done
OUT=${OUT:-/tmp/smime-verify.$(date +%Y%m%d-%H%M%S).txt}
[ -d "$CORPUS/msgs" ] || "$SHARED/make-smime-corpus.sh" "$CORPUS" >&2
if [ ! -x /tmp/cms-verify-bench ]; then
  dpkg -s libssl-dev >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev gcc >/dev/null
  gcc -O2 -Wall -o /tmp/cms-verify-bench "$SHARED/cms-verify-bench.c" -lcrypto
fi
cargo build --release --locked --bench smime_verify >&2 2>/dev/null || cargo bench --locked --bench smime_verify --no-run >&2
MW=$(ls -t target/release/deps/smime_verify-* | grep -v '\.d$' | head -1)

ca_for() { case $1 in *-ec-*) echo "$CORPUS/pki/ca-ec.pem" ;; *) echo "$CORPUS/pki/ca-rsa.pem" ;; esac; }
mode_for() { case $1 in encrypted-*) echo decrypt ;; signenc-*) echo decrypt-verify ;; *) echo verify ;; esac; }
# mailwarden refuses a key file others can read: use a private copy.
KEY=$(mktemp /tmp/smime-bench-key.XXXXXX); trap 'rm -f "$KEY"' EXIT
cp "$CORPUS/pki/bob.key" "$KEY"; chmod 600 "$KEY"
openssl_run() { # set
  local list=$CORPUS/msgs/$1/LIST ca; ca=$(ca_for "$1")
  # Calibrate the iteration count to about T seconds.
  local mode; mode=$(mode_for "$1")
  local keys=()
  [ "$mode" = verify ] || keys=(-recip "$CORPUS/pki/bob.pem" -key "$CORPUS/pki/bob.key")
  local one; one=$(/tmp/cms-verify-bench "$mode" -q -CAfile "$ca" "${keys[@]}" -n 1 -L "$list" | sed 's/.*wall_s=\([0-9.]*\).*/\1/')
  local n; n=$(awk -v t="$T" -v o="$one" 'BEGIN { n = int(t / (o > 0 ? o : 0.001)); print (n < 1 ? 1 : n) }')
  /tmp/cms-verify-bench "$mode" -q -CAfile "$ca" "${keys[@]}" -n "$n" -L "$list" | sed "s/^RESULT /RESULT tool=openssl set=$1 /"
}
mw_run() { "$MW" -CAfile "$(ca_for "$1")" -recip "$CORPUS/pki/bob.pem" -key "$KEY" -mode "$(mode_for "$1")" -t "$T" -s "$1" -L "$CORPUS/msgs/$1/LIST"; }

for r in $(seq 1 "$R"); do
  for s in $SETS; do
    if [ $((r % 2)) -eq 1 ]; then openssl_run "$s"; mw_run "$s"; else mw_run "$s"; openssl_run "$s"; fi
  done | sed "s/^/round=$r /" | tee -a "$OUT"
done >/dev/null
echo "raw results: $OUT"
awk '
function median(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j+1] = a[j]; a[j+1] = t }
  return (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
  k = f["set"]; if (!(k in seen)) { seen[k] = 1; order[++ns] = k }
  v[k, f["tool"], f["round"]] = f["msgs_per_cpu_s"]; rounds[f["round"]] = 1 }
END {
  printf "%-16s %14s %14s %10s\n", "set", "openssl/cpu-s", "mailwarden/cpu-s", "ratio"
  for (i = 1; i <= ns; i++) { k = order[i]; no = nm = nr = 0
    for (r in rounds) { o = v[k, "openssl", r]; m = v[k, "mailwarden", r]
      if (o > 0) oa[++no] = o; if (m > 0) ma[++nm] = m; if (o > 0 && m > 0) ra[++nr] = m / o }
    printf "%-16s %14.0f %14.0f %9.2fx\n", k, median(oa, no), median(ma, nm), median(ra, nr)
    delete oa; delete ma; delete ra }
}' "$OUT"
