//! The answers of real-time lookups, per directory: positive and negative answers with
//! their own lifetimes, and the last good answer kept for `max_stale` to serve while the
//! directory is down. Pure: the caller passes the time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::entry::Entry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CachePolicy {
    /// How long an answer with entries is used without asking again.
    pub ttl: Duration,
    /// The same for an answer without entries ("not a member").
    pub negative_ttl: Duration,
    /// How old an answer may be and still be served while every URL is down.
    pub max_stale: Duration,
    /// Answers kept at most; the oldest go first.
    pub max_entries: usize,
}

#[derive(Debug, Clone)]
struct Cached {
    entries: Arc<[Entry]>,
    fetched: Instant,
}

/// Counters for `status` and the hit ratio.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
    pub stale: u64,
}

#[derive(Debug)]
pub struct Cache {
    policy: CachePolicy,
    map: HashMap<String, Cached>,
    stats: CacheStats,
}

impl Cache {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            map: HashMap::new(),
            stats: CacheStats::default(),
        }
    }

    /// A fresh answer for `key` and its age; counts a hit or a miss.
    pub fn fresh(&mut self, key: &str, now: Instant) -> Option<(Arc<[Entry]>, Duration)> {
        let hit = self.peek(key, now);
        if hit.is_some() {
            self.stats.hits += 1;
        } else {
            self.stats.misses += 1;
        }
        hit
    }

    /// As `fresh`, without counting: for `query` looking over the daemon's shoulder.
    pub fn peek(&self, key: &str, now: Instant) -> Option<(Arc<[Entry]>, Duration)> {
        let c = self.map.get(key)?;
        let age = now.saturating_duration_since(c.fetched);
        let life = if c.entries.is_empty() {
            self.policy.negative_ttl
        } else {
            self.policy.ttl
        };
        (age < life).then(|| (c.entries.clone(), age))
    }

    /// The last good answer for `key` if it is at most `max_stale` old: for when the
    /// directory cannot answer. Counts a stale answer.
    pub fn stale(&mut self, key: &str, now: Instant) -> Option<(Arc<[Entry]>, Duration)> {
        let c = self.map.get(key)?;
        let age = now.saturating_duration_since(c.fetched);
        if age > self.policy.max_stale {
            return None;
        }
        self.stats.stale += 1;
        Some((c.entries.clone(), age))
    }

    pub fn insert(&mut self, key: String, entries: Arc<[Entry]>, now: Instant) {
        if self.policy.max_entries == 0 {
            return;
        }
        if self.map.len() >= self.policy.max_entries && !self.map.contains_key(&key) {
            let max_stale = self.policy.max_stale;
            self.map
                .retain(|_, c| now.saturating_duration_since(c.fetched) <= max_stale);
            while self.map.len() >= self.policy.max_entries {
                let oldest = self
                    .map
                    .iter()
                    .min_by_key(|(_, c)| c.fetched)
                    .map(|(k, _)| k.clone())
                    .expect("the map is not empty");
                self.map.remove(&oldest);
            }
        }
        self.map.insert(
            key,
            Cached {
                entries,
                fetched: now,
            },
        );
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            entries: self.map.len(),
            ..self.stats
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> CachePolicy {
        CachePolicy {
            ttl: Duration::from_secs(60),
            negative_ttl: Duration::from_secs(10),
            max_stale: Duration::from_secs(300),
            max_entries: 2,
        }
    }

    fn one() -> Arc<[Entry]> {
        Arc::from(vec![Entry::default()])
    }

    #[test]
    fn positive_and_negative_answers_live_their_own_time_and_stale_ones_max_stale() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut c = Cache::new(policy());
        assert!(c.fresh("a", t0).is_none());
        c.insert("a".into(), one(), t0);
        c.insert("n".into(), Arc::from(Vec::new()), t0);
        assert_eq!(
            c.fresh("a", t0 + s(59)).map(|(e, age)| (e.len(), age)),
            Some((1, s(59)))
        );
        assert!(c.fresh("a", t0 + s(60)).is_none());
        assert!(c.fresh("n", t0 + s(9)).is_some());
        assert!(c.fresh("n", t0 + s(10)).is_none());
        assert_eq!(c.stale("a", t0 + s(300)).map(|(_, age)| age), Some(s(300)));
        assert!(c.stale("a", t0 + s(301)).is_none());
        assert_eq!(
            c.stats(),
            CacheStats {
                entries: 2,
                hits: 2,
                misses: 3,
                stale: 1
            }
        );
    }

    #[test]
    fn a_full_cache_drops_the_oldest_answer() {
        let t0 = Instant::now();
        let mut c = Cache::new(policy());
        c.insert("a".into(), one(), t0);
        c.insert("b".into(), one(), t0 + Duration::from_secs(1));
        c.insert("c".into(), one(), t0 + Duration::from_secs(2));
        let now = t0 + Duration::from_secs(3);
        assert!(c.fresh("a", now).is_none());
        assert!(c.fresh("b", now).is_some() && c.fresh("c", now).is_some());
        assert_eq!(c.stats().entries, 2);
    }
}
