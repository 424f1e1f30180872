//! The DEK registry (Confluent's `dek-registry` module, `AbstractDekRegistry`): key
//! encryption keys (KEKs) that name a KMS key, and the data encryption keys (DEKs) of each
//! subject wrapped by them, for field-level encryption by the clients' `ENCRYPT` rules.
//!
//! A KEK is `shared` when the registry may use its KMS key: then the registry creates a
//! DEK's key material itself, wraps it with the KMS, and answers the unwrapped key material
//! (`keyMaterial`) with the DEK. For a KEK that is not shared, the client wraps the DEK and
//! sends its `encryptedKeyMaterial`; the registry only stores it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use warden_core::encryption::{DekAlgorithm, generate_key_material};
use warden_storage::{StoredDek, StoredKek, now_millis};

use super::Registry;
use crate::error::{Error, Result};

/// The version that names a subject's latest DEK (`DekRegistryClient.LATEST_VERSION`).
pub const LATEST_DEK_VERSION: i32 = -1;

pub use warden_core::api::{
    CreateDekRequest as CreateDek, CreateKekRequest as CreateKek, Dek, Kek,
    UpdateKekRequest as UpdateKek,
};

/// `k` as the API answers it.
fn kek_answer(k: StoredKek) -> Kek {
    Kek {
        name: k.name,
        kms_type: k.kms_type,
        kms_key_id: k.kms_key_id,
        kms_props: k.kms_props,
        doc: k.doc,
        shared: k.shared,
        ts: k.ts,
        deleted: k.deleted,
    }
}

/// Confluent's `checkName`: 1 to 64 characters, a letter or `_` first, then letters, digits,
/// `_` and `-`.
fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = name.chars().count() <= 64
        && chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidKey("name".into()))
    }
}

/// An `algorithm` parameter; `AES256_GCM` when absent.
pub fn algorithm(name: Option<&str>) -> Result<DekAlgorithm> {
    match name {
        None | Some("") => Ok(DekAlgorithm::default()),
        Some(n) => DekAlgorithm::parse(n).ok_or_else(|| Error::InvalidKey("algorithm".into())),
    }
}

/// Whether two KEKs differ only in their soft-delete flag and time (`isEquivalent`).
fn same_kek(a: &StoredKek, b: &StoredKek) -> bool {
    a.kms_type == b.kms_type
        && a.kms_key_id == b.kms_key_id
        && a.kms_props == b.kms_props
        && a.doc == b.doc
        && a.shared == b.shared
}

impl Registry {
    /// The KEK `name`, soft-deleted ones only when `deleted` (else 40470).
    async fn live_kek(&self, name: &str, deleted: bool) -> Result<StoredKek> {
        check_name(name)?;
        match self.store.kek(name).await? {
            Some(k) if deleted || !k.deleted => Ok(k),
            _ => Err(Error::KeyNotFound(name.to_owned())),
        }
    }

    /// The KMS of `kek`'s type, or 50070.
    fn kms_of(&self, kek: &StoredKek) -> Result<&dyn warden_core::encryption::Kms> {
        self.kms
            .iter()
            .find(|k| k.kms_type() == kek.kms_type)
            .map(AsRef::as_ref)
            .ok_or_else(|| {
                Error::DekGeneration(format!(
                    "No KMS of type {} is configured for the shared KEK {}",
                    kek.kms_type, kek.name
                ))
            })
    }

    /// `dek` as answered: with its unwrapped key material when its KEK is shared.
    async fn dek_body(&self, kek: &StoredKek, dek: StoredDek) -> Result<Dek> {
        let key_material = if kek.shared {
            let wrapped = BASE64
                .decode(&dek.encrypted_key_material)
                .map_err(|e| Error::DekGeneration(format!("Could not generate raw dek: {e}")))?;
            let raw = self
                .kms_of(kek)?
                .unwrap(&kek.kms_key_id, &wrapped)
                .await
                .map_err(|e| {
                    Error::DekGeneration(format!(
                        "Could not generate raw dek for {}: {e}",
                        dek.subject
                    ))
                })?;
            Some(BASE64.encode(raw))
        } else {
            None
        };
        Ok(dek_answer(dek, key_material))
    }

    /// `GET /dek-registry/v1/keks`: KEK names, by name; with `subject_prefix`es, those with
    /// a DEK of a subject starting with one of them.
    pub async fn kek_names(&self, subject_prefix: &[String], deleted: bool) -> Result<Vec<String>> {
        let keks = self.store.keks().await?;
        let mut names = Vec::new();
        for kek in keks.into_iter().filter(|k| deleted || !k.deleted) {
            if subject_prefix.is_empty() {
                names.push(kek.name);
                continue;
            }
            let deks = self.store.deks(&kek.name).await?;
            if deks.iter().any(|d| {
                (deleted || !d.deleted) && subject_prefix.iter().any(|p| d.subject.starts_with(p))
            }) {
                names.push(kek.name);
            }
        }
        Ok(names)
    }

    /// `GET /dek-registry/v1/keks/{name}`.
    pub async fn get_kek(&self, name: &str, deleted: bool) -> Result<Kek> {
        Ok(kek_answer(self.live_kek(name, deleted).await?))
    }

    /// `POST /dek-registry/v1/keks`: creates a KEK; a soft-deleted KEK of the name is
    /// undeleted by a create request equal to it (`createKek`). With `test_sharing`, a
    /// shared KEK's KMS must wrap and unwrap a key first.
    pub async fn create_kek(&self, request: CreateKek, test_sharing: bool) -> Result<Kek> {
        let name = request.name.unwrap_or_default();
        check_name(&name)?;
        let kms_key_id = request.kms_key_id.filter(|k| !k.is_empty());
        let Some(kms_key_id) = kms_key_id else {
            return Err(Error::InvalidKey("kmsKeyId".into()));
        };
        let Some(kms_type) = request.kms_type.filter(|t| !t.is_empty()) else {
            return Err(Error::InvalidKey("kmsType".into()));
        };
        let kek = StoredKek {
            name: name.clone(),
            kms_type,
            kms_key_id,
            kms_props: request.kms_props.unwrap_or_default(),
            doc: request.doc,
            shared: request.shared,
            deleted: request.deleted,
            ts: now_millis(),
        };
        if kek.shared && test_sharing {
            self.test_kek(&kek).await?;
        }
        let old = self.store.kek(&name).await?;
        if let Some(old) = &old
            && (old.deleted == kek.deleted || !same_kek(old, &kek))
        {
            return Err(Error::KeyExists(name));
        }
        self.write_kek(&kek, old.is_none()).await?;
        Ok(kek_answer(kek))
    }

    async fn write_kek(&self, kek: &StoredKek, create: bool) -> Result<()> {
        match self.store.write_kek(kek, create).await {
            Err(warden_storage::Error::KeyExists(name)) => Err(Error::KeyExists(name)),
            other => Ok(other?),
        }
    }

    /// Wraps and unwraps a new key with `kek`'s KMS (`testKek`).
    async fn test_kek(&self, kek: &StoredKek) -> Result<()> {
        let kms = self.kms_of(kek)?;
        let key = generate_key_material(DekAlgorithm::Aes256Gcm);
        let fail = |e: warden_core::encryption::CryptoError| {
            Error::DekGeneration(format!("Could not test kek {}: {e}", kek.name))
        };
        let wrapped = kms.wrap(&kek.kms_key_id, &key).await.map_err(fail)?;
        kms.unwrap(&kek.kms_key_id, &wrapped).await.map_err(fail)?;
        Ok(())
    }

    /// `POST /dek-registry/v1/keks/{name}/test`: wraps and unwraps a key with the live
    /// KEK's KMS (50070 when it cannot).
    pub async fn test_shared_kek(&self, name: &str) -> Result<Kek> {
        let kek = self.live_kek(name, false).await?;
        self.test_kek(&kek).await?;
        Ok(kek_answer(kek))
    }

    /// `PUT /dek-registry/v1/keks/{name}`: changes a live KEK's properties, description or
    /// sharing.
    pub async fn update_kek(
        &self,
        name: &str,
        request: UpdateKek,
        test_sharing: bool,
    ) -> Result<Kek> {
        let old = self.live_kek(name, false).await?;
        let kek = StoredKek {
            kms_props: request.kms_props.unwrap_or_else(|| old.kms_props.clone()),
            doc: request.doc.or_else(|| old.doc.clone()),
            shared: request.shared.unwrap_or(old.shared),
            ts: now_millis(),
            ..old.clone()
        };
        if kek.shared && test_sharing {
            self.test_kek(&kek).await?;
        }
        if same_kek(&kek, &old) {
            return Ok(kek_answer(old));
        }
        self.write_kek(&kek, false).await?;
        Ok(kek_answer(kek))
    }

    /// `DELETE /dek-registry/v1/keks/{name}`: soft delete (42272 while it has live DEKs), or
    /// with `permanent` removal of a soft-deleted KEK (40471 if it is not; 42272 while it
    /// has any DEK).
    pub async fn delete_kek(&self, name: &str, permanent: bool) -> Result<()> {
        let old = self.live_kek(name, true).await?;
        let deks = self.store.deks(name).await?;
        if deks.iter().any(|d| permanent || !d.deleted) {
            return Err(Error::KeyReferenceExists(name.to_owned()));
        }
        if permanent {
            if !old.deleted {
                return Err(Error::KeyNotSoftDeleted(name.to_owned()));
            }
            self.store.remove_kek(name).await?;
        } else if !old.deleted {
            let kek = StoredKek {
                deleted: true,
                ts: now_millis(),
                ..old
            };
            self.write_kek(&kek, false).await?;
        }
        Ok(())
    }

    /// `POST /dek-registry/v1/keks/{name}/undelete`.
    pub async fn undelete_kek(&self, name: &str) -> Result<()> {
        let old = self.live_kek(name, true).await?;
        if old.deleted {
            let kek = StoredKek {
                deleted: false,
                ts: now_millis(),
                ..old
            };
            self.write_kek(&kek, false).await?;
        }
        Ok(())
    }

    /// The DEKs of `kek_name` (which must exist, 40470) and `subject`, of `algorithm` when
    /// given, soft-deleted ones when `deleted`, by algorithm and version.
    async fn deks_of(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: Option<DekAlgorithm>,
        deleted: bool,
    ) -> Result<Vec<StoredDek>> {
        Ok(self
            .store
            .deks(kek_name)
            .await?
            .into_iter()
            .filter(|d| {
                d.subject == subject
                    && algorithm.is_none_or(|a| a.as_str() == d.algorithm)
                    && (deleted || !d.deleted)
            })
            .collect())
    }

    /// `GET /dek-registry/v1/keks/{name}/deks`: the subjects with DEKs under the KEK.
    pub async fn dek_subjects(&self, kek_name: &str, deleted: bool) -> Result<Vec<String>> {
        self.live_kek(kek_name, deleted).await?;
        let mut subjects: Vec<String> = self
            .store
            .deks(kek_name)
            .await?
            .into_iter()
            .filter(|d| deleted || !d.deleted)
            .map(|d| d.subject)
            .collect();
        subjects.dedup();
        Ok(subjects)
    }

    /// `GET /dek-registry/v1/keks/{name}/deks/{subject}/versions`.
    pub async fn dek_versions(
        &self,
        kek_name: &str,
        subject: &str,
        algorithm: DekAlgorithm,
        deleted: bool,
    ) -> Result<Vec<i32>> {
        self.live_kek(kek_name, deleted).await?;
        let deks = self
            .deks_of(kek_name, subject, Some(algorithm), deleted)
            .await?;
        Ok(deks.into_iter().map(|d| d.version).collect())
    }

    /// `GET /dek-registry/v1/keks/{name}/deks/{subject}[/versions/{version}]`: the DEK of
    /// the version ([`LATEST_DEK_VERSION`]: the highest), with its key material when the
    /// KEK is shared.
    pub async fn get_dek(
        &self,
        kek_name: &str,
        subject: &str,
        version: i32,
        algorithm: DekAlgorithm,
        deleted: bool,
    ) -> Result<Dek> {
        let kek = self.live_kek(kek_name, deleted).await?;
        let dek = if version == LATEST_DEK_VERSION {
            self.deks_of(kek_name, subject, Some(algorithm), deleted)
                .await?
                .pop()
        } else {
            self.store
                .dek(kek_name, subject, algorithm.as_str(), version)
                .await?
                .filter(|d| deleted || !d.deleted)
        };
        let dek = dek.ok_or_else(|| Error::KeyNotFound(subject.to_owned()))?;
        self.dek_body(&kek, dek).await
    }

    /// `POST /dek-registry/v1/keks/{name}/deks[/{subject}]` (`createDek`): stores the DEK a
    /// client wrapped (`encryptedKeyMaterial`), or for a shared KEK creates and wraps one.
    /// A soft-deleted DEK is undeleted by a create request equal to it; otherwise an
    /// existing version is 40971.
    pub async fn create_dek(
        &self,
        kek_name: &str,
        subject: Option<&str>,
        request: CreateDek,
    ) -> Result<Dek> {
        let kek = self.live_kek(kek_name, false).await?;
        let subject = subject
            .map(str::to_owned)
            .or(request.subject)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::InvalidKey("subject".into()))?;
        let algorithm = algorithm(request.algorithm.as_deref())?;
        let version = request.version.unwrap_or(1);
        if version < 1 {
            return Err(Error::InvalidKey("version".into()));
        }
        let old = self
            .store
            .dek(kek_name, &subject, algorithm.as_str(), version)
            .await?;
        let given = request.encrypted_key_material.filter(|m| !m.is_empty());
        if let Some(old) = &old
            && (old.deleted == request.deleted
                || given
                    .as_ref()
                    .is_some_and(|g| *g != old.encrypted_key_material))
        {
            return Err(Error::KeyExists(subject));
        }
        // The key this call generated, answered as is (not unwrapped again by the KMS).
        let mut generated = None;
        let encrypted_key_material = match (given, &old) {
            (Some(given), _) => {
                if BASE64.decode(&given).is_err() {
                    return Err(Error::InvalidKey("encryptedKeyMaterial".into()));
                }
                given
            }
            (None, Some(old)) if kek.shared => old.encrypted_key_material.clone(),
            (None, None) if kek.shared => {
                let raw = generate_key_material(algorithm);
                let wrapped = self
                    .kms_of(&kek)?
                    .wrap(&kek.kms_key_id, &raw)
                    .await
                    .map_err(|e| {
                        Error::DekGeneration(format!(
                            "Could not generate encrypted dek for {subject}: {e}"
                        ))
                    })?;
                generated = Some(raw);
                BASE64.encode(wrapped)
            }
            (None, _) => return Err(Error::InvalidKey("encryptedKeyMaterial".into())),
        };
        let dek = StoredDek {
            kek_name: kek_name.to_owned(),
            subject: subject.clone(),
            algorithm: algorithm.as_str().to_owned(),
            version,
            encrypted_key_material,
            deleted: request.deleted,
            ts: now_millis(),
        };
        match self.store.write_dek(&dek, old.is_none()).await {
            Err(warden_storage::Error::KeyExists(_)) => return Err(Error::KeyExists(subject)),
            other => other?,
        }
        match generated {
            Some(raw) => Ok(dek_answer(dek, Some(BASE64.encode(raw)))),
            None => self.dek_body(&kek, dek).await,
        }
    }

    /// `DELETE /dek-registry/v1/keks/{name}/deks/{subject}[/versions/{version}]`: soft
    /// deletes the subject's DEKs of `algorithm` (one version when given), or with
    /// `permanent` removes soft-deleted ones (40471 while one is live).
    pub async fn delete_deks(
        &self,
        kek_name: &str,
        subject: &str,
        version: Option<i32>,
        algorithm: DekAlgorithm,
        permanent: bool,
    ) -> Result<()> {
        self.live_kek(kek_name, true).await?;
        let deks: Vec<StoredDek> = self
            .deks_of(kek_name, subject, Some(algorithm), true)
            .await?
            .into_iter()
            .filter(|d| version.is_none_or(|v| v == d.version))
            .collect();
        if deks.is_empty() {
            return Err(Error::KeyNotFound(subject.to_owned()));
        }
        if permanent {
            if deks.iter().any(|d| !d.deleted) {
                return Err(Error::KeyNotSoftDeleted(subject.to_owned()));
            }
            self.store
                .remove_deks(kek_name, subject, Some(algorithm.as_str()), version)
                .await?;
        } else {
            for dek in deks.into_iter().filter(|d| !d.deleted) {
                let dek = StoredDek {
                    deleted: true,
                    ts: now_millis(),
                    ..dek
                };
                self.store.write_dek(&dek, false).await?;
            }
        }
        Ok(())
    }

    /// `POST /dek-registry/v1/keks/{name}/deks/{subject}[/versions/{version}]/undelete`
    /// (40472 while the KEK is soft-deleted).
    pub async fn undelete_deks(
        &self,
        kek_name: &str,
        subject: &str,
        version: Option<i32>,
        algorithm: DekAlgorithm,
    ) -> Result<()> {
        let kek = self.live_kek(kek_name, true).await?;
        if kek.deleted {
            return Err(Error::KeySoftDeleted(kek_name.to_owned()));
        }
        let deks: Vec<StoredDek> = self
            .deks_of(kek_name, subject, Some(algorithm), true)
            .await?
            .into_iter()
            .filter(|d| version.is_none_or(|v| v == d.version))
            .collect();
        if deks.is_empty() {
            return Err(Error::KeyNotFound(subject.to_owned()));
        }
        for dek in deks.into_iter().filter(|d| d.deleted) {
            let dek = StoredDek {
                deleted: false,
                ts: now_millis(),
                ..dek
            };
            self.store.write_dek(&dek, false).await?;
        }
        Ok(())
    }
}

/// The answer for a stored DEK, with its raw key material (base64) when the KEK is shared.
fn dek_answer(dek: StoredDek, key_material: Option<String>) -> Dek {
    Dek {
        kek_name: dek.kek_name,
        subject: dek.subject,
        version: dek.version,
        algorithm: dek.algorithm,
        encrypted_key_material: Some(dek.encrypted_key_material),
        key_material,
        ts: dek.ts,
        deleted: dek.deleted,
    }
}
