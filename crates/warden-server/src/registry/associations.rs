//! Associations between resources (Kafka topics) and subjects, as Confluent 8's
//! `AssociationsResource` and `AbstractSchemaRegistry` keep them: a topic's `key` and `value`
//! subjects, WEAK (the subject is shared) or STRONG (the topic owns its subject, which is
//! frozen and named `:.{namespace}:{topic}-{type}`).
//!
//! The rules and their messages are Confluent's (`AssociationCreateOrUpdateRequest.validate`,
//! `AssociationCreateOrUpdateInfo.validate` and `applyDefaults`,
//! `AbstractSchemaRegistry.createOrUpdateAssociation`, `deleteAssociations`,
//! `batchGetAssociations`, `mutateAssociations`). The `context` query parameter qualifies
//! unqualified subjects, and a subject alias stands for its subject.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use warden_core::api::{ErrorBody, RegisterSchemaRequest, SubjectVersionResponse};
use warden_core::jackson::java_string_order;
use warden_core::{Mode, Subject, VersionSelector};
use warden_storage::{AssociationKey, DeletedFilter, StoredAssociation, now_millis};

use super::{Registry, SchemaOptions, SchemaSubmission};
use crate::error::{Error, Result};

/// The only resource type Confluent accepts (`AssociationsResource.DEFAULT_RESOURCE_TYPE`).
const TOPIC: &str = "topic";
/// A path segment that matches every resource name or namespace
/// (`SchemaRegistry.RESOURCE_WILDCARD`).
const WILDCARD: &str = "-";
/// Longest resource name or namespace (`RestValidation.NAME_MAX_LENGTH`).
const NAME_MAX_LENGTH: usize = 256;
/// An association's lifecycle (Confluent `LifecyclePolicy`): STRONG, the resource owns its
/// subject; WEAK, the subject is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
pub enum Lifecycle {
    /// The resource owns the subject; the association is frozen.
    #[serde(rename = "STRONG")]
    Strong,
    /// The subject is shared.
    #[serde(rename = "WEAK")]
    Weak,
}

impl Lifecycle {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strong => "STRONG",
            Self::Weak => "WEAK",
        }
    }

    /// `STRONG` or `WEAK`, exactly (Java's `Enum.valueOf`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "STRONG" => Some(Self::Strong),
            "WEAK" => Some(Self::Weak),
            _ => None,
        }
    }
}

/// One association as the reads answer it (Confluent `Association`). `frozen` is shown only
/// when it differs from its lifecycle's default (STRONG is frozen, WEAK is not).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Association {
    /// The associated subject.
    pub subject: String,
    /// The association's own id.
    pub guid: String,
    /// The resource's name (the topic).
    pub resource_name: String,
    /// The resource's namespace (the Kafka cluster id).
    pub resource_namespace: String,
    /// The resource's id.
    pub resource_id: String,
    /// The resource's type (`topic`).
    pub resource_type: String,
    /// `key` or `value`.
    pub association_type: String,
    /// STRONG or WEAK.
    pub lifecycle: Lifecycle,
    /// Shown only when it differs from the lifecycle's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    /// Creation time, epoch milliseconds.
    #[serde(rename = "createTs")]
    pub create_ts: i64,
    /// Last update, epoch milliseconds.
    #[serde(rename = "updateTs")]
    pub update_ts: i64,
}

/// One association of a resource in a create, update or batch answer (Confluent
/// `AssociationInfo`), with the schema registered with it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationInfo {
    /// The associated subject.
    pub subject: String,
    /// `key` or `value`.
    pub association_type: String,
    /// STRONG or WEAK.
    pub lifecycle: Lifecycle,
    /// Shown only when it differs from the lifecycle's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frozen: Option<bool>,
    /// The version registered with the association (create), or the subject's latest
    /// (`batchGet?includeSchemas=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schema: Option<SubjectVersionResponse>,
}

/// The answer of a create or update (Confluent `AssociationResponse`); absent fields and an
/// empty list are left out (`JsonInclude.NON_EMPTY`).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AssociationResponse {
    /// The resource's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_name: Option<String>,
    /// The resource's namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_namespace: Option<String>,
    /// The resource's id (absent in a dry run without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// The resource's type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// The associations written (an idempotent repeat writes none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub associations: Vec<AssociationInfo>,
}

/// One result of a batch (Confluent `AssociationResult`): an error or a result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssociationResult {
    /// Why this request failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// What it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<AssociationResponse>,
}

/// The answer of `POST /associations:batchGet` and `:batchMutate` (HTTP 207).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AssociationBatchResponse {
    /// One result per request, in order.
    pub results: Vec<AssociationResult>,
}

/// The body of `POST /associations` and `PUT /associations/resources/{resourceId}`
/// (Confluent `AssociationCreateOrUpdateRequest`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AssociationRequest {
    /// The resource's name: letters, digits, `_` and `-`, at most 256.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_name: Option<String>,
    /// The resource's namespace, same rules.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_namespace: Option<String>,
    /// The resource's id; required unless `dryRun`.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_id: Option<String>,
    /// `topic` (the default).
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_type: Option<String>,
    /// One entry per association type.
    pub associations: Option<Vec<AssociationInfoRequest>>,
}

/// One association of a request (Confluent `AssociationCreateOrUpdateInfo`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AssociationInfoRequest {
    /// The subject; defaults to `:.{namespace}:{name}-{type}` for STRONG.
    pub subject: Option<String>,
    /// `key` or `value` (the default).
    pub association_type: Option<String>,
    /// STRONG or WEAK; a create defaults to STRONG with a schema, else WEAK.
    #[schema(value_type = Option<Lifecycle>)]
    pub lifecycle: Option<Lifecycle>,
    /// Whether the association is frozen; must match the lifecycle (STRONG is frozen).
    pub frozen: Option<bool>,
    /// A schema to register under the subject with the association (creates only).
    #[schema(value_type = Option<Object>)]
    pub schema: Option<RegisterSchemaRequest>,
    /// Normalize that schema.
    pub normalize: Option<bool>,
}

/// One query of `POST /associations:batchGet` (Confluent `AssociationGetRequest`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AssociationGetRequest {
    /// The resource's name (with `resourceNamespace`), when no id is given.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_name: Option<String>,
    /// The resource's namespace.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_namespace: Option<String>,
    /// The resource's id.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_id: Option<String>,
    /// The resource type (`topic` by default).
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_type: Option<String>,
    /// Only these association types (all when absent or empty).
    pub association_types: Option<Vec<String>>,
    /// Only this lifecycle.
    #[schema(value_type = Option<Lifecycle>)]
    pub lifecycle: Option<Lifecycle>,
}

/// One operation of a batch mutation (Confluent `AssociationOp`, by `opType`).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub enum AssociationOp {
    /// `CREATE`: as `POST /associations`.
    Create(AssociationInfoRequest),
    /// `UPSERT`: as `PUT /associations/resources/{id}`.
    Upsert(AssociationInfoRequest),
    /// `DELETE` of one association type (`value` by default).
    Delete {
        /// `key` or `value`.
        association_type: Option<String>,
        /// Delete a STRONG association's subject with it.
        cascade_lifecycle: Option<bool>,
    },
}

/// One resource of `POST /associations:batchMutate` (Confluent `AssociationOpRequest`).
#[derive(Debug, Clone, Default, utoipa::ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AssociationOpRequest {
    /// The resource's name.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_name: Option<String>,
    /// The resource's namespace.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_namespace: Option<String>,
    /// The resource's id.
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_id: Option<String>,
    /// `topic` (the default).
    #[schema(value_type = Option<crate::http::openapi::JavaString>)]
    pub resource_type: Option<String>,
    /// The operations, applied in order.
    #[schema(value_type = Option<Vec<crate::http::openapi::AssociationOpSchema>>)]
    pub associations: Option<Vec<AssociationOp>>,
    /// An error the caller already has for this resource: answered as its result.
    pub error: Option<ErrorBody>,
}

/// The filters of the association reads.
#[derive(Debug, Clone, Default)]
pub struct AssociationFilter {
    /// Resource type (`topic` when absent or empty).
    pub resource_type: Option<String>,
    /// Association types (every type when empty).
    pub association_types: Vec<String>,
    /// Only this lifecycle.
    pub lifecycle: Option<Lifecycle>,
}

/// Confluent's `IllegalPropertyException` as the API answers it: 42212.
fn invalid(property: &str, detail: impl Into<String>) -> Error {
    Error::InvalidAssociation {
        property: property.to_owned(),
        detail: detail.into(),
    }
}

/// `RestValidation.checkName`.
fn check_name(name: Option<&str>, property: &str) -> Result<()> {
    let name = name.unwrap_or_default();
    if name.is_empty() {
        return Err(invalid(property, "cannot be null or empty"));
    }
    if name.encode_utf16().count() > NAME_MAX_LENGTH {
        return Err(invalid(
            property,
            format!("exceeds max length of {NAME_MAX_LENGTH}"),
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(invalid(property, format!("illegal character '{c}'")));
    }
    Ok(())
}

/// `RestValidation.checkSubject`: not empty, no ISO control character.
fn check_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.chars().any(char::is_control) {
        return Err(invalid("subject", "must not be empty"));
    }
    Ok(())
}

/// `key` or `value`; absent or empty is `value`.
fn association_type(given: Option<&str>) -> Result<String> {
    match given {
        Some(t) if !t.is_empty() => {
            if t == "key" || t == "value" {
                Ok(t.to_owned())
            } else {
                Err(invalid(
                    "associationType",
                    "must be either 'key' or 'value'",
                ))
            }
        }
        _ => Ok("value".to_owned()),
    }
}

/// `:.{namespace}:{name}-`, the prefix of a STRONG association's subject.
fn default_subject_prefix(name: &str, namespace: &str) -> String {
    format!(":.{namespace}:{name}-")
}

/// The context and unqualified name of a subject as Confluent's `QualifiedSubject` splits
/// it (`.` for the default context).
fn context_and_name(subject: &str) -> (&str, &str) {
    if let Some(rest) = subject.strip_prefix(':')
        && let Some((context, name)) = rest.split_once(':')
        && context.starts_with('.')
    {
        return (context, name);
    }
    (".", subject)
}

impl AssociationInfoRequest {
    /// `AssociationCreateOrUpdateInfo.applyDefaults`.
    fn apply_defaults(&mut self, is_create: bool) -> Result<()> {
        if !is_create && self.schema.is_some() {
            return Err(invalid(
                "schema",
                "cannot be provided when adding an association to an existing topic; an \
                 association with a schema must be created with the topic",
            ));
        }
        if self.schema.is_some() {
            if self.lifecycle == Some(Lifecycle::Weak) {
                return Err(invalid(
                    "lifecycle",
                    "cannot be WEAK when schema is provided",
                ));
            }
            if self.frozen == Some(false) {
                return Err(invalid(
                    "frozen",
                    "cannot be false when a schema is provided",
                ));
            }
            self.lifecycle = Some(Lifecycle::Strong);
        } else if self.lifecycle.is_none() {
            self.lifecycle = Some(Lifecycle::Weak);
        }
        let lifecycle = self.lifecycle.unwrap_or(Lifecycle::Weak);
        let desired = lifecycle == Lifecycle::Strong;
        if let Some(frozen) = self.frozen
            && frozen != desired
        {
            return Err(invalid(
                "frozen",
                format!(
                    "association with lifecycle of {} cannot be frozen={frozen}",
                    lifecycle.as_str()
                ),
            ));
        }
        self.frozen = Some(desired);
        Ok(())
    }

    /// `AssociationCreateOrUpdateInfo.validate`.
    fn validate(&mut self, is_create: bool) -> Result<()> {
        if let Some(s) = &self.subject {
            check_subject(s)?;
        }
        if is_create {
            self.apply_defaults(true)?;
        }
        self.association_type = Some(association_type(self.association_type.as_deref())?);
        if self.lifecycle == Some(Lifecycle::Weak) {
            if self.schema.is_some() {
                return Err(invalid(
                    "lifecycle",
                    "cannot be WEAK when schema is provided",
                ));
            }
            if self.frozen == Some(true) {
                return Err(invalid(
                    "frozen",
                    "association with lifecycle of WEAK cannot be frozen",
                ));
            }
            if is_create && self.subject.is_none() {
                return Err(invalid("subject", "must be provided for WEAK associations"));
            }
        }
        Ok(())
    }

    fn kind(&self) -> &str {
        self.association_type.as_deref().unwrap_or("value")
    }
}

/// Validates the resource fields of a request (`checkName`, `resourceId`, `resourceType`),
/// defaulting the type to `topic`.
fn validate_resource(
    name: Option<&str>,
    namespace: Option<&str>,
    id: Option<&str>,
    resource_type: &mut Option<String>,
    dry_run: bool,
) -> Result<()> {
    check_name(name, "resourceName")?;
    check_name(namespace, "resourceNamespace")?;
    if !dry_run && id.is_none_or(str::is_empty) {
        return Err(invalid("resourceId", "cannot be null or empty"));
    }
    match resource_type.as_deref() {
        Some(t) if !t.is_empty() => {
            if t != TOPIC {
                return Err(invalid("resourceType", "must be 'topic'"));
            }
        }
        _ => *resource_type = Some(TOPIC.to_owned()),
    }
    Ok(())
}

impl AssociationRequest {
    /// `AssociationCreateOrUpdateRequest.validate`: the resource fields, then each
    /// association (a create defaults a STRONG one's subject, and checks that a frozen one
    /// uses it and a WEAK one does not).
    pub fn validate(&mut self, is_create: bool, dry_run: bool) -> Result<()> {
        validate_resource(
            self.resource_name.as_deref(),
            self.resource_namespace.as_deref(),
            self.resource_id.as_deref(),
            &mut self.resource_type,
            dry_run,
        )?;
        let prefix = default_subject_prefix(
            self.resource_name.as_deref().unwrap_or_default(),
            self.resource_namespace.as_deref().unwrap_or_default(),
        );
        let infos = match &mut self.associations {
            Some(infos) if !infos.is_empty() => infos,
            _ => return Err(invalid("associations", "cannot be null or empty")),
        };
        for info in infos {
            info.validate(is_create)?;
            if is_create {
                let default_subject = format!("{prefix}{}", info.kind());
                let subject = info.subject.get_or_insert_with(|| default_subject.clone());
                if info.frozen == Some(true) && *subject != default_subject {
                    return Err(invalid(
                        "subject",
                        format!("frozen associations must use subject '{default_subject}'"),
                    ));
                }
                if info.lifecycle == Some(Lifecycle::Weak) && *subject == default_subject {
                    return Err(invalid(
                        "subject",
                        format!("WEAK associations cannot use subject '{default_subject}'"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl AssociationOpRequest {
    /// `AssociationOpRequest.validate`: the resource fields, each operation, a type at most
    /// once, and a CREATE's subject defaults and checks as in [`AssociationRequest::validate`].
    fn validate(&mut self, dry_run: bool) -> Result<()> {
        validate_resource(
            self.resource_name.as_deref(),
            self.resource_namespace.as_deref(),
            self.resource_id.as_deref(),
            &mut self.resource_type,
            dry_run,
        )?;
        let prefix = default_subject_prefix(
            self.resource_name.as_deref().unwrap_or_default(),
            self.resource_namespace.as_deref().unwrap_or_default(),
        );
        let ops = match &mut self.associations {
            Some(ops) if !ops.is_empty() => ops,
            _ => return Err(invalid("associations", "cannot be null or empty")),
        };
        let mut seen = HashSet::new();
        for op in ops {
            let kind = match op {
                AssociationOp::Create(info) => {
                    // AssociationCreateOp.validate: defaults first, then the info's checks.
                    info.apply_defaults(true)?;
                    info.validate(false)?;
                    if info.subject.is_none() && info.lifecycle == Some(Lifecycle::Weak) {
                        return Err(invalid("subject", "must be provided for WEAK associations"));
                    }
                    info.kind().to_owned()
                }
                AssociationOp::Upsert(info) => {
                    info.validate(false)?;
                    info.kind().to_owned()
                }
                AssociationOp::Delete {
                    association_type: t,
                    ..
                } => {
                    let kind = association_type(t.as_deref())?;
                    *t = Some(kind.clone());
                    kind
                }
            };
            if !seen.insert(kind.clone()) {
                return Err(invalid(
                    "associationType",
                    format!(
                        "may only appear once per request, but '{kind}' appears more than once"
                    ),
                ));
            }
            if let AssociationOp::Create(info) = op {
                let default_subject = format!("{prefix}{kind}");
                let subject = info.subject.get_or_insert_with(|| default_subject.clone());
                if info.frozen == Some(true) && *subject != default_subject {
                    return Err(invalid(
                        "subject",
                        format!("frozen associations must use subject '{default_subject}'"),
                    ));
                }
                if info.lifecycle == Some(Lifecycle::Weak) && *subject == default_subject {
                    return Err(invalid(
                        "subject",
                        format!("WEAK associations cannot use subject '{default_subject}'"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl AssociationGetRequest {
    /// `AssociationGetRequest.validate`.
    fn validate(&self) -> Result<()> {
        let has_id = self.resource_id.as_deref().is_some_and(|s| !s.is_empty());
        let has_name = self.resource_name.as_deref().is_some_and(|s| !s.is_empty());
        if !has_id && !has_name {
            return Err(invalid(
                "resourceId",
                "either resourceId or resourceName must be specified",
            ));
        }
        if has_name && self.resource_namespace.as_deref().is_none_or(str::is_empty) {
            return Err(invalid(
                "resourceNamespace",
                "resourceNamespace is required when resourceName is specified",
            ));
        }
        Ok(())
    }
}

fn lifecycle_of(row: &StoredAssociation) -> Lifecycle {
    if row.strong {
        Lifecycle::Strong
    } else {
        Lifecycle::Weak
    }
}

/// The API form of a stored association.
fn entity(row: &StoredAssociation) -> Association {
    Association {
        subject: row.subject.clone(),
        guid: row.guid.clone(),
        resource_name: row.resource_name.clone(),
        resource_namespace: row.resource_namespace.clone(),
        resource_id: row.resource_id.clone(),
        resource_type: row.resource_type.clone(),
        association_type: row.association_type.clone(),
        lifecycle: lifecycle_of(row),
        frozen: (row.frozen != row.strong).then_some(row.frozen),
        create_ts: row.created_at,
        update_ts: row.updated_at,
    }
}

/// Confluent's `Association.compareTo`: by resource name, namespace, type, association type,
/// then subject.
fn sort(rows: &mut [StoredAssociation]) {
    rows.sort_by(|a, b| {
        java_string_order(&a.resource_name, &b.resource_name)
            .then_with(|| java_string_order(&a.resource_namespace, &b.resource_namespace))
            .then_with(|| java_string_order(&a.resource_type, &b.resource_type))
            .then_with(|| java_string_order(&a.association_type, &b.association_type))
            .then_with(|| java_string_order(&a.subject, &b.subject))
    });
}

/// A random version-4 UUID (as Confluent's `UUID.randomUUID`), from the process's hash
/// keys, which the standard library seeds from the OS per thread, mixed with the time.
fn random_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A stored subject name as a [`Subject`]; the request's subjects passed `check_subject`.
fn subject(name: &str) -> Result<Subject> {
    Subject::parse(name).map_err(|e| Error::InvalidSubject(e.to_string()))
}

/// The error of a failed batch request, as `mutateAssociations` and `batchGetAssociations`
/// put it in the result: the association outcomes with their own code, anything else as
/// rest-utils' `RestServerErrorException.DEFAULT_ERROR_CODE` (500) with the cause's message.
fn batch_error(e: &Error, get: bool) -> ErrorBody {
    use warden_core::ErrorCode;
    let (code, message) = match e.code() {
        ErrorCode::InvalidAssociation
        | ErrorCode::AssociationForResourceExists
        | ErrorCode::AssociationForSubjectExists
        | ErrorCode::AssociationFrozen
        | ErrorCode::NoActiveSubjectVersionExists
        | ErrorCode::StrongAssociationForSubjectExists
        | ErrorCode::ReferenceExists
        | ErrorCode::IncompatibleSchema
            if !get =>
        {
            (e.code().code(), e.to_string())
        }
        ErrorCode::InvalidSchema if !get => (ErrorCode::InvalidAssociation.code(), e.to_string()),
        _ if get => (
            500,
            format!("Error while getting associations: {}", batch_detail(e)),
        ),
        _ => (
            500,
            format!("Error while creating association: {}", batch_detail(e)),
        ),
    };
    ErrorBody {
        error_code: code,
        message,
    }
}

/// The exception's message as Java's `getMessage` gives it, as a batch wraps it; for an
/// `IllegalPropertyException`, "property: {property}; detail: {detail}".
fn batch_detail(e: &Error) -> String {
    match e {
        Error::InvalidAssociation { property, detail } => {
            format!("property: {property}; detail: {detail}")
        }
        other => other.to_string(),
    }
}

impl Registry {
    /// The associations of a subject (`GET /associations/subjects/{subject}`), sorted as
    /// Confluent sorts them, one page.
    pub async fn associations_by_subject(
        &self,
        subject: &str,
        filter: &AssociationFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Association>> {
        let rows = self
            .find_associations(AssociationKey::Subject(subject), filter)
            .await?;
        Ok(page(rows, offset, limit))
    }

    /// The associations of a resource by name and namespace (`-` for every name or every
    /// namespace), one page.
    pub async fn associations_by_resource_name(
        &self,
        namespace: &str,
        name: &str,
        filter: &AssociationFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Association>> {
        let namespace = (namespace != WILDCARD).then_some(namespace);
        let key = if name == WILDCARD {
            AssociationKey::Namespace(namespace)
        } else {
            AssociationKey::ResourceName { name, namespace }
        };
        let rows = self.find_associations(key, filter).await?;
        Ok(page(rows, offset, limit))
    }

    /// The associations of a resource id, one page.
    pub async fn associations_by_resource_id(
        &self,
        resource_id: &str,
        filter: &AssociationFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Association>> {
        let rows = self
            .find_associations(AssociationKey::ResourceId(resource_id), filter)
            .await?;
        Ok(page(rows, offset, limit))
    }

    /// The associations of a subject of `resource_type` (any when `None`) and of
    /// `association_types` (any when empty), sorted, every lifecycle: what
    /// `GET /schemas?resourceType=…&associationType=…&lifecycle=…` attaches to a version.
    pub async fn subject_associations(
        &self,
        subject: &Subject,
        resource_type: Option<&str>,
        association_types: &[String],
    ) -> Result<Vec<Association>> {
        let rows = self
            .select_associations(
                AssociationKey::Subject(subject.as_str()),
                resource_type,
                association_types,
                None,
            )
            .await?;
        Ok(rows.iter().map(entity).collect())
    }

    /// The stored rows `key` selects, filtered and sorted as Confluent's
    /// `getAssociationsBy…` (an absent or empty resource type is `topic`).
    async fn find_associations(
        &self,
        key: AssociationKey<'_>,
        filter: &AssociationFilter,
    ) -> Result<Vec<StoredAssociation>> {
        let resource_type = filter
            .resource_type
            .as_deref()
            .filter(|t| !t.is_empty())
            .unwrap_or(TOPIC);
        self.select_associations(
            key,
            Some(resource_type),
            &filter.association_types,
            filter.lifecycle,
        )
        .await
    }

    async fn select_associations(
        &self,
        key: AssociationKey<'_>,
        resource_type: Option<&str>,
        types: &[String],
        lifecycle: Option<Lifecycle>,
    ) -> Result<Vec<StoredAssociation>> {
        let mut rows: Vec<StoredAssociation> = self
            .store
            .associations(key, resource_type)
            .await?
            .into_iter()
            .filter(|r| types.is_empty() || types.contains(&r.association_type))
            .filter(|r| lifecycle.is_none_or(|l| l == lifecycle_of(r)))
            .collect();
        sort(&mut rows);
        Ok(rows)
    }

    /// Refuses to delete a subject with an association, as Confluent's `deleteSubject` does
    /// (40904).
    pub async fn refuse_if_associated(&self, subject: &Subject) -> Result<()> {
        let rows = self
            .store
            .associations(AssociationKey::Subject(subject.as_str()), None)
            .await?;
        if rows.is_empty() {
            Ok(())
        } else {
            Err(Error::AssociationForSubjectExists(subject.to_string()))
        }
    }

    /// Refuses a registration whose references name a subject with a STRONG association
    /// (a subject owned by its topic cannot be referenced), in every mode, as Confluent's
    /// `KafkaSchemaRegistry.register` does (42205). An unqualified reference is in the
    /// context of `subject`.
    pub async fn refuse_strong_references(
        &self,
        subject: &Subject,
        references: &[warden_core::api::SchemaReference],
    ) -> Result<()> {
        for reference in references {
            let Ok(target) = Subject::parse(&reference.subject) else {
                continue;
            };
            let target = subject.qualify_reference(&target);
            let strong = self
                .store
                .associations(AssociationKey::Subject(target.as_str()), None)
                .await?
                .iter()
                .any(|a| a.strong);
            if strong {
                return Err(Error::OperationNotPermitted(format!(
                    "Subject '{}' has a strong association and cannot be referenced",
                    reference.subject
                )));
            }
        }
        Ok(())
    }

    /// Refuses to soft-delete the last live version of a subject with an association, as
    /// Confluent's `deleteSchemaVersion` does (40907).
    pub async fn refuse_last_version_if_associated(&self, subject: &Subject) -> Result<()> {
        let rows = self
            .store
            .associations(AssociationKey::Subject(subject.as_str()), None)
            .await?;
        if rows.is_empty() {
            Ok(())
        } else {
            Err(Error::NoActiveSubjectVersionExists(subject.to_string()))
        }
    }

    /// `POST /associations` (`is_create`) and `PUT /associations/resources/{id}`: validates
    /// the associations against the stored ones and the subjects, registers the schemas
    /// given with them, and writes them. A dry run stops before registering and writing.
    ///
    /// Errors: 42212 invalid association; 40903 the resource has another association of the
    /// type; 40904 a STRONG association's subject has others; 40905 a WEAK association's
    /// subject has a STRONG one; 40907 no live version to associate; 40908 frozen; 42206 a
    /// STRONG association's subject is referenced; 42205 read-only mode; 40901 and 42201 for
    /// the schema given.
    pub async fn create_or_update_association(
        &self,
        mut request: AssociationRequest,
        context: Option<&str>,
        is_create: bool,
        dry_run: bool,
    ) -> Result<AssociationResponse> {
        request.validate(is_create, dry_run)?;
        in_context(request.associations.iter_mut().flatten(), context);
        let _writes = self.association_writes.lock().await;
        self.apply_association_request(request, is_create, dry_run)
            .await
    }

    /// `createOrUpdateAssociation` after the request's own validation.
    async fn apply_association_request(
        &self,
        mut request: AssociationRequest,
        is_create: bool,
        dry_run: bool,
    ) -> Result<AssociationResponse> {
        let name = request.resource_name.clone().unwrap_or_default();
        let namespace = request.resource_namespace.clone().unwrap_or_default();
        let resource_type = request
            .resource_type
            .clone()
            .unwrap_or_else(|| TOPIC.into());
        let resource_id = request.resource_id.clone();
        let prefix = default_subject_prefix(&name, &namespace);
        let infos = request.associations.get_or_insert_with(Vec::new);

        for info in infos.iter_mut() {
            if let Some(s) = &info.subject {
                // An alias stands for its subject (Confluent's `replaceAlias`).
                if let Some(target) = self.alias_target(&subject(s)?).await? {
                    let target = target.normalized().unwrap_or(target);
                    info.subject = Some(target.as_str().to_owned());
                }
            }
            if let Some(s) = &info.subject {
                let mode = self.effective_mode(&subject(s)?).await?;
                if !mode.allows_writes() {
                    let (context, unqualified) = context_and_name(s);
                    return Err(Error::OperationNotPermitted(format!(
                        "Subject {unqualified} in context {context} is in read-only mode"
                    )));
                }
            }
        }
        let mut types = Vec::new();
        for info in infos.iter() {
            let kind = info.kind().to_owned();
            if types.contains(&kind) {
                return Err(invalid(
                    "associationType",
                    format!(
                        "may only appear once per request, but '{kind}' appears more than once"
                    ),
                ));
            }
            types.push(kind);
        }

        let stored = match &resource_id {
            Some(id) => {
                self.select_associations(
                    AssociationKey::ResourceId(id),
                    Some(&resource_type),
                    &types,
                    None,
                )
                .await?
            }
            None => Vec::new(),
        };
        let stored = if stored.is_empty() && is_create && dry_run && resource_id.is_none() {
            // A validate-phase call without a resource id: match by name so that an
            // idempotent retry is recognized, narrowed to one resource.
            let by_name = self
                .select_associations(
                    AssociationKey::ResourceName {
                        name: &name,
                        namespace: Some(&namespace),
                    },
                    Some(&resource_type),
                    &types,
                    None,
                )
                .await?;
            most_recently_updated_resource(by_name)
        } else {
            stored
        };
        let by_type: HashMap<String, StoredAssociation> = stored
            .into_iter()
            .map(|a| (a.association_type.clone(), a))
            .collect();

        let mut skip = HashSet::new();
        for info in infos.iter_mut() {
            let kind = info.kind().to_owned();
            let existing = by_type.get(&kind);
            if existing.is_none() && !is_create {
                info.apply_defaults(false)?;
            }
            let default_subject = format!("{prefix}{kind}");
            let unqualified = match (&info.subject, existing) {
                (Some(s), _) => s.clone(),
                (None, Some(a)) => a.subject.clone(),
                (None, None) if info.lifecycle == Some(Lifecycle::Strong) => {
                    default_subject.clone()
                }
                (None, None) => {
                    return Err(invalid("subject", "must be provided for WEAK associations"));
                }
            };
            info.subject = Some(unqualified.clone());
            let Some(lifecycle) = info.lifecycle.or(existing.map(lifecycle_of)) else {
                return Err(invalid("lifecycle", "lifecycle must be set"));
            };
            if lifecycle == Lifecycle::Weak {
                if info.schema.is_some() {
                    return Err(invalid(
                        "lifecycle",
                        "cannot be WEAK when schema is provided",
                    ));
                }
                if unqualified == default_subject {
                    return Err(invalid(
                        "subject",
                        format!("WEAK associations cannot use subject '{default_subject}'"),
                    ));
                }
            }
            let is_frozen = existing.map_or(info.frozen == Some(true), |a| a.frozen);
            let requested_frozen = info.frozen.unwrap_or(is_frozen);
            if requested_frozen != (lifecycle == Lifecycle::Strong) {
                return Err(invalid(
                    "frozen",
                    format!(
                        "association with lifecycle of {} cannot be frozen={requested_frozen}",
                        lifecycle.as_str()
                    ),
                ));
            }
            if is_frozen && unqualified != default_subject {
                return Err(invalid(
                    "subject",
                    format!("frozen associations must use subject '{default_subject}'"),
                ));
            }
            let subj = subject(&unqualified)?;
            let Some(existing) = existing else {
                let import = self.effective_mode(&subj).await? == Mode::Import;
                if !is_create && lifecycle == Lifecycle::Strong && !import {
                    return Err(invalid(
                        "lifecycle",
                        "cannot be STRONG when creating an association; STRONG associations \
                         must be created with the topic",
                    ));
                }
                if info.frozen == Some(true) && !import {
                    if is_create && info.schema.is_none() {
                        return Err(invalid(
                            "schema",
                            "schema must be provided when creating a frozen association",
                        ));
                    }
                    let live = self.live_versions_of(&subj).await?;
                    if let Some(latest) = live.last() {
                        let matches = match &info.schema {
                            Some(schema) if live.len() == 1 && latest.get() == 1 => self
                                .lookup(
                                    &subj,
                                    SchemaSubmission::from_request(schema.clone())?,
                                    SchemaOptions {
                                        normalize: info.normalize == Some(true),
                                        ..SchemaOptions::default()
                                    },
                                    false,
                                )
                                .await
                                .is_ok(),
                            _ => false,
                        };
                        if !matches {
                            return Err(invalid(
                                "frozen",
                                "cannot create a frozen association when schemas already \
                                 exist in the subject",
                            ));
                        }
                    }
                }
                continue;
            };
            if is_equivalent(existing, info) {
                if is_create && let Some(schema) = &info.schema {
                    let found = self
                        .lookup(
                            &subj,
                            SchemaSubmission::from_request(schema.clone())?,
                            SchemaOptions {
                                normalize: info.normalize == Some(true),
                                ..SchemaOptions::default()
                            },
                            false,
                        )
                        .await;
                    if found.is_err() {
                        return Err(Error::AssociationForResourceExists {
                            association_type: existing.association_type.clone(),
                            resource: existing.resource_name.clone(),
                        });
                    }
                }
                skip.insert(kind);
                continue;
            }
            if is_create {
                return Err(Error::AssociationForResourceExists {
                    association_type: existing.association_type.clone(),
                    resource: existing.resource_name.clone(),
                });
            }
            if info.lifecycle.is_none() && info.schema.is_none() {
                return Err(invalid(
                    "lifecycle",
                    "at least lifecycle or schema must be provided for update",
                ));
            }
            if existing.subject != unqualified {
                return Err(invalid(
                    "subject",
                    format!(
                        "subject of association cannot be changed from '{}' to '{unqualified}'",
                        existing.subject
                    ),
                ));
            }
            if existing.strong
                && info.lifecycle == Some(Lifecycle::Weak)
                && existing.subject == default_subject
            {
                return Err(invalid(
                    "lifecycle",
                    format!(
                        "cannot change to WEAK when subject matches default format \
                         '{default_subject}'"
                    ),
                ));
            }
            if let Some(frozen) = info.frozen
                && frozen != existing.frozen
            {
                return Err(invalid(
                    "frozen",
                    "frozen attribute of association cannot be changed",
                ));
            }
            if existing.frozen {
                return Err(Error::AssociationFrozen {
                    association_type: existing.association_type.clone(),
                    subject: existing.subject.clone(),
                });
            }
        }

        self.check_uniform_lifecycle(
            resource_id.as_deref(),
            &name,
            &namespace,
            &resource_type,
            infos,
        )
        .await?;

        for info in infos.iter() {
            let unqualified = info.subject.clone().unwrap_or_default();
            let subj = subject(&unqualified)?;
            let existing = by_type.get(info.kind());
            let import = self.effective_mode(&subj).await? == Mode::Import;
            if info.schema.is_some() && import {
                return Err(invalid(
                    "schema",
                    format!("cannot be provided while subject '{unqualified}' is in IMPORT mode"),
                ));
            }
            if info.schema.is_none() && self.live_versions_of(&subj).await?.is_empty() {
                return Err(Error::NoActiveSubjectVersionExists(unqualified));
            }
            let others: Vec<StoredAssociation> = self
                .store
                .associations(AssociationKey::Subject(&unqualified), None)
                .await?
                .into_iter()
                .filter(|a| {
                    existing.is_none_or(|e| {
                        !(a.resource_id == e.resource_id
                            && a.resource_type == e.resource_type
                            && a.association_type == e.association_type)
                    })
                })
                .collect();
            let Some(lifecycle) = info.lifecycle.or(existing.map(lifecycle_of)) else {
                return Err(invalid("lifecycle", "lifecycle must be set"));
            };
            match lifecycle {
                Lifecycle::Strong => {
                    if !others.is_empty() {
                        return Err(Error::AssociationForSubjectExists(unqualified));
                    }
                    if self.is_subject_referenced(&subj).await?
                        || request_references(infos, &unqualified)
                    {
                        return Err(Error::ReferenceExists(format!(
                            "One or more references exist to the schema {unqualified}."
                        )));
                    }
                }
                Lifecycle::Weak => {
                    if info.frozen == Some(true) {
                        return Err(invalid(
                            "frozen",
                            "association with lifecycle of WEAK cannot be frozen",
                        ));
                    }
                    if others.iter().any(|a| a.strong) {
                        return Err(Error::StrongAssociationForSubjectExists(unqualified));
                    }
                }
            }
        }

        for info in infos.iter() {
            let Some(schema) = &info.schema else {
                continue;
            };
            let subj = subject(info.subject.as_deref().unwrap_or_default())?;
            let check = self
                .test_compatibility(
                    &subj,
                    None,
                    SchemaSubmission::from_request(schema.clone())?,
                    SchemaOptions {
                        normalize: info.normalize == Some(true),
                        ..SchemaOptions::default()
                    },
                    true,
                )
                .await?;
            if !check.is_compatible {
                return Err(Error::Incompatible {
                    subject: subj.to_string(),
                    messages: check.messages.unwrap_or_default(),
                });
            }
        }

        let mut response = AssociationResponse {
            resource_name: Some(name.clone()),
            resource_namespace: Some(namespace.clone()),
            resource_id: resource_id.clone(),
            resource_type: Some(resource_type.clone()),
            associations: Vec::new(),
        };
        if dry_run {
            return Ok(response);
        }

        let mut schemas: HashMap<String, SubjectVersionResponse> = HashMap::new();
        for info in infos.iter() {
            let Some(schema) = &info.schema else {
                continue;
            };
            let subj = subject(info.subject.as_deref().unwrap_or_default())?;
            if self.effective_mode(&subj).await? == Mode::Import {
                continue;
            }
            let options = SchemaOptions {
                normalize: info.normalize == Some(true),
                ..SchemaOptions::default()
            };
            self.register(
                &subj,
                SchemaSubmission::from_request(schema.clone())?,
                options,
            )
            .await?;
            let registered = self
                .lookup(
                    &subj,
                    SchemaSubmission::from_request(schema.clone())?,
                    options,
                    false,
                )
                .await?;
            schemas.insert(info.kind().to_owned(), registered);
        }

        let now = now_millis();
        let rows: Vec<StoredAssociation> = infos
            .iter()
            .filter(|info| !skip.contains(info.kind()))
            .map(|info| match by_type.get(info.kind()) {
                None => StoredAssociation {
                    guid: random_uuid(),
                    resource_name: name.clone(),
                    resource_namespace: namespace.clone(),
                    resource_id: resource_id.clone().unwrap_or_default(),
                    resource_type: resource_type.clone(),
                    association_type: info.kind().to_owned(),
                    subject: info.subject.clone().unwrap_or_default(),
                    strong: info.lifecycle == Some(Lifecycle::Strong),
                    frozen: info.frozen == Some(true),
                    created_at: now,
                    updated_at: now,
                },
                Some(old) => StoredAssociation {
                    strong: info
                        .lifecycle
                        .map_or(old.strong, |l| l == Lifecycle::Strong),
                    frozen: info.frozen.unwrap_or(old.frozen),
                    updated_at: now,
                    ..old.clone()
                },
            })
            .collect();
        self.store
            .write_associations(&rows, &[])
            .await
            .map_err(|e| match e {
                warden_storage::Error::AssociationExists {
                    association_type,
                    resource_name,
                } => Error::AssociationForResourceExists {
                    association_type,
                    resource: resource_name,
                },
                other => other.into(),
            })?;
        response.associations = rows
            .iter()
            .map(|row| AssociationInfo {
                subject: row.subject.clone(),
                association_type: row.association_type.clone(),
                lifecycle: lifecycle_of(row),
                frozen: (row.frozen != row.strong).then_some(row.frozen),
                schema: schemas.get(&row.association_type).cloned(),
            })
            .collect();
        Ok(response)
    }

    /// `checkUniformLifecycle`: every association type of a resource ends with one
    /// lifecycle.
    async fn check_uniform_lifecycle(
        &self,
        resource_id: Option<&str>,
        name: &str,
        namespace: &str,
        resource_type: &str,
        infos: &[AssociationInfoRequest],
    ) -> Result<()> {
        let existing = match resource_id {
            Some(id) => {
                self.select_associations(
                    AssociationKey::ResourceId(id),
                    Some(resource_type),
                    &[],
                    None,
                )
                .await?
            }
            None => most_recently_updated_resource(
                self.select_associations(
                    AssociationKey::ResourceName {
                        name,
                        namespace: Some(namespace),
                    },
                    Some(resource_type),
                    &[],
                    None,
                )
                .await?,
            ),
        };
        // Insertion order, as Confluent's LinkedHashMap.
        let mut by_type: Vec<(String, Lifecycle)> = Vec::new();
        let mut set = |kind: &str, l: Lifecycle| match by_type.iter_mut().find(|(k, _)| k == kind) {
            Some(entry) => entry.1 = l,
            None => by_type.push((kind.to_owned(), l)),
        };
        for a in &existing {
            set(&a.association_type, lifecycle_of(a));
        }
        for info in infos {
            if let Some(l) = info.lifecycle {
                set(info.kind(), l);
            }
        }
        let distinct: HashSet<Lifecycle> = by_type.iter().map(|(_, l)| *l).collect();
        if distinct.len() > 1 {
            let detail = by_type
                .iter()
                .map(|(k, l)| format!("{k}={}", l.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(invalid(
                "lifecycle",
                format!(
                    "all associations for a resource must have the same lifecycle, but got \
                     {detail}"
                ),
            ));
        }
        Ok(())
    }

    /// The live versions of a subject, ascending.
    async fn live_versions_of(&self, subject: &Subject) -> Result<Vec<warden_core::Version>> {
        Ok(self
            .store
            .versions(subject)
            .await?
            .into_iter()
            .filter(|r| !r.deleted)
            .map(|r| r.version)
            .collect())
    }

    /// `isSubjectReferenced`: whether a schema (live or soft-deleted) references any version
    /// of the subject.
    async fn is_subject_referenced(&self, subject: &Subject) -> Result<bool> {
        for row in self.store.versions(subject).await?.iter().rev() {
            if !self
                .store
                .referenced_by(subject, row.version, DeletedFilter::All)
                .await?
                .is_empty()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `DELETE /associations/resources/{resourceId}`: removes the resource's associations
    /// (of the given types), and with `cascade` the subjects of STRONG ones (soft, then
    /// hard).
    ///
    /// Errors: 40410 no association; 40908 a frozen association without `cascade`; 42205
    /// read-only mode; what deleting a subject answers (42206 referenced).
    pub async fn delete_associations(
        &self,
        resource_id: &str,
        filter: &AssociationFilter,
        cascade: bool,
        dry_run: bool,
    ) -> Result<()> {
        let rows = self
            .find_associations(AssociationKey::ResourceId(resource_id), filter)
            .await?;
        if rows.is_empty() {
            return Err(Error::AssociationNotFound(resource_id.to_owned()));
        }
        let _writes = self.association_writes.lock().await;
        self.remove_associations(rows, cascade, dry_run).await
    }

    /// `deleteAssociations` on rows already found.
    async fn remove_associations(
        &self,
        rows: Vec<StoredAssociation>,
        cascade: bool,
        dry_run: bool,
    ) -> Result<()> {
        for row in &rows {
            let subj = subject(&row.subject)?;
            if !self.effective_mode(&subj).await?.allows_writes() {
                let (context, unqualified) = context_and_name(&row.subject);
                return Err(Error::OperationNotPermitted(format!(
                    "Subject {unqualified} in context {context} is in read-only mode"
                )));
            }
            if !cascade && row.frozen {
                return Err(Error::AssociationFrozen {
                    association_type: row.association_type.clone(),
                    subject: row.subject.clone(),
                });
            }
        }
        if dry_run {
            return Ok(());
        }
        for row in &rows {
            self.store
                .write_associations(&[], std::slice::from_ref(&row.guid))
                .await?;
            let subj = subject(&row.subject)?;
            if cascade && row.strong && self.effective_mode(&subj).await? != Mode::Import {
                match self.delete_subject(&subj, false).await {
                    Ok(_) | Err(Error::SubjectNotFound(_) | Error::SubjectSoftDeleted(_)) => {}
                    Err(e) => return Err(e),
                }
                match self.delete_subject(&subj, true).await {
                    Ok(_) | Err(Error::SubjectNotFound(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// `POST /associations:batchGet`: each query answered on its own, a failure as its
    /// result's error.
    pub async fn batch_get_associations(
        &self,
        queries: Vec<AssociationGetRequest>,
        include_schemas: bool,
    ) -> Result<AssociationBatchResponse> {
        let mut results = Vec::with_capacity(queries.len());
        for query in queries {
            results.push(match self.get_one(query, include_schemas).await {
                Ok(result) => AssociationResult {
                    error: None,
                    result: Some(result),
                },
                Err(e) => AssociationResult {
                    error: Some(batch_error(&e, true)),
                    result: None,
                },
            });
        }
        Ok(AssociationBatchResponse { results })
    }

    async fn get_one(
        &self,
        query: AssociationGetRequest,
        include_schemas: bool,
    ) -> Result<AssociationResponse> {
        query.validate()?;
        let resource_type = query
            .resource_type
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| TOPIC.to_owned());
        let types = query.association_types.clone().unwrap_or_default();
        let rows = match query.resource_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => {
                self.select_associations(
                    AssociationKey::ResourceId(id),
                    Some(&resource_type),
                    &types,
                    query.lifecycle,
                )
                .await?
            }
            None => {
                self.select_associations(
                    AssociationKey::ResourceName {
                        name: query.resource_name.as_deref().unwrap_or_default(),
                        namespace: query
                            .resource_namespace
                            .as_deref()
                            .filter(|ns| *ns != WILDCARD),
                    },
                    Some(&resource_type),
                    &types,
                    query.lifecycle,
                )
                .await?
            }
        };
        let first = rows.first();
        let mut schemas = HashMap::new();
        if include_schemas {
            for row in &rows {
                let subj = subject(&row.subject)?;
                if let Ok((version, schema)) =
                    self.version(&subj, VersionSelector::Latest, false).await
                {
                    schemas.insert(
                        row.association_type.clone(),
                        Registry::version_response(&subj, version, &schema),
                    );
                }
            }
        }
        Ok(AssociationResponse {
            resource_name: query
                .resource_name
                .clone()
                .or_else(|| first.map(|a| a.resource_name.clone())),
            resource_namespace: query
                .resource_namespace
                .clone()
                .or_else(|| first.map(|a| a.resource_namespace.clone())),
            resource_id: query
                .resource_id
                .clone()
                .or_else(|| first.map(|a| a.resource_id.clone())),
            resource_type: Some(resource_type),
            associations: rows
                .iter()
                .map(|row| AssociationInfo {
                    subject: row.subject.clone(),
                    association_type: row.association_type.clone(),
                    lifecycle: lifecycle_of(row),
                    frozen: (row.frozen != row.strong).then_some(row.frozen),
                    schema: schemas.get(&row.association_type).cloned(),
                })
                .collect(),
        })
    }

    /// `POST /associations:batchMutate`: each resource's operations applied in order
    /// (adjacent CREATEs, or adjacent UPSERTs, as one request), a failure as its result's
    /// error; the result lists the resource's associations after the operations.
    pub async fn mutate_associations(
        &self,
        requests: Vec<AssociationOpRequest>,
        context: Option<&str>,
        dry_run: bool,
    ) -> Result<AssociationBatchResponse> {
        let mut results = Vec::with_capacity(requests.len());
        for request in requests {
            if let Some(error) = request.error.clone() {
                results.push(AssociationResult {
                    error: Some(error),
                    result: None,
                });
                continue;
            }
            let writes = self.association_writes.lock().await;
            let outcome = self.mutate_one(request, context, dry_run).await;
            drop(writes);
            results.push(match outcome {
                Ok(result) => AssociationResult {
                    error: None,
                    result: Some(result),
                },
                Err(e) => AssociationResult {
                    error: Some(batch_error(&e, false)),
                    result: None,
                },
            });
        }
        Ok(AssociationBatchResponse { results })
    }

    async fn mutate_one(
        &self,
        mut request: AssociationOpRequest,
        context: Option<&str>,
        dry_run: bool,
    ) -> Result<AssociationResponse> {
        request.validate(dry_run)?;
        in_context(
            request
                .associations
                .iter_mut()
                .flatten()
                .filter_map(|op| match op {
                    AssociationOp::Create(info) | AssociationOp::Upsert(info) => Some(info),
                    AssociationOp::Delete { .. } => None,
                }),
            context,
        );
        let resource_type = request
            .resource_type
            .clone()
            .unwrap_or_else(|| TOPIC.into());
        let ops = request.associations.take().unwrap_or_default();
        let mut schemas: BTreeMap<String, SubjectVersionResponse> = BTreeMap::new();
        let mut index = 0;
        while index < ops.len() {
            let run_is_create = match &ops[index] {
                AssociationOp::Delete {
                    association_type,
                    cascade_lifecycle,
                } => {
                    let rows = match request.resource_id.as_deref() {
                        Some(id) => {
                            self.select_associations(
                                AssociationKey::ResourceId(id),
                                Some(&resource_type),
                                std::slice::from_ref(
                                    association_type.as_ref().unwrap_or(&"value".to_owned()),
                                ),
                                None,
                            )
                            .await?
                        }
                        None => Vec::new(),
                    };
                    self.remove_associations(rows, *cascade_lifecycle == Some(true), dry_run)
                        .await?;
                    index += 1;
                    continue;
                }
                AssociationOp::Create(_) => true,
                AssociationOp::Upsert(_) => false,
            };
            let mut run = Vec::new();
            while let Some(op) = ops.get(index) {
                match (op, run_is_create) {
                    (AssociationOp::Create(info), true) | (AssociationOp::Upsert(info), false) => {
                        run.push(info.clone());
                        index += 1;
                    }
                    _ => break,
                }
            }
            let response = self
                .apply_association_request(
                    AssociationRequest {
                        resource_name: request.resource_name.clone(),
                        resource_namespace: request.resource_namespace.clone(),
                        resource_id: request.resource_id.clone(),
                        resource_type: Some(resource_type.clone()),
                        associations: Some(run),
                    },
                    run_is_create,
                    dry_run,
                )
                .await?;
            for info in response.associations {
                if let Some(schema) = info.schema {
                    schemas.insert(info.association_type, schema);
                }
            }
        }
        let rows = match (&request.resource_id, dry_run) {
            (Some(id), false) => {
                self.select_associations(
                    AssociationKey::ResourceId(id),
                    Some(&resource_type),
                    &[],
                    None,
                )
                .await?
            }
            _ => Vec::new(),
        };
        Ok(AssociationResponse {
            resource_name: request.resource_name,
            resource_namespace: request.resource_namespace,
            resource_id: request.resource_id,
            resource_type: Some(resource_type),
            associations: rows
                .iter()
                .map(|row| AssociationInfo {
                    subject: row.subject.clone(),
                    association_type: row.association_type.clone(),
                    lifecycle: lifecycle_of(row),
                    frozen: (row.frozen != row.strong).then_some(row.frozen),
                    schema: schemas.get(&row.association_type).cloned(),
                })
                .collect(),
        })
    }
}

/// The subjects of `infos` in `context` (the `context` query parameter, the first half of
/// Confluent's `replaceAlias(context, subject)`; aliases are resolved with the stored
/// associations): an unqualified subject is qualified
/// with a context other than the default one, and `:.:s` is written `s`. A context that does
/// not parse is not applied.
fn in_context<'a>(
    infos: impl Iterator<Item = &'a mut AssociationInfoRequest>,
    context: Option<&str>,
) {
    let context = context
        .filter(|c| !c.is_empty())
        .and_then(|c| warden_core::Context::parse(c).ok())
        .unwrap_or_else(warden_core::Context::default_context);
    for info in infos {
        if let Some(s) = &info.subject
            && let Ok(subject) = Subject::parse(s)
            && let Some(qualified) = subject.in_context(&context).normalized()
        {
            info.subject = Some(qualified.as_str().to_owned());
        }
    }
}

/// `Association.isEquivalent`: same subject and type, and the lifecycle and frozen flag
/// asked for (when given) are the stored ones.
fn is_equivalent(a: &StoredAssociation, info: &AssociationInfoRequest) -> bool {
    info.subject.as_deref() == Some(a.subject.as_str())
        && info.kind() == a.association_type
        && info.lifecycle.is_none_or(|l| l == lifecycle_of(a))
        && info.frozen.is_none_or(|f| f == a.frozen)
}

/// `requestReferencesSubject`: whether a schema of the request references `subject`.
fn request_references(infos: &[AssociationInfoRequest], subject: &str) -> bool {
    infos.iter().any(|info| {
        info.subject.is_some()
            && info
                .schema
                .as_ref()
                .is_some_and(|s| s.references.iter().any(|r| r.subject.as_str() == subject))
    })
}

/// `mostRecentlyUpdatedResource`: the rows of the resource id written last.
fn most_recently_updated_resource(rows: Vec<StoredAssociation>) -> Vec<StoredAssociation> {
    let Some(latest) = rows
        .iter()
        .max_by(|a, b| {
            a.updated_at
                .cmp(&b.updated_at)
                .then(a.created_at.cmp(&b.created_at))
                .then_with(|| java_string_order(&a.resource_id, &b.resource_id))
        })
        .map(|a| a.resource_id.clone())
    else {
        return rows;
    };
    rows.into_iter()
        .filter(|a| a.resource_id == latest)
        .collect()
}

/// One page of `rows` (`skip(offset).limit(limit)`).
fn page(rows: Vec<StoredAssociation>, offset: usize, limit: usize) -> Vec<Association> {
    rows.iter().skip(offset).take(limit).map(entity).collect()
}
