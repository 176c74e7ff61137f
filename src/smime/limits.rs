//! Bounds on the work and memory a message's sender can make verification spend, each with
//! a name. A message past a bound gets a verdict naming it (`permerror (too-many-signers)`,
//! `decryption = unsupported` with `too-many-mime-parts`, ...), never a panic, a hang or
//! unbounded memory. `[smime.limits]` sets them; the defaults are generous for real mail.

/// One `[smime.limits]` setting: its name, default and the largest value accepted.
pub struct Setting {
    pub key: &'static str,
    pub default: usize,
    pub ceiling: usize,
}

/// Every setting, in the order the documentation lists them.
pub const SETTINGS: [Setting; 8] = [
    Setting {
        key: "max_layers",
        default: 8,
        ceiling: 64,
    },
    Setting {
        key: "max_signers",
        default: 16,
        ceiling: 1024,
    },
    Setting {
        key: "max_certificates",
        default: 64,
        ceiling: 4096,
    },
    Setting {
        key: "max_recipients",
        default: 1024,
        ceiling: 65_536,
    },
    Setting {
        key: "max_mime_depth",
        default: 32,
        // The walker recurses once per level.
        ceiling: 128,
    },
    Setting {
        key: "max_mime_parts",
        default: 1000,
        ceiling: 100_000,
    },
    Setting {
        key: "max_enclosed",
        default: 4,
        ceiling: 64,
    },
    Setting {
        key: "max_path_signature_checks",
        default: 200,
        ceiling: 100_000,
    },
];

/// RFC 2046 5.1.1: a boundary has 1 to 70 characters. Longer ones are refused, not
/// tolerated: every `--` of a body is compared against the boundary, so a long boundary
/// makes splitting a body cost its length times the boundary's (a 100 KB boundary, which
/// fits in a Postfix header, held one 10 MB message for 18 s of CPU).
pub const MAX_BOUNDARY_LEN: usize = 70;

/// The bounds one verification runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// S/MIME layers peeled (signed or enveloped, nested); the next one is not.
    pub max_layers: usize,
    /// SignerInfos in one SignedData.
    pub max_signers: usize,
    /// Certificates carried in one SignedData.
    pub max_certificates: usize,
    /// RecipientInfos in one EnvelopedData or AuthEnvelopedData.
    pub max_recipients: usize,
    /// Multipart nesting below the innermost entity, when looking for enclosed encrypted
    /// parts.
    pub max_mime_depth: usize,
    /// Body parts below the innermost entity, when looking for enclosed encrypted parts.
    pub max_mime_parts: usize,
    /// Enclosed encrypted parts tried.
    pub max_enclosed: usize,
    /// Signature checks spent building and validating one signer's certificate path,
    /// beyond those the trust store's own intermediates need.
    pub max_path_signature_checks: usize,
    /// Bytes of any one entity held: the message, and each decrypted or encapsulated
    /// content after line-end conversion (`[smime] max_message_size`).
    pub max_entity_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from_values(|s| s.default, 10 << 20)
    }
}

impl Limits {
    /// Limits from a value per setting (in [`SETTINGS`] order) and the entity size.
    pub fn from_values(value: impl FnMut(&Setting) -> usize, max_entity_size: usize) -> Limits {
        let [
            layers,
            signers,
            certs,
            recipients,
            depth,
            parts,
            enclosed,
            checks,
        ] = SETTINGS.each_ref().map(value);
        Limits {
            max_layers: layers,
            max_signers: signers,
            max_certificates: certs,
            max_recipients: recipients,
            max_mime_depth: depth,
            max_mime_parts: parts,
            max_enclosed: enclosed,
            max_path_signature_checks: checks,
            max_entity_size,
        }
    }
}

/// Which bound a message went past. The token is what the header, the audit line and the
/// JSON output carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Exceeded {
    Layers,
    Signers,
    Certificates,
    Recipients,
    MimeDepth,
    MimeParts,
    BoundaryLength,
    PathSignatureChecks,
    EntitySize,
}

impl Exceeded {
    pub fn token(self) -> &'static str {
        match self {
            Self::Layers => "too-many-layers",
            Self::Signers => "too-many-signers",
            Self::Certificates => "too-many-certificates",
            Self::Recipients => "too-many-recipients",
            Self::MimeDepth => "mime-too-deep",
            Self::MimeParts => "too-many-mime-parts",
            Self::BoundaryLength => "boundary-too-long",
            Self::PathSignatureChecks => "path-budget-exceeded",
            Self::EntitySize => "content-too-large",
        }
    }
}

/// The signature-check budget of path building. certval has no budget of its own, but
/// every signature it checks goes through our callback, which charges the budget of the
/// thread it runs on (certval runs on the caller's thread); past the budget the callback
/// fails every check, so the search ends quickly and says why.
pub mod path_budget {
    use std::cell::Cell;

    thread_local! {
        // (checks charged, limit, whether a check was refused)
        static BUDGET: Cell<(usize, usize, bool)> = const { Cell::new((0, usize::MAX, false)) };
    }

    /// What a scope spent.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Spent {
        pub checks: usize,
        pub exhausted: bool,
    }

    /// Runs `f` with at most `limit` signature checks, and says what it spent. Outside any
    /// scope checks are counted without limit.
    pub fn scope<T>(limit: usize, f: impl FnOnce() -> T) -> (T, Spent) {
        // Restored on unwind too: a panic inside (caught at the engine's boundary) must not
        // leave this blocking-pool thread with another message's budget.
        struct Restore((usize, usize, bool));
        impl Drop for Restore {
            fn drop(&mut self) {
                BUDGET.set(self.0);
            }
        }
        let restore = Restore(BUDGET.replace((0, limit, false)));
        let out = f();
        let (checks, _, exhausted) = BUDGET.get();
        drop(restore);
        (out, Spent { checks, exhausted })
    }

    /// Charges one signature check; false when the budget is spent (the check must fail).
    pub fn charge() -> bool {
        BUDGET.with(|b| {
            let (used, limit, exhausted) = b.get();
            if used >= limit {
                b.set((used, limit, true));
                false
            } else {
                b.set((used + 1, limit, exhausted));
                true
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_allows_exactly_the_limit() {
        let ((), spent) = path_budget::scope(3, || {
            assert!(path_budget::charge() && path_budget::charge() && path_budget::charge());
            assert!(!path_budget::charge());
        });
        assert_eq!(
            spent,
            path_budget::Spent {
                checks: 3,
                exhausted: true
            }
        );
        let ((), spent) = path_budget::scope(3, || assert!(path_budget::charge()));
        assert!(!spent.exhausted);
    }

    #[test]
    fn budget_scopes_nest_and_restore() {
        let ((), outer) = path_budget::scope(10, || {
            path_budget::charge();
            let ((), inner) = path_budget::scope(1, || {
                path_budget::charge();
                path_budget::charge();
            });
            assert!(inner.exhausted);
            path_budget::charge();
        });
        assert_eq!(outer.checks, 2);
        assert!(!outer.exhausted);
    }

    #[test]
    fn defaults_lie_within_their_ceilings() {
        for s in &SETTINGS {
            assert!(s.default >= 1 && s.default <= s.ceiling, "{}", s.key);
        }
        let l = Limits::default();
        assert_eq!(
            (l.max_layers, l.max_signers, l.max_certificates),
            (8, 16, 64)
        );
        assert_eq!(l.max_entity_size, 10 << 20);
    }
}
