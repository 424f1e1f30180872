//! Request and response bodies of the Confluent Schema Registry REST API, shared by the
//! server and the client (`warden-client`). Field names are Confluent's (camelCase, except
//! `is_compatible` and `error_code`).

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::tags::{EntityType, SchemaEntity, SchemaTags};
#[cfg(feature = "openapi")]
#[allow(unused_imports)] // named only in `schema(value_type = …)` attributes
use crate::types::{CompatibilityLevel, CompatibilityPolicy, Mode};
use crate::types::{SchemaId, SchemaType, Subject, Version};

/// OpenAPI schemas of fields that Jackson coerces ([`crate::jackson`]): what Confluent
/// accepts, not only the canonical type.
#[cfg(feature = "openapi")]
mod coerced {
    use utoipa::openapi::schema::{AnyOfBuilder, ObjectBuilder, Schema, Type};

    /// A Java `Integer`: an int, a float (truncated), or a string holding an int (Jackson's
    /// `StdDeserializer._parseInteger`).
    pub(super) fn integer() -> Schema {
        let (min, max) = (f64::from(i32::MIN), f64::from(i32::MAX));
        AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(min))
                    .maximum(Some(max)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^ *([+-]?[0-9]{1,9}|null)? *$")),
            )
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some(
                "A 32-bit integer; a float is truncated and a string holding an integer is \
                 read as it (Jackson's coercions, as Confluent).",
            ))
            .into()
    }

    /// A Java `Boolean`: a boolean or a string `true`/`false` (Jackson's
    /// `StdDeserializer._parseBoolean`). Jackson also takes an int token (true unless zero)
    /// but not `1.0`, which JSON Schema cannot tell from `1`, so the description leaves ints
    /// out.
    pub(super) fn boolean() -> Schema {
        AnyOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some("^ *(true|True|TRUE|false|False|FALSE|null)? *$")),
            )
            .item(ObjectBuilder::new().schema_type(Type::Null))
            .description(Some(
                "A boolean; the strings true and false are read as such (Jackson's \
                 coercions, as Confluent).",
            ))
            .into()
    }
}

/// A reference from one schema to another registered one: for Avro, `name` is the full name
/// of the named type; for Protobuf the import path; for JSON Schema the `$ref` URL.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The name the referencing schema uses.
    pub name: String,
    /// The subject the referenced schema is registered under.
    pub subject: String,
    /// The version under that subject (`-1` means latest at registration time).
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::integer))]
    #[serde(deserialize_with = "java_int")]
    pub version: i32,
}

/// Body of `POST /subjects/{subject}/versions`, `POST /subjects/{subject}` and the
/// compatibility endpoints. Unknown fields are accepted and ignored, as Confluent does.
///
/// Serializing it (as clients do) leaves out absent fields and empty references.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSchemaRequest {
    /// The schema text (for Avro, JSON). Absent, a registration takes the latest version's
    /// schema (Confluent's metadata- or rule-set-only registration); a compatibility check
    /// with `verbose=true` answers an absent or empty one as incompatible ("Empty schema").
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(
        feature = "openapi",
        schema(
            value_type = Option<String>,
            examples(
                r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#,
                r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#,
                r#"{"type":"record","name":"User","fields":[{"name":"age","type":"int"}]}"#,
                r#""string""#,
                r#"{"type":"object","properties":{"name":{"type":"string"}}}"#,
                "syntax = \"proto3\";\nmessage User { string name = 1; }\n"
            )
        )
    )]
    pub schema: Option<String>,
    /// `AVRO` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<SchemaType>))]
    pub schema_type: Option<String>,
    /// References to other registered schemas (`null` is none, as Jackson reads a `List`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<SchemaReference>>))]
    pub references: Vec<SchemaReference>,
    /// Data-contract metadata, stored and returned as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// Data-contract rule set, stored and returned as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// Explicit id, only in IMPORT mode.
    #[serde(
        default,
        deserialize_with = "java_long",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::integer))]
    pub id: Option<i64>,
    /// Explicit version, only in IMPORT mode.
    #[serde(
        default,
        deserialize_with = "java_long",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::integer))]
    pub version: Option<i64>,
    /// Tags to write into the schema before registering it (Confluent 7.6+).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<SchemaTags>>))]
    pub schema_tags_to_add: Vec<SchemaTags>,
    /// Tags to take out of the schema before registering it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<SchemaTags>>))]
    pub schema_tags_to_remove: Vec<SchemaTags>,
    /// `true`: the tags of the latest version are written into the new schema as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::boolean))]
    pub propagate_schema_tags: Option<bool>,
}

/// Body of `POST /subjects/{subject}/versions/{version}/tags` (Confluent's
/// `TagSchemaRequest`): a new version made of the given one with tags added and removed,
/// and its metadata and rule set replaced or edited.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagSchemaRequest {
    /// The version to create: the latest version plus one; absent, the next one. It is
    /// written to the metadata's `confluent:version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::integer))]
    pub new_version: Option<i32>,
    /// Tags to add, by entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<SchemaTags>>))]
    pub tags_to_add: Vec<SchemaTags>,
    /// Tags to remove, by entity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<SchemaTags>>))]
    pub tags_to_remove: Vec<SchemaTags>,
    /// The new version's metadata; absent, the given version's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// The new version's rule set (not with `rulesToMerge` or `rulesToRemove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// Rules merged into the rule set of the version before `newVersion` (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rules_to_merge: Option<Value>,
    /// Names of rules taken out of that rule set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rules_to_remove: Option<Vec<String>>,
}

/// A JSON number with no fractional part, also when written as a float (`586.0`), as
/// Jackson reads an `int` (`ACCEPT_FLOAT_AS_INT`); `None` for anything else.
fn integral(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        n.as_f64()
            .filter(|f| f.fract() == 0.0 && (i64::MIN as f64..=i64::MAX as f64).contains(f))
            .map(|f| f as i64)
    })
}

/// An `i32` field that also takes an integral float (`1.0`), as Confluent does.
fn java_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i32, D::Error> {
    let n = serde_json::Number::deserialize(d)?;
    integral(&n)
        .and_then(|n| i32::try_from(n).ok())
        .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 32-bit integer")))
}

/// An optional `i32` field that also takes an integral float (`2.0`), as Jackson reads an
/// `Integer`; `null` is absent.
fn java_int_or_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| {
            integral(&n)
                .and_then(|i| i32::try_from(i).ok())
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a 32-bit integer")))
        })
        .transpose()
}

/// An optional `i64` field that also takes an integral float (`586.0`), as Confluent does;
/// `null` is absent.
fn java_long<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<serde_json::Number>::deserialize(d)?
        .map(|n| {
            integral(&n).ok_or_else(|| serde::de::Error::custom(format!("{n} is not an integer")))
        })
        .transpose()
}

/// Response of a registration: Confluent's `RegisterSchemaResponse` of the version
/// registered (or found): its id, version, format (left out for Avro, as Confluent 7.9
/// writes it), references (left out when empty), metadata and rule set as stored (merged
/// with the config's defaults and overrides), and its text. Older servers answer only the
/// id, so every other field is optional on reading.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSchemaResponse {
    /// The schema id.
    pub id: SchemaId,
    /// The version under the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// The schema's GUID ([`crate::Guid`], Confluent 8); Confluent's register answer has no
    /// `ts` or `deleted`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The format.
    #[serde(default, skip_serializing_if = "is_avro")]
    pub schema_type: SchemaType,
    /// References of the schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// Rule set as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// The schema text as stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
}

fn is_avro(t: &SchemaType) -> bool {
    *t == SchemaType::Avro
}

/// One version of a subject: `GET /subjects/{s}/versions/{v}` and the lookup response
/// (Confluent's `Schema` entity, `@JsonInclude(NON_EMPTY)`). `schemaType` is omitted for Avro
/// and `references` when empty, as Confluent does; `guid`, `ts` and `deleted` are Confluent
/// 8's (optional on reading, for older servers).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubjectVersionResponse {
    /// The subject.
    pub subject: Subject,
    /// The version.
    pub version: Version,
    /// The global schema id.
    pub id: SchemaId,
    /// The schema's GUID ([`crate::Guid`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The format.
    #[serde(default, skip_serializing_if = "is_avro")]
    pub schema_type: SchemaType,
    /// References of the schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// Rule set as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// The schema text.
    pub schema: String,
    /// With `findTags`, the schema's tagged entities carrying one of those tags (`*`: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_tags: Vec<SchemaTags>,
    /// When the version was registered, in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Whether the version is soft-deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

/// `GET /schemas/ids/{id}` and `GET /schemas/guids/{guid}`: Confluent's `SchemaString`
/// (`@JsonInclude(NON_EMPTY)`). `subject` and `version` name the version the answer was read
/// from when the request named a subject; `maxId` is there with `fetchMaxId=true`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaByIdResponse {
    /// The subject of the version read (`?subject=` given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// The version read (`?subject=` given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,
    /// The schema's GUID ([`crate::Guid`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The format.
    #[serde(default, skip_serializing_if = "is_avro")]
    pub schema_type: SchemaType,
    /// The schema text.
    pub schema: String,
    /// References of the schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// Rule set as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// With `findTags`, the schema's tagged entities carrying one of those tags (`*`: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schema_tags: Vec<SchemaTags>,
    /// The highest schema id in the registry (`fetchMaxId=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_id: Option<SchemaId>,
    /// When the version read was registered, in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Whether the version read is soft-deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
}

/// An entry of `GET /schemas`: every version of every subject (Confluent's `ExtendedSchema`,
/// a `Schema` entity).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaListEntry {
    /// The subject.
    pub subject: Subject,
    /// The version.
    pub version: Version,
    /// The global schema id.
    pub id: SchemaId,
    /// The schema's GUID ([`crate::Guid`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    /// The format.
    #[serde(default, skip_serializing_if = "is_avro")]
    pub schema_type: SchemaType,
    /// References of the schema.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<SchemaReference>,
    /// Metadata as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub metadata: Option<Value>,
    /// Rule set as registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub rule_set: Option<Value>,
    /// The schema text.
    pub schema: String,
    /// When the version was registered, in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<i64>,
    /// Whether the version is soft-deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<bool>,
    /// With `aliases=true`, the subjects that are aliases of this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Subject>,
}

/// An entry of `GET /schemas/guids/{guid}/ids`: a context and the schema's id in it
/// (Confluent's `ContextId`; the default context is `.`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextId {
    /// The context: `.` for the default one.
    pub context: String,
    /// The schema id in that context.
    pub id: SchemaId,
}

/// `GET /v1/metadata/id`: Confluent's `ServerClusterId` (its empty `id` is left out, as
/// `@JsonInclude(NON_EMPTY)` does): `{"scope": {"path": [], "clusters": {...}}}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerClusterId {
    /// `path` (always empty) and `clusters`: `kafka-cluster` and `schema-registry-cluster`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub scope: Value,
}

/// `GET /v1/metadata/version`: the server's version and the commit it was built from
/// (Confluent's `SchemaRegistryServerVersion`; absent fields are unknown).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerVersion {
    /// The server's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The commit the server was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit_id: Option<String>,
}

/// `GET /v1/metadata/deployment`: Confluent's `SchemaRegistryDeployment`, the deployment's
/// attributes (none unless an operator sets them).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerDeployment {
    /// The attributes.
    pub attributes: Vec<String>,
}

/// A (subject, version) pair: `GET /schemas/ids/{id}/versions`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectVersion {
    /// The subject.
    pub subject: Subject,
    /// The version.
    pub version: Version,
}

/// `POST /compatibility/...`: the verdict and, with `verbose=true`, the reasons.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompatibilityCheckResponse {
    /// Whether the schema is compatible under the subject's level.
    pub is_compatible: bool,
    /// Confluent-style messages, present when `verbose=true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
}

/// `GET /config` and `GET /config/{subject}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigResponse {
    /// The compatibility level.
    #[cfg_attr(feature = "openapi", schema(value_type = CompatibilityLevel))]
    pub compatibility_level: String,
    /// Whether schemas are normalized on register, lookup and check.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normalize: Option<bool>,
    /// `STRICT` or `LENIENT`: how JSON Schema changes are judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CompatibilityPolicy>))]
    pub compatibility_policy: Option<String>,
    /// The other fields of Confluent's `Config`, each absent when unset.
    #[serde(flatten)]
    pub extra: ConfigFields,
}

/// The fields of Confluent's `Config` beyond the level, normalize and policy: subject
/// aliases, validation switches, the compatibility group, and the metadata and rule sets
/// merged into new versions (`client/.../rest/entities/Config.java`). Each is absent when
/// unset.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFields {
    /// The subject this subject is an alias of: reads, lookups and registrations under
    /// the alias act on that subject (subject scope only; a global alias is not used).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// The subject whose encryption keys this subject uses (stored and answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_for_deks: Option<String>,
    /// Whether reserved fields (`confluent:reserved`) and field names are checked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::boolean))]
    pub validate_fields: Option<bool>,
    /// Whether new schemas are validated as new (stored and answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::boolean))]
    pub validate_new_schemas: Option<bool>,
    /// Whether rules are validated (stored and answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::boolean))]
    pub validate_rules: Option<bool>,
    /// A metadata property: compatibility is checked only against versions whose value of
    /// it equals the new schema's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_group: Option<String>,
    /// Metadata merged under each new version's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_metadata: Option<Value>,
    /// Metadata merged over each new version's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub override_metadata: Option<Value>,
    /// Rule set merged under each new version's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub default_rule_set: Option<Value>,
    /// Rule set merged over each new version's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub override_rule_set: Option<Value>,
}

/// Body of `PUT /config` and `PUT /config/{subject}`; the response is the scope's config
/// after the update, in this shape.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConfigUpdateRequest {
    /// The new compatibility level (Confluent's key is `compatibility` here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CompatibilityLevel>))]
    pub compatibility: Option<String>,
    /// Normalize schemas of this scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(schema_with = coerced::boolean))]
    pub normalize: Option<bool>,
    /// `STRICT` or `LENIENT` (JSON Schema).
    #[serde(
        default,
        rename = "compatibilityPolicy",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<CompatibilityPolicy>))]
    pub compatibility_policy: Option<String>,
    /// The other config fields.
    #[serde(flatten)]
    pub extra: ConfigFields,
    /// The fields the body gave as `null`: Confluent's `ConfigUpdateRequest` reads them as
    /// `Optional.empty()`, and the update clears them (`ConfigValue.update`). Not serialized.
    #[serde(skip)]
    pub cleared: Vec<String>,
}

/// Body and response of `/mode` endpoints.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModeBody {
    /// `READWRITE`, `READONLY`, `READONLY_OVERRIDE` or `IMPORT`.
    #[cfg_attr(feature = "openapi", schema(value_type = Mode))]
    pub mode: String,
}

/// Every error response: `{"error_code": 40401, "message": "Subject 'x' not found."}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Confluent's numeric code.
    pub error_code: u32,
    /// Human-readable reason.
    pub message: String,
}

/// Confluent's `SchemaReference` (name, subject: `String`; version: `Integer`), read by
/// Jackson. An absent or `null` name or subject is empty and an absent or `null` version is
/// 0, all refused afterwards as an invalid reference (42201): Confluent has no answer of its
/// own for them (it goes on with a null `Integer` or `String`).
impl crate::jackson::JacksonRequest for SchemaReference {
    const CLASS: &'static str = "SchemaReference";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let (mut name, mut subject, mut version) = (None, None, None);
        jackson::each_field(fields, |key, value| {
            match key {
                "name" => name = jackson::string(value)?,
                "subject" => subject = jackson::string(value)?,
                "version" => version = jackson::integer(value)?,
                _ => {}
            }
            Ok(())
        })?;
        Ok(Self {
            name: name.unwrap_or_default(),
            subject: subject.unwrap_or_default(),
            // Not a version: refused afterwards as an invalid reference (42201), as version 0.
            version: version.unwrap_or(0),
        })
    }
}

/// Confluent's `RegisterSchemaRequest` read by Jackson: `schema` and `schemaType` are
/// `String`, `id` and `version` `Integer`, `references` a `List<SchemaReference>` (`null` is
/// no references), `metadata` and `ruleSet` beans, `schemaTagsToAdd` and `schemaTagsToRemove`
/// lists of [`SchemaTags`], `propagateSchemaTags` a `Boolean`.
/// Coercions and messages as in [`crate::jackson`].
impl crate::jackson::JacksonRequest for RegisterSchemaRequest {
    const CLASS: &'static str = "RegisterSchemaRequest";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let mut request = Self::default();
        jackson::each_field(fields, |key, value| {
            let bean = |class: &str| match jackson::creator_mismatch(class, value) {
                Some(message) => Err(message),
                None => Ok((!value.is_null()).then(|| value.clone())),
            };
            match key {
                "schema" => request.schema = jackson::string(value)?,
                "schemaType" => request.schema_type = jackson::string(value)?,
                "id" => request.id = jackson::integer(value)?.map(i64::from),
                "version" => request.version = jackson::integer(value)?.map(i64::from),
                "metadata" => request.metadata = bean("Metadata")?,
                "ruleSet" => request.rule_set = bean("RuleSet")?,
                "references" => {
                    request.references = jackson::list(value, SchemaReference::CLASS)?
                        .unwrap_or_default()
                        .iter()
                        .map(|item| {
                            jackson::read::<SchemaReference>(item)?
                                .ok_or_else(|| "null reference".to_owned())
                        })
                        .collect::<Result<_, _>>()?;
                }
                "schemaTagsToAdd" => request.schema_tags_to_add = schema_tags_list(value)?,
                "schemaTagsToRemove" => {
                    request.schema_tags_to_remove = schema_tags_list(value)?;
                }
                "propagateSchemaTags" => request.propagate_schema_tags = jackson::boolean(value)?,
                _ => {}
            }
            Ok(())
        })?;
        Ok(request)
    }
}

/// Confluent's `ConfigUpdateRequest` read by Jackson: `compatibility`,
/// `compatibilityPolicy`, `alias`, `aliasForDeks` and `compatibilityGroup` are
/// `Optional<String>`, `normalize`, `validateFields`, `validateNewSchemas` and
/// `validateRules` `Optional<Boolean>`, the default and override metadata and rule sets
/// beans. An absent field keeps the stored value; `null` is `Optional.empty()`, which clears
/// it (listed in [`ConfigUpdateRequest::cleared`]).
impl crate::jackson::JacksonRequest for ConfigUpdateRequest {
    const CLASS: &'static str = "ConfigUpdateRequest";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let mut request = Self::default();
        let mut cleared = Vec::new();
        jackson::each_field(fields, |key, value| {
            let bean = |class: &str| match jackson::creator_mismatch(class, value) {
                Some(message) => Err(message),
                None => Ok((!value.is_null()).then(|| value.clone())),
            };
            let extra = &mut request.extra;
            match key {
                "compatibility" => request.compatibility = jackson::string(value)?,
                "compatibilityPolicy" => request.compatibility_policy = jackson::string(value)?,
                "normalize" => request.normalize = jackson::boolean(value)?,
                "alias" => extra.alias = jackson::string(value)?,
                "aliasForDeks" => extra.alias_for_deks = jackson::string(value)?,
                "compatibilityGroup" => extra.compatibility_group = jackson::string(value)?,
                "validateFields" => extra.validate_fields = jackson::boolean(value)?,
                "validateNewSchemas" => extra.validate_new_schemas = jackson::boolean(value)?,
                "validateRules" => extra.validate_rules = jackson::boolean(value)?,
                "defaultMetadata" => extra.default_metadata = bean("Metadata")?,
                "overrideMetadata" => extra.override_metadata = bean("Metadata")?,
                "defaultRuleSet" => extra.default_rule_set = bean("RuleSet")?,
                "overrideRuleSet" => extra.override_rule_set = bean("RuleSet")?,
                _ => return Ok(()),
            }
            if value.is_null() {
                cleared.push(key.to_owned());
            }
            Ok(())
        })?;
        request.cleared = cleared;
        Ok(request)
    }
}

/// Confluent's `ModeUpdateRequest` read by Jackson: `mode` is an `Optional<String>`, so a
/// number or boolean is its text (and then an invalid mode, 42204).
impl crate::jackson::JacksonRequest for ModeBody {
    const CLASS: &'static str = "ModeUpdateRequest";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let mut mode = None;
        jackson::each_field(fields, |key, value| {
            if key == "mode" {
                mode = jackson::string(value)?;
            }
            Ok(())
        })?;
        Ok(Self {
            mode: mode.ok_or("missing field `mode`")?,
        })
    }
}

/// A `List<SchemaTags>` read by Jackson (`null` is none; a `null` element is left out, as
/// Confluent then has nothing to apply).
fn schema_tags_list(value: &Value) -> Result<Vec<SchemaTags>, String> {
    use crate::jackson;
    let mut out = Vec::new();
    for item in jackson::list(value, "SchemaTags")?.unwrap_or_default() {
        if let Some(tags) = jackson::read::<SchemaTags>(item)? {
            out.push(tags);
        }
    }
    Ok(out)
}

/// Confluent's `SchemaTags` read by Jackson: `schemaEntity` a `SchemaEntity` bean, `tags` a
/// `List<String>`. A missing entity is refused here (Confluent fails on it later, with a
/// server error).
impl crate::jackson::JacksonRequest for SchemaTags {
    const CLASS: &'static str = "SchemaTags";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let (mut entity, mut tags) = (None, Vec::new());
        jackson::each_field(fields, |key, value| {
            match key {
                "schemaEntity" => entity = jackson::read::<SchemaEntity>(value)?,
                "tags" => {
                    tags = jackson::list(value, "String")?
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|t| jackson::string(t).transpose())
                        .collect::<Result<_, _>>()?;
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(Self {
            schema_entity: entity.ok_or(
                "Cannot construct instance of `SchemaTags`, problem: schemaEntity is null",
            )?,
            tags,
        })
    }
}

/// Confluent's `SchemaEntity` read by Jackson: `entityPath` a `String` (required: Confluent's
/// constructor reads it), `entityType` the enum `sr_record` or `sr_field`.
impl crate::jackson::JacksonRequest for SchemaEntity {
    const CLASS: &'static str = "SchemaEntity";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let (mut path, mut entity_type) = (None, None);
        jackson::each_field(fields, |key, value| {
            match key {
                "entityPath" => path = jackson::string(value)?,
                "entityType" => {
                    entity_type = match jackson::string(value)?.as_deref() {
                        None => None,
                        Some("sr_record") => Some(EntityType::Record),
                        Some("sr_field") => Some(EntityType::Field),
                        Some(other) => {
                            return Err(format!(
                                "Cannot deserialize value of type `EntityType` from String \
                                 \"{other}\": not one of the values accepted for Enum class: \
                                 [sr_record, sr_field]"
                            ));
                        }
                    };
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(Self {
            entity_path: path.ok_or(
                "Cannot construct instance of `SchemaEntity`, problem: entityPath is null",
            )?,
            entity_type,
        })
    }
}

/// Confluent's `TagSchemaRequest` read by Jackson: `newVersion` an `Integer`, the tag lists
/// `List<SchemaTags>`, `metadata`, `ruleSet` and `rulesToMerge` beans, `rulesToRemove` a
/// `List<String>`.
impl crate::jackson::JacksonRequest for TagSchemaRequest {
    const CLASS: &'static str = "TagSchemaRequest";

    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        use crate::jackson;
        let mut request = Self::default();
        jackson::each_field(fields, |key, value| {
            let bean = |class: &str| match jackson::creator_mismatch(class, value) {
                Some(message) => Err(message),
                None => Ok((!value.is_null()).then(|| value.clone())),
            };
            match key {
                "newVersion" => request.new_version = jackson::integer(value)?,
                "tagsToAdd" => request.tags_to_add = schema_tags_list(value)?,
                "tagsToRemove" => request.tags_to_remove = schema_tags_list(value)?,
                "metadata" => request.metadata = bean("Metadata")?,
                "ruleSet" => request.rule_set = bean("RuleSet")?,
                "rulesToMerge" => request.rules_to_merge = bean("RuleSet")?,
                "rulesToRemove" => {
                    request.rules_to_remove = jackson::list(value, "String")?
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(|t| jackson::string(t).transpose())
                                .collect::<Result<Vec<_>, _>>()
                        })
                        .transpose()?;
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(request)
    }
}

/// A KEK (key encryption key) as the DEK registry answers it (Confluent's `Kek`, under
/// `/dek-registry/v1/keks`): a named key in a KMS that wraps the DEKs of `ENCRYPT` rules.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Kek {
    /// Its name: a letter or `_`, then letters, digits, `_` and `-` (1 to 64 characters).
    pub name: String,
    /// The KMS type (`local-kms`, `aws-kms`, `azure-kms`, `gcp-kms`, `hcvault`).
    pub kms_type: String,
    /// The key's id in the KMS.
    pub kms_key_id: String,
    /// KMS properties.
    #[serde(default)]
    pub kms_props: std::collections::BTreeMap<String, String>,
    /// Its description.
    #[serde(default)]
    pub doc: Option<String>,
    /// Whether the registry may use the KMS key: then it creates DEKs itself and answers
    /// their key material.
    #[serde(default)]
    pub shared: bool,
    /// Last write, epoch milliseconds.
    #[serde(default)]
    pub ts: i64,
    /// Whether it is soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// A DEK (data encryption key) as the DEK registry answers it (Confluent's `Dek`): a Tink
/// key of one subject, wrapped by its KEK.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Dek {
    /// The KEK that wraps it.
    pub kek_name: String,
    /// Its subject.
    pub subject: String,
    /// Its version, from 1.
    pub version: i32,
    /// `AES128_GCM`, `AES256_GCM` or `AES256_SIV`.
    pub algorithm: String,
    /// Base64 of the wrapped Tink key.
    #[serde(default)]
    pub encrypted_key_material: Option<String>,
    /// Base64 of the Tink key; answered for a shared KEK's DEK only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_material: Option<String>,
    /// Last write, epoch milliseconds.
    #[serde(default)]
    pub ts: i64,
    /// Whether it is soft-deleted.
    #[serde(default)]
    pub deleted: bool,
}

/// Body of `POST /dek-registry/v1/keks` (Confluent's `CreateKekRequest`). Absent fields are
/// `None`/`false`; a missing name, KMS type or key id is refused (42271).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateKekRequest {
    /// The name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The KMS type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_type: Option<String>,
    /// The KMS key id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// KMS properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_props: Option<std::collections::BTreeMap<String, String>>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Whether the registry may use the KMS key.
    pub shared: bool,
    /// Create it soft-deleted (import).
    pub deleted: bool,
}

/// Body of `PUT /dek-registry/v1/keks/{name}` (Confluent's `UpdateKekRequest`): absent
/// fields keep their value.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateKekRequest {
    /// KMS properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_props: Option<std::collections::BTreeMap<String, String>>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub doc: Option<String>,
    /// Whether the registry may use the KMS key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared: Option<bool>,
}

/// Body of `POST /dek-registry/v1/keks/{name}/deks[/{subject}]` (Confluent's
/// `CreateDekRequest`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateDekRequest {
    /// The subject (the path's, when the path names one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The version; 1 when absent. An integral float (`2.0`) is read as its int, as Jackson
    /// reads an `Integer`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "java_int_or_null"
    )]
    pub version: Option<i32>,
    /// The algorithm (`AES128_GCM`, `AES256_GCM` or `AES256_SIV`); `AES256_GCM` when absent.
    /// Another text, the empty one included, is Jackson's 400 (Confluent's `DekFormat`).
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(AES128_GCM|AES256_GCM|AES256_SIV)$")
    )]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<String>,
    /// Base64 of the wrapped key; required unless the KEK is shared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encrypted_key_material: Option<String>,
    /// Create it soft-deleted (import).
    pub deleted: bool,
}

/// A DEK registry request read with serde over the object's fields; a field of the wrong
/// type is Jackson's 400 with serde's message.
fn dek_request<T: serde::de::DeserializeOwned>(
    fields: &serde_json::Map<String, Value>,
) -> Result<T, String> {
    serde_json::from_value(Value::Object(fields.clone())).map_err(|e| e.to_string())
}

impl crate::jackson::JacksonRequest for CreateKekRequest {
    const CLASS: &'static str = "CreateKekRequest";
    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        dek_request(fields)
    }
}

impl crate::jackson::JacksonRequest for UpdateKekRequest {
    const CLASS: &'static str = "UpdateKekRequest";
    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        dek_request(fields)
    }
}

/// An `algorithm` that is not a `DekFormat` is Jackson's 400, as Confluent reads the enum.
impl crate::jackson::JacksonRequest for CreateDekRequest {
    const CLASS: &'static str = "CreateDekRequest";
    fn from_fields(fields: &serde_json::Map<String, Value>) -> Result<Self, String> {
        let request: Self = dek_request(fields)?;
        if let Some(a) = request.algorithm.as_deref()
            && crate::encryption::DekAlgorithm::parse(a).is_none()
        {
            return Err(format!(
                "Cannot deserialize value of type `DekFormat` from String \"{a}\": not one of \
                 the values accepted for Enum class: [AES128_GCM, AES256_GCM, AES256_SIV]"
            ));
        }
        Ok(request)
    }
}
