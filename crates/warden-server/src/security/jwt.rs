//! Bearer JWT authentication (OAuth2 / OIDC access tokens, Confluent clients'
//! `bearer.auth.*`).
//!
//! A token is accepted when its signature verifies with a key of the JWKS (the key whose
//! `kid` the token names, or any key of the token's algorithm family when it names none),
//! it has not expired (`exp`, required), it is valid already (`nbf`, when present), and —
//! when configured — its `iss` is the issuer and its `aud` one of the audiences. The
//! principal is the value of `principal_claim` (default `sub`); the groups are the values
//! of `groups_claim` (default `groups`: an array of strings or one string; a dotted path
//! such as `realm_access.roles` reads a nested claim).
//!
//! The keys come from a JWKS file (read again when it changes), or over HTTP(S) from
//! `jwks_url`, or from the issuer's OIDC discovery document
//! (`{issuer}/.well-known/openid-configuration`, its `jwks_uri`) when neither is given.
//! Fetched keys are cached and fetched again every `jwks_refresh_secs` (default 300), and at
//! once (at most every 10 s, or every `jwks_refresh_secs` when shorter) when a token names a key id the cache does not have, so a key
//! rotated at the identity provider is picked up with its first token. A failed fetch
//! keeps the keys in force.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::rules::Principal;
use super::watch::FileStamp;

/// `[server.auth.jwt]` of `warden.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtConfig {
    /// A JWKS file (`{"keys": [...]}`), read again when it changes.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// A JWKS URL, fetched and cached (instead of a file).
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// Seconds between fetches of a fetched JWKS.
    #[serde(default = "default_refresh")]
    pub jwks_refresh_secs: u64,
    /// The required `iss`, when set.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Accepted `aud` values; any when empty.
    #[serde(default)]
    pub audience: Vec<String>,
    /// The claim naming the principal.
    #[serde(default = "default_principal_claim")]
    pub principal_claim: String,
    /// The claim listing the groups or roles.
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// Seconds of clock skew tolerated on `exp` and `nbf`.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
}

fn default_principal_claim() -> String {
    "sub".into()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_leeway() -> u64 {
    30
}
fn default_refresh() -> u64 {
    300
}

/// The least time between two fetches caused by unknown key ids (or `jwks_refresh_secs`,
/// when shorter).
const MIN_REFETCH: Duration = Duration::from_secs(10);

/// Why a JWKS cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    /// The file cannot be read.
    #[error("cannot read the JWKS file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a JWKS.
    #[error("the JWKS file {path} is not a JSON Web Key Set: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// No source of keys, or two.
    #[error(
        "[server.auth.jwt] needs exactly one of jwks_file, jwks_url, or an issuer to discover \
         the JWKS from"
    )]
    NoSource,
    /// Fetching the JWKS (or the discovery document) failed.
    #[error("cannot fetch the JWKS from {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
}

/// Where the keys come from.
#[derive(Debug, Clone)]
enum Source {
    File(PathBuf),
    Url(String),
    Discover(String),
}

/// Why a token is refused; the message is answered in the 401 body.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// `exp` is past.
    #[error("the bearer token has expired")]
    Expired,
    /// `nbf` is in the future.
    #[error("the bearer token is not valid yet")]
    NotYetValid,
    /// `aud` is none of the configured audiences.
    #[error("the bearer token is for another audience")]
    WrongAudience,
    /// `iss` is not the configured issuer.
    #[error("the bearer token is from another issuer")]
    WrongIssuer,
    /// No key of the JWKS verifies it.
    #[error("the bearer token's signature does not verify")]
    BadSignature,
    /// The principal claim is missing or not a string.
    #[error("the bearer token has no {0} claim")]
    NoPrincipal(String),
    /// Anything else (not a JWT, a missing `exp`, an algorithm no key has).
    #[error("the bearer token is invalid: {0}")]
    Invalid(String),
}

struct Keys {
    stamp: FileStamp,
    set: JwkSet,
}

/// Verifies bearer tokens against a JWKS file.
pub struct JwtVerifier {
    config: JwtConfig,
    source: Source,
    keys: RwLock<Arc<Keys>>,
    http: reqwest::Client,
    last_fetch: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn read_jwks(path: &Path) -> Result<Keys, JwksError> {
    let stamp = FileStamp::of(path);
    let text = std::fs::read_to_string(path).map_err(|source| JwksError::Read {
        path: path.to_owned(),
        source,
    })?;
    let set: JwkSet = serde_json::from_str(&text).map_err(|e| JwksError::Parse {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    Ok(Keys { stamp, set })
}

impl JwtVerifier {
    /// Reads the JWKS file of `config`; a JWKS fetched over HTTP starts empty until
    /// [`Self::refresh_remote`] fetches it.
    pub fn new(config: JwtConfig) -> Result<Self, JwksError> {
        let source = match (&config.jwks_file, &config.jwks_url, &config.issuer) {
            (Some(file), None, _) => Source::File(file.clone()),
            (None, Some(url), _) => Source::Url(url.clone()),
            (None, None, Some(issuer)) => Source::Discover(format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            )),
            _ => return Err(JwksError::NoSource),
        };
        let keys = match &source {
            Source::File(path) => read_jwks(path)?,
            Source::Url(_) | Source::Discover(_) => Keys {
                stamp: FileStamp::default(),
                set: JwkSet { keys: Vec::new() },
            },
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| JwksError::Fetch {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            config,
            source,
            keys: RwLock::new(Arc::new(keys)),
            http,
            last_fetch: Mutex::new(None),
        })
    }

    /// Whether the keys are fetched over HTTP.
    pub fn is_remote(&self) -> bool {
        !matches!(self.source, Source::File(_))
    }

    /// Whether a fetched JWKS is due for its periodic fetch.
    pub fn refresh_due(&self) -> bool {
        self.is_remote()
            && self.last_fetch.lock().map_or(true, |last| {
                last.is_none_or(|at| {
                    at.elapsed() >= Duration::from_secs(self.config.jwks_refresh_secs)
                })
            })
    }

    /// Fetches the JWKS again (over HTTP, following the discovery document when the
    /// source is the issuer); a failure is returned and the keys in force stay.
    pub async fn refresh_remote(&self) -> Result<(), JwksError> {
        if let Ok(mut last) = self.last_fetch.lock() {
            *last = Some(Instant::now());
        }
        let url = match &self.source {
            Source::File(_) => return Ok(()),
            Source::Url(url) => url.clone(),
            Source::Discover(document) => {
                let doc: Value = self.get_json(document).await?;
                doc.get("jwks_uri")
                    .and_then(Value::as_str)
                    .ok_or_else(|| JwksError::Fetch {
                        url: document.clone(),
                        reason: "the discovery document has no jwks_uri".into(),
                    })?
                    .to_owned()
            }
        };
        let set: JwkSet =
            serde_json::from_value(self.get_json(&url).await?).map_err(|e| JwksError::Fetch {
                url: url.clone(),
                reason: format!("not a JSON Web Key Set: {e}"),
            })?;
        tracing::info!(%url, keys = set.keys.len(), "JWKS fetched");
        if let Ok(mut guard) = self.keys.write() {
            *guard = Arc::new(Keys {
                stamp: FileStamp::default(),
                set,
            });
        }
        Ok(())
    }

    async fn get_json(&self, url: &str) -> Result<Value, JwksError> {
        let fail = |reason: String| JwksError::Fetch {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fail(format!("HTTP {}", response.status())));
        }
        response.json().await.map_err(|e| fail(e.to_string()))
    }

    /// Whether a token names a key id the cache does not have, and a fetch may find it
    /// (the last fetch is at least 10 s old).
    pub fn should_refetch_for(&self, token: &str) -> bool {
        if !self.is_remote() {
            return false;
        }
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return false;
        };
        let Some(kid) = header.kid else {
            return false;
        };
        let known = self
            .keys
            .read()
            .map(|k| {
                k.set
                    .keys
                    .iter()
                    .any(|j| j.common.key_id.as_deref() == Some(&kid))
            })
            .unwrap_or(true);
        !known
            && self.last_fetch.lock().is_ok_and(|last| {
                let wait = MIN_REFETCH.min(Duration::from_secs(self.config.jwks_refresh_secs));
                last.is_none_or(|at| at.elapsed() >= wait)
            })
    }

    /// Reads the JWKS again if its file changed; a file that no longer parses is reported
    /// and the keys read before stay in force.
    pub fn reload_if_changed(&self) {
        let Source::File(path) = &self.source else {
            return;
        };
        let stamp = FileStamp::of(path);
        if self.keys.read().map(|k| k.stamp == stamp).unwrap_or(true) {
            return;
        }
        match read_jwks(path) {
            Ok(keys) => {
                tracing::info!(path = %path.display(), keys = keys.set.keys.len(), "JWKS reloaded");
                if let Ok(mut guard) = self.keys.write() {
                    *guard = Arc::new(keys);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "JWKS not reloaded; the previous keys stay");
                if let Ok(mut guard) = self.keys.write() {
                    let set = guard.set.clone();
                    *guard = Arc::new(Keys { stamp, set });
                }
            }
        }
    }

    /// The principal a token authenticates.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        let keys = self
            .keys
            .read()
            .map(|k| Arc::clone(&k))
            .map_err(|_| TokenError::BadSignature)?;
        let candidates: Vec<&jsonwebtoken::jwk::Jwk> = keys
            .set
            .keys
            .iter()
            .filter(|k| match (&header.kid, &k.common.key_id) {
                (Some(wanted), Some(id)) => wanted == id,
                (Some(_), None) => false,
                (None, _) => true,
            })
            .collect();
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.config.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        if let Some(issuer) = &self.config.issuer {
            validation.set_issuer(&[issuer]);
        }
        if self.config.audience.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&self.config.audience);
        }
        let mut last = TokenError::BadSignature;
        for jwk in candidates {
            // A key bound to an algorithm verifies only tokens of that algorithm.
            if let Some(alg) = jwk.common.key_algorithm
                && alg.to_string().parse::<jsonwebtoken::Algorithm>().ok() != Some(header.alg)
            {
                continue;
            }
            let Ok(key) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            match jsonwebtoken::decode::<Value>(token, &key, &validation) {
                Ok(data) => return self.principal(&data.claims),
                Err(e) => {
                    last = match e.kind() {
                        ErrorKind::ExpiredSignature => return Err(TokenError::Expired),
                        ErrorKind::ImmatureSignature => return Err(TokenError::NotYetValid),
                        ErrorKind::InvalidAudience => return Err(TokenError::WrongAudience),
                        ErrorKind::InvalidIssuer => return Err(TokenError::WrongIssuer),
                        ErrorKind::MissingRequiredClaim(c) => {
                            return Err(TokenError::Invalid(format!("no {c} claim")));
                        }
                        ErrorKind::InvalidSignature => TokenError::BadSignature,
                        other => TokenError::Invalid(format!("{other:?}")),
                    };
                }
            }
        }
        Err(last)
    }

    fn principal(&self, claims: &Value) -> Result<Principal, TokenError> {
        let name = claim(claims, &self.config.principal_claim)
            .and_then(Value::as_str)
            .ok_or_else(|| TokenError::NoPrincipal(self.config.principal_claim.clone()))?;
        let groups = match claim(claims, &self.config.groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Some(Value::String(one)) => one.split_whitespace().map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(Principal {
            name: name.to_owned(),
            groups,
        })
    }
}

/// A claim by name, or by dotted path into nested objects when no top-level claim has the
/// whole name.
fn claim<'a>(claims: &'a Value, name: &str) -> Option<&'a Value> {
    if let Some(v) = claims.get(name) {
        return Some(v);
    }
    name.split('.').try_fold(claims, |v, part| v.get(part))
}
