#!/bin/bash
# Test PKI and S/MIME messages, made with the openssl CLI at test time.
#   root (self-signed) -> int (CA, emailProtection) -> leaves
#   int-nc: CA constrained to rfc822Name example.org
#   other-root: a root that is not in the trust store
# Usage: make-pki.sh DIR
set -euo pipefail
D=$1
mkdir -p "$D"
cd "$D"
O="openssl"

cat > ext.cnf <<'CNF'
[ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
extendedKeyUsage = emailProtection
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[int_nc]
basicConstraints = critical,CA:true,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
nameConstraints = critical,permitted;email:example.org
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = CA:false
keyUsage = critical,digitalSignature,nonRepudiation,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:alice@example.org
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_dave]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:dave@example.org
[leaf_enc]
basicConstraints = CA:false
keyUsage = critical,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:bob@example.org
[leaf_ecdh]
basicConstraints = CA:false
keyUsage = critical,keyAgreement
extendedKeyUsage = emailProtection
subjectAltName = email:bob@example.org
[leaf_bob_com]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
subjectAltName = email:bob@example.com
[leaf_server]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = email:alice@example.org
[leaf_noemail]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection
[leaf_keyenc]
basicConstraints = CA:false
keyUsage = critical,keyEncipherment
extendedKeyUsage = emailProtection
subjectAltName = email:alice@example.org
CNF

ca() { # name subj
  $O req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 3650 -subj "$2" \
     -config /dev/null -extensions ca -addext "basicConstraints=critical,CA:true" \
     -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectKeyIdentifier=hash" 2>/dev/null ||
  $O req -x509 -newkey rsa:2048 -nodes -keyout $1.key -out $1.pem -days 3650 -subj "$2" \
     -addext "basicConstraints=critical,CA:true" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
issue() { # name subj issuer ext keyspec [days]
  $O req -new -newkey $5 -nodes -keyout $1.key -out $1.csr -subj "$2" 2>/dev/null
  $O x509 -req -in $1.csr -CA $3.pem -CAkey $3.key -CAcreateserial -out $1.pem \
     -days ${6:-365} -sha256 -extfile ext.cnf -extensions $4 2>/dev/null
}
ca root "/CN=Test Root CA/O=mailwarden tests"
ca other-root "/CN=Other Root CA/O=mailwarden tests"
issue int "/CN=Test Intermediate CA/O=mailwarden tests" root int rsa:2048 1825
issue int-nc "/CN=Constrained CA/O=mailwarden tests" root int_nc rsa:2048 1825
issue alice "/CN=Alice/emailAddress=alice@example.org" int leaf rsa:2048
issue alice-ec "/CN=Alice EC" int leaf ec:<($O ecparam -name prime256v1)
issue alice-p384 "/CN=Alice P-384" int leaf ec:<($O ecparam -name secp384r1)
issue alice-server "/CN=Alice server" int leaf_server rsa:2048
issue alice-noemail "/CN=Alice no email" int leaf_noemail rsa:2048
issue alice-keyenc "/CN=Alice keyenc" int leaf_keyenc rsa:2048
issue alice-revoked "/CN=Alice revoked" int leaf rsa:2048
issue alice-untrusted "/CN=Alice untrusted" other-root leaf rsa:2048
issue alice-nc "/CN=Alice constrained" int-nc leaf rsa:2048
issue bob-nc "/CN=Bob constrained" int-nc leaf_bob_com rsa:2048
issue bob "/CN=Bob" int leaf_enc rsa:2048
issue dave "/CN=Dave" int leaf_dave rsa:2048
issue carol "/CN=Carol" int leaf_enc rsa:2048
issue bob-ec "/CN=Bob EC" int leaf_ecdh ec:<($O ecparam -name prime256v1)
issue bob-p384 "/CN=Bob P-384" int leaf_ecdh ec:<($O ecparam -name secp384r1)
chmod 600 bob.key bob-ec.key bob-p384.key
cat root.pem > trust.pem

# CRL from the intermediate revoking alice-revoked.
mkdir -p crlca && : > crlca/index.txt && echo 01 > crlca/crlnumber
cat > crlca.cnf <<CNF
[ca]
default_ca = int
[int]
database = $D/crlca/index.txt
crlnumber = $D/crlca/crlnumber
certificate = $D/int.pem
private_key = $D/int.key
default_md = sha256
default_crl_days = 30
CNF
$O ca -config crlca.cnf -revoke alice-revoked.pem 2>/dev/null
$O ca -config crlca.cnf -gencrl -out int.crl.pem 2>/dev/null

body() {
  printf 'Content-Type: text/plain; charset=utf-8\r\n\r\nHello from Alice.\r\nSecond line.\r\n'
}
hdr() { # from subject
  printf 'From: %s\r\nTo: bob@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n' "$1" "$2" "$RANDOM$RANDOM"
}
sign() { # out signer from [extra openssl args...]
  local out=$1 signer=$2 from=$3; shift 3
  local chain=int.pem
  case $signer in alice-untrusted) chain=other-root.pem;; *-nc) chain=int-nc.pem;; esac
  body > $out.content
  { hdr "$from" "$out"; $O cms -sign -in $out.content -signer $signer.pem -inkey $signer.key \
      -certfile $chain -crlfeol "$@"; } > $out.eml
}
sign pass-rsa alice alice@example.org
sign pass-opaque alice alice@example.org -nodetach
sign pass-ec alice-ec alice@example.org
sign pass-pss alice alice@example.org -keyopt rsa_padding_mode:pss
sign pass-pss-salt20 alice alice@example.org -keyopt rsa_padding_mode:pss -keyopt rsa_pss_saltlen:20
sign pass-p384 alice-p384 alice@example.org -md sha384
sign pass-nc alice-nc alice@example.org
sign nc-violation bob-nc bob@example.com
sign sha1 alice alice@example.org -md sha1
sign sha3 alice alice@example.org -md sha3-256
sign wrong-eku alice-server alice@example.org
sign bad-ku alice-keyenc alice@example.org
sign no-email alice-noemail alice@example.org
sign from-mismatch alice mallory@example.org
sign untrusted alice-untrusted alice@example.org
sign revoked alice-revoked alice@example.org
sign no-attrs alice alice@example.org -noattr
# One byte of the signed body changed.
sed 's/Hello from Alice/Hello from Alicf/' pass-rsa.eml > tampered-body.eml
body > two.content
# Without the intermediate in the message: only a store that holds it completes the path.
{ hdr alice@example.org no-chain; $O cms -sign -in two.content -signer alice.pem -inkey alice.key; } > no-chain.eml
# Two SignerInfos in one layer: an untrusted one and a good one (the layer passes), and two
# untrusted ones (it does not).
{ hdr alice@example.org two-signers; $O cms -sign -in two.content -signer alice-untrusted.pem -inkey alice-untrusted.key \
    -signer alice.pem -inkey alice.key -certfile int.pem; } > two-signers.eml
{ hdr alice@example.org two-bad; $O cms -sign -in two.content -signer alice-untrusted.pem -inkey alice-untrusted.key \
    -signer bob-nc.pem -inkey bob-nc.key -certfile int.pem; } > two-bad-signers.eml
# Encrypted to bob (and one to carol only).
enc() { # out recipient-cert [openssl args...]
  local out=$1 rcpt=$2; shift 2
  { hdr alice@example.org "$out"; $O cms -encrypt -in two.content -recip "$rcpt" "$@"; } > $out.eml
}
enc enc-aes128 bob.pem -aes128
enc enc-aes256 bob.pem -aes256
enc enc-gcm bob.pem -aes-256-gcm
enc enc-oaep bob.pem -aes256 -keyopt rsa_padding_mode:oaep
enc enc-oaep256 bob.pem -aes256 -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 -keyopt rsa_mgf1_md:sha256
enc enc-3des bob.pem -des3
enc enc-carol carol.pem -aes256
# ECDH ephemeral-static (OpenSSL's default X9.63 KDF is SHA-1), SHA-256 KDF, P-384.
enc enc-ec bob-ec.pem -aes256
enc enc-ec-sha256 bob-ec.pem -aes128 -keyopt ecdh_kdf_md:sha256
enc enc-p384 bob-p384.pem -aes256
# Signed by alice, then encrypted to bob.
$O cms -sign -in two.content -signer alice.pem -inkey alice.key -certfile int.pem > signed.part
{ hdr alice@example.org sign-enc; $O cms -encrypt -in signed.part -recip bob.pem -aes256; } > sign-enc.eml
# tampered-sig.eml and malformed.eml are derived from pass-rsa.eml by tests/smime.rs.
# Nested: alice signs, then a gateway re-signs the signed entity (outer = transport).
{ hdr alice@example.org nested; $O cms -sign -in pass-rsa.eml -signer alice-ec.pem -inkey alice-ec.key -certfile int.pem -crlfeol; } > nested.eml
# Alice's signed message re-signed by Dave (RFC 8550 §3: From: or Sender: may name the
# signer of any passing layer): From: Dave, and From: someone neither of them is.
{ hdr dave@example.org resigned-dave; $O cms -sign -in pass-rsa.eml -signer dave.pem -inkey dave.key -certfile int.pem -crlfeol; } > resigned-dave.eml
{ hdr carol@example.org resigned-carol; $O cms -sign -in pass-rsa.eml -signer dave.pem -inkey dave.key -certfile int.pem -crlfeol; } > resigned-carol.eml
# From: carol, Sender: alice (the signer), once with a second Sender: that names nobody
# signing (two Sender: headers bind to no one).
{ printf 'Sender: alice@example.org\r\n'; hdr carol@example.org sender; $O cms -sign -in two.content -signer alice.pem -inkey alice.key -certfile int.pem -crlfeol; } > sender.eml
{ printf 'Sender: alice@example.org\r\nSender: mallory@example.org\r\n'; hdr carol@example.org sender-twice; $O cms -sign -in two.content -signer alice.pem -inkey alice.key -certfile int.pem -crlfeol; } > sender-twice.eml
# Nine opaque layers, one more than mailwarden peels (smime.limits.max_layers = 8).
cp pass-opaque.eml deep.eml
for i in $(seq 1 8); do
  { hdr alice@example.org deep; $O cms -sign -nodetach -in deep.eml -signer alice.pem -inkey alice.key -certfile int.pem; } > deep.tmp
  mv deep.tmp deep.eml
done
ls *.eml | wc -l > count
# Bob's keys in password-protected containers. The password is UTF-8 with a non-ASCII
# letter: PKCS#12 turns it into a BMPString (RFC 7292 B.1), PBES2 uses the bytes.
printf 'sal\xc3\xa4s-nss\n' > bob.pw
chmod 600 bob.pw
# OpenSSL 3's defaults: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC.
$O pkcs12 -export -in bob.pem -inkey bob.key -certfile int.pem -passout file:bob.pw -out bob.p12
# The PKCS#12 PBE with 3DES for key and certificates, SHA-1 MAC (older Windows, NSS).
$O pkcs12 -export -in bob.pem -inkey bob.key -passout file:bob.pw \
  -keypbe PBE-SHA1-3DES -certpbe PBE-SHA1-3DES -macalg sha1 -out bob-3des.p12
# Certificates under RC2-40, the key under 3DES (the pre-2019 Windows default, `-legacy`):
# read, and reported weak. A key under RC2 stays refused.
$O pkcs12 -export -legacy -in bob.pem -inkey bob.key -passout file:bob.pw -out bob-rc2.p12
$O pkcs12 -export -legacy -in bob.pem -inkey bob.key -passout file:bob.pw \
  -keypbe PBE-SHA1-RC2-40 -out bob-rc2-key.p12
# "No password" in both PKCS#12 forms: two zero bytes (OpenSSL, GnuTLS --empty-password)
# and a zero-length BMPString (GnuTLS --null-password, some Windows exports).
: > empty.pw
chmod 600 empty.pw
$O pkcs12 -export -in bob.pem -inkey bob.key -passout pass: -out bob-nopass.p12
certtool --to-p12 --load-certificate bob.pem --load-privkey bob.key --null-password \
  --p12-name bob --outder --outfile bob-null.p12 >/dev/null 2>&1
$O pkcs12 -export -in bob-ec.pem -inkey bob-ec.key -certfile int.pem -passout file:bob.pw -out bob-ec.p12
# Encrypted PKCS#8: PBES2 with HMAC-SHA512 and AES-256 (PEM), PBE-SHA1-3DES (DER).
$O pkcs8 -topk8 -in bob.key -v2 aes-256-cbc -v2prf hmacWithSHA512 -passout file:bob.pw -out bob.enc.key
$O pkcs8 -topk8 -in bob-ec.key -v1 PBE-SHA1-3DES -passout file:bob.pw -outform DER -out bob-ec.enc.der
chmod 600 bob.p12 bob-3des.p12 bob-rc2.p12 bob-rc2-key.p12 bob-nopass.p12 bob-null.p12 bob-ec.p12 bob.enc.key bob-ec.enc.der
# An encrypted smime.p7m attached to a multipart/mixed (not a layer of the message).
enclosed() { # out recipient-cert
  $O cms -encrypt -in two.content -recip "$2" -aes256 -outform DER -out enclosed.der
  { hdr alice@example.org "$1"
    printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nSee the attachment.\r\n--b1\r\n'
    printf 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="smime.p7m"\r\n\r\n'
    base64 enclosed.der | sed 's/$/\r/'
    printf -- '--b1--\r\n'; } > $1.eml
}
enclosed enclosed-bob bob.pem
enclosed enclosed-carol carol.pem
