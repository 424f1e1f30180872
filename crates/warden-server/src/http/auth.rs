//! Authentication, authorization and audit of every request, as one middleware over the
//! routed API (so the URL is the rewritten one: contexts and aliases are resolved, and the
//! matched route names the operation).
//!
//! Each route is classified once, in [`classify`]: open (health), open to any authenticated
//! principal (the root, schema types, server metadata, listings that are filtered to what
//! the caller may read), an operation on the subject of the path, a read of a schema id
//! (allowed when any subject using the id is readable), or a registry-wide administration.
//! A route not in the table needs `admin`.
//!
//! Refusals answer in Confluent's body: 401 (`error_code` 401) with `WWW-Authenticate`,
//! 403 (`error_code` 40301) naming the principal, the operation and the subject.

use std::sync::Arc;
use std::time::SystemTime;

use axum::RequestPartsExt;
use axum::body::Body;
use axum::extract::{MatchedPath, RawPathParams, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use warden_core::{ErrorCode, SchemaId, Subject};

use super::{ApiError, AppState};
use crate::security::{
    AuditEvent, MetricsAccess, Operation, Peer, Principal, Security, audit::rfc3339,
};

/// The middleware's state.
#[derive(Debug, Clone)]
pub(super) struct AuthState {
    pub(super) registry: AppState,
    pub(super) security: Arc<Security>,
    pub(super) max_body_bytes: usize,
    /// The subjects using a schema id, for [`SUBJECTS_OF_ID_TTL`]: reading a schema by id
    /// is the hottest request, and its authorization should not cost a database query.
    pub(super) subjects_of_id: moka::sync::Cache<SchemaId, Arc<Vec<Subject>>>,
}

/// How long the subjects using a schema id are cached for authorization: a subject that
/// starts (or stops) using an id grants (or stops granting) reads of the id within this
/// time.
pub(super) const SUBJECTS_OF_ID_TTL: std::time::Duration = std::time::Duration::from_secs(5);

impl AuthState {
    /// The state of the middleware over `registry`.
    pub(super) fn new(registry: AppState, security: Arc<Security>, max_body_bytes: usize) -> Self {
        Self {
            registry,
            security,
            max_body_bytes,
            subjects_of_id: moka::sync::Cache::builder()
                .max_capacity(100_000)
                .time_to_live(SUBJECTS_OF_ID_TTL)
                .build(),
        }
    }
}

/// The authenticated caller and the rules, for handlers that filter listings to what the
/// caller may read. Present in a request's extensions only when authentication is on.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    principal: Principal,
    security: Arc<Security>,
}

impl Access {
    /// Whether the caller may do `op` on `subject` (its qualified name).
    pub(crate) fn allows(&self, op: Operation, subject: &str) -> bool {
        self.security.rules().allows(&self.principal, op, subject)
    }

    /// Whether the caller may change registry-wide resources (`admin` on `*`).
    pub(crate) fn allows_global(&self) -> bool {
        self.security.rules().allows_global(&self.principal)
    }

    /// Whether the caller may read `subject` (its qualified name).
    pub(crate) fn can_read(&self, subject: &str) -> bool {
        self.security
            .rules()
            .allows(&self.principal, Operation::Read, subject)
    }

    /// `Ok` when the caller may read `subject` (its qualified name); `Err` with the 40301
    /// message the middleware gives.
    pub(crate) fn check_read(&self, subject: &str) -> Result<(), String> {
        if self.can_read(subject) {
            Ok(())
        } else {
            Err(format!(
                "User '{}' is not authorized to perform operation '{}' on subject '{subject}'",
                self.principal.name,
                Operation::Read
            ))
        }
    }
}

/// Keeps only the items whose subject the caller may read (all of them with
/// authentication off).
pub(crate) fn readable<T>(
    access: Option<&Access>,
    items: Vec<T>,
    subject: impl Fn(&T) -> &str,
) -> Vec<T> {
    match access {
        Some(access) => items
            .into_iter()
            .filter(|i| access.can_read(subject(i)))
            .collect(),
        None => items,
    }
}

/// What a route needs.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Need {
    /// Nothing: health probes (and `/metrics` unless protected).
    Open,
    /// Any authenticated principal; listings are filtered by their handlers.
    Authenticated,
    /// An operation on the subject of the path.
    Subject(Operation, String),
    /// An operation on the subject the JSON body names in `subject` (a DEK created with
    /// `POST /dek-registry/v1/keks/{name}/deks`); [`enforce`] reads the body and makes it
    /// a [`Need::Subject`], or, without a subject, [`Need::Authenticated`] (the handler
    /// then refuses the request, 42271, and creates nothing).
    BodySubject(Operation),
    /// Reading a schema by id: some subject using it must be readable.
    SchemaId(String),
    /// Reading a schema by GUID: as by id.
    Guid(String),
    /// Reading a resource's associations: any authenticated principal, and the answer
    /// keeps only the associations of readable subjects.
    Associations,
    /// `admin` on `*`: registry-wide resources.
    Global,
}

impl Need {
    fn operation(&self) -> Option<Operation> {
        match self {
            Self::Open | Self::Authenticated | Self::Associations => None,
            Self::Subject(op, _) | Self::BodySubject(op) => Some(*op),
            Self::SchemaId(_) | Self::Guid(_) => Some(Operation::Read),
            Self::Global => Some(Operation::Admin),
        }
    }

    fn subject(&self) -> Option<&str> {
        match self {
            Self::Subject(_, s) => Some(s),
            _ => None,
        }
    }
}

/// The subject of a path parameter as the handlers read it (`:.:orders` is `orders`).
fn path_subject(raw: &str) -> String {
    match Subject::parse(raw) {
        Ok(parsed) => parsed.normalized().unwrap_or(parsed).as_str().to_owned(),
        Err(_) => raw.to_owned(),
    }
}

/// The operation a request needs, by its method and matched route.
fn classify(
    method: &Method,
    route: Option<&str>,
    param: impl Fn(&str) -> Option<String>,
    metrics: MetricsAccess,
) -> Need {
    use Operation::{Config, Delete, Mode, Read, Write};
    let Some(route) = route else {
        // No route: 404 or 405 to an authenticated caller.
        return Need::Authenticated;
    };
    let subject = || path_subject(&param("subject").unwrap_or_default());
    let on = |op: Operation| Need::Subject(op, subject());
    let m = method.clone();
    match route {
        "/health/live" | "/health/ready" => Need::Open,
        "/metrics" => match metrics {
            MetricsAccess::Open => Need::Open,
            MetricsAccess::Authenticated => Need::Authenticated,
        },
        "/"
        | "/openapi.json"
        | "/schemas/types"
        | "/v1/metadata/id"
        | "/v1/metadata/version"
        | "/v1/metadata/deployment"
        | "/schemas/guids/{guid}/ids"
        | "/contexts" => Need::Authenticated,
        // Listings: filtered to the readable subjects by their handlers.
        "/subjects" | "/schemas" => Need::Authenticated,
        "/schemas/ids/{id}"
        | "/schemas/ids/{id}/schema"
        | "/schemas/ids/{id}/subjects"
        | "/schemas/ids/{id}/versions" => Need::SchemaId(param("id").unwrap_or_default()),
        "/schemas/guids/{guid}" => Need::Guid(param("guid").unwrap_or_default()),
        "/subjects/{subject}" => match m {
            Method::DELETE => on(Delete),
            _ => on(Read),
        },
        "/subjects/{subject}/versions" => match m {
            Method::POST => on(Write),
            _ => on(Read),
        },
        "/subjects/{subject}/versions/{version}" => match m {
            Method::DELETE => on(Delete),
            _ => on(Read),
        },
        "/subjects/{subject}/versions/{version}/tags" => match m {
            Method::GET => on(Read),
            _ => on(Write),
        },
        "/subjects/{subject}/versions/{version}/schema"
        | "/subjects/{subject}/versions/{version}/referencedby"
        | "/subjects/{subject}/metadata"
        | "/associations/subjects/{subject}"
        | "/compatibility/subjects/{subject}/versions"
        | "/compatibility/subjects/{subject}/versions/{version}"
        | "/warden/v1/subjects/{subject}/diff" => on(Read),
        // A diff of two submitted schemas reads the subjects its references name (and the
        // body's `subject`): its handler checks Read on each (`http::diff`).
        "/warden/v1/diff" => Need::Authenticated,
        "/config/{subject}" => match m {
            Method::GET => on(Read),
            _ => on(Config),
        },
        "/mode/{subject}" => match m {
            Method::GET => on(Read),
            _ => on(Mode),
        },
        // The web UI (`http::ui`): its pages are reads, its forms config and mode changes.
        "/ui" | "/ui/assets/ui.css" | "/ui/assets/ui.js" => Need::Authenticated,
        "/ui/subjects/{subject}"
        | "/ui/subjects/{subject}/diff"
        | "/ui/subjects/{subject}/check" => on(Read),
        "/ui/subjects/{subject}/config" => on(Config),
        "/ui/subjects/{subject}/mode" => on(Mode),
        "/ui/schemas/{id}" => Need::SchemaId(param("id").unwrap_or_default()),
        "/ui/config" | "/ui/mode" => Need::Global,
        "/config" | "/mode" => match m {
            Method::GET => Need::Authenticated,
            _ => Need::Global,
        },
        // Serializers look up a topic's associations to name its subject.
        "/associations"
        | "/associations/resources/{resourceNamespace}/{resourceName}"
        | "/associations/resources/{resourceId}"
            if m == Method::GET =>
        {
            Need::Associations
        }
        // The DEK registry (Confluent's `DekRegistryResource`). KEKs are read, and created,
        // by every producer and consumer whose schema has an `ENCRYPT` rule (the clients
        // create the rule's KEK on first use); changing or deleting one is administration.
        // A DEK is its subject's: read with the subject, created with a write, deleted and
        // undeleted with a delete, whether the subject is in the path or, when created with
        // `POST …/deks` (Confluent's Java client), only in the body (as Confluent checks the
        // subject's permission). The DEK subjects of a KEK are administration.
        "/dek-registry/v1/keks" => Need::Authenticated,
        "/dek-registry/v1/keks/{name}" if m == Method::GET => Need::Authenticated,
        "/dek-registry/v1/keks/{name}/deks" if m == Method::POST => Need::BodySubject(Write),
        "/dek-registry/v1/keks/{name}/deks/{subject}"
        | "/dek-registry/v1/keks/{name}/deks/{subject}/versions"
        | "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}" => match m {
            Method::GET => on(Read),
            Method::POST => on(Write),
            _ => on(Delete),
        },
        "/dek-registry/v1/keks/{name}/deks/{subject}/undelete"
        | "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete" => on(Delete),
        // Contexts' deletion, association changes (which name resources, not only
        // subjects) and batch reads, and any route this table does not know.
        _ => Need::Global,
    }
}

/// Authenticates, authorizes, and audits one request.
pub(super) async fn enforce(
    State(state): State<Arc<AuthState>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, mut body) = request.into_parts();
    let params = parts.extract::<RawPathParams>().await.ok();
    let param = |name: &str| {
        params.as_ref().and_then(|p| {
            p.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_owned())
        })
    };
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let security = &state.security;
    let mut need = classify(&parts.method, route.as_deref(), param, security.metrics());
    if need == Need::Open {
        return next.run(Request::from_parts(parts, body)).await;
    }
    let peer = parts.extensions.get::<Peer>().cloned();
    let mut event = AuditEvent {
        time: String::new(),
        principal: None,
        source: peer.as_ref().map(|p| p.addr.to_string()),
        operation: need.operation().map_or("read", Operation::as_str),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        subject: need.subject().map(str::to_owned),
        version: param("version")
            .and_then(|v| v.parse().ok())
            .filter(|v: &i64| *v > 0),
        id: match &need {
            Need::SchemaId(id) => id.parse().ok(),
            _ => None,
        },
        outcome: "success",
        status: 200,
    };
    // Who asks, before anything of the body is read.
    let principal = if security.auth_enabled() {
        match authenticate(security, &parts.headers, peer.as_ref()).await {
            Ok(principal) => Some(principal),
            Err(message) => {
                let response = unauthorized(security, &parts.headers, message);
                event.outcome = "unauthenticated";
                event.operation = need.operation().map_or("authenticate", Operation::as_str);
                finish(security, &mut event, response.status().as_u16());
                return response;
            }
        }
    } else {
        None
    };
    // A registration with an explicit id is an import; a DEK created with `POST …/deks`
    // is its body's subject's.
    let import_check =
        route.as_deref() == Some("/subjects/{subject}/versions") && parts.method == Method::POST;
    if import_check || matches!(need, Need::BodySubject(_)) {
        let bytes = match axum::body::to_bytes(body, state.max_body_bytes).await {
            Ok(bytes) => bytes,
            // As the body extractor answers (`extract.rs`): too large, or ended early.
            Err(e) if is_length_limit(&e) => {
                return ApiError::Http(
                    ErrorCode::PayloadTooLarge,
                    "Request body is larger than the configured limit (--max-body-bytes)".into(),
                )
                .into_response();
            }
            Err(e) => {
                tracing::debug!(error = %e, "the request body ended early");
                return ApiError::bad_request(
                    "EOF Exception encountered - client disconnected during stream processing.",
                )
                .into_response();
            }
        };
        // Read as the handler reads it: the first JSON value, whatever follows it.
        let fields = match super::extract::first_json_value(&bytes) {
            Ok(Some(serde_json::Value::Object(fields))) => Some(fields),
            _ => None,
        };
        if let Need::BodySubject(op) = need {
            // As the handler reads it (`registry::dek::create_dek`): a non-empty string.
            let subject = fields
                .as_ref()
                .and_then(|f| f.get("subject"))
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty());
            need = match subject {
                Some(subject) => Need::Subject(op, path_subject(subject)),
                None => Need::Authenticated,
            };
            event.subject = need.subject().map(str::to_owned);
        } else if fields
            .as_ref()
            .is_some_and(|f| f.get("id").is_some_and(|id| !id.is_null()))
        {
            need = Need::Subject(
                Operation::Import,
                need.subject().unwrap_or_default().to_owned(),
            );
            event.operation = Operation::Import.as_str();
        }
        body = Body::from(bytes);
    }
    // A DEK created without a subject is refused by its handler: audited as a write.
    let audited = need.operation().is_some_and(|op| op != Operation::Read)
        || (route.as_deref() == Some("/dek-registry/v1/keks/{name}/deks")
            && parts.method == Method::POST);

    if let Some(principal) = principal {
        event.principal = Some(principal.name.clone());
        if let Err(message) = authorize(&state, &principal, &need, &parts.uri).await {
            let response = ApiError::Http(ErrorCode::Forbidden, message).into_response();
            event.outcome = "denied";
            finish(security, &mut event, response.status().as_u16());
            return response;
        }
        parts.extensions.insert(Access {
            principal,
            security: Arc::clone(security),
        });
    }
    if audited && let Some(limiter) = security.write_limiter() {
        let key = match (&event.principal, &peer) {
            (Some(name), _) => name.clone(),
            (None, Some(peer)) => peer.addr.ip().to_string(),
            (None, None) => String::new(),
        };
        if let Err(wait) = limiter.take(&key) {
            let mut response = ApiError::Http(
                ErrorCode::TooManyRequests,
                format!(
                    "Too many changes: the limit is {} per second per principal; retry in {} ms",
                    limiter.rate(),
                    wait.as_millis().max(1)
                ),
            )
            .into_response();
            let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            event.outcome = "limited";
            finish(security, &mut event, response.status().as_u16());
            return response;
        }
    }
    let access = parts.extensions.get::<Access>().cloned();
    let response = next.run(Request::from_parts(parts, body)).await;
    if need == Need::Associations
        && let Some(access) = access
        && response.status().is_success()
    {
        return readable_associations(&access, response).await;
    }
    if !audited {
        return response;
    }
    let status = response.status();
    if !status.is_success() {
        event.outcome = "failure";
        finish(security, &mut event, status.as_u16());
        return response;
    }
    // The id and version the answer names (a registration's id, a deleted version).
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) => {
            event.id = event
                .id
                .or_else(|| fields.get("id").and_then(serde_json::Value::as_i64));
            event.version = event
                .version
                .or_else(|| fields.get("version").and_then(serde_json::Value::as_i64));
        }
        Ok(serde_json::Value::Number(n))
            if route.as_deref() == Some("/subjects/{subject}/versions/{version}") =>
        {
            event.version = n.as_i64();
        }
        _ => {}
    }
    finish(security, &mut event, status.as_u16());
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether reading a body failed on its length limit.
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// `response` (a JSON array of associations) without the associations of subjects the
/// caller may not read.
async fn readable_associations(access: &Access, response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let Ok(serde_json::Value::Array(items)) = serde_json::from_slice(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let items: Vec<serde_json::Value> = items
        .into_iter()
        .filter(|a| a["subject"].as_str().is_some_and(|s| access.can_read(s)))
        .collect();
    let bytes = serde_json::to_vec(&items).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

fn finish(security: &Security, event: &mut AuditEvent, status: u16) {
    event.status = status;
    event.time = rfc3339(SystemTime::now());
    security.audit().record(event);
}

/// The principal of the request: its `Authorization` header (basic or bearer), else its
/// client certificate; `Err` with the reason answered in the 401.
async fn authenticate(
    security: &Arc<Security>,
    headers: &HeaderMap,
    peer: Option<&Peer>,
) -> Result<Principal, String> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| "Malformed Authorization header".to_owned())?;
        let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
        let credentials = credentials.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            if security.users().is_none() {
                return Err("Basic authentication is not enabled".into());
            }
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(credentials)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
                .ok_or_else(|| "Malformed basic credentials".to_owned())?;
            let (name, password) = decoded
                .split_once(':')
                .ok_or_else(|| "Malformed basic credentials".to_owned())?;
            let users = security.users().expect("checked above");
            let verified = if users.is_cached(name, password) {
                users.verify(name, password)
            } else {
                // Argon2 takes tens of milliseconds: off the request threads.
                let security = Arc::clone(security);
                let (name, password) = (name.to_owned(), password.to_owned());
                tokio::task::spawn_blocking(move || {
                    security.users().and_then(|u| u.verify(&name, &password))
                })
                .await
                .ok()
                .flatten()
            };
            return verified.ok_or_else(|| "Invalid username or password".to_owned());
        }
        if scheme.eq_ignore_ascii_case("bearer") {
            let jwt = security
                .jwt()
                .ok_or_else(|| "Bearer authentication is not enabled".to_owned())?;
            if jwt.should_refetch_for(credentials)
                && let Err(e) = jwt.refresh_remote().await
            {
                tracing::warn!(error = %e, "JWKS not fetched for an unknown key id");
            }
            return jwt.verify(credentials).map_err(|e| e.to_string());
        }
        return Err(format!("Unsupported authorization scheme {scheme}"));
    }
    if let Some(name) = peer.and_then(|p| p.cert_principal.clone()) {
        return Ok(Principal {
            name,
            groups: Vec::new(),
        });
    }
    Err("Authentication required".into())
}

/// 401 with a challenge per method in force.
fn unauthorized(security: &Security, headers: &HeaderMap, message: String) -> Response {
    let mut response = ApiError::Http(ErrorCode::Unauthorized, message).into_response();
    let challenges = response.headers_mut();
    if security.users().is_some() {
        challenges.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"warden\", charset=\"UTF-8\""),
        );
    }
    if security.jwt().is_some() {
        let bearer_sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.len() > 7 && v[..7].eq_ignore_ascii_case("bearer "));
        challenges.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(if bearer_sent {
                "Bearer realm=\"warden\", error=\"invalid_token\""
            } else {
                "Bearer realm=\"warden\""
            }),
        );
    }
    if !challenges.contains_key(header::WWW_AUTHENTICATE) {
        // Mutual TLS only: the client must present a certificate.
        challenges.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Certificate realm=\"warden\""),
        );
    }
    response
}

/// `Ok` when `who` may do what `need` says; `Err` with the 403 message.
async fn authorize(
    state: &AuthState,
    who: &Principal,
    need: &Need,
    uri: &axum::http::Uri,
) -> Result<(), String> {
    let rules = state.security.rules();
    let refused = |op: Operation, what: &str| {
        format!(
            "User '{}' is not authorized to perform operation '{op}' on {what}",
            who.name
        )
    };
    match need {
        Need::Open | Need::Authenticated | Need::Associations => Ok(()),
        // Made a `Subject` (or `Authenticated`) by `enforce` before it authorizes.
        Need::BodySubject(op) => Err(refused(*op, "a subject the request body does not name")),
        Need::Subject(op, subject) => {
            if rules.allows(who, *op, subject) {
                Ok(())
            } else {
                Err(refused(*op, &format!("subject '{subject}'")))
            }
        }
        Need::Global => {
            if rules.allows_global(who) {
                Ok(())
            } else {
                Err(refused(
                    Operation::Admin,
                    "the registry (global config and mode, contexts, associations)",
                ))
            }
        }
        Need::SchemaId(raw) => {
            let Some(subjects) = subjects_of_id(state, raw, uri).await else {
                // Not an id of any schema: the handler answers 404 (40403).
                return Ok(());
            };
            if subjects
                .iter()
                .any(|s| rules.allows(who, Operation::Read, s.as_str()))
            {
                Ok(())
            } else {
                Err(refused(
                    Operation::Read,
                    &format!("schema id {raw} (no subject using it is readable)"),
                ))
            }
        }
        Need::Guid(guid) => {
            let Ok(schema) = state.registry.schema_by_guid(guid).await else {
                return Ok(());
            };
            let subjects = state
                .registry
                .subjects_of_schema(schema.stored.id, true)
                .await
                .unwrap_or_default();
            if subjects
                .iter()
                .any(|s| rules.allows(who, Operation::Read, s.as_str()))
            {
                Ok(())
            } else {
                Err(refused(
                    Operation::Read,
                    &format!("schema guid {guid} (no subject using it is readable)"),
                ))
            }
        }
    }
}

/// The subjects using the schema id of the path, in the context the `subject` query
/// parameter chooses (as the handlers read it); `None` when there is no such schema.
async fn subjects_of_id(
    state: &AuthState,
    raw: &str,
    uri: &axum::http::Uri,
) -> Option<Arc<Vec<Subject>>> {
    let n: i32 = raw.parse().ok()?;
    let id = SchemaId::new(i64::from(n)).ok()?;
    let named = super::associations::query_pairs(uri.query().unwrap_or_default())
        .into_iter()
        .find(|(k, _)| k == "subject")
        .and_then(|(_, v)| Subject::parse(&v).ok());
    let id = state
        .registry
        .id_in_context(id, named.as_ref())
        .await
        .ok()?;
    if let Some(subjects) = state.subjects_of_id.get(&id) {
        return Some(subjects);
    }
    let subjects = Arc::new(state.registry.subjects_of_schema(id, true).await.ok()?);
    state.subjects_of_id.insert(id, Arc::clone(&subjects));
    Some(subjects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_of_the_ui_is_classified_as_a_read_or_the_change_it_makes() {
        use Operation::{Config, Mode, Read};
        let subject = |op| Need::Subject(op, "s".into());
        let expected = [
            (Method::GET, "/ui", Need::Authenticated),
            (Method::GET, "/ui/assets/ui.css", Need::Authenticated),
            (Method::GET, "/ui/assets/ui.js", Need::Authenticated),
            (Method::GET, "/ui/subjects/{subject}", subject(Read)),
            (Method::GET, "/ui/subjects/{subject}/diff", subject(Read)),
            (Method::POST, "/ui/subjects/{subject}/check", subject(Read)),
            (
                Method::POST,
                "/ui/subjects/{subject}/config",
                subject(Config),
            ),
            (Method::POST, "/ui/subjects/{subject}/mode", subject(Mode)),
            (Method::GET, "/ui/schemas/{id}", Need::SchemaId("s".into())),
            (Method::POST, "/ui/config", Need::Global),
            (Method::POST, "/ui/mode", Need::Global),
        ];
        assert_eq!(
            expected.len(),
            super::super::ui::ROUTES.len(),
            "every UI route is listed here"
        );
        for (method, path, need) in expected {
            assert!(
                super::super::ui::ROUTES.contains(&(path, method.as_str())),
                "{method} {path} is a UI route"
            );
            let got = classify(
                &method,
                Some(path),
                |_| Some("s".into()),
                MetricsAccess::Open,
            );
            assert_eq!(got, need, "{method} {path}");
        }
    }

    #[test]
    fn every_route_of_the_api_is_classified() {
        // Every route the router serves, with every method, has a deliberate class: none
        // falls to the catch-all except the registry-wide ones listed here.
        let (_, api) = super::super::openapi::router().split_for_parts();
        let global_by_design = [
            "/contexts/{context}",
            "/associations",
            "/associations/resources/{resourceId}",
            "/associations:batchGet",
            "/associations:batchMutate",
            // KEK changes, and a KEK's DEK subjects (`GET …/deks`; `POST …/deks` creates a
            // DEK of the body's subject).
            "/dek-registry/v1/keks/{name}",
            "/dek-registry/v1/keks/{name}/test",
            "/dek-registry/v1/keks/{name}/undelete",
            "GET /dek-registry/v1/keks/{name}/deks",
        ];
        for (path, item) in &api.paths.paths {
            let methods = [
                (Method::GET, item.get.is_some()),
                (Method::POST, item.post.is_some()),
                (Method::PUT, item.put.is_some()),
                (Method::DELETE, item.delete.is_some()),
            ];
            for (method, present) in methods {
                if !present {
                    continue;
                }
                let need = classify(
                    &method,
                    Some(path),
                    |_| Some("s".into()),
                    MetricsAccess::Open,
                );
                let global_ok = global_by_design.contains(&path.as_str())
                    || global_by_design.contains(&format!("{method} {path}").as_str())
                    || (matches!(path.as_str(), "/config" | "/mode") && method != Method::GET);
                assert!(
                    need != Need::Global || global_ok,
                    "{method} {path} falls to the admin-only catch-all"
                );
            }
        }
    }

    #[test]
    fn a_dek_created_with_its_subject_in_the_body_needs_write_on_that_subject() {
        let need = classify(
            &Method::POST,
            Some("/dek-registry/v1/keks/{name}/deks"),
            |_| Some("k1".into()),
            MetricsAccess::Open,
        );
        assert_eq!(need, Need::BodySubject(Operation::Write));
        let listing = classify(
            &Method::GET,
            Some("/dek-registry/v1/keks/{name}/deks"),
            |_| Some("k1".into()),
            MetricsAccess::Open,
        );
        assert_eq!(
            listing,
            Need::Global,
            "a KEK's DEK subjects stay administration"
        );
    }
}
