//! Real-time lookups for the milter: one reused connection per directory, the answer
//! cache, and the rounds that let the pure policy core ask its questions without ever
//! waiting: the core decides against what is known, names what it misses, the misses
//! are fetched, and it decides again (`Directories::decide`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ldap3::{Ldap, Scope, SearchEntry};
use tracing::{debug, warn};

use super::cache::{Cache, CachePolicy, CacheStats};
use super::client::{Client, DirectoryError};
use super::entry::{DirectoryAnswer, DirectoryAnswers, Entry};
use super::spec::DirectorySpec;

/// Most entries one real-time lookup reads: a filter that matches more is a mistake, and
/// a rule template needs only the first entries.
const MAX_LOOKUP_ENTRIES: i32 = 16;
/// Most rounds of one decision; a later question is then unavailable (tempfail).
const MAX_ROUNDS: usize = 12;

/// Why a real-time lookup got no answer from the server.
#[derive(Debug, Clone, thiserror::Error)]
enum LookupError {
    /// The password or CA file could not be read, or no URL gave a bound connection.
    #[error("{0}")]
    Directory(Arc<DirectoryError>),
    #[error("{0}")]
    Search(Arc<ldap3::LdapError>),
    #[error("search refused: {0}")]
    Refused(ldap3::LdapResult),
    #[error("no answer within {0} ms")]
    Timeout(u128),
}

/// What `status` shows of one directory.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DirectoryStatus {
    pub name: String,
    pub up: Option<bool>,
    /// The URL of the kept connection, if there is one.
    pub server: Option<String>,
    pub last_error: Option<String>,
    pub cache_entries: usize,
    pub hits: u64,
    pub misses: u64,
    pub stale: u64,
}

#[derive(Debug, Default)]
struct Health {
    /// `None` before the first lookup.
    up: Option<bool>,
    last_error: Option<String>,
}

pub struct Directory {
    spec: Arc<DirectorySpec>,
    client: Result<Client, Arc<DirectoryError>>,
    conn: tokio::sync::Mutex<Option<Kept>>,
    /// Numbers the connections, so that a lookup drops only the one it used.
    connections: AtomicU64,
    /// The URL to try first. It moves past a URL that fails, or that a lookup's time ran
    /// out on: a frozen server (which accepts TCP but never answers) then costs one
    /// tempfailed lookup, not every lookup until it is killed.
    first_url: AtomicUsize,
    /// The URL being connected to, and since when.
    attempt: Mutex<Option<(usize, Instant)>>,
    cache: Mutex<Cache>,
    health: Mutex<Health>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("name", &self.spec.name)
            .finish_non_exhaustive()
    }
}

/// The connection shared by the lookups of one directory.
struct Kept {
    ldap: Ldap,
    /// Index of its URL in `urls`.
    url: usize,
    id: u64,
}

fn cache_key(filter: &str, attrs: &[String]) -> String {
    format!("{}\0{filter}", attrs.join(","))
}

impl Directory {
    fn new(spec: Arc<DirectorySpec>) -> Self {
        let policy = CachePolicy {
            ttl: spec.cache_ttl,
            negative_ttl: spec.negative_ttl,
            max_stale: spec.max_stale,
            max_entries: spec.max_entries,
        };
        Self {
            client: Client::new(spec.clone()).map_err(Arc::new),
            spec,
            conn: tokio::sync::Mutex::new(None),
            connections: AtomicU64::new(0),
            first_url: AtomicUsize::new(0),
            attempt: Mutex::new(None),
            cache: Mutex::new(Cache::new(policy)),
            health: Mutex::new(Health::default()),
        }
    }

    fn fresh(&self, key: &str) -> Option<(Arc<[Entry]>, Duration)> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fresh(key, Instant::now())
    }

    /// Asks the server (within `timeout_ms` in all), caches the answer; on failure serves
    /// the last good answer within `max_stale`, else `Unavailable`. With where the
    /// answer came from, as `query` shows it.
    async fn lookup(&self, filter: &str, attrs: &[String]) -> (DirectoryAnswer, String) {
        let key = cache_key(filter, attrs);
        let started = Instant::now();
        // The connection the search is on (0: none yet), for when it is cut short.
        let used = AtomicU64::new(0);
        let search = self.search(filter, attrs, &used);
        let result = match tokio::time::timeout(self.spec.timeout, search).await {
            Ok(r) => r,
            Err(_) => {
                self.cut_short(used.load(Ordering::Relaxed)).await;
                Err(LookupError::Timeout(self.spec.timeout.as_millis()))
            }
        };
        let took = started.elapsed();
        let name = &self.spec.name;
        crate::metrics::directory_asked(name, took, result.is_ok());
        let mut health = self.health.lock().unwrap_or_else(|p| p.into_inner());
        match result {
            Ok(entries) => {
                health.up = Some(true);
                crate::metrics::directory_lookup(name, "miss");
                let entries: Arc<[Entry]> = Arc::from(entries);
                self.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
                    key,
                    entries.clone(),
                    Instant::now(),
                );
                (DirectoryAnswer::Entries(entries), "asked now".into())
            }
            Err(e) => {
                health.up = Some(false);
                health.last_error = Some(e.to_string());
                crate::metrics::directory_lookup(name, "error");
                let stale = self
                    .cache
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .stale(&key, Instant::now());
                match stale {
                    Some((entries, age)) => {
                        crate::metrics::directory_lookup(name, "stale");
                        warn!(directory = %name, filter = %filter, error = %e, age_s = age.as_secs(), "directory down: serving the cached answer (within max_stale)");
                        let note = format!("stale {} s: {e}", age.as_secs());
                        (DirectoryAnswer::Entries(entries), note)
                    }
                    None => {
                        warn!(directory = %name, filter = %filter, error = %e, "directory down and no cached answer: tempfail");
                        (DirectoryAnswer::Unavailable, e.to_string())
                    }
                }
            }
        }
    }

    /// Drops connection `id` if it is still the kept one (another lookup may have
    /// replaced it already); the next lookup starts at the URL after its one.
    async fn abandon_connection(&self, id: u64) {
        let mut conn = self.conn.lock().await;
        if let Some(k) = conn.as_ref().filter(|k| k.id == id) {
            self.first_url
                .store((k.url + 1) % self.spec.urls.len(), Ordering::Relaxed);
            *conn = None;
        }
    }

    /// A lookup ran out of time where it stood: the connection it used may hang, and a
    /// URL being connected to for a good part of the time is as good as down.
    async fn cut_short(&self, used: u64) {
        self.abandon_connection(used).await;
        let attempt = self
            .attempt
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((i, since)) = attempt
            && since.elapsed() >= self.spec.timeout / 2
        {
            self.first_url
                .store((i + 1) % self.spec.urls.len(), Ordering::Relaxed);
        }
    }

    /// The kept connection, or a new one (URLs from `first_url`): its handle and id, and
    /// `true` when it was kept.
    async fn connection(&self, client: &Client) -> Result<(Ldap, u64, bool), LookupError> {
        let mut conn = self.conn.lock().await;
        if let Some(k) = conn.as_ref() {
            return Ok((k.ldap.clone(), k.id, true));
        }
        let first = self.first_url.load(Ordering::Relaxed);
        let attempting = |i| {
            *self.attempt.lock().unwrap_or_else(|p| p.into_inner()) = Some((i, Instant::now()));
        };
        let connected = client.connect_from(first, attempting).await;
        *self.attempt.lock().unwrap_or_else(|p| p.into_inner()) = None;
        let (ldap, i) = connected.map_err(|e| LookupError::Directory(Arc::new(e)))?;
        debug!(directory = %self.spec.name, url = %self.spec.urls[i], "connected");
        self.first_url.store(i, Ordering::Relaxed);
        let id = self.connections.fetch_add(1, Ordering::Relaxed) + 1;
        *conn = Some(Kept {
            ldap: ldap.clone(),
            url: i,
            id,
        });
        Ok((ldap, id, false))
    }

    /// One search over the kept connection; a failed reused connection is replaced once.
    async fn search(
        &self,
        filter: &str,
        attrs: &[String],
        used: &AtomicU64,
    ) -> Result<Vec<Entry>, LookupError> {
        let client = self
            .client
            .as_ref()
            .map_err(|e| LookupError::Directory(e.clone()))?;
        let mut reused = true;
        loop {
            let (mut ldap, id, kept) = self.connection(client).await?;
            used.store(id, Ordering::Relaxed);
            reused &= kept;
            let wanted: Vec<String> = if attrs.is_empty() {
                vec!["1.1".into()]
            } else {
                attrs.to_vec()
            };
            let limit = if attrs.is_empty() {
                1
            } else {
                MAX_LOOKUP_ENTRIES
            };
            let res = ldap
                .with_timeout(self.spec.timeout)
                .with_search_options(ldap3::SearchOptions::new().sizelimit(limit))
                .search(&self.spec.base, Scope::Subtree, filter, wanted)
                .await;
            let outcome = match res {
                // sizeLimitExceeded (4): the entries asked for came.
                Ok(ldap3::SearchResult(rs, r)) if r.rc == 0 || r.rc == 4 => Ok(rs
                    .into_iter()
                    .filter(|e| !e.is_ref() && !e.is_intermediate())
                    .map(|e| Entry::from(SearchEntry::construct(e)))
                    .collect()),
                Ok(ldap3::SearchResult(_, r)) => Err(LookupError::Refused(r)),
                Err(ldap3::LdapError::Timeout { .. }) => {
                    Err(LookupError::Timeout(self.spec.timeout.as_millis()))
                }
                Err(e) => Err(LookupError::Search(Arc::new(e))),
            };
            if let Err(e) = &outcome {
                self.abandon_connection(id).await;
                // A server too slow to answer has had its time; one that closed the
                // kept connection (restarted, idle timeout) gets a new one.
                if reused && !matches!(e, LookupError::Timeout(_)) {
                    reused = false;
                    continue;
                }
            }
            return outcome;
        }
    }

    fn status(&self) -> DirectoryStatus {
        let CacheStats {
            entries,
            hits,
            misses,
            stale,
        } = self.cache.lock().unwrap_or_else(|p| p.into_inner()).stats();
        let h = self.health.lock().unwrap_or_else(|p| p.into_inner());
        // A lookup holding the lock is connecting: no kept connection to name.
        let server = self
            .conn
            .try_lock()
            .ok()
            .and_then(|c| c.as_ref().map(|k| self.spec.urls[k.url].clone()));
        DirectoryStatus {
            name: self.spec.name.clone(),
            up: h.up,
            server,
            last_error: h.last_error.clone(),
            cache_entries: entries,
            hits,
            misses,
            stale,
        }
    }
}

/// Every configured directory; built anew (cache flushed) with each settings load.
#[derive(Debug, Default)]
pub struct Directories {
    list: Vec<Directory>,
}

type Key = (String, String, Vec<String>);

/// One round of a decision: answers what is known, records what is not.
#[derive(Debug)]
struct Round<'d> {
    dirs: &'d Directories,
    /// Fetched during this decision, with where the answer came from.
    known: &'d HashMap<Key, (DirectoryAnswer, String)>,
    wanted: Mutex<Vec<Key>>,
    last: bool,
    /// For `query`: say where each answer came from.
    explain: bool,
}

impl DirectoryAnswers for Round<'_> {
    fn answer(&self, directory: &str, filter: &str, attrs: &[String]) -> DirectoryAnswer {
        let key = (directory.to_owned(), filter.to_owned(), attrs.to_vec());
        if let Some((a, _)) = self.known.get(&key) {
            return a.clone();
        }
        let Some(d) = self.dirs.get(directory) else {
            return DirectoryAnswer::Unavailable;
        };
        if let Some((entries, _age)) = d.fresh(&cache_key(filter, attrs)) {
            crate::metrics::directory_lookup(directory, "hit");
            return DirectoryAnswer::Entries(entries);
        }
        if !self.last {
            self.wanted
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(key);
        }
        DirectoryAnswer::Unavailable
    }

    fn provenance(&self, directory: &str, filter: &str, attrs: &[String]) -> Option<String> {
        if !self.explain {
            return None;
        }
        // Each lookup of a `query` run is asked during it (of the daemon or the server).
        let key = (directory.to_owned(), filter.to_owned(), attrs.to_vec());
        self.known.get(&key).map(|(_, note)| note.clone())
    }
}

/// A cached answer held elsewhere (the running daemon's, for `query`) and its age.
pub type Elsewhere = Option<(Vec<Entry>, Duration)>;

impl Directories {
    pub fn new(specs: &[Arc<DirectorySpec>]) -> Self {
        Self {
            list: specs.iter().cloned().map(Directory::new).collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&Directory> {
        self.list.iter().find(|d| d.spec.name == name)
    }

    /// Puts an answer in `directory`'s cache as if fetched now: for benchmarks, which
    /// measure the cached path without a server. `false` when there is no such directory.
    pub fn prime(
        &self,
        directory: &str,
        filter: &str,
        attrs: &[String],
        entries: Vec<Entry>,
    ) -> bool {
        let Some(d) = self.get(directory) else {
            return false;
        };
        d.cache.lock().unwrap_or_else(|p| p.into_inner()).insert(
            cache_key(filter, attrs),
            Arc::from(entries),
            Instant::now(),
        );
        true
    }

    pub fn statuses(&self) -> Vec<DirectoryStatus> {
        self.list.iter().map(Directory::status).collect()
    }

    /// `directory`'s fresh cached answer to `filter` and its age, without asking the
    /// server or counting a hit: what the control socket tells `query`.
    pub fn cached(
        &self,
        directory: &str,
        filter: &str,
        attrs: &[String],
    ) -> Option<(Arc<[Entry]>, Duration)> {
        let d = self.get(directory)?;
        let cache = d.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.peek(&cache_key(filter, attrs), Instant::now())
    }

    /// Runs `decide` (a pure policy decision) until every lookup it needs is answered:
    /// from the cache, or fetched between rounds. Without directories, one round.
    pub async fn decide<T>(&self, decide: impl FnMut(&dyn DirectoryAnswers) -> T) -> T {
        self.rounds(false, |_, _, _| None, decide).await
    }

    /// As `decide`, for `query`: a lookup is first looked for `elsewhere` (the daemon's
    /// cache), and each source is named with where its answer came from.
    pub async fn decide_explained<T>(
        &self,
        elsewhere: impl FnMut(&str, &str, &[String]) -> Elsewhere,
        decide: impl FnMut(&dyn DirectoryAnswers) -> T,
    ) -> T {
        self.rounds(true, elsewhere, decide).await
    }

    async fn rounds<T>(
        &self,
        explain: bool,
        mut elsewhere: impl FnMut(&str, &str, &[String]) -> Elsewhere,
        mut decide: impl FnMut(&dyn DirectoryAnswers) -> T,
    ) -> T {
        let mut known: HashMap<Key, (DirectoryAnswer, String)> = HashMap::new();
        for _ in 0..MAX_ROUNDS {
            let wanted = {
                let round = Round {
                    dirs: self,
                    known: &known,
                    wanted: Mutex::new(Vec::new()),
                    last: false,
                    explain,
                };
                let v = decide(&round);
                let wanted = round.wanted.into_inner().unwrap_or_else(|p| p.into_inner());
                if wanted.is_empty() {
                    return v;
                }
                wanted
            };
            for key in wanted {
                if known.contains_key(&key) {
                    continue;
                }
                let Some(d) = self.get(&key.0) else {
                    known.insert(
                        key,
                        (DirectoryAnswer::Unavailable, "no such directory".into()),
                    );
                    continue;
                };
                if let Some((entries, age)) = elsewhere(&key.0, &key.1, &key.2) {
                    let note = format!("cached {} s", age.as_secs());
                    known.insert(key, (DirectoryAnswer::Entries(Arc::from(entries)), note));
                    continue;
                }
                let answer = d.lookup(&key.1, &key.2).await;
                known.insert(key, answer);
            }
        }
        decide(&Round {
            dirs: self,
            known: &known,
            wanted: Mutex::new(Vec::new()),
            last: true,
            explain,
        })
    }
}
