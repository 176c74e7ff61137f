//! The LDAP client: failover over `urls`, TLS on rustls with aws-lc-rs, simple bind,
//! paged subtree search. The only network code of the directory module.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use thiserror::Error;
use zeroize::Zeroizing;

use super::entry::Entry;
use super::spec::{DirectorySpec, Tls};

#[derive(Debug, Error)]
pub enum DirectoryError {
    #[error("directory {directory}: password_file {}: {reason}", path.display())]
    Password {
        directory: String,
        path: PathBuf,
        reason: String,
    },
    #[error("directory {directory}: ca_file {}: {reason}", path.display())]
    CaFile {
        directory: String,
        path: PathBuf,
        reason: String,
    },
    /// Every URL failed; one `URL: reason` per attempt.
    #[error("directory {directory}: no server answered: {}", attempts.join("; "))]
    Unreachable {
        directory: String,
        attempts: Vec<String>,
    },
    #[error("directory {directory}: search {filter} under {base:?} failed: {reason}")]
    Search {
        directory: String,
        base: String,
        filter: String,
        reason: String,
    },
    #[error("directory {directory}: search {filter} returned more than {limit} entries")]
    TooManyEntries {
        directory: String,
        filter: String,
        limit: usize,
    },
}

impl From<SearchEntry> for Entry {
    fn from(e: SearchEntry) -> Self {
        let mut attrs: Vec<(String, Vec<String>)> = e
            .attrs
            .into_iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v))
            .collect();
        attrs.sort();
        Self { dn: e.dn, attrs }
    }
}

/// Why one URL did not give a bound connection.
#[derive(Debug, Error)]
pub enum AttemptError {
    #[error("{0}")]
    Connect(ldap3::LdapError),
    #[error("bind as {dn:?} failed: {source}")]
    Bind {
        dn: String,
        source: ldap3::LdapError,
    },
}

/// A configured directory, ready to connect: password and CA certificates read once.
pub struct Client {
    spec: Arc<DirectorySpec>,
    password: Option<Zeroizing<String>>,
    tls_config: Option<Arc<rustls::ClientConfig>>,
}

impl std::fmt::Debug for Client {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("directory", &self.spec.name)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(spec: Arc<DirectorySpec>) -> Result<Self, DirectoryError> {
        let password = match &spec.password_file {
            Some(p) => Some(read_password(&spec.name, p)?),
            None => None,
        };
        let tls_config = match &spec.ca_file {
            Some(p) if spec.tls != Tls::None => Some(tls_config(&spec.name, p)?),
            _ => None,
        };
        Ok(Self {
            spec,
            password,
            tls_config,
        })
    }

    pub fn spec(&self) -> &DirectorySpec {
        &self.spec
    }

    /// A bound connection to the first URL that answers within `timeout`.
    pub async fn connect(&self) -> Result<Ldap, DirectoryError> {
        self.connect_from(0, |_| {}).await.map(|(ldap, _)| ldap)
    }

    /// As `connect`, trying the URLs in order from index `first` (wrapping round), and
    /// the index of the one that answered. `trying(i)` is called before each attempt, so
    /// a caller whose time runs out mid-attempt knows which URL did not answer.
    pub async fn connect_from(
        &self,
        first: usize,
        trying: impl Fn(usize),
    ) -> Result<(Ldap, usize), DirectoryError> {
        let urls = &self.spec.urls;
        let mut attempts = Vec::new();
        for i in (0..urls.len()).map(|k| (first + k) % urls.len()) {
            let url = &urls[i];
            trying(i);
            match tokio::time::timeout(self.spec.timeout, self.connect_one(url)).await {
                Ok(Ok(ldap)) => return Ok((ldap, i)),
                Ok(Err(reason)) => attempts.push(format!("{url}: {reason}")),
                Err(_) => attempts.push(format!(
                    "{url}: no answer within {} ms",
                    self.spec.timeout.as_millis()
                )),
            }
        }
        Err(DirectoryError::Unreachable {
            directory: self.spec.name.clone(),
            attempts,
        })
    }

    async fn connect_one(&self, url: &str) -> Result<Ldap, AttemptError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.spec.timeout)
            .set_starttls(self.spec.tls == Tls::Starttls);
        if let Some(c) = &self.tls_config {
            settings = settings.set_config(c.clone());
        }
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, url)
            .await
            .map_err(AttemptError::Connect)?;
        tokio::spawn(async move {
            // Ends when the connection closes; a failure shows up in the next operation.
            let _ = conn.drive().await;
        });
        if let Some(dn) = &self.spec.bind_dn {
            let pw = self.password.as_deref().map_or("", String::as_str);
            ldap.with_timeout(self.spec.timeout)
                .simple_bind(dn, pw)
                .await
                .and_then(|r| r.success())
                .map_err(|source| AttemptError::Bind {
                    dn: dn.clone(),
                    source,
                })?;
        }
        Ok(ldap)
    }

    /// Every entry under `base` matching `filter`, fetched `page_size` at a time with the
    /// paged-results control (Active Directory returns at most 1,000 per page), with the
    /// text values of `attrs`. More than `limit` entries is an error, not a truncation.
    pub async fn search_all(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
        attrs: &[String],
        page_size: i32,
        limit: usize,
    ) -> Result<Vec<Entry>, DirectoryError> {
        let err = |reason: String| DirectoryError::Search {
            directory: self.spec.name.clone(),
            base: base.to_owned(),
            filter: filter.to_owned(),
            reason,
        };
        let adapters: Vec<Box<dyn Adapter<'_, String, Vec<String>>>> = vec![
            Box::new(EntriesOnly::new()),
            Box::new(PagedResults::new(page_size)),
        ];
        let mut stream = ldap
            .with_timeout(self.spec.timeout)
            .streaming_search_with(adapters, base, Scope::Subtree, filter, attrs.to_vec())
            .await
            .map_err(|e| err(e.to_string()))?;
        let mut entries = Vec::new();
        loop {
            match stream.next().await {
                Ok(Some(re)) => {
                    if entries.len() == limit {
                        return Err(DirectoryError::TooManyEntries {
                            directory: self.spec.name.clone(),
                            filter: filter.to_owned(),
                            limit,
                        });
                    }
                    entries.push(Entry::from(SearchEntry::construct(re)));
                }
                Ok(None) => break,
                Err(e) => return Err(err(e.to_string())),
            }
        }
        stream
            .finish()
            .await
            .success()
            .map_err(|e| err(e.to_string()))?;
        Ok(entries)
    }
}

impl Client {
    /// Runs `filter` once asking for at most one entry, for `mailwarden check`: whether
    /// the server accepts it under `base`. Returns the entries seen (0 or 1).
    pub async fn probe(
        &self,
        ldap: &mut Ldap,
        base: &str,
        filter: &str,
    ) -> Result<usize, DirectoryError> {
        let res = ldap
            .with_timeout(self.spec.timeout)
            .with_search_options(ldap3::SearchOptions::new().sizelimit(1))
            .search(base, Scope::Subtree, filter, vec!["1.1"])
            .await;
        let err = |reason: String| DirectoryError::Search {
            directory: self.spec.name.clone(),
            base: base.to_owned(),
            filter: filter.to_owned(),
            reason,
        };
        let ldap3::SearchResult(entries, result) = res.map_err(|e| err(e.to_string()))?;
        // sizeLimitExceeded (4): the one entry asked for came, and there are more.
        if result.rc != 0 && result.rc != 4 {
            return Err(err(result.to_string()));
        }
        Ok(entries.len())
    }
}

/// The bind password: the file's first line. A file others may read is refused, as a
/// private key would be.
fn read_password(directory: &str, path: &Path) -> Result<Zeroizing<String>, DirectoryError> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |reason: String| DirectoryError::Password {
        directory: directory.to_owned(),
        path: path.to_owned(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(fail(format!(
            "mode {mode:04o} lets group or others read it; chmod 0600 it"
        )));
    }
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?);
    let first = text.lines().next().unwrap_or("");
    if first.is_empty() {
        return Err(fail("is empty".into()));
    }
    Ok(Zeroizing::new(first.to_owned()))
}

/// A rustls client configuration on aws-lc-rs trusting only the CA certificates of `path`.
fn tls_config(directory: &str, path: &Path) -> Result<Arc<rustls::ClientConfig>, DirectoryError> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let fail = |reason: String| DirectoryError::CaFile {
        directory: directory.to_owned(),
        path: path.to_owned(),
        reason,
    };
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| fail(e.to_string()))?;
    for c in certs {
        let c = c.map_err(|e| fail(e.to_string()))?;
        roots.add(c).map_err(|e| fail(e.to_string()))?;
    }
    if roots.is_empty() {
        return Err(fail("holds no PEM certificate".into()));
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| fail(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_readable_password_file_is_refused_and_its_content_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("pw");
        std::fs::write(&p, "s3cret-value\n").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = read_password("corp", &p).unwrap_err().to_string();
        assert!(e.contains("mode 0644") && e.contains("chmod 0600"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_password("corp", &p).unwrap().as_str(), "s3cret-value");
    }

    #[test]
    fn a_ca_file_without_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ca.pem");
        std::fs::write(&p, "not a certificate\n").unwrap();
        let e = tls_config("corp", &p).unwrap_err().to_string();
        assert!(
            e.contains("ca_file") && e.contains("no PEM certificate"),
            "{e}"
        );
    }
}
