//! The answers of real-time lookups, per directory: positive and negative answers with
//! their own lifetimes, and the last good answer kept for `max_stale` to serve while the
//! directory is down. Pure: the caller passes the time.

use std::collections::{HashMap, VecDeque};
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
    /// Keys in the order they were fetched, oldest first, so that a full cache drops its
    /// oldest answer in O(1): a run of never-seen senders (the attacker chooses them) must
    /// not make each insert scan the whole map under the lock. An item whose time is not
    /// its key's current one was superseded by a later fetch.
    order: VecDeque<(String, Instant)>,
    stats: CacheStats,
}

impl Cache {
    pub fn new(policy: CachePolicy) -> Self {
        Self {
            policy,
            map: HashMap::new(),
            order: VecDeque::new(),
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
        if !self.map.contains_key(&key) {
            while self.map.len() >= self.policy.max_entries {
                self.drop_oldest();
            }
        }
        self.order.push_back((key.clone(), now));
        self.map.insert(
            key,
            Cached {
                entries,
                fetched: now,
            },
        );
        // Answers fetched again leave superseded items behind: rebuild when they are
        // the majority (amortised O(log n) per insert).
        if self.order.len() > 2 * self.map.len() + 16 {
            let mut live: Vec<(String, Instant)> = self
                .map
                .iter()
                .map(|(k, c)| (k.clone(), c.fetched))
                .collect();
            live.sort_by_key(|(_, t)| *t);
            self.order = live.into();
        }
    }

    /// Drops the answer fetched longest ago.
    fn drop_oldest(&mut self) {
        while let Some((key, fetched)) = self.order.pop_front() {
            if self.map.get(&key).is_some_and(|c| c.fetched == fetched) {
                self.map.remove(&key);
                return;
            }
        }
        // Unreachable while every key has an item; never loop on an empty queue.
        self.map.clear();
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

    #[test]
    fn an_answer_fetched_again_is_younger_and_the_order_stays_bounded() {
        let t0 = Instant::now();
        let at = |n: u64| t0 + Duration::from_secs(n);
        let mut c = Cache::new(policy());
        c.insert("a".into(), one(), at(0));
        c.insert("b".into(), one(), at(1));
        // "a" fetched again: "b" is now the oldest and goes first.
        c.insert("a".into(), one(), at(2));
        c.insert("c".into(), one(), at(3));
        assert!(c.fresh("b", at(4)).is_none());
        assert!(c.fresh("a", at(4)).is_some() && c.fresh("c", at(4)).is_some());
        for n in 0..1000 {
            c.insert("a".into(), one(), at(5 + n));
        }
        assert!(c.order.len() <= 2 * c.map.len() + 16, "{}", c.order.len());
        assert_eq!(c.stats().entries, 2);
        c.insert("d".into(), one(), at(2000));
        assert!(!c.map.contains_key("c") && c.map.contains_key("a"));
    }
}
