//! From raw message bytes to a verdict: peel the S/MIME layers outermost first, verify each
//! signature layer, bind a passing signer to From: or Sender:, and combine.

use std::borrow::Cow;
use std::ops::Range;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;

use super::algorithms::oid;
use super::asn1;
use super::cms::enveloped::{self, Opened};
use super::cms::signed::{self, Verifier};
use super::keys::DecryptionKey;
use super::limits::Exceeded;
use super::mime::{self, Entity};
use super::outcome::{
    DecryptedLayer, Decryption, Outcome, Reason, Report, SignatureLayer, SignerReport, SmimeResult,
};

/// What evaluating a message needs: the signature verifier, and the keys for enveloped
/// layers (none: they are reported as `no-key`).
pub struct Context<'a> {
    pub verifier: Verifier<'a>,
    pub keys: &'a [DecryptionKey],
    pub allow_3des: bool,
}

/// Verifies every S/MIME layer of `raw` (a whole message, CRLF line ends as on the wire).
pub fn verify_message(raw: &[u8], cx: &Context<'_>) -> Report {
    let mut peel = Peel {
        report: Report::empty(),
        buf: Cow::Borrowed(raw),
        range: 0..raw.len(),
    };
    let mut first = true;
    // Whether peeling ended at an entity that is not S/MIME (rather than at a failure).
    let reached_plain = loop {
        let (entity, top) = mime::classify(&peel.buf[peel.range.clone()]);
        if first {
            peel.report.headers = top;
            first = false;
        }
        if matches!(entity, Entity::Plain) {
            break true;
        }
        if peel.report.layers.len() >= cx.verifier.limits.max_layers {
            peel.fail("signed", Reason::Limit(Exceeded::Layers));
            break false;
        }
        let step = match entity {
            Entity::Plain => unreachable!("handled above"),
            Entity::Broken(_) => peel.fail("signed", Reason::Malformed),
            Entity::OverLimit(e) => peel.fail("signed", Reason::Limit(e)),
            Entity::Detached {
                signed,
                signature,
                inner_may_be_smime,
            } => peel.detached(signed, &signature, inner_may_be_smime, cx),
            Entity::Pkcs7 { der, smime_type } => peel.pkcs7(&der, smime_type.as_deref(), cx),
        };
        match step {
            Step::Inner => continue,
            Step::Stop => break false,
            Step::Plain => break true,
        }
    };
    let Peel {
        mut report,
        buf,
        range,
    } = peel;
    if reached_plain && report.decryption == Decryption::None {
        open_enclosed(&buf[range], cx, &mut report);
    }
    bind_from(&mut report);
    report.outcome = report
        .signatures
        .iter()
        .fold(Outcome::NONE, |acc, l| acc.worst(l.outcome));
    report
}

/// The message as it is peeled: the report so far and the entity being looked at, a range
/// of `buf`. Detached layers narrow the range (no copy); opaque layers replace the buffer
/// with their encapsulated content.
struct Peel<'a> {
    report: Report,
    buf: Cow<'a, [u8]>,
    range: Range<usize>,
}

/// Where peeling goes after a layer.
enum Step {
    /// On to the entity the layer holds.
    Inner,
    /// The layer failed or cannot be looked into: no further layers.
    Stop,
    /// The layer holds an entity that is not S/MIME.
    Plain,
}

impl Peel<'_> {
    /// A layer that ends peeling with `reason`.
    fn fail(&mut self, kind: &'static str, reason: Reason) -> Step {
        self.report.layers.push(kind);
        self.report.signatures.push(SignatureLayer::failed(reason));
        Step::Stop
    }

    /// `multipart/signed`: the signature is checked over the first MIME part, never over
    /// eContent an attached signature may also carry.
    fn detached(
        &mut self,
        signed: Range<usize>,
        signature: &[u8],
        inner_may_be_smime: bool,
        cx: &Context<'_>,
    ) -> Step {
        self.report.layers.push("signed");
        let start = self.range.start;
        let content = &self.buf[start + signed.start..start + signed.end];
        let layer = match parse_signed(signature) {
            Some(sd) => combine(signed::verify(&sd, content, &cx.verifier)),
            None => SignatureLayer::malformed(),
        };
        self.report.signatures.push(layer);
        self.range = start + signed.start..start + signed.end;
        if inner_may_be_smime {
            Step::Inner
        } else {
            Step::Plain
        }
    }

    /// `application/pkcs7-mime`: an enveloped layer to open, or an opaque signature.
    fn pkcs7(&mut self, der: &[u8], smime_type: Option<&str>, cx: &Context<'_>) -> Step {
        let Ok(ci) = asn1::content_info(der) else {
            if smime_type == Some("enveloped-data") {
                self.report.decryption = Decryption::Failed;
                return self.fail("enveloped", Reason::Malformed);
            }
            return self.fail("signed", Reason::Malformed);
        };
        if enveloped::is_enveloped(&ci.content_type) {
            return self.enveloped(&ci, cx);
        }
        if ci.content_type != oid::SIGNED_DATA {
            return self.fail("signed", Reason::Malformed);
        }
        let Ok(sd) = asn1::decode_any::<SignedData>(&ci.content) else {
            return self.fail("signed", Reason::Malformed);
        };
        let Ok(Some(econtent)) = signed::encapsulated_content(&ci.content) else {
            // Opaque signed data without content has nothing to verify over.
            return self.fail("signed", Reason::Malformed);
        };
        self.report.layers.push("signed");
        let mut layer = combine(signed::verify(&sd, &econtent, &cx.verifier));
        let Some(inner) = within_entity_size(&econtent, cx) else {
            // The layer stays one layer, its signers named; what it holds cannot be read,
            // so it cannot pass.
            layer.outcome = Outcome::from_reason(Reason::Limit(Exceeded::EntitySize));
            self.report.signatures.push(layer);
            return Step::Stop;
        };
        self.report.signatures.push(layer);
        self.enter(inner)
    }

    fn enveloped(&mut self, ci: &ContentInfo, cx: &Context<'_>) -> Step {
        let report = &mut self.report;
        report.layers.push("enveloped");
        match enveloped::open(
            ci,
            cx.keys,
            cx.allow_3des,
            cx.verifier.limits.max_recipients,
        ) {
            Opened::Ok {
                content,
                key,
                algorithm,
                weak,
            } => {
                let Some(inner) = within_entity_size(&content, cx) else {
                    report.decryption = Decryption::Failed;
                    report.decryption_limit = Some(Exceeded::EntitySize);
                    report.decryption_detail = Some(format!(
                        "{}: the decrypted entity is larger than {} bytes",
                        Exceeded::EntitySize.token(),
                        cx.verifier.limits.max_entity_size
                    ));
                    return Step::Stop;
                };
                report.decryption = Decryption::Ok;
                report.decrypted.push(DecryptedLayer {
                    key,
                    algorithm,
                    weak,
                });
                if report.layers.len() == 1 {
                    report.cleartext = Some(inner.clone());
                }
                return self.enter(inner);
            }
            Opened::NoKey => report.decryption = Decryption::NoKey,
            Opened::Failed(why) => {
                report.decryption = Decryption::Failed;
                report.decryption_detail = Some(why);
            }
            Opened::OverLimit(limit, why) => {
                report.decryption = Decryption::Failed;
                report.decryption_limit = Some(limit);
                report.decryption_detail = Some(why);
            }
            Opened::Unsupported(what) => {
                report.decryption = Decryption::Unsupported;
                report.decryption_detail = Some(what);
            }
        }
        Step::Stop
    }

    /// Peeling goes on inside `inner`.
    fn enter(&mut self, inner: Vec<u8>) -> Step {
        self.range = 0..inner.len();
        self.buf = Cow::Owned(inner);
        Step::Inner
    }
}

/// The entity inside a layer, with CRLF line ends, unless it is larger than
/// `max_entity_size` (decrypted content is never larger than its ciphertext, but the line
/// ends can double it).
fn within_entity_size(content: &[u8], cx: &Context<'_>) -> Option<Vec<u8>> {
    if content.len() > cx.verifier.limits.max_entity_size {
        return None;
    }
    // The entity is read as MIME, whose canonical line end is CRLF; clients (NSS) store
    // it with LF and sign its inner parts in CRLF form.
    let inner = mime::to_crlf(content).into_owned();
    (inner.len() <= cx.verifier.limits.max_entity_size).then_some(inner)
}

/// Encrypted parts enclosed in the innermost entity (an `smime.p7m` attached to a
/// multipart/mixed, or under an OpenPGP signature) are not layers of the message, but a
/// gateway should know whether it can read them: `decryption` reports them. Their content is
/// not verified or delivered decrypted.
fn open_enclosed(entity: &[u8], cx: &Context<'_>, report: &mut Report) {
    let enclosed = mime::enclosed_pkcs7(entity, &cx.verifier.limits);
    for der in enclosed.parts {
        let Ok(ci) = asn1::content_info(&der) else {
            continue;
        };
        if !enveloped::is_enveloped(&ci.content_type) {
            continue;
        }
        let result = match enveloped::open(
            &ci,
            cx.keys,
            cx.allow_3des,
            cx.verifier.limits.max_recipients,
        ) {
            Opened::Ok {
                key,
                algorithm,
                weak,
                ..
            } => {
                report.decrypted.push(DecryptedLayer {
                    key,
                    algorithm,
                    weak,
                });
                Decryption::Ok
            }
            Opened::NoKey => Decryption::NoKey,
            Opened::Failed(why) => {
                report.decryption_detail = Some(why);
                Decryption::Failed
            }
            Opened::OverLimit(limit, why) => {
                report.decryption_limit = Some(limit);
                report.decryption_detail = Some(why);
                Decryption::Failed
            }
            Opened::Unsupported(what) => {
                report.decryption_detail = Some(what);
                Decryption::Unsupported
            }
        };
        // The part that could not be read is the one to report.
        if result.severity() > report.decryption.severity() {
            report.decryption = result;
        }
    }
    // Past a limit there may be encrypted parts nobody looked at: not a clean answer.
    if let Some(e) = enclosed.exceeded
        && Decryption::Unsupported.severity() > report.decryption.severity()
    {
        report.decryption = Decryption::Unsupported;
        report.decryption_limit = Some(e);
        report.decryption_detail = Some(format!(
            "{}: enclosed encrypted parts not looked for beyond the limit",
            e.token()
        ));
    }
}

fn parse_signed(signature: &[u8]) -> Option<SignedData> {
    let ci = asn1::content_info(signature).ok()?;
    if ci.content_type != oid::SIGNED_DATA {
        return None;
    }
    asn1::decode_any::<SignedData>(&ci.content).ok()
}

fn combine(signers: Vec<SignerReport>) -> SignatureLayer {
    let decisive = signers
        .iter()
        .enumerate()
        .min_by_key(|(_, s)| s.outcome.result.severity_for_choice())
        .map(|(i, _)| i);
    let outcome = decisive
        .map(|i| signers[i].outcome)
        .unwrap_or(Outcome::from_reason(Reason::Malformed));
    SignatureLayer {
        outcome,
        signers,
        decisive,
    }
}

/// RFC 8550 §3: the message is bound when every From: mailbox (of every From: header), or
/// the one Sender: mailbox, is an address of the signer of a passing signature layer; the
/// innermost such signer is the one reported. A From: that identifies nobody (a group, an
/// unreadable entry, none at all) binds to nobody. Unbound, a passing innermost layer is
/// `from-mismatch`. Binding an outer signer is no weaker than binding the inner one: the
/// inner signature could always be sent on its own.
fn bind_from(report: &mut Report) {
    let headers = &report.headers;
    let has = |signer: &SignerReport, address: &str| {
        signer
            .emails
            .iter()
            .any(|e| e.eq_ignore_ascii_case(address))
    };
    let binds = |signer: &SignerReport| {
        let by_from = headers.from.identifies_author()
            && headers
                .from
                .mailboxes
                .iter()
                .all(|m| has(signer, m.as_str()));
        let by_sender = headers
            .sender
            .as_ref()
            .is_some_and(|s| has(signer, s.as_str()));
        by_from || by_sender
    };
    report.bound_layer = report.signatures.iter().rposition(|layer| {
        layer.outcome.result == SmimeResult::Pass && layer.signer().is_some_and(binds)
    });
    if report.bound_layer.is_some() {
        return;
    }
    if let Some(layer) = report.signatures.last_mut()
        && layer.outcome.result == SmimeResult::Pass
    {
        layer.outcome = Outcome::from_reason(Reason::FromMismatch);
    }
}
