//! First-match index over ordered rules. Rules whose key field is an exact address, a
//! domain or `<>` are found through hash maps; the rest (`*`, globs, regexes) are scanned.
//! Every candidate list is in file order, and a lookup stops as soon as no candidate can
//! beat the best match so far, so the result is exactly "the first matching line".

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::pattern::Pattern;
use crate::mail::address::Address;

const END: u32 = u32::MAX;

/// First and last rule of a chain of rules sharing one key, linked through `next`.
/// The key itself is not stored: it is the head rule's pattern (no second copy of
/// every address, which halves the index's memory).
#[derive(Debug, Clone, Copy)]
struct Chain {
    head: u32,
    tail: u32,
}

#[derive(Debug, Default, Clone)]
struct FieldIndex {
    exact: HashTable<Chain>,
    domain: HashTable<Chain>,
    null: Option<Chain>,
}

/// Which kind of hash key a pattern gives, if any.
fn hash_key(p: Option<&Pattern>) -> Option<(bool, &str)> {
    match p? {
        Pattern::Exact(a) => Some((false, a)),
        Pattern::Domain(d) => Some((true, d)),
        _ => None,
    }
}

#[derive(Debug, Default, Clone)]
pub struct FirstMatchIndex {
    hasher: DefaultHashBuilder,
    fields: [FieldIndex; 2],
    /// Rules that no hash key can find, in order.
    scan: Vec<u32>,
    /// Next rule in the same chain, per rule.
    next: Vec<u32>,
}

impl FirstMatchIndex {
    /// Builds the index; `keys(i)` gives rule i's patterns for the first and second field.
    /// A rule is filed under the first field that is hashable, else scanned. The same
    /// `keys` must be passed to `first_match`.
    pub fn build<'a>(count: usize, keys: impl Fn(usize) -> [Option<&'a Pattern>; 2]) -> Self {
        let mut ix = Self {
            next: vec![END; count],
            ..Self::default()
        };
        let hasher = ix.hasher.clone();
        let key_of = |ord: u32, f: usize| {
            hash_key(keys(ord as usize)[f])
                .map(|(_, k)| k)
                .unwrap_or("")
        };
        for i in 0..count {
            let ord = i as u32;
            let patterns = keys(i);
            let mut filed = false;
            for (f, &pattern) in patterns.iter().enumerate() {
                if let Some(Pattern::Null) = pattern {
                    link(
                        &mut ix.next,
                        ix.fields[f].null.get_or_insert(Chain {
                            head: END,
                            tail: END,
                        }),
                        ord,
                    );
                    filed = true;
                    break;
                }
                let Some((is_domain, key)) = hash_key(pattern) else {
                    continue;
                };
                let table = if is_domain {
                    &mut ix.fields[f].domain
                } else {
                    &mut ix.fields[f].exact
                };
                let h = hasher.hash_one(key);
                let entry = table.entry(
                    h,
                    |c| key_of(c.head, f) == key,
                    |c| hasher.hash_one(key_of(c.head, f)),
                );
                let chain = entry
                    .or_insert(Chain {
                        head: END,
                        tail: END,
                    })
                    .into_mut();
                link(&mut ix.next, chain, ord);
                filed = true;
                break;
            }
            if !filed {
                ix.scan.push(ord);
            }
        }
        for f in 0..2 {
            let fi = &mut ix.fields[f];
            fi.exact
                .shrink_to_fit(|c| hasher.hash_one(key_of(c.head, f)));
            fi.domain
                .shrink_to_fit(|c| hasher.hash_one(key_of(c.head, f)));
        }
        ix.scan.shrink_to_fit();
        ix
    }

    fn chain<'a>(
        &self,
        f: usize,
        domain: bool,
        key: &str,
        keys: &impl Fn(usize) -> [Option<&'a Pattern>; 2],
    ) -> Option<Chain> {
        let table = if domain {
            &self.fields[f].domain
        } else {
            &self.fields[f].exact
        };
        if table.is_empty() {
            return None;
        }
        table
            .find(self.hasher.hash_one(key), |c| {
                hash_key(keys(c.head as usize)[f]).is_some_and(|(_, k)| k == key)
            })
            .copied()
    }

    /// The lowest-numbered rule for which `is_match` holds, among the rules the addresses
    /// can reach. `keys` is the function given to `build`; `is_match` must check the
    /// whole rule (every field).
    pub fn first_match<'a>(
        &self,
        first: &Address,
        second: Option<&Address>,
        keys: impl Fn(usize) -> [Option<&'a Pattern>; 2],
        is_match: impl Fn(u32) -> bool,
    ) -> Option<u32> {
        let mut best = END;
        for (f, addr) in [(0, Some(first)), (1, second)] {
            let Some(addr) = addr else { continue };
            let field = &self.fields[f];
            let mut chains: [Option<Chain>; 3] = [None; 3];
            if addr.is_null() {
                chains[0] = field.null;
            } else {
                chains[0] = self.chain(f, false, addr.as_str(), &keys);
                chains[1] = addr.base().and_then(|b| self.chain(f, false, b, &keys));
                chains[2] = addr.domain().and_then(|d| self.chain(f, true, d, &keys));
            }
            for chain in chains.into_iter().flatten() {
                let mut ord = chain.head;
                while ord < best {
                    if is_match(ord) {
                        best = ord;
                        break;
                    }
                    ord = self.next[ord as usize];
                }
            }
        }
        for &ord in &self.scan {
            if ord >= best {
                break;
            }
            if is_match(ord) {
                best = ord;
                break;
            }
        }
        (best != END).then_some(best)
    }
}

fn link(next: &mut [u32], chain: &mut Chain, ord: u32) {
    if chain.head == END {
        chain.head = ord;
    } else {
        next[chain.tail as usize] = ord;
    }
    chain.tail = ord;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::pattern::parse_pattern;

    fn naive(rules: &[Vec<Pattern>], a: &Address, b: Option<&Address>) -> Option<u32> {
        rules
            .iter()
            .position(|r| {
                r[0].matches(a) && b.is_none_or(|b| r.get(1).is_none_or(|p| p.matches(b)))
            })
            .map(|i| i as u32)
    }

    #[test]
    fn index_agrees_with_linear_scan_on_mixed_rules() {
        let pats = [
            "*",
            "<>",
            "a@x.fi",
            "@x.fi",
            "*@*.x.fi",
            "/b.*@y\\.fi/",
            "b@y.fi",
            "a@y.fi",
            "c@x.fi",
        ];
        // Every ordered pair of patterns, in a shuffled-but-fixed order.
        let mut rules: Vec<Vec<Pattern>> = Vec::new();
        for (i, s) in pats.iter().enumerate() {
            for (j, r) in pats.iter().enumerate() {
                if (i * 7 + j * 3) % 4 != 0 {
                    rules.push(vec![parse_pattern(s).unwrap(), parse_pattern(r).unwrap()]);
                }
            }
        }
        let ix = FirstMatchIndex::build(rules.len(), |i| [Some(&rules[i][0]), Some(&rules[i][1])]);
        let addrs = [
            "<>",
            "a@x.fi",
            "a+t@x.fi",
            "c@x.fi",
            "q@sub.x.fi",
            "b@y.fi",
            "bz@y.fi",
            "z@z.fi",
        ];
        for s in addrs {
            for r in addrs {
                let (s, r) = (Address::parse(s, "+"), Address::parse(r, "+"));
                let got = ix.first_match(
                    &s,
                    Some(&r),
                    |i| [Some(&rules[i][0]), Some(&rules[i][1])],
                    |o| {
                        let rule = &rules[o as usize];
                        rule[0].matches(&s) && rule[1].matches(&r)
                    },
                );
                assert_eq!(got, naive(&rules, &s, Some(&r)), "sender {s} rcpt {r}");
            }
        }
    }

    #[test]
    fn index_single_field_keeps_file_order() {
        let rules: Vec<Pattern> = ["@x.fi", "a@x.fi", "*"]
            .iter()
            .map(|p| parse_pattern(p).unwrap())
            .collect();
        let ix = FirstMatchIndex::build(rules.len(), |i| [Some(&rules[i]), None]);
        let a = Address::parse("a@x.fi", "+");
        assert_eq!(
            ix.first_match(
                &a,
                None,
                |i| [Some(&rules[i]), None],
                |o| rules[o as usize].matches(&a)
            ),
            Some(0)
        );
        let z = Address::parse("z@z.fi", "+");
        assert_eq!(
            ix.first_match(
                &z,
                None,
                |i| [Some(&rules[i]), None],
                |o| rules[o as usize].matches(&z)
            ),
            Some(2)
        );
    }
}
