#!/usr/bin/env bash
# fuzz/seed.sh — fills fuzz/corpus/<target>/ with seeds taken from the test data: the
# example rule files and settings, the S/MIME test PKI and messages that
# tests/smime/make-pki.sh writes, and the Thunderbird corpus in ../shared.
set -euo pipefail
cd "$(dirname "$0")"
C=corpus
mkdir -p $C/rule_files $C/settings $C/trust_store $C/key_containers $C/smime_message \
  $C/authentication_results $C/crls target/pki
[ -f target/pki/trust.pem ] || bash ../tests/smime/make-pki.sh "$PWD/target/pki" >/dev/null

cp ../policies/*.txt $C/rule_files/
printf '* user@customer.fi <reg> - 0\ntest@example.org * <sms> - 0\n/^a.*@x\\.fi$/ *@*.example <sms> +358 2\n' > $C/rule_files/mixed.txt
printf '!former@example.org\n@secure.example.org\n*@*.example.org\n<>\n' > $C/rule_files/allow.txt

cp ../policies/mailwarden.toml $C/settings/example.toml
cp ../packaging/debian/mailwarden.toml $C/settings/debian.toml
cp target/pki/mailwarden.toml $C/settings/pki.toml 2>/dev/null || true
# Every ```toml block of the docs is a settings seed.
n=0
for f in ../docs/*.md; do
  awk '/^```toml/{on=1; next} /^```/{if(on){on=0; print "\x00"}; next} on' "$f" |
    while IFS= read -r -d $'\0' block; do printf '%s' "$block" > "$C/settings/doc-$(basename "$f" .md)-$((n++)).toml"; done || true
done

for f in target/pki/*.pem target/pki/*.der target/pki/*.p7b target/pki/*.sst; do
  [ -f "$f" ] && cp "$f" $C/trust_store/
done
for f in target/pki/*.p12 target/pki/*.enc.key target/pki/*.enc.der; do
  [ -f "$f" ] && cp "$f" $C/key_containers/
done
cp target/pki/*.eml $C/smime_message/
# CRLs: the test PKI's and every NIST PKITS CRL (IDPs, indirect and delta CRLs).
cp target/pki/int.crl.pem $C/crls/
cp ../tests/data/pkits/crls/*.crl $C/crls/
SHARED=${MAILWARDEN_SHARED_DIR:-../../shared}
if [ -d "$SHARED/corpus/thunderbird-smime" ]; then
  find "$SHARED/corpus/thunderbird-smime" -name '*.eml' -exec cp {} $C/smime_message/ \;
  find "$SHARED/corpus/thunderbird-smime" -name '*.p12' -exec cp {} $C/key_containers/ \;
fi

printf 'mx.example\001alice@example.org\001 1F2E\001CN=Test CA, O=Example' > $C/authentication_results/plain
printf 'mx.example\001a@b"c;d\r\nX: y\001zz\001CN="q\\"(x;y)\r\n' > $C/authentication_results/nasty

for d in $C/*; do echo "$(ls "$d" | wc -l) seeds in $d"; done
