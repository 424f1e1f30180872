//! The `ENCRYPT` rule (field-level encryption, Confluent's `FieldEncryptionExecutor`):
//! tagged fields are encrypted on write and decrypted on read with the subject's DEK from
//! the DEK registry, in the ciphertext format Confluent's clients read and write.
//!
//! - Parameters (rule `params`, else the metadata's `properties`): `encrypt.kek.name`
//!   (required), `encrypt.kms.type` and `encrypt.kms.key.id` (to create the KEK on first
//!   write when the registry has none), `encrypt.dek.algorithm` (`AES256_GCM` default,
//!   `AES128_GCM`, `AES256_SIV` for deterministic encryption), `encrypt.dek.expiry.days`
//!   (DEK rotation, below; absent, empty or `0`: off; not a Java `int`, or negative: the
//!   rule fails).
//! - A KEK's KMS is the one [`register_kms`] registered for its `kmsType`, else, for
//!   `local-kms`, the local KMS of the environment variable `LOCAL_SECRET` (as Confluent's
//!   local KMS driver). For a KEK that is not shared, the writer creates the DEK, wraps it
//!   with the KMS and registers the wrapped key; for a shared one, the registry does both.
//! - DEKs are fetched (or created) once per subject and schema version, and kept: records
//!   never wait on the registry or the KMS (issue 17: throughput with DEKs cached). A rule
//!   whose keys cannot be had fails by its `onFailure` without a new look-up per record:
//!   for the schema version when its parameters are wrong, for [`KEY_RETRY`] when the
//!   registry or the KMS failed.
//! - A `STRING` field's ciphertext is base64 (standard, padded) text; a `BYTES` field's is
//!   the raw bytes. The ciphertext is Tink's RAW output (AES-GCM `iv || ct || tag`,
//!   AES-SIV `siv || ct`), with empty associated data.
//! - On read the subject is not known from the record: the DEKs of every subject the
//!   writer's schema id is registered under are tried, each AEAD telling whether it is the
//!   right one.
//!
//! DEK rotation (Confluent's `FieldEncryptionExecutor`, DEK rotation, as its Java, Python,
//! JavaScript and Rust clients do it), with `encrypt.dek.expiry.days` = N > 0:
//! - The writer uses the subject's latest DEK (version `-1`), and each ciphertext is
//!   prefixed with the magic byte `0` and the DEK's version (4 bytes, big-endian) before
//!   the base64 of a `STRING` field: `0x00 || version || tink ciphertext`.
//! - When the latest DEK is N days old or more by its `ts` (`(now - ts) / day >= N` in
//!   whole days, as Java's executor), the writer creates version + 1 (a new key, wrapped by
//!   the KMS unless the KEK is shared) with `POST …/deks/{subject}`. A 409 (a concurrent
//!   writer created that version first) makes it fetch the latest version again and use
//!   it; another failure keeps the expired DEK (as the Python, JavaScript and Rust clients;
//!   it is tried again after [`KEY_RETRY`]). A writer's kept DEK is looked up again when it
//!   expires, so a long-running producer rotates too. The writer's clock is its
//!   [`SerializerConfig::dek_clock`](crate::SerializerConfig::dek_clock) (Confluent's
//!   executors take a `Clock` the same way).
//! - The reader takes the version from the prefix (a ciphertext shorter than 5 bytes, or
//!   with another first byte, fails the rule) and decrypts with that version's DEK,
//!   soft-deleted ones included; the versions are fetched as records name them, before
//!   the rules run, and kept. A reader with rotation on reads only prefixed ciphertexts,
//!   and one without only unprefixed ones (as Confluent's clients: rotation is a property
//!   of the rule, the same for writers and readers).
//! - With `AES256_SIV` (deterministic encryption), equal plaintexts give equal ciphertexts
//!   only under one DEK version: a rotation changes them.
//!
//! Not done: `ENCRYPT_PAYLOAD`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::Value;
use warden_client::{Kek, RegistryClient};
use warden_core::ErrorCode;
use warden_core::ParsedSchema;
use warden_core::encryption::{Dek, DekAlgorithm, Kms, LocalKms, generate_key_material};
use warden_core::rules::{Rule, RuleMode};

use super::{Contract, Failed, FieldCtx};

/// The KMSes registered by `kmsType`, process-wide (Confluent's `KmsDriverRegistry`).
static KMS: LazyLock<RwLock<HashMap<String, Arc<dyn Kms>>>> = LazyLock::new(Default::default);

/// Milliseconds in a day, for `encrypt.dek.expiry.days` (Confluent's `MILLIS_IN_DAY`).
const MILLIS_IN_DAY: i64 = 24 * 60 * 60 * 1000;

/// The first byte of a rotated ciphertext, before the DEK version (Confluent's
/// `MAGIC_BYTE`).
const VERSION_MAGIC: u8 = 0;

/// Bytes of the prefix of a rotated ciphertext: the magic byte and a big-endian `int`.
const VERSION_PREFIX_LEN: usize = 5;

/// The DEK version that names a subject's latest DEK (Confluent's `LATEST_VERSION`).
const LATEST_VERSION: i32 = -1;

/// The clock a writer judges a DEK's age by, for `encrypt.dek.expiry.days`: epoch
/// milliseconds, the system clock by default. Confluent's executors take a `Clock` the
/// same way (Java's `clock` rule config, Python's `register_with_clock`), so that a test
/// need not wait days for a DEK to expire. Equal when it is the same clock.
#[derive(Clone, Default)]
pub struct DekClock(Option<Arc<dyn Fn() -> i64 + Send + Sync>>);

impl DekClock {
    /// A clock that answers `now()`, in epoch milliseconds.
    pub fn from_fn(now: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(now)))
    }

    /// Now, in epoch milliseconds.
    pub fn now_millis(&self) -> i64 {
        match &self.0 {
            Some(now) => now(),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

impl std::fmt::Debug for DekClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "DekClock(given)"
        } else {
            "DekClock(system)"
        })
    }
}

impl PartialEq for DekClock {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for DekClock {}

/// Registers `kms` for the KEKs of its `kmsType`, for every serializer and deserializer of
/// the process (as Confluent's clients register KMS drivers); a later registration of the
/// same type replaces it. Without one, `local-kms` KEKs use the local KMS of the
/// environment variable `LOCAL_SECRET`.
pub fn register_kms(kms: Arc<dyn Kms>) {
    KMS.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(kms.kms_type().to_owned(), kms);
}

fn kms_for(kms_type: &str) -> Result<Arc<dyn Kms>, String> {
    if let Some(kms) = KMS
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(kms_type)
    {
        return Ok(Arc::clone(kms));
    }
    // Derived once: the key derivation is not repeated per DEK look-up.
    static FROM_ENV: LazyLock<Option<Arc<dyn Kms>>> = LazyLock::new(|| {
        std::env::var("LOCAL_SECRET")
            .ok()
            .map(|secret| Arc::new(LocalKms::new(&secret)) as Arc<dyn Kms>)
    });
    if kms_type == LocalKms::KMS_TYPE
        && let Some(kms) = FROM_ENV.as_ref()
    {
        return Ok(Arc::clone(kms));
    }
    Err(format!("no KMS registered for kms type {kms_type}"))
}

/// The DEKs of a contract's `ENCRYPT` rules for one phase, by rule index: the keys to use,
/// or why there are none (the rule then fails by its `onFailure`).
#[derive(Debug, Default)]
pub(crate) struct RuleKeys {
    by_rule: HashMap<usize, Result<RuleDeks, String>>,
    /// Whether some rule's keys were not found because of the registry or the KMS (an
    /// error that may pass), rather than because of the rule itself (a bad parameter).
    transient: bool,
    /// On write with rotation: when the first of the DEKs written with expires, in epoch
    /// milliseconds of the writer's [`DekClock`]; the keys are looked up again then.
    expires_at: Option<i64>,
}

/// One rule's DEKs.
#[derive(Debug)]
pub(crate) struct RuleDeks {
    /// On write, the DEK to write with; on read without rotation, version 1 of the DEK of
    /// each subject of the writer's schema. Empty on read with rotation.
    deks: Vec<KeptDek>,
    /// With `encrypt.dek.expiry.days`: the ciphertexts carry the DEK version.
    rotation: bool,
    /// On read with rotation: the DEKs of each version the records named.
    versions: Option<Versions>,
}

/// A DEK with its version.
#[derive(Debug)]
struct KeptDek {
    version: i32,
    dek: Arc<Dek>,
}

/// On read with rotation: what a version's DEKs are fetched with, and the versions fetched
/// so far (with a registry or KMS failure, tried again after [`KEY_RETRY`]).
#[derive(Debug)]
struct Versions {
    kek: Kek,
    algorithm: DekAlgorithm,
    /// The subjects of the writer's schema.
    subjects: Vec<String>,
    fetched: RwLock<HashMap<i32, Fetched>>,
}

#[derive(Debug, Clone)]
struct Fetched {
    deks: Result<Vec<Arc<Dek>>, String>,
    at: Instant,
}

impl Fetched {
    /// Whether to fetch again: a failure [`KEY_RETRY`] old.
    fn stale(&self) -> bool {
        self.deks.is_err() && self.at.elapsed() >= KEY_RETRY
    }
}

/// How long keys with a registry or KMS failure are kept before they are looked up again:
/// a broken KMS or registry gets one round of requests per schema version every few
/// seconds, not one per record.
pub(crate) const KEY_RETRY: Duration = Duration::from_secs(5);

impl RuleKeys {
    /// How long these keys can be kept: for the schema version (`None`) once every rule has
    /// its keys or failed for good (a bad rule parameter); [`KEY_RETRY`] after a registry or
    /// KMS failure. With rotation, also until [`RuleKeys::expires_at`].
    pub(crate) fn keep_for(&self) -> Option<Duration> {
        self.transient.then_some(KEY_RETRY)
    }

    /// Marks the keys as found under a registry failure (the subjects of a schema could not
    /// be listed): they are looked up again after [`KEY_RETRY`].
    pub(crate) fn mark_transient(&mut self) {
        self.transient = true;
    }

    /// Whether a rule reads rotated ciphertexts, whose DEK versions
    /// [`Contract::fetch_named_versions`] fetches before the rules run.
    pub(crate) fn has_rotation_on_read(&self) -> bool {
        self.by_rule
            .values()
            .any(|r| r.as_ref().is_ok_and(|d| d.versions.is_some()))
    }
}

/// A contract's keys as kept by a serializer or deserializer: the keys, and when to look
/// them up again (`None`: never).
#[derive(Debug, Clone)]
pub(crate) struct KeptKeys {
    pub(crate) keys: Arc<RuleKeys>,
    pub(crate) until: Option<Instant>,
}

impl KeptKeys {
    /// `keys`, kept for [`RuleKeys::keep_for`] from now.
    pub(crate) fn new(keys: Arc<RuleKeys>) -> Self {
        let until = keys.keep_for().map(|d| Instant::now() + d);
        Self { keys, until }
    }

    /// The keys, unless it is time to look them up again: after a failure's
    /// [`KEY_RETRY`], or once a rotated DEK they write with has expired by `clock`.
    pub(crate) fn fresh(&self, clock: &DekClock) -> Option<&Arc<RuleKeys>> {
        let retry_due = self.until.is_some_and(|until| Instant::now() >= until);
        let expired = self
            .keys
            .expires_at
            .is_some_and(|at| clock.now_millis() >= at);
        (!retry_due && !expired).then_some(&self.keys)
    }
}

/// An `ENCRYPT` rule's parameters.
struct Params {
    kek_name: String,
    kms_type: Option<String>,
    kms_key_id: Option<String>,
    algorithm: DekAlgorithm,
    /// `encrypt.dek.expiry.days`; 0: no rotation.
    expiry_days: i64,
}

/// Whether a DEK written at `ts` is `days` old or more at `now` (epoch milliseconds), in
/// whole days as Java's `FieldEncryptionExecutor.isExpired`.
fn expired(ts: i64, days: i64, now: i64) -> bool {
    days > 0 && now.saturating_sub(ts) / MILLIS_IN_DAY >= days
}

/// `ciphertext` behind the magic byte and `version` (big-endian).
fn prefix_version(version: i32, ciphertext: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::with_capacity(VERSION_PREFIX_LEN + ciphertext.len());
    out.push(VERSION_MAGIC);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend(ciphertext);
    out
}

/// The DEK version of a rotated ciphertext, and the ciphertext after it.
fn split_version(sealed: &[u8]) -> Result<(i32, &[u8]), String> {
    if sealed.len() < VERSION_PREFIX_LEN {
        return Err("no version found in ciphertext".into());
    }
    if sealed[0] != VERSION_MAGIC {
        return Err("unknown magic byte before the dek version".into());
    }
    let version = i32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]);
    Ok((version, &sealed[VERSION_PREFIX_LEN..]))
}

/// The DEK version of a rotated field value as stored (base64 text for a `STRING`, the
/// bytes' text for a `BYTES` field), read from its first characters only.
fn stored_version(text: &str, bytes_field: bool, latin1: bool) -> Option<i32> {
    let head = if bytes_field && latin1 {
        text.chars()
            .take(VERSION_PREFIX_LEN)
            .map(|c| u8::try_from(u32::from(c)).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        // 8 base64 characters are 6 bytes: the prefix and one more.
        let head = text.get(..8)?;
        BASE64.decode(head).ok()?
    };
    split_version(&head).ok().map(|(v, _)| v)
}

impl Contract {
    /// Whether an enabled `ENCRYPT` domain rule runs in `phase`.
    pub(crate) fn has_encryption_for(&self, phase: RuleMode) -> bool {
        self.rules.domain_rules.iter().any(|r| {
            !r.disabled && r.mode.applies_to(phase) && r.rule_type.eq_ignore_ascii_case("ENCRYPT")
        })
    }

    fn encrypt_params(&self, rule: &Rule) -> Result<Params, String> {
        let kek_name = self
            .parameter(rule, "encrypt.kek.name")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| format!("no kek name found for rule {}", rule.name))?;
        let algorithm = match self.parameter(rule, "encrypt.dek.algorithm") {
            None => DekAlgorithm::default(),
            Some(a) => {
                DekAlgorithm::parse(&a).ok_or_else(|| format!("unknown dek algorithm {a}"))?
            }
        };
        // As Java's `getDekExpiryDays`: an `int`, not negative; empty is none.
        let expiry_days = match self
            .parameter(rule, "encrypt.dek.expiry.days")
            .filter(|d| !d.is_empty())
        {
            None => 0,
            Some(days) => days
                .parse::<i32>()
                .ok()
                .filter(|&d| d >= 0)
                .map(i64::from)
                .ok_or_else(|| format!("Invalid value for encrypt.dek.expiry.days: {days}"))?,
        };
        Ok(Params {
            kek_name,
            kms_type: self.parameter(rule, "encrypt.kms.type"),
            kms_key_id: self.parameter(rule, "encrypt.kms.key.id"),
            algorithm,
            expiry_days,
        })
    }

    /// Fetches (on write, creates when missing, or expired with rotation) the DEKs of the
    /// `ENCRYPT` rules that run in `phase`, for `subjects` (on write the one subject
    /// written to; on read the subjects of the writer's schema id). `clock` judges a DEK's
    /// age on write. Failures are kept per rule, not returned.
    pub(crate) async fn resolve_keys(
        &self,
        client: &RegistryClient,
        phase: RuleMode,
        subjects: &[String],
        clock: &DekClock,
    ) -> RuleKeys {
        let mut keys = RuleKeys::default();
        for (index, rule) in self.rules.domain_rules.iter().enumerate() {
            if rule.disabled
                || !rule.mode.applies_to(phase)
                || !rule.rule_type.eq_ignore_ascii_case("ENCRYPT")
            {
                continue;
            }
            let found = match self.encrypt_params(rule) {
                Ok(params) => {
                    let found = rule_deks(client, phase, &params, subjects, clock).await;
                    match &found {
                        Err(_) => keys.transient = true,
                        Ok((_, Some(expires_at))) if *expires_at <= clock.now_millis() => {
                            // An expired DEK kept because its next version could not be
                            // created: tried again after a while, not per record.
                            keys.transient = true;
                        }
                        Ok((_, Some(expires_at))) => {
                            keys.expires_at = Some(
                                keys.expires_at
                                    .map_or(*expires_at, |at| at.min(*expires_at)),
                            );
                        }
                        Ok((_, None)) => {}
                    }
                    found.map(|(deks, _)| deks)
                }
                // The rule's own parameters: looking again would not help.
                Err(e) => Err(e),
            };
            keys.by_rule.insert(index, found);
        }
        keys
    }

    /// On read, fetches the DEK versions that the rotated ciphertexts of `message` name and
    /// `keys` do not have yet, for the rules with `encrypt.dek.expiry.days`: each encrypted
    /// field's version prefix is read before the rules run, since they run without waiting
    /// on the registry. A version that cannot be had is kept as such (its fields fail by
    /// the rule's `onFailure`) and asked again after [`KEY_RETRY`].
    pub(crate) async fn fetch_named_versions(
        &self,
        client: &RegistryClient,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut Value,
        keys: &RuleKeys,
    ) {
        let latin1 = matches!(schema, ParsedSchema::Avro(_));
        for (index, found) in &keys.by_rule {
            let Ok(RuleDeks {
                versions: Some(versions),
                ..
            }) = found
            else {
                continue;
            };
            let rule = &self.rules.domain_rules[*index];
            let mut named = Vec::new();
            {
                let fetched = versions
                    .fetched
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut collect = |field: &FieldCtx<'_>,
                                   _: &::cel::Value,
                                   value: &mut Value|
                 -> Result<(), Failed> {
                    if !(rule.tags.is_empty() || rule.tags.iter().any(|t| field.tags.contains(t))) {
                        return Ok(());
                    }
                    let (Value::String(text), "STRING" | "BYTES") = (&*value, field.type_name)
                    else {
                        return Ok(());
                    };
                    if let Some(v) = stored_version(text, field.type_name == "BYTES", latin1)
                        && fetched.get(&v).is_none_or(Fetched::stale)
                        && !named.contains(&v)
                    {
                        named.push(v);
                    }
                    Ok(())
                };
                let select = (!rule.tags.is_empty()).then_some(rule.tags.as_slice());
                // The walk only reads: it fails on nothing.
                let _ = self.walk_fields(schema, descriptor, message, select, None, &mut collect);
            }
            for version in named {
                let deks = version_deks(client, versions, version).await;
                versions
                    .fetched
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(
                        version,
                        Fetched {
                            deks,
                            at: Instant::now(),
                        },
                    );
            }
        }
    }

    /// Runs `ENCRYPT` rule `index` on the fields its tags select: encrypts on write,
    /// decrypts on read.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn run_encrypt(
        &self,
        index: usize,
        rule: &Rule,
        phase: RuleMode,
        schema: &ParsedSchema,
        descriptor: Option<&prost_reflect::MessageDescriptor>,
        message: &mut Value,
        keys: &RuleKeys,
    ) -> Result<(), Failed> {
        let rule_deks = match keys.by_rule.get(&index) {
            Some(Ok(found)) if !found.deks.is_empty() || found.versions.is_some() => found,
            Some(Err(e)) => {
                return Err(Failed {
                    field: None,
                    message: e.clone(),
                });
            }
            _ => {
                return Err(Failed {
                    field: None,
                    message: format!("no dek found for rule {}", rule.name),
                });
            }
        };
        // The versions fetched for this record's fields ([`Contract::fetch_named_versions`]).
        let versions = rule_deks.versions.as_ref().map(|v| {
            v.fetched
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        });
        let latin1 = matches!(schema, ParsedSchema::Avro(_));
        let mut apply =
            |field: &FieldCtx<'_>, _: &::cel::Value, value: &mut Value| -> Result<(), Failed> {
                if !(rule.tags.is_empty() || rule.tags.iter().any(|t| field.tags.contains(t))) {
                    return Ok(());
                }
                let failed = |message: String| Failed {
                    field: Some(field.full_name.to_owned()),
                    message,
                };
                let Value::String(text) = value else {
                    return Ok(());
                };
                let bytes_field = match field.type_name {
                    "STRING" => false,
                    "BYTES" => true,
                    other if phase == RuleMode::Write => {
                        return Err(failed(format!("unsupported field type {other}")));
                    }
                    _ => return Ok(()),
                };
                let replaced = if phase == RuleMode::Write {
                    let plaintext = if bytes_field {
                        field_bytes(text, latin1).map_err(failed)?
                    } else {
                        text.as_bytes().to_vec()
                    };
                    let dek = &rule_deks.deks[0];
                    let mut sealed = dek
                        .dek
                        .encrypt(&plaintext, b"")
                        .map_err(|e| failed(e.to_string()))?;
                    if rule_deks.rotation {
                        sealed = prefix_version(dek.version, sealed);
                    }
                    if bytes_field {
                        bytes_text(&sealed, latin1)
                    } else {
                        BASE64.encode(sealed)
                    }
                } else {
                    let sealed = if bytes_field {
                        field_bytes(text, latin1).map_err(failed)?
                    } else {
                        BASE64
                            .decode(text.as_bytes())
                            .map_err(|_| failed("could not decode base64 ciphertext".into()))?
                    };
                    let plaintext = if rule_deks.rotation {
                        let (version, sealed) = split_version(&sealed).map_err(failed)?;
                        let deks = match versions.as_ref().and_then(|v| v.get(&version)) {
                            Some(Fetched { deks: Ok(deks), .. }) => deks,
                            Some(Fetched { deks: Err(e), .. }) => return Err(failed(e.clone())),
                            None => {
                                return Err(failed(format!("no dek found for version {version}")));
                            }
                        };
                        deks.iter().find_map(|dek| dek.decrypt(sealed, b"").ok())
                    } else {
                        rule_deks
                            .deks
                            .iter()
                            .find_map(|dek| dek.dek.decrypt(&sealed, b"").ok())
                    }
                    .ok_or_else(|| failed("decryption failed".into()))?;
                    if bytes_field {
                        bytes_text(&plaintext, latin1)
                    } else {
                        String::from_utf8(plaintext)
                            .map_err(|_| failed("the decrypted text is not UTF-8".into()))?
                    }
                };
                *value = Value::String(replaced);
                Ok(())
            };
        let select = (!rule.tags.is_empty()).then_some(rule.tags.as_slice());
        self.walk_fields(schema, descriptor, message, select, None, &mut apply)
    }
}

/// A `BYTES` field's bytes: Avro's JSON form (one char per byte), or Protobuf's base64.
fn field_bytes(text: &str, latin1: bool) -> Result<Vec<u8>, String> {
    if latin1 {
        text.chars()
            .map(|c| u8::try_from(u32::from(c)).map_err(|_| "not a byte string".to_owned()))
            .collect()
    } else {
        BASE64.decode(text).map_err(|e| e.to_string())
    }
}

fn bytes_text(bytes: &[u8], latin1: bool) -> String {
    if latin1 {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        BASE64.encode(bytes)
    }
}

fn is(e: &warden_client::ClientError, code: ErrorCode) -> bool {
    e.code() == Some(code)
}

/// The KEK of `params`: the registry's, or on write, when it has none and the rule names
/// its KMS type and key id, a new one (not shared), as Confluent's clients create it.
async fn rule_kek(
    client: &RegistryClient,
    phase: RuleMode,
    params: &Params,
) -> Result<Kek, String> {
    let kek = match client.kek(&params.kek_name).await {
        Ok(kek) => kek,
        Err(e) if is(&e, ErrorCode::KeyNotFound) && phase == RuleMode::Write => {
            let (Some(kms_type), Some(kms_key_id)) = (&params.kms_type, &params.kms_key_id) else {
                return Err(format!(
                    "no kek found for {} and no kms type and key id to create it",
                    params.kek_name
                ));
            };
            match client
                .create_kek(&params.kek_name, kms_type, kms_key_id, false)
                .await
            {
                Ok(kek) => kek,
                Err(e) if is(&e, ErrorCode::KeyExists) => client
                    .kek(&params.kek_name)
                    .await
                    .map_err(|e| e.to_string())?,
                Err(e) => return Err(format!("could not register kek {}: {e}", params.kek_name)),
            }
        }
        Err(e) if is(&e, ErrorCode::KeyNotFound) => {
            return Err(format!(
                "no kek found for {} during consume",
                params.kek_name
            ));
        }
        Err(e) => return Err(format!("could not get kek {}: {e}", params.kek_name)),
    };
    if let Some(t) = &params.kms_type
        && *t != kek.kms_type
    {
        return Err(format!(
            "found {} with kms type {} which differs from rule kms type {t}",
            kek.name, kek.kms_type
        ));
    }
    if let Some(id) = &params.kms_key_id
        && *id != kek.kms_key_id
    {
        return Err(format!(
            "found {} with kms key id {} which differs from rule kms key id {id}",
            kek.name, kek.kms_key_id
        ));
    }
    Ok(kek)
}

/// The key of a registry DEK: its key material, or its wrapped key unwrapped by the KEK's
/// KMS.
async fn usable_dek(
    kek: &Kek,
    algorithm: DekAlgorithm,
    found: &warden_client::Dek,
) -> Result<Dek, String> {
    let subject = &found.subject;
    let material = match (&found.key_material, &found.encrypted_key_material) {
        (Some(raw), _) => BASE64.decode(raw).map_err(|e| e.to_string())?,
        (None, Some(wrapped)) => {
            let wrapped = BASE64.decode(wrapped).map_err(|e| e.to_string())?;
            kms_for(&kek.kms_type)?
                .unwrap(&kek.kms_key_id, &wrapped)
                .await
                .map_err(|e| format!("could not unwrap the dek of {subject}: {e}"))?
        }
        (None, None) => return Err(format!("no key material for the dek of {subject}")),
    };
    Dek::new(algorithm, &material).map_err(|e| e.to_string())
}

/// The DEKs of one rule for `subjects`, and on write with rotation when the DEK written
/// with expires (epoch milliseconds). Without rotation, version 1; with rotation, on write
/// the latest version (a new one when it expired by `clock`), on read none yet (the
/// versions records name are fetched by [`Contract::fetch_named_versions`]).
async fn rule_deks(
    client: &RegistryClient,
    phase: RuleMode,
    params: &Params,
    subjects: &[String],
    clock: &DekClock,
) -> Result<(RuleDeks, Option<i64>), String> {
    let kek = rule_kek(client, phase, params).await?;
    let rotation = params.expiry_days > 0;
    if rotation && phase == RuleMode::Read {
        let versions = Versions {
            kek,
            algorithm: params.algorithm,
            subjects: subjects.to_vec(),
            fetched: RwLock::default(),
        };
        let deks = RuleDeks {
            deks: Vec::new(),
            rotation,
            versions: Some(versions),
        };
        return Ok((deks, None));
    }
    if rotation {
        let subject = subjects
            .first()
            .ok_or_else(|| "no subject to write the dek of".to_owned())?;
        let found = latest_write_dek(client, &kek, subject, params, clock).await?;
        let dek = usable_dek(&kek, params.algorithm, &found).await?;
        let expires_at = found
            .ts
            .saturating_add(params.expiry_days.saturating_mul(MILLIS_IN_DAY));
        let deks = RuleDeks {
            deks: vec![KeptDek {
                version: found.version,
                dek: Arc::new(dek),
            }],
            rotation,
            versions: None,
        };
        return Ok((deks, Some(expires_at)));
    }
    let algorithm = params.algorithm.as_str();
    let mut deks = Vec::new();
    let mut last_error = None;
    for subject in subjects {
        let found = match client
            .dek(&kek.name, subject, algorithm, 1, phase == RuleMode::Read)
            .await
        {
            Ok(dek) => dek,
            Err(e) if is(&e, ErrorCode::KeyNotFound) && phase == RuleMode::Write => {
                create_dek(client, &kek, subject, params.algorithm, (1, 1)).await?
            }
            Err(e) => {
                last_error = Some(format!(
                    "no dek found for kek {}, subject {subject}: {e}",
                    kek.name
                ));
                continue;
            }
        };
        match usable_dek(&kek, params.algorithm, &found).await {
            Ok(dek) => deks.push(KeptDek {
                version: found.version,
                dek: Arc::new(dek),
            }),
            // On read, one subject's unusable DEK does not hide the others'.
            Err(e) if phase == RuleMode::Read => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    match (deks.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(format!("no dek found for kek {}", kek.name)),
        (false, _) => Ok((
            RuleDeks {
                deks,
                rotation,
                versions: None,
            },
            None,
        )),
    }
}

/// On write with rotation, the DEK to write `subject`'s records with (Confluent's
/// `getOrCreateDek` with the latest version): the latest one; version 1 when there is none;
/// version + 1 when the latest is `expiry_days` old by `clock`. A version created meanwhile
/// by another writer (409) makes it fetch the latest again; another failure to create the
/// next version keeps the expired one, as Confluent's Python, JavaScript and Rust clients.
async fn latest_write_dek(
    client: &RegistryClient,
    kek: &Kek,
    subject: &str,
    params: &Params,
    clock: &DekClock,
) -> Result<warden_client::Dek, String> {
    let algorithm = params.algorithm.as_str();
    let latest = match client
        .dek(&kek.name, subject, algorithm, LATEST_VERSION, false)
        .await
    {
        Ok(dek) => Some(dek),
        Err(e) if is(&e, ErrorCode::KeyNotFound) => None,
        Err(e) => {
            return Err(format!(
                "could not get dek for kek {}, subject {subject}: {e}",
                kek.name
            ));
        }
    };
    match latest {
        None => create_dek(client, kek, subject, params.algorithm, (1, LATEST_VERSION)).await,
        Some(dek) if expired(dek.ts, params.expiry_days, clock.now_millis()) => {
            match create_dek(
                client,
                kek,
                subject,
                params.algorithm,
                (dek.version + 1, LATEST_VERSION),
            )
            .await
            {
                Ok(next) => Ok(next),
                Err(_) => Ok(dek),
            }
        }
        Some(dek) => Ok(dek),
    }
}

/// The DEKs of `version` for every subject of `versions` (on read with rotation): those of
/// the subjects that have it, soft-deleted ones included.
async fn version_deks(
    client: &RegistryClient,
    versions: &Versions,
    version: i32,
) -> Result<Vec<Arc<Dek>>, String> {
    let kek = &versions.kek;
    let mut deks = Vec::new();
    let mut last_error = None;
    for subject in &versions.subjects {
        let found = match client
            .dek(
                &kek.name,
                subject,
                versions.algorithm.as_str(),
                version,
                true,
            )
            .await
        {
            Ok(found) => found,
            Err(e) => {
                last_error = Some(format!(
                    "no dek found for kek {}, subject {subject}, version {version}: {e}",
                    kek.name
                ));
                continue;
            }
        };
        match usable_dek(kek, versions.algorithm, &found).await {
            Ok(dek) => deks.push(Arc::new(dek)),
            Err(e) => last_error = Some(e),
        }
    }
    match (deks.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(format!(
            "no dek found for kek {}, version {version}",
            kek.name
        )),
        (false, _) => Ok(deks),
    }
}

/// Creates `version` of `subject`'s DEK: for a KEK that is not shared, a new key wrapped
/// with the KEK's KMS; for a shared one, by the registry. When another writer created that
/// version meanwhile (40971), version `on_conflict` is fetched instead (Confluent's
/// `getOrCreateDek` fetches the version it looked up: 1, or with rotation the latest).
async fn create_dek(
    client: &RegistryClient,
    kek: &Kek,
    subject: &str,
    algorithm: DekAlgorithm,
    (version, on_conflict): (i32, i32),
) -> Result<warden_client::Dek, String> {
    let wrapped = if kek.shared {
        None
    } else {
        let raw = generate_key_material(algorithm);
        let wrapped = kms_for(&kek.kms_type)?
            .wrap(&kek.kms_key_id, &raw)
            .await
            .map_err(|e| format!("could not wrap a dek for {subject}: {e}"))?;
        Some(BASE64.encode(wrapped))
    };
    match client
        .create_dek(
            &kek.name,
            subject,
            algorithm.as_str(),
            version,
            wrapped.as_deref(),
        )
        .await
    {
        Ok(dek) => Ok(dek),
        Err(e) if is(&e, ErrorCode::KeyExists) => client
            .dek(&kek.name, subject, algorithm.as_str(), on_conflict, false)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "could not register dek for kek {}, subject {subject}: {e}",
            kek.name
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rotated_ciphertext_is_the_magic_byte_the_big_endian_version_and_tinks_bytes() {
        let sealed = prefix_version(258, vec![0xAA, 0xBB]);
        assert_eq!(sealed, [0, 0, 0, 1, 2, 0xAA, 0xBB]);
        assert_eq!(split_version(&sealed), Ok((258, &[0xAA, 0xBB][..])));
        assert_eq!(
            split_version(&[0, 0, 0, 1]),
            Err("no version found in ciphertext".into())
        );
        assert!(
            split_version(&[1, 0, 0, 0, 1, 9]).is_err(),
            "another magic byte"
        );
    }

    #[test]
    fn the_version_is_read_from_the_first_characters_of_the_stored_value() {
        let sealed = prefix_version(7, vec![9; 30]);
        assert_eq!(
            stored_version(&BASE64.encode(&sealed), false, true),
            Some(7)
        );
        // A Protobuf `bytes` field's JSON is base64 too; an Avro one is a char per byte.
        assert_eq!(
            stored_version(&BASE64.encode(&sealed), true, false),
            Some(7)
        );
        assert_eq!(
            stored_version(&bytes_text(&sealed, true), true, true),
            Some(7)
        );
        assert_eq!(stored_version("plain text, not base64", false, true), None);
    }

    #[test]
    fn a_dek_expires_after_whole_days_as_javas_executor_counts_them() {
        let ts = 1_000_000;
        assert!(!expired(ts, 1, ts + MILLIS_IN_DAY - 1));
        assert!(expired(ts, 1, ts + MILLIS_IN_DAY));
        assert!(!expired(ts, 2, ts + 2 * MILLIS_IN_DAY - 1));
        assert!(expired(ts, 2, ts + 2 * MILLIS_IN_DAY));
        assert!(!expired(ts, 0, ts + 100 * MILLIS_IN_DAY), "0: no rotation");
    }

    #[test]
    fn dek_clocks_are_equal_when_they_are_the_same_clock() {
        let given = DekClock::from_fn(|| 42);
        assert_eq!(given.now_millis(), 42);
        assert_eq!(given, given.clone());
        assert_ne!(given, DekClock::from_fn(|| 42));
        assert_eq!(DekClock::default(), DekClock::default());
        assert!(DekClock::default().now_millis() > 1_700_000_000_000);
    }
}
