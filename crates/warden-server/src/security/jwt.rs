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

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

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
    pub jwks_file: PathBuf,
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
    keys: RwLock<Arc<Keys>>,
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
    /// Reads the JWKS of `config`.
    pub fn new(config: JwtConfig) -> Result<Self, JwksError> {
        let keys = read_jwks(&config.jwks_file)?;
        Ok(Self {
            config,
            keys: RwLock::new(Arc::new(keys)),
        })
    }

    /// Reads the JWKS again if its file changed; a file that no longer parses is reported
    /// and the keys read before stay in force.
    pub fn reload_if_changed(&self) {
        let path = &self.config.jwks_file;
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
