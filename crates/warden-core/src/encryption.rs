//! Field-level encryption keys in the formats Confluent's clients read and write (data
//! contracts' `ENCRYPT` rules, CSFLE): data encryption keys (DEKs) as Tink keys, their
//! ciphertexts, the local KMS that wraps DEKs under a key derived from a secret, and the
//! [`Kms`] trait other KMSes plug into.
//!
//! Formats (from Confluent's clients, `schema-registry-client` 0.4 `encrypt_executor.rs`,
//! confluent-kafka-python `encryption/encrypt_executor.py` and `localkms/local_client.py`):
//! - A DEK's key material is the serialized Tink key proto: `AesGcmKey { version = 0,
//!   key_value (field 3) }` with a 16- or 32-byte key (`AES128_GCM`, `AES256_GCM`), or
//!   `AesSivKey { version = 0, key_value (field 2) }` with a 64-byte key (`AES256_SIV`).
//! - Tink's keys are used with the RAW output prefix (no key id prefix): AES-GCM
//!   ciphertext is `iv (12 bytes) || ciphertext || tag (16 bytes)`, AES-SIV ciphertext is
//!   `siv (16 bytes) || ciphertext` with the associated data as the one S2V header.
//! - The local KMS (`local-kms://…`) derives a 16-byte AES-128-GCM key from the secret
//!   with HKDF-SHA256 (no salt, no info) and wraps the DEK's key material with it (empty
//!   associated data).

use std::sync::Mutex;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload, rand_core::RngCore};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use aes_siv::siv::Aes256Siv;

/// Why a key or a ciphertext could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key material is not a Tink key of the algorithm.
    #[error("invalid key material for {0}")]
    InvalidKey(&'static str),
    /// Decryption failed: wrong key, or a ciphertext that was changed or cut.
    #[error("decryption failed")]
    Decrypt,
    /// Encryption failed (a plaintext too long for the cipher).
    #[error("encryption failed")]
    Encrypt,
    /// No KMS of the KEK's type is configured, or it lacks its secret.
    #[error("{0}")]
    Kms(String),
}

/// A DEK's algorithm (Confluent's `DekFormat`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DekAlgorithm {
    /// AES-128-GCM.
    Aes128Gcm,
    /// AES-256-GCM, the default.
    #[default]
    Aes256Gcm,
    /// AES-256-SIV (RFC 5297, two 256-bit keys): deterministic, the same plaintext always
    /// gives the same ciphertext.
    Aes256Siv,
}

impl DekAlgorithm {
    /// Every algorithm, in Confluent's order.
    pub const ALL: [DekAlgorithm; 3] = [Self::Aes128Gcm, Self::Aes256Gcm, Self::Aes256Siv];

    /// The algorithm named `AES128_GCM`, `AES256_GCM` or `AES256_SIV`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    /// Its name, as in `algorithm` and `encrypt.dek.algorithm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aes128Gcm => "AES128_GCM",
            Self::Aes256Gcm => "AES256_GCM",
            Self::Aes256Siv => "AES256_SIV",
        }
    }

    /// Bytes of its raw key.
    fn key_len(self) -> usize {
        match self {
            Self::Aes128Gcm => 16,
            Self::Aes256Gcm => 32,
            Self::Aes256Siv => 64,
        }
    }

    /// The field number of `key_value` in its Tink key proto.
    fn key_field(self) -> u8 {
        match self {
            Self::Aes128Gcm | Self::Aes256Gcm => 3,
            Self::Aes256Siv => 2,
        }
    }
}

/// A new DEK's key material: a random key of `algorithm`, as its serialized Tink key.
pub fn generate_key_material(algorithm: DekAlgorithm) -> Vec<u8> {
    let mut key = vec![0u8; algorithm.key_len()];
    OsRng.fill_bytes(&mut key);
    // `version` 0 is proto3's default and so not written; then `key_value` (length ≤ 64,
    // one varint byte).
    let mut out = Vec::with_capacity(key.len() + 2);
    out.push(algorithm.key_field() << 3 | 2);
    out.push(key.len() as u8);
    out.extend_from_slice(&key);
    out
}

/// The raw key in a serialized Tink key of `algorithm` (fields other than `version` and
/// `key_value` are not expected; `version` must be 0).
fn raw_key(algorithm: DekAlgorithm, material: &[u8]) -> Result<&[u8], CryptoError> {
    let invalid = || CryptoError::InvalidKey(algorithm.as_str());
    let mut rest = material;
    let mut key = None;
    while let Some((&tag, tail)) = rest.split_first() {
        let (len_or_value, tail) = varint(tail).ok_or_else(invalid)?;
        match (tag >> 3, tag & 7) {
            (1, 0) if len_or_value == 0 => rest = tail,
            (field, 2) if field == algorithm.key_field() => {
                let len = usize::try_from(len_or_value).map_err(|_| invalid())?;
                if tail.len() < len {
                    return Err(invalid());
                }
                key = Some(&tail[..len]);
                rest = &tail[len..];
            }
            _ => return Err(invalid()),
        }
    }
    key.filter(|k| k.len() == algorithm.key_len())
        .ok_or_else(invalid)
}

/// A protobuf varint and what follows it.
fn varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// A DEK ready to encrypt and decrypt field values, in Tink's RAW ciphertext format.
pub struct Dek {
    cipher: Cipher,
}

enum Cipher {
    Gcm128(Box<Aes128Gcm>),
    Gcm256(Box<Aes256Gcm>),
    // `Siv::encrypt` takes `&mut self`.
    Siv(Mutex<Box<Aes256Siv>>),
}

impl std::fmt::Debug for Dek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let algorithm = match self.cipher {
            Cipher::Gcm128(_) => DekAlgorithm::Aes128Gcm,
            Cipher::Gcm256(_) => DekAlgorithm::Aes256Gcm,
            Cipher::Siv(_) => DekAlgorithm::Aes256Siv,
        };
        f.debug_struct("Dek")
            .field("algorithm", &algorithm)
            .finish()
    }
}

/// Bytes of an AES-GCM IV in Tink's format.
const GCM_IV_LEN: usize = 12;

impl Dek {
    /// The DEK whose key material (a serialized Tink key, as the DEK registry's
    /// `keyMaterial` holds it, base64-decoded) is `material`.
    ///
    /// Errors: [`CryptoError::InvalidKey`] when it is not a Tink key of `algorithm`.
    pub fn new(algorithm: DekAlgorithm, material: &[u8]) -> Result<Self, CryptoError> {
        let key = raw_key(algorithm, material)?;
        let invalid = |_| CryptoError::InvalidKey(algorithm.as_str());
        let cipher = match algorithm {
            DekAlgorithm::Aes128Gcm => {
                Cipher::Gcm128(Box::new(Aes128Gcm::new_from_slice(key).map_err(invalid)?))
            }
            DekAlgorithm::Aes256Gcm => {
                Cipher::Gcm256(Box::new(Aes256Gcm::new_from_slice(key).map_err(invalid)?))
            }
            DekAlgorithm::Aes256Siv => Cipher::Siv(Mutex::new(Box::new(
                Aes256Siv::new_from_slice(key).map_err(invalid)?,
            ))),
        };
        Ok(Self { cipher })
    }

    /// `plaintext` encrypted with `associated_data`: AES-GCM with a random IV
    /// (`iv || ciphertext || tag`), or AES-SIV (`siv || ciphertext`, the same for the same
    /// input).
    pub fn encrypt(
        &self,
        plaintext: &[u8],
        associated_data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match &self.cipher {
            Cipher::Gcm128(c) => gcm_encrypt(c.as_ref(), plaintext, associated_data),
            Cipher::Gcm256(c) => gcm_encrypt(c.as_ref(), plaintext, associated_data),
            Cipher::Siv(c) => c
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .encrypt([associated_data], plaintext)
                .map_err(|_| CryptoError::Encrypt),
        }
    }

    /// The plaintext of a ciphertext [`encrypt`](Self::encrypt) (or a Confluent client)
    /// wrote.
    ///
    /// Errors: [`CryptoError::Decrypt`] for another key's, a changed or a cut ciphertext.
    pub fn decrypt(
        &self,
        ciphertext: &[u8],
        associated_data: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        match &self.cipher {
            Cipher::Gcm128(c) => gcm_decrypt(c.as_ref(), ciphertext, associated_data),
            Cipher::Gcm256(c) => gcm_decrypt(c.as_ref(), ciphertext, associated_data),
            Cipher::Siv(c) => c
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .decrypt([associated_data], ciphertext)
                .map_err(|_| CryptoError::Decrypt),
        }
    }
}

fn gcm_encrypt<C: Aead>(cipher: &C, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let mut iv = [0u8; GCM_IV_LEN];
    OsRng.fill_bytes(&mut iv);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&iv),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| CryptoError::Encrypt)?;
    let mut out = Vec::with_capacity(GCM_IV_LEN + sealed.len());
    out.extend_from_slice(&iv);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn gcm_decrypt<C: Aead>(cipher: &C, ciphertext: &[u8], aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if ciphertext.len() < GCM_IV_LEN + 16 {
        return Err(CryptoError::Decrypt);
    }
    let (iv, sealed) = ciphertext.split_at(GCM_IV_LEN);
    cipher
        .decrypt(Nonce::from_slice(iv), Payload { msg: sealed, aad })
        .map_err(|_| CryptoError::Decrypt)
}

/// A KMS holding key encryption keys (KEKs): it wraps (encrypts) and unwraps DEKs' key
/// material under the key a KEK names (`kms_key_id`). Implement it for a cloud KMS and
/// register it beside [`LocalKms`].
#[async_trait::async_trait]
pub trait Kms: Send + Sync + std::fmt::Debug {
    /// The `kmsType` of the KEKs it serves (`local-kms`, `aws-kms`, …).
    fn kms_type(&self) -> &str;

    /// `plaintext` (a DEK's key material) encrypted under the key `kms_key_id`.
    async fn wrap(&self, kms_key_id: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// The key material [`wrap`](Self::wrap) encrypted under `kms_key_id`.
    async fn unwrap(&self, kms_key_id: &str, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError>;
}

/// Confluent's local KMS (`kmsType` `local-kms`): every KEK's key is one AES-128-GCM key
/// derived from a secret with HKDF-SHA256 (no salt, no info, 16 bytes), whatever its
/// `kmsKeyId`, as Confluent's clients derive it from the rule parameter `secret` or the
/// environment variable `LOCAL_SECRET`. For tests and development: the secret is the key.
pub struct LocalKms {
    aead: Aes128Gcm,
}

impl std::fmt::Debug for LocalKms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocalKms")
    }
}

impl LocalKms {
    /// The `kmsType` it serves.
    pub const KMS_TYPE: &'static str = "local-kms";

    /// The local KMS of `secret`.
    pub fn new(secret: &str) -> Self {
        Self {
            aead: Aes128Gcm::new_from_slice(&Self::derive_key(secret))
                .expect("a 16-byte AES-128 key"),
        }
    }

    /// HKDF-SHA256 of the secret's UTF-8 bytes, no salt, no info, 16 bytes.
    fn derive_key(secret: &str) -> [u8; 16] {
        let mut key = [0u8; 16];
        hkdf::Hkdf::<sha2_hkdf::Sha256>::new(None, secret.as_bytes())
            .expand(&[], &mut key)
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        key
    }

    /// `plaintext` wrapped under the derived key (Tink AES-GCM RAW, empty associated data).
    pub fn wrap_now(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        gcm_encrypt(&self.aead, plaintext, &[])
    }

    /// What [`wrap_now`](Self::wrap_now) (or a Confluent client's local KMS with the same
    /// secret) wrapped.
    pub fn unwrap_now(&self, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        gcm_decrypt(&self.aead, ciphertext, &[])
    }
}

#[async_trait::async_trait]
impl Kms for LocalKms {
    fn kms_type(&self) -> &str {
        Self::KMS_TYPE
    }

    async fn wrap(&self, _: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.wrap_now(plaintext)
    }

    async fn unwrap(&self, _: &str, ciphertext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.unwrap_now(ciphertext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_kms_key_is_hkdf_sha256_of_the_secret() {
        // HKDF-SHA256(ikm = "mysecret", salt = none, info = none, L = 16), computed with
        // Python's `hmac` (RFC 5869 by hand), as confluent-kafka's LocalKmsClient derives it.
        assert_eq!(
            hex::encode(LocalKms::derive_key("mysecret")),
            "1ae4d97ac1e81594bfd1993c1a75ee36"
        );
        let kms = LocalKms::new("mysecret");
        let wrapped = kms.wrap_now(b"dek").unwrap();
        assert_eq!(kms.unwrap_now(&wrapped).unwrap(), b"dek");
        assert!(LocalKms::new("other").unwrap_now(&wrapped).is_err());
    }

    #[test]
    fn generated_key_material_is_a_tink_key_of_its_algorithm() {
        for algorithm in DekAlgorithm::ALL {
            let material = generate_key_material(algorithm);
            assert_eq!(material.len(), algorithm.key_len() + 2);
            let dek = Dek::new(algorithm, &material).unwrap();
            let sealed = dek.encrypt(b"123-45-6789", b"").unwrap();
            assert_eq!(dek.decrypt(&sealed, b"").unwrap(), b"123-45-6789");
            let other = DekAlgorithm::ALL
                .into_iter()
                .find(|a| a.key_len() != algorithm.key_len());
            assert!(Dek::new(other.unwrap(), &material).is_err());
        }
    }

    #[test]
    fn siv_is_deterministic_and_gcm_is_not() {
        let siv = Dek::new(
            DekAlgorithm::Aes256Siv,
            &generate_key_material(DekAlgorithm::Aes256Siv),
        )
        .unwrap();
        assert_eq!(
            siv.encrypt(b"x", b"").unwrap(),
            siv.encrypt(b"x", b"").unwrap()
        );
        let gcm = Dek::new(
            DekAlgorithm::Aes256Gcm,
            &generate_key_material(DekAlgorithm::Aes256Gcm),
        )
        .unwrap();
        let sealed = gcm.encrypt(b"x", b"").unwrap();
        assert_ne!(sealed, gcm.encrypt(b"x", b"").unwrap());
        assert_eq!(sealed.len(), 12 + 1 + 16);
        let mut changed = sealed.clone();
        changed[13] ^= 1;
        assert_eq!(gcm.decrypt(&changed, b""), Err(CryptoError::Decrypt));
    }
}
