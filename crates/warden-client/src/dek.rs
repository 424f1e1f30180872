//! The DEK registry calls (`/dek-registry/v1/keks…`, Confluent's `DekRegistryClient`): the
//! KEKs and DEKs that `ENCRYPT` rules fetch and create. Not cached here; the field
//! encryption executor keeps what it uses.

use percent_encoding::utf8_percent_encode;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{RegistryClient, Result, SEGMENT};

/// A KEK as the registry answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kek {
    /// Its name.
    pub name: String,
    /// The KMS type (`local-kms`, `aws-kms`, …).
    pub kms_type: String,
    /// The key's id in the KMS.
    pub kms_key_id: String,
    /// KMS properties.
    #[serde(default)]
    pub kms_props: std::collections::BTreeMap<String, String>,
    /// Whether the registry may use the KMS key (and answers DEKs' key material).
    #[serde(default)]
    pub shared: bool,
    /// Whether it is soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// A DEK as the registry answers it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dek {
    /// Its KEK.
    pub kek_name: String,
    /// Its subject.
    pub subject: String,
    /// Its version.
    pub version: i32,
    /// `AES128_GCM`, `AES256_GCM` or `AES256_SIV`.
    pub algorithm: String,
    /// Base64 of the wrapped Tink key.
    pub encrypted_key_material: Option<String>,
    /// Base64 of the Tink key (a shared KEK's DEK only).
    pub key_material: Option<String>,
    /// Last write, epoch milliseconds.
    #[serde(default)]
    pub ts: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateKek<'a> {
    name: &'a str,
    kms_type: &'a str,
    kms_key_id: &'a str,
    shared: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CreateDek<'a> {
    subject: &'a str,
    version: i32,
    algorithm: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encrypted_key_material: Option<&'a str>,
}

fn seg(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

impl RegistryClient {
    /// The live KEK `name` (`GET /dek-registry/v1/keks/{name}`).
    ///
    /// Errors: 40470 when there is none.
    pub async fn kek(&self, name: &str) -> Result<Kek> {
        self.call::<(), _>(
            Method::GET,
            &format!("/dek-registry/v1/keks/{}", seg(name)),
            &[("deleted", "false".to_owned())],
            None,
        )
        .await
    }

    /// Creates the KEK `name` (`POST /dek-registry/v1/keks`).
    ///
    /// Errors: 40971 when it exists (created by another client meanwhile).
    pub async fn create_kek(
        &self,
        name: &str,
        kms_type: &str,
        kms_key_id: &str,
        shared: bool,
    ) -> Result<Kek> {
        let body = CreateKek {
            name,
            kms_type,
            kms_key_id,
            shared,
        };
        self.call(Method::POST, "/dek-registry/v1/keks", &[], Some(&body))
            .await
    }

    /// The DEK of `kek`, `subject`, `algorithm` and `version` (-1: the latest), soft-deleted
    /// ones too when `deleted`
    /// (`GET /dek-registry/v1/keks/{kek}/deks/{subject}/versions/{version}`).
    ///
    /// Errors: 40470 when there is none.
    pub async fn dek(
        &self,
        kek: &str,
        subject: &str,
        algorithm: &str,
        version: i32,
        deleted: bool,
    ) -> Result<Dek> {
        self.call::<(), _>(
            Method::GET,
            &format!(
                "/dek-registry/v1/keks/{}/deks/{}/versions/{version}",
                seg(kek),
                seg(subject)
            ),
            &[
                ("algorithm", algorithm.to_owned()),
                ("deleted", deleted.to_string()),
            ],
            None,
        )
        .await
    }

    /// Creates a DEK (`POST /dek-registry/v1/keks/{kek}/deks/{subject}`): with the
    /// client's wrapped key for a KEK that is not shared, without for a shared one (the
    /// registry creates it).
    ///
    /// Errors: 40971 when the version exists (created by another client meanwhile).
    pub async fn create_dek(
        &self,
        kek: &str,
        subject: &str,
        algorithm: &str,
        version: i32,
        encrypted_key_material: Option<&str>,
    ) -> Result<Dek> {
        let body = CreateDek {
            subject,
            version,
            algorithm,
            encrypted_key_material,
        };
        self.call(
            Method::POST,
            &format!("/dek-registry/v1/keks/{}/deks/{}", seg(kek), seg(subject)),
            &[],
            Some(&body),
        )
        .await
    }
}
