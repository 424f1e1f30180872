//! The `ENCRYPT` rule (field-level encryption, Confluent's `FieldEncryptionExecutor`):
//! tagged fields are encrypted on write and decrypted on read with the subject's DEK from
//! the DEK registry, in the ciphertext format Confluent's clients read and write.
//!
//! - Parameters (rule `params`, else the metadata's `properties`): `encrypt.kek.name`
//!   (required), `encrypt.kms.type` and `encrypt.kms.key.id` (to create the KEK on first
//!   write when the registry has none), `encrypt.dek.algorithm` (`AES256_GCM` default,
//!   `AES128_GCM`, `AES256_SIV` for deterministic encryption).
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
//! Not done: DEK rotation (`encrypt.dek.expiry.days`, with its version prefix on the
//! ciphertext), and `ENCRYPT_PAYLOAD`.

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

/// The DEKs of a contract's `ENCRYPT` rules for one phase, by rule index: the keys to try
/// (one on write; on read, one per subject of the writer's schema), or why there are none
/// (the rule then fails by its `onFailure`).
#[derive(Debug, Default)]
pub(crate) struct RuleKeys {
    by_rule: HashMap<usize, Result<Vec<Arc<Dek>>, String>>,
    /// Whether some rule's keys were not found because of the registry or the KMS (an
    /// error that may pass), rather than because of the rule itself (a bad parameter).
    transient: bool,
}

/// How long keys with a registry or KMS failure are kept before they are looked up again:
/// a broken KMS or registry gets one round of requests per schema version every few
/// seconds, not one per record.
pub(crate) const KEY_RETRY: Duration = Duration::from_secs(5);

impl RuleKeys {
    /// How long these keys can be kept: for the schema version (`None`) once every rule has
    /// its keys or failed for good (a bad rule parameter); [`KEY_RETRY`] after a registry or
    /// KMS failure.
    pub(crate) fn keep_for(&self) -> Option<Duration> {
        self.transient.then_some(KEY_RETRY)
    }

    /// Marks the keys as found under a registry failure (the subjects of a schema could not
    /// be listed): they are looked up again after [`KEY_RETRY`].
    pub(crate) fn mark_transient(&mut self) {
        self.transient = true;
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

    /// The keys, unless it is time to look them up again.
    pub(crate) fn fresh(&self) -> Option<&Arc<RuleKeys>> {
        self.until
            .is_none_or(|until| Instant::now() < until)
            .then_some(&self.keys)
    }
}

/// An `ENCRYPT` rule's parameters.
struct Params {
    kek_name: String,
    kms_type: Option<String>,
    kms_key_id: Option<String>,
    algorithm: DekAlgorithm,
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
        Ok(Params {
            kek_name,
            kms_type: self.parameter(rule, "encrypt.kms.type"),
            kms_key_id: self.parameter(rule, "encrypt.kms.key.id"),
            algorithm,
        })
    }

    /// Fetches (on write, creates when missing) the DEKs of the `ENCRYPT` rules that run
    /// in `phase`, for `subjects` (on write the one subject written to; on read the
    /// subjects of the writer's schema id). Failures are kept per rule, not returned.
    pub(crate) async fn resolve_keys(
        &self,
        client: &RegistryClient,
        phase: RuleMode,
        subjects: &[String],
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
                    let found = rule_deks(client, phase, &params, subjects).await;
                    keys.transient |= found.is_err();
                    found
                }
                // The rule's own parameters: looking again would not help.
                Err(e) => Err(e),
            };
            keys.by_rule.insert(index, found);
        }
        keys
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
        let deks = match keys.by_rule.get(&index) {
            Some(Ok(deks)) if !deks.is_empty() => deks,
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
                    let sealed = deks[0]
                        .encrypt(&plaintext, b"")
                        .map_err(|e| failed(e.to_string()))?;
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
                    let plaintext = deks
                        .iter()
                        .find_map(|dek| dek.decrypt(&sealed, b"").ok())
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

/// The DEKs of one rule for `subjects` (version 1, as without rotation).
async fn rule_deks(
    client: &RegistryClient,
    phase: RuleMode,
    params: &Params,
    subjects: &[String],
) -> Result<Vec<Arc<Dek>>, String> {
    let kek = rule_kek(client, phase, params).await?;
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
                create_dek(client, &kek, subject, params.algorithm).await?
            }
            Err(e) => {
                last_error = Some(format!(
                    "no dek found for kek {}, subject {subject}: {e}",
                    kek.name
                ));
                continue;
            }
        };
        let dek = async {
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
            Dek::new(params.algorithm, &material).map_err(|e| e.to_string())
        }
        .await;
        match dek {
            Ok(dek) => deks.push(Arc::new(dek)),
            // On read, one subject's unusable DEK does not hide the others'.
            Err(e) if phase == RuleMode::Read => last_error = Some(e),
            Err(e) => return Err(e),
        }
    }
    match (deks.is_empty(), last_error) {
        (true, Some(e)) => Err(e),
        (true, None) => Err(format!("no dek found for kek {}", kek.name)),
        (false, _) => Ok(deks),
    }
}

/// Creates version 1 of `subject`'s DEK: for a KEK that is not shared, a new key wrapped
/// with the KEK's KMS; for a shared one, by the registry. A DEK created meanwhile by
/// another writer (40971) is fetched instead.
async fn create_dek(
    client: &RegistryClient,
    kek: &Kek,
    subject: &str,
    algorithm: DekAlgorithm,
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
            1,
            wrapped.as_deref(),
        )
        .await
    {
        Ok(dek) => Ok(dek),
        Err(e) if is(&e, ErrorCode::KeyExists) => client
            .dek(&kek.name, subject, algorithm.as_str(), 1, false)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(format!(
            "could not register dek for kek {}, subject {subject}: {e}",
            kek.name
        )),
    }
}
