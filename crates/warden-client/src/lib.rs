//! An async REST client for Warden and any other registry that speaks the Confluent Schema
//! Registry API (Confluent, Karapace, Apicurio's ccompat, Redpanda).
//!
//! [`RegistryClient`] is cheap to clone and shares one connection pool and three caches:
//! schema id → schema (raw and parsed, with references resolved), (subject, schema) → id,
//! and (subject, version) → version (for resolving references). Schemas under an id never
//! change, so the caches are never invalidated; they are bounded by
//! [`ClientBuilder::cache_capacity`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), warden_client::ClientError> {
//! use std::time::Duration;
//! use warden_client::{RegistryClient, UnregisteredSchema};
//! use warden_core::{SchemaType, Subject};
//!
//! let client = RegistryClient::builder("http://127.0.0.1:8081")
//!     .timeout(Duration::from_secs(5))
//!     .build()?;
//! let subject = Subject::parse("greetings-value").expect("a valid subject name");
//! let schema = UnregisteredSchema::new(SchemaType::Avro, r#"{"type":"string"}"#);
//! let id = client.register(&subject, &schema).await?;
//! let parsed = client.parsed_schema(id).await?;
//! # let _ = parsed;
//! # Ok(())
//! # }
//! ```

mod cache;
mod dek;
mod error;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::{Method, StatusCode, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use warden_core::api::{
    CompatibilityCheckResponse, ConfigResponse, ConfigUpdateRequest, ContextId, ErrorBody,
    ModeBody, RegisterSchemaRequest, RegisterSchemaResponse, SchemaByIdResponse, SchemaListEntry,
    SchemaReference, SubjectVersion, SubjectVersionResponse,
};
use warden_core::{
    Guid, Mode, ParsedSchema, ResolvedReference, SchemaId, SchemaType, Subject, Version,
    VersionSelector,
};

use crate::cache::BoundedCache;
pub use crate::dek::{Dek, Kek};
pub use crate::error::{ClientError, Result};

/// The media type of Confluent's API, sent as `Content-Type` and `Accept`.
const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Characters escaped in a path segment: everything but RFC 3986 unreserved characters, so a
/// subject such as `a/b` or `:.ctx:s` stays one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A schema to register, look up or check: its format, text and references.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnregisteredSchema {
    /// The format.
    pub schema_type: SchemaType,
    /// The schema text (Avro or JSON Schema JSON, Protobuf `.proto` source).
    pub schema: String,
    /// References to other registered schemas (Avro named types, Protobuf imports, JSON
    /// `$ref` URLs), in the order the registry should see them.
    pub references: Vec<SchemaReference>,
}

impl UnregisteredSchema {
    /// A schema without references.
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Self {
            schema_type,
            schema: schema.into(),
            references: Vec::new(),
        }
    }

    /// The same schema with `references`.
    #[must_use]
    pub fn with_references(mut self, references: Vec<SchemaReference>) -> Self {
        self.references = references;
        self
    }

    fn request(&self) -> RegisterSchemaRequest {
        RegisterSchemaRequest {
            schema: Some(self.schema.clone()),
            // Confluent omits `schemaType` for Avro; older registries reject unknown values.
            schema_type: (self.schema_type != SchemaType::Avro)
                .then(|| self.schema_type.as_str().to_owned()),
            references: self.references.clone(),
            ..RegisterSchemaRequest::default()
        }
    }
}

/// Options of [`RegistryClient::register_with`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegisterOptions {
    /// Ask the registry to normalize the schema first (`?normalize=true`).
    pub normalize: bool,
    /// An explicit schema id (the registry or subject must be in IMPORT mode).
    pub id: Option<SchemaId>,
    /// An explicit version (the registry or subject must be in IMPORT mode).
    pub version: Option<Version>,
    /// Data-contract `metadata`, sent as given.
    pub metadata: Option<serde_json::Value>,
    /// Data-contract `ruleSet`, sent as given.
    pub rule_set: Option<serde_json::Value>,
}

/// How the client authenticates.
#[derive(Clone, PartialEq, Eq)]
enum Auth {
    Basic { user: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print credentials.
        match self {
            Self::Basic { user, .. } => write!(f, "Basic({user}:***)"),
            Self::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Builds a [`RegistryClient`]. Defaults: request timeout 10 s, connect timeout 5 s,
/// 3 retries on connection errors and 5xx answers with backoff starting at 100 ms and
/// doubling up to 2 s, cache capacity 1,000 entries per cache, no authentication, the
/// system's CA roots and no client certificate.
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    urls: Vec<String>,
    auth: Option<Auth>,
    timeout: Duration,
    connect_timeout: Duration,
    max_retries: u32,
    retry_backoff: Duration,
    max_retry_backoff: Duration,
    cache_capacity: usize,
    ca_pem: Option<Vec<u8>>,
    identity_pem: Option<Redacted>,
}

/// A client certificate with its private key, never printed.
#[derive(Clone)]
struct Redacted(Vec<u8>);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<PEM, {} bytes>", self.0.len())
    }
}

impl ClientBuilder {
    /// Trusts the CA certificates of `pem` (one or more PEM certificates) for `https://`
    /// registries, besides the system's roots (Confluent's `ssl.ca.location`).
    #[must_use]
    pub fn ca_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca_pem = Some(pem.into());
        self
    }

    /// Presents a client certificate for mutual TLS: `pem` holds the certificate chain and
    /// its private key (Confluent's `ssl.certificate.location` and `ssl.key.location`,
    /// concatenated).
    #[must_use]
    pub fn client_identity_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.identity_pem = Some(Redacted(pem.into()));
        self
    }

    /// Applies Confluent's client properties, as Confluent's clients and a
    /// `schema.registry.*`-prefixed Kafka client configuration name them: `url`,
    /// `basic.auth.user.info` (`USER:PASSWORD`), `basic.auth.credentials.source`
    /// (`USER_INFO` only), `bearer.auth.token`, `bearer.auth.credentials.source`
    /// (`STATIC_TOKEN` only), `bearer.auth.logical.cluster` and
    /// `bearer.auth.identity.pool.id` (accepted, not sent), `ssl.ca.location`,
    /// `ssl.certificate.location` and `ssl.key.location` (PEM files). A `url` replaces the
    /// builder's URLs (comma-separated for several).
    ///
    /// Errors: [`ClientError::Config`] for an unknown property, an unsupported credentials
    /// source, a malformed `basic.auth.user.info`, or an unreadable file.
    pub fn confluent_properties<'a>(
        mut self,
        properties: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self> {
        let read = |key: &str, path: &str| {
            std::fs::read(path).map_err(|e| ClientError::Config(format!("{key} {path}: {e}")))
        };
        let (mut cert, mut key) = (None, None);
        for (name, value) in properties {
            let name = name.trim();
            let value = value.trim();
            let bare = name.strip_prefix("schema.registry.").unwrap_or(name);
            match bare {
                "url" => {
                    self.urls = value.split(',').map(|u| u.trim().to_owned()).collect();
                }
                "basic.auth.user.info" => {
                    let (user, password) = value.split_once(':').ok_or_else(|| {
                        ClientError::Config("basic.auth.user.info must be USER:PASSWORD".to_owned())
                    })?;
                    self = self.basic_auth(user, password);
                }
                "basic.auth.credentials.source" if value == "USER_INFO" => {}
                "bearer.auth.credentials.source" if value == "STATIC_TOKEN" => {}
                "bearer.auth.token" => self = self.bearer_token(value),
                "bearer.auth.logical.cluster" | "bearer.auth.identity.pool.id" => {}
                "ssl.ca.location" => self.ca_pem = Some(read(name, value)?),
                "ssl.certificate.location" => cert = Some(read(name, value)?),
                "ssl.key.location" => key = Some(read(name, value)?),
                _ => {
                    return Err(ClientError::Config(format!(
                        "unsupported registry client property {name}={value}"
                    )));
                }
            }
        }
        match (cert, key) {
            (Some(mut cert), Some(key)) => {
                cert.push(b'\n');
                cert.extend_from_slice(&key);
                self.identity_pem = Some(Redacted(cert));
            }
            (None, None) => {}
            _ => {
                return Err(ClientError::Config(
                    "ssl.certificate.location and ssl.key.location go together".to_owned(),
                ));
            }
        }
        Ok(self)
    }

    /// Adds another base URL. Requests go to the first URL; a connection error or a 5xx moves
    /// the next attempt to the next URL, as Confluent's `RestService` does.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.urls.push(url.into());
        self
    }

    /// HTTP basic authentication (Confluent's `basic.auth.user.info`).
    #[must_use]
    pub fn basic_auth(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.auth = Some(Auth::Basic {
            user: user.into(),
            password: password.into(),
        });
        self
    }

    /// A bearer token sent as `Authorization: Bearer <token>`.
    #[must_use]
    pub fn bearer_token(mut self, token: impl Into<String>) -> Self {
        self.auth = Some(Auth::Bearer(token.into()));
        self
    }

    /// The time limit of one HTTP attempt, connection included (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The time limit for opening a connection (default 5 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many times a request is retried after a connection error or a 5xx (default 3;
    /// 0 means one attempt). 4xx answers are never retried.
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The wait before the first retry (default 100 ms); each further retry doubles it, up to
    /// 2 s.
    #[must_use]
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Entries kept per cache (default 1,000; 0 disables caching).
    #[must_use]
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.cache_capacity = capacity;
        self
    }

    /// Builds the client.
    ///
    /// Errors: [`ClientError::Config`] when no URL was given, a URL is not `http(s)://…`, a
    /// CA or client certificate is not PEM, or the TLS backend cannot start.
    pub fn build(self) -> Result<RegistryClient> {
        if self.urls.is_empty() {
            return Err(ClientError::Config("no registry URL given".to_owned()));
        }
        let mut urls = Vec::with_capacity(self.urls.len());
        for url in self.urls {
            let parsed = reqwest::Url::parse(&url)
                .map_err(|e| ClientError::Config(format!("registry URL '{url}': {e}")))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(ClientError::Config(format!(
                    "registry URL '{url}': the scheme must be http or https"
                )));
            }
            urls.push(url.trim_end_matches('/').to_owned());
        }
        let mut headers = header::HeaderMap::new();
        headers.insert(header::ACCEPT, header::HeaderValue::from_static(MEDIA_TYPE));
        let mut http = reqwest::Client::builder()
            .use_rustls_tls()
            .default_headers(headers)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout);
        if let Some(pem) = &self.ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| ClientError::Config(format!("CA certificates: {e}")))?;
            if certs.is_empty() {
                return Err(ClientError::Config(
                    "CA certificates: no PEM certificate".to_owned(),
                ));
            }
            for cert in certs {
                http = http.add_root_certificate(cert);
            }
        }
        if let Some(pem) = &self.identity_pem {
            let identity = reqwest::Identity::from_pem(&pem.0)
                .map_err(|e| ClientError::Config(format!("client certificate and key: {e}")))?;
            http = http.identity(identity);
        }
        let http = http
            .build()
            .map_err(|e| ClientError::Config(e.to_string()))?;
        let capacity = self.cache_capacity;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                http,
                urls,
                auth: self.auth,
                max_retries: self.max_retries,
                retry_backoff: self.retry_backoff,
                max_retry_backoff: self.max_retry_backoff,
                by_id: BoundedCache::new(capacity),
                parsed: BoundedCache::new(capacity),
                ids: BoundedCache::new(capacity),
                versions: BoundedCache::new(capacity),
                guids: BoundedCache::new(capacity),
            }),
        })
    }
}

/// An async client of the Confluent Schema Registry REST API; see the crate docs.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    urls: Vec<String>,
    auth: Option<Auth>,
    max_retries: u32,
    retry_backoff: Duration,
    max_retry_backoff: Duration,
    by_id: BoundedCache<SchemaId, Arc<SchemaByIdResponse>>,
    parsed: BoundedCache<SchemaId, Arc<ParsedSchema>>,
    ids: BoundedCache<(Subject, UnregisteredSchema), SchemaId>,
    versions: BoundedCache<(Subject, Version), Arc<SubjectVersionResponse>>,
    guids: BoundedCache<Guid, SchemaId>,
}

/// Percent-encodes a subject as one path segment.
fn seg(subject: &Subject) -> String {
    utf8_percent_encode(subject.as_str(), SEGMENT).to_string()
}

impl RegistryClient {
    /// A builder for a registry at `url` (e.g. `http://127.0.0.1:8081`).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        ClientBuilder {
            urls: vec![url.into()],
            auth: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            max_retries: 3,
            retry_backoff: Duration::from_millis(100),
            max_retry_backoff: Duration::from_secs(2),
            cache_capacity: 1000,
            ca_pem: None,
            identity_pem: None,
        }
    }

    /// A client with the builder's defaults.
    ///
    /// Errors: see [`ClientBuilder::build`].
    pub fn new(url: impl Into<String>) -> Result<Self> {
        Self::builder(url).build()
    }

    /// The base URLs, in the order they are tried.
    pub fn urls(&self) -> &[String] {
        &self.inner.urls
    }

    /// Drops every cached schema, id and version.
    pub fn clear_caches(&self) {
        self.inner.by_id.clear();
        self.inner.parsed.clear();
        self.inner.ids.clear();
        self.inner.versions.clear();
        self.inner.guids.clear();
    }

    // ---- schemas -------------------------------------------------------------------------

    /// Registers `schema` under `subject` (`POST /subjects/{subject}/versions`) and returns
    /// its schema id; an already registered schema returns its existing id. Cached per
    /// (subject, schema).
    ///
    /// Errors: [`ClientError::Registry`] with 40901 (incompatible), 42201 (invalid schema),
    /// 42205 (read-only mode), …; [`ClientError::Unavailable`].
    pub async fn register(
        &self,
        subject: &Subject,
        schema: &UnregisteredSchema,
    ) -> Result<SchemaId> {
        self.register_with(subject, schema, RegisterOptions::default())
            .await
    }

    /// [`RegistryClient::register`] with options: normalization, or an explicit id and
    /// version for imports (the target must be in IMPORT mode). Only option-less calls are
    /// served from the cache.
    pub async fn register_with(
        &self,
        subject: &Subject,
        schema: &UnregisteredSchema,
        options: RegisterOptions,
    ) -> Result<SchemaId> {
        let plain = options == RegisterOptions::default();
        let key = (subject.clone(), schema.clone());
        if plain && let Some(id) = self.inner.ids.get(&key) {
            return Ok(id);
        }
        let mut body = schema.request();
        body.id = options.id.map(|id| i64::from(id.get()));
        body.version = options.version.map(|v| i64::from(v.get()));
        body.metadata = options.metadata;
        body.rule_set = options.rule_set;
        let query = normalize_query(options.normalize);
        let response: RegisterSchemaResponse = self
            .call(
                Method::POST,
                &format!("/subjects/{}/versions", seg(subject)),
                &query,
                Some(&body),
            )
            .await?;
        self.inner.ids.insert(key, response.id);
        Ok(response.id)
    }

    /// Finds `schema` among `subject`'s versions (`POST /subjects/{subject}`): its version
    /// and id. The id is cached per (subject, schema), which is what serializers that do not
    /// auto-register use.
    ///
    /// Errors: 40401 subject not found, 40403 schema not found.
    pub async fn lookup(
        &self,
        subject: &Subject,
        schema: &UnregisteredSchema,
    ) -> Result<SubjectVersionResponse> {
        let response: SubjectVersionResponse = self
            .call(
                Method::POST,
                &format!("/subjects/{}", seg(subject)),
                &[],
                Some(&schema.request()),
            )
            .await?;
        self.inner
            .ids
            .insert((subject.clone(), schema.clone()), response.id);
        Ok(response)
    }

    /// The id of `schema` under `subject`: from the cache, else by [`RegistryClient::lookup`].
    pub async fn lookup_id(
        &self,
        subject: &Subject,
        schema: &UnregisteredSchema,
    ) -> Result<SchemaId> {
        if let Some(id) = self.inner.ids.get(&(subject.clone(), schema.clone())) {
            return Ok(id);
        }
        Ok(self.lookup(subject, schema).await?.id)
    }

    /// The schema with `id` (`GET /schemas/ids/{id}`), cached.
    ///
    /// Errors: 40403 schema not found.
    pub async fn schema_by_id(&self, id: SchemaId) -> Result<Arc<SchemaByIdResponse>> {
        if let Some(found) = self.inner.by_id.get(&id) {
            return Ok(found);
        }
        let response: SchemaByIdResponse = self
            .call::<(), _>(Method::GET, &format!("/schemas/ids/{id}"), &[], None)
            .await?;
        let response = Arc::new(response);
        self.inner.by_id.insert(id, Arc::clone(&response));
        Ok(response)
    }

    /// The GUID of schema `id` (Confluent 8), from its cached `GET /schemas/ids/{id}` answer.
    ///
    /// Errors: as [`RegistryClient::schema_by_id`]; [`ClientError::UnexpectedResponse`] when
    /// the registry answers no GUID (a registry older than Confluent 8).
    pub async fn schema_guid(&self, id: SchemaId) -> Result<Guid> {
        let schema = self.schema_by_id(id).await?;
        schema.guid.as_deref().and_then(Guid::parse).ok_or_else(|| {
            ClientError::UnexpectedResponse {
                status: 200,
                detail: format!("schema {id} has no GUID: the registry predates Confluent 8"),
            }
        })
    }

    /// The id of the schema with this GUID (`GET /schemas/guids/{guid}/ids`, the default
    /// context's id), cached.
    ///
    /// Errors: [`ClientError::Registry`] 40403 when no schema has it.
    pub async fn schema_id_by_guid(&self, guid: &Guid) -> Result<SchemaId> {
        if let Some(id) = self.inner.guids.get(guid) {
            return Ok(id);
        }
        let ids: Vec<ContextId> = self
            .call::<(), _>(
                Method::GET,
                &format!("/schemas/guids/{guid}/ids"),
                &[],
                None,
            )
            .await?;
        let id = ids
            .iter()
            .find(|c| c.context == ".")
            .or_else(|| ids.first())
            .map(|c| c.id)
            .ok_or_else(|| ClientError::Registry {
                status: 404,
                error_code: 40403,
                message: format!("Schema {guid} not found"),
            })?;
        self.inner.guids.insert(*guid, id);
        Ok(id)
    }

    /// The schema with `id`, parsed with its references resolved (transitively, through
    /// `GET /subjects/{s}/versions/{v}`), cached.
    ///
    /// Errors: as [`RegistryClient::schema_by_id`]; [`ClientError::InvalidSchema`] when the
    /// text or a reference does not parse.
    pub async fn parsed_schema(&self, id: SchemaId) -> Result<Arc<ParsedSchema>> {
        if let Some(found) = self.inner.parsed.get(&id) {
            return Ok(found);
        }
        let raw = self.schema_by_id(id).await?;
        let references = self.resolve_references(&raw.references).await?;
        let parsed =
            ParsedSchema::parse(raw.schema_type, &raw.schema, &references).map_err(|e| {
                ClientError::InvalidSchema {
                    id,
                    reason: e.to_string(),
                }
            })?;
        let parsed = Arc::new(parsed);
        self.inner.parsed.insert(id, Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The transitive closure of `references`, dependencies first, as
    /// [`ParsedSchema::parse`] wants it. A reference to version `-1` means the latest.
    ///
    /// Errors: 40401/40402 when a referenced subject or version does not exist;
    /// [`ClientError::InvalidReference`] when a reference's subject or version is not one
    /// (an empty subject, version 0).
    pub async fn resolve_references(
        &self,
        references: &[SchemaReference],
    ) -> Result<Vec<ResolvedReference>> {
        // Depth-first, post-order, without async recursion: `true` marks a reference whose
        // own references are already on the stack above it.
        let mut stack: Vec<(SchemaReference, bool)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), false))
            .collect();
        let mut emitted: HashSet<(String, String)> = HashSet::new();
        let mut expanded: HashSet<(String, i32)> = HashSet::new();
        let mut out = Vec::new();
        while let Some((reference, children_done)) = stack.pop() {
            let version = self.reference_version(&reference).await?;
            if children_done {
                if emitted.insert((reference.name.clone(), reference.subject.clone())) {
                    out.push(ResolvedReference {
                        name: reference.name.clone(),
                        schema_type: version.schema_type,
                        schema: version.schema.clone(),
                    });
                }
                continue;
            }
            stack.push((reference.clone(), true));
            if expanded.insert((reference.subject.clone(), reference.version)) {
                for child in version.references.iter().rev() {
                    stack.push((child.clone(), false));
                }
            }
        }
        Ok(out)
    }

    /// The version a reference names: the latest (never cached) or one version (cached).
    async fn reference_version(
        &self,
        reference: &SchemaReference,
    ) -> Result<Arc<SubjectVersionResponse>> {
        let invalid = |reason: String| ClientError::InvalidReference {
            name: reference.name.clone(),
            reason,
        };
        let subject = Subject::parse(&reference.subject).map_err(|e| invalid(e.0))?;
        let version = match VersionSelector::from_number(i64::from(reference.version))
            .map_err(|e| invalid(e.0))?
        {
            VersionSelector::Latest => return Ok(Arc::new(self.latest(&subject).await?)),
            VersionSelector::Exact(version) => version,
        };
        let key = (subject, version);
        if let Some(found) = self.inner.versions.get(&key) {
            return Ok(found);
        }
        let found = Arc::new(self.version(&key.0, version).await?);
        self.inner.versions.insert(key, Arc::clone(&found));
        Ok(found)
    }

    /// The latest live version of `subject` (`GET /subjects/{subject}/versions/latest`);
    /// never cached, since it moves.
    ///
    /// Errors: 40401 subject not found.
    pub async fn latest(&self, subject: &Subject) -> Result<SubjectVersionResponse> {
        self.call::<(), _>(
            Method::GET,
            &format!("/subjects/{}/versions/latest", seg(subject)),
            &[],
            None,
        )
        .await
    }

    /// The latest version of `subject` whose metadata has every property of `metadata`
    /// (`GET /subjects/{subject}/metadata?key=k&value=v…`, Confluent's
    /// `use.latest.with.metadata`); never cached.
    ///
    /// Errors: 40401 subject not found; 40403 no version has that metadata.
    pub async fn latest_with_metadata(
        &self,
        subject: &Subject,
        metadata: &[(String, String)],
    ) -> Result<SubjectVersionResponse> {
        let mut query = Vec::with_capacity(metadata.len() * 2);
        for (key, value) in metadata {
            query.push(("key", key.clone()));
            query.push(("value", value.clone()));
        }
        self.call::<(), _>(
            Method::GET,
            &format!("/subjects/{}/metadata", seg(subject)),
            &query,
            None,
        )
        .await
    }

    /// One version of `subject` (`GET /subjects/{subject}/versions/{version}`).
    ///
    /// Errors: 40401 subject not found, 40402 version not found.
    pub async fn version(
        &self,
        subject: &Subject,
        version: Version,
    ) -> Result<SubjectVersionResponse> {
        self.call::<(), _>(
            Method::GET,
            &format!("/subjects/{}/versions/{version}", seg(subject)),
            &[],
            None,
        )
        .await
    }

    /// Warden's structured diff between two versions of `subject`
    /// (`GET /warden/v1/subjects/{subject}/diff?from=…&to=…`, a Warden extension that
    /// Confluent's registry does not serve): every change, judged backward and forward with
    /// its rule, and the verdict under each level.
    ///
    /// Errors: 40401 subject not found, 40402 version not found.
    pub async fn diff(
        &self,
        subject: &Subject,
        from: VersionSelector,
        to: VersionSelector,
    ) -> Result<warden_core::diff::SchemaDiff> {
        self.call::<(), _>(
            Method::GET,
            &format!("/warden/v1/subjects/{}/diff", seg(subject)),
            &[("from", from.to_string()), ("to", to.to_string())],
            None,
        )
        .await
    }

    /// One version of `subject` including soft-deleted ones (`?deleted=true`).
    pub async fn version_including_deleted(
        &self,
        subject: &Subject,
        version: Version,
    ) -> Result<SubjectVersionResponse> {
        self.call::<(), _>(
            Method::GET,
            &format!("/subjects/{}/versions/{version}", seg(subject)),
            &[("deleted", "true".to_owned())],
            None,
        )
        .await
    }

    /// The (subject, version) pairs the schema `id` is registered as
    /// (`GET /schemas/ids/{id}/versions`); never cached, since a schema can be registered
    /// under more subjects later.
    ///
    /// Errors: 40403 schema not found.
    pub async fn subject_versions_of(&self, id: SchemaId) -> Result<Vec<SubjectVersion>> {
        self.call::<(), _>(
            Method::GET,
            &format!("/schemas/ids/{id}/versions"),
            &[],
            None,
        )
        .await
    }

    /// Every subject (`GET /subjects`), with soft-deleted ones when `deleted`.
    pub async fn subjects(&self, deleted: bool) -> Result<Vec<Subject>> {
        self.call::<(), _>(Method::GET, "/subjects", &deleted_query(deleted), None)
            .await
    }

    /// The registry's contexts (`GET /contexts`): `.` for the default one, then each other
    /// by name (`.ctx`, whose subjects are `:.ctx:name`).
    pub async fn contexts(&self) -> Result<Vec<String>> {
        self.call::<(), _>(Method::GET, "/contexts", &[], None)
            .await
    }

    /// The versions of `subject` (`GET /subjects/{subject}/versions`), ascending, with
    /// soft-deleted ones when `deleted`.
    ///
    /// Errors: 40401 subject not found.
    pub async fn versions(&self, subject: &Subject, deleted: bool) -> Result<Vec<Version>> {
        self.call::<(), _>(
            Method::GET,
            &format!("/subjects/{}/versions", seg(subject)),
            &deleted_query(deleted),
            None,
        )
        .await
    }

    /// Every version of every subject (`GET /schemas`), with soft-deleted ones when
    /// `deleted`.
    pub async fn schemas(&self, deleted: bool) -> Result<Vec<SchemaListEntry>> {
        self.call::<(), _>(Method::GET, "/schemas", &deleted_query(deleted), None)
            .await
    }

    /// The schema types the registry supports (`GET /schemas/types`), as it names them (a
    /// registry with a custom format plugin lists more than [`SchemaType`] knows).
    pub async fn schema_types(&self) -> Result<Vec<String>> {
        self.call::<(), _>(Method::GET, "/schemas/types", &[], None)
            .await
    }

    // ---- compatibility -------------------------------------------------------------------

    /// Checks `schema` against the versions of `subject` that its compatibility level
    /// selects (`POST /compatibility/subjects/{subject}/versions`; transitive levels check
    /// every live version). With `verbose`, the answer carries Confluent's messages.
    ///
    /// Errors: 40401 subject not found (on registries that answer so), 42201 invalid schema.
    pub async fn check_compatibility(
        &self,
        subject: &Subject,
        schema: &UnregisteredSchema,
        verbose: bool,
    ) -> Result<CompatibilityCheckResponse> {
        self.call(
            Method::POST,
            &format!("/compatibility/subjects/{}/versions", seg(subject)),
            &verbose_query(verbose),
            Some(&schema.request()),
        )
        .await
    }

    /// Checks `schema` against one version of `subject`
    /// (`POST /compatibility/subjects/{subject}/versions/{version}`).
    ///
    /// Errors: 40401 subject not found, 40402 version not found, 42201 invalid schema.
    pub async fn check_compatibility_with_version(
        &self,
        subject: &Subject,
        version: Version,
        schema: &UnregisteredSchema,
        verbose: bool,
    ) -> Result<CompatibilityCheckResponse> {
        self.call(
            Method::POST,
            &format!(
                "/compatibility/subjects/{}/versions/{version}",
                seg(subject)
            ),
            &verbose_query(verbose),
            Some(&schema.request()),
        )
        .await
    }

    // ---- config and mode -----------------------------------------------------------------

    /// The compatibility configuration in effect: global when `subject` is `None`, else the
    /// subject's own or, failing that, the global one (`?defaultToGlobal=true`).
    pub async fn config(&self, subject: Option<&Subject>) -> Result<ConfigResponse> {
        let query = match subject {
            None => Vec::new(),
            Some(_) => vec![("defaultToGlobal", "true".to_owned())],
        };
        self.call::<(), _>(Method::GET, &scope_path("/config", subject), &query, None)
            .await
    }

    /// The subject's own configuration, `None` when it has none (Confluent 40408).
    pub async fn subject_config(&self, subject: &Subject) -> Result<Option<ConfigResponse>> {
        let found = self
            .call::<(), _>(Method::GET, &format!("/config/{}", seg(subject)), &[], None)
            .await;
        none_if_not_found(found)
    }

    /// Sets the global (`None`) or a subject's configuration (`PUT /config[/{subject}]`);
    /// returns the registry's echo.
    ///
    /// Errors: 42203 invalid compatibility level.
    pub async fn set_config(
        &self,
        subject: Option<&Subject>,
        update: &ConfigUpdateRequest,
    ) -> Result<ConfigUpdateRequest> {
        self.call(
            Method::PUT,
            &scope_path("/config", subject),
            &[],
            Some(update),
        )
        .await
    }

    /// Removes a subject's own configuration, or resets the global one
    /// (`DELETE /config[/{subject}]`); returns the removed configuration.
    pub async fn delete_config(&self, subject: Option<&Subject>) -> Result<ConfigResponse> {
        self.call::<(), _>(Method::DELETE, &scope_path("/config", subject), &[], None)
            .await
    }

    /// The mode in effect: global when `subject` is `None`, else the subject's own or the
    /// global one (`?defaultToGlobal=true`).
    ///
    /// Errors: [`ClientError::UnexpectedResponse`] for a mode [`Mode`] does not know.
    pub async fn mode(&self, subject: Option<&Subject>) -> Result<Mode> {
        let query = match subject {
            None => Vec::new(),
            Some(_) => vec![("defaultToGlobal", "true".to_owned())],
        };
        let ModeAnswer(mode) = self
            .call::<(), _>(Method::GET, &scope_path("/mode", subject), &query, None)
            .await?;
        Ok(mode)
    }

    /// The subject's own mode, `None` when it has none (Confluent 40409).
    pub async fn subject_mode(&self, subject: &Subject) -> Result<Option<Mode>> {
        let found: Result<ModeAnswer> = self
            .call::<(), _>(Method::GET, &format!("/mode/{}", seg(subject)), &[], None)
            .await;
        Ok(none_if_not_found(found)?.map(|ModeAnswer(mode)| mode))
    }

    /// Sets the global (`None`) or a subject's mode; returns the registry's echo. `force`
    /// allows IMPORT on a non-empty registry.
    ///
    /// Errors: 42204 invalid mode, 42205 operation not permitted (IMPORT without `force` on
    /// a registry with schemas).
    pub async fn set_mode(
        &self,
        subject: Option<&Subject>,
        mode: Mode,
        force: bool,
    ) -> Result<Mode> {
        let query = if force {
            vec![("force", "true".to_owned())]
        } else {
            Vec::new()
        };
        let ModeAnswer(mode) = self
            .call(
                Method::PUT,
                &scope_path("/mode", subject),
                &query,
                Some(&ModeBody {
                    mode: mode.as_str().to_owned(),
                }),
            )
            .await?;
        Ok(mode)
    }

    /// Removes a subject's own mode (`DELETE /mode/{subject}`), so the global mode applies
    /// again; returns the removed mode.
    ///
    /// Errors: 40401 when the subject has no mode of its own (Confluent's
    /// `ModeResource.deleteSubjectMode`).
    pub async fn delete_mode(&self, subject: &Subject) -> Result<Mode> {
        let ModeAnswer(mode) = self
            .call::<(), _>(
                Method::DELETE,
                &format!("/mode/{}", seg(subject)),
                &[],
                None,
            )
            .await?;
        Ok(mode)
    }

    // ---- deletes ----------------------------------------------------------------------------

    /// Soft-deletes every version of `subject`, or hard-deletes them when `permanent` (which
    /// Confluent allows only after a soft delete); returns the deleted versions.
    ///
    /// Errors: 40401 subject not found, 40404 subject soft-deleted (soft delete twice),
    /// 40405 not soft-deleted (hard delete first), 42206 referenced by another schema.
    pub async fn delete_subject(&self, subject: &Subject, permanent: bool) -> Result<Vec<Version>> {
        self.call::<(), _>(
            Method::DELETE,
            &format!("/subjects/{}", seg(subject)),
            &permanent_query(permanent),
            None,
        )
        .await
    }

    /// Soft- or hard-deletes one version of `subject`; returns its number.
    ///
    /// Errors: as [`RegistryClient::delete_subject`], and 40402 version not found.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        version: Version,
        permanent: bool,
    ) -> Result<Version> {
        self.call::<(), _>(
            Method::DELETE,
            &format!("/subjects/{}/versions/{version}", seg(subject)),
            &permanent_query(permanent),
            None,
        )
        .await
    }

    // ---- transport ---------------------------------------------------------------------------

    /// Sends one request, retrying connection errors and 5xx answers on the next URL with
    /// backoff, and decodes a 2xx body as `T` or an error body as [`ClientError::Registry`].
    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&B>,
    ) -> Result<T> {
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| ClientError::Config(e.to_string()))?),
            None => None,
        };
        let inner = &self.inner;
        let mut backoff = inner.retry_backoff;
        let mut attempt: u32 = 0;
        loop {
            let base = &inner.urls[attempt as usize % inner.urls.len()];
            let url = format!("{base}{path}");
            let mut request = inner.http.request(method.clone(), &url).query(query);
            request = match &inner.auth {
                Some(Auth::Basic { user, password }) => request.basic_auth(user, Some(password)),
                Some(Auth::Bearer(token)) => request.bearer_auth(token),
                None => request,
            };
            if let Some(bytes) = &body {
                request = request
                    .header(header::CONTENT_TYPE, MEDIA_TYPE)
                    .body(bytes.clone());
            }
            let error = match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    match response.bytes().await {
                        Ok(bytes) if status.is_server_error() => registry_error(status, &bytes),
                        Ok(bytes) => return decode(status, &bytes),
                        Err(e) => ClientError::Unavailable {
                            url: base.clone(),
                            reason: error_chain(&e),
                        },
                    }
                }
                Err(e) => ClientError::Unavailable {
                    url: base.clone(),
                    reason: error_chain(&e),
                },
            };
            if attempt >= inner.max_retries {
                return Err(error);
            }
            tracing::debug!(%url, attempt, %error, "schema registry request failed; retrying");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(inner.max_retry_backoff);
            attempt += 1;
        }
    }
}

fn decode<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T> {
    if !status.is_success() {
        return Err(registry_error(status, bytes));
    }
    serde_json::from_slice(bytes).map_err(|e| ClientError::UnexpectedResponse {
        status: status.as_u16(),
        detail: format!(
            "{e}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ),
    })
}

fn registry_error(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ErrorBody>(bytes) {
        Ok(body) => ClientError::Registry {
            status: status.as_u16(),
            error_code: body.error_code,
            message: body.message,
        },
        Err(_) => ClientError::Registry {
            status: status.as_u16(),
            error_code: u32::from(status.as_u16()),
            message: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
        },
    }
}

/// The error and its sources on one line ("error sending request: … : Connection refused").
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A `/mode` answer: a [`ModeBody`] whose mode parses as a [`Mode`].
struct ModeAnswer(Mode);

impl<'de> serde::Deserialize<'de> for ModeAnswer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let body = ModeBody::deserialize(d)?;
        body.mode
            .parse()
            .map(Self)
            .map_err(|e: warden_core::types::ParseError| serde::de::Error::custom(e.0))
    }
}

fn none_if_not_found<T>(result: Result<T>) -> Result<Option<T>> {
    match result {
        Ok(found) => Ok(Some(found)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn scope_path(root: &str, subject: Option<&Subject>) -> String {
    match subject {
        None => root.to_owned(),
        Some(s) => format!("{root}/{}", seg(s)),
    }
}

fn flag_query(name: &'static str, on: bool) -> Vec<(&'static str, String)> {
    if on {
        vec![(name, "true".to_owned())]
    } else {
        Vec::new()
    }
}

fn deleted_query(deleted: bool) -> Vec<(&'static str, String)> {
    flag_query("deleted", deleted)
}

fn permanent_query(permanent: bool) -> Vec<(&'static str, String)> {
    flag_query("permanent", permanent)
}

fn verbose_query(verbose: bool) -> Vec<(&'static str, String)> {
    flag_query("verbose", verbose)
}

fn normalize_query(normalize: bool) -> Vec<(&'static str, String)> {
    flag_query("normalize", normalize)
}
