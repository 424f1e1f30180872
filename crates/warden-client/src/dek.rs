//! The DEK registry calls (`/dek-registry/v1/keks…`, Confluent's `DekRegistryClient`): the
//! KEKs and DEKs that `ENCRYPT` rules fetch and create. Not cached here; the field
//! encryption executor keeps what it uses.

use percent_encoding::utf8_percent_encode;
use reqwest::Method;

use crate::{RegistryClient, Result, SEGMENT};

use warden_core::api::{CreateDekRequest, CreateKekRequest};
pub use warden_core::api::{Dek, Kek};

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
        let body = CreateKekRequest {
            name: Some(name.to_owned()),
            kms_type: Some(kms_type.to_owned()),
            kms_key_id: Some(kms_key_id.to_owned()),
            shared,
            ..CreateKekRequest::default()
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
        let body = CreateDekRequest {
            subject: Some(subject.to_owned()),
            version: Some(version),
            algorithm: Some(algorithm.to_owned()),
            encrypted_key_material: encrypted_key_material.map(str::to_owned),
            deleted: false,
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
