//! Data-contract endpoints (`GET /subjects/{subject}/metadata`) and the resolution of
//! subject aliases in URLs, as Confluent's `AliasFilter` does it.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::response::Response;
use warden_core::Subject;
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use warden_core::api::{ErrorBody, SubjectVersionResponse};

use super::extract::SrPath;
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use super::openapi::Flag;
use super::{ApiError, AppState, sr_json};
use crate::error::Error;
use crate::registry::Registry;

// The data-contract routes.
operations!(latest_with_metadata);

/// The latest version of a subject whose metadata properties hold every `key`/`value` pair
/// (the n-th `key` goes with the n-th `value`; extra keys or values are ignored), as
/// Confluent's `getLatestWithMetadata`.
#[utoipa::path(
    get,
    path = "/subjects/{subject}/metadata",
    tag = "subjects",
    params(
        ("subject" = Subject, Path, description = "The subject, percent-encoded in the path (`a%2Fb` is the subject `a/b`)."),
        ("key" = Option<Vec<String>>, Query, description = "A metadata property name; repeat for several."),
        ("value" = Option<Vec<String>>, Query, description = "The value of the property named by the `key` in the same position."),
        ("deleted" = Option<Flag>, Query, description = "`true` includes soft-deleted versions."),
        ("format" = Option<String>, Query, description = super::routes::FORMAT_DOC),
    ),
    responses(
        (status = 200, description = "The newest version whose metadata properties hold every pair.", body = SubjectVersionResponse),
        (status = 404, description = "40401 subject not found (no version, or only soft-deleted ones without `deleted=true`); 40403 no version has the metadata", body = ErrorBody),
        (status = 422, description = "42208 invalid subject", body = ErrorBody),
    )
)]
async fn latest_with_metadata(
    State(r): State<AppState>,
    SrPath(s): SrPath<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let s = Subject::parse(&s).map_err(|e| Error::InvalidSubject(e.to_string()))?;
    let keys = pairs.iter().filter(|(k, _)| k == "key").map(|(_, v)| v);
    let values = pairs.iter().filter(|(k, _)| k == "value").map(|(_, v)| v);
    let wanted: BTreeMap<String, String> = keys
        .zip(values)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Java's `Boolean.valueOf`, as every flag.
    let deleted = pairs
        .iter()
        .any(|(k, v)| k == "deleted" && v.eq_ignore_ascii_case("true"));
    let (row, schema) = r.latest_with_metadata(&s, &wanted, deleted).await?;
    let mut body = Registry::version_response(&s, row, &schema);
    // Jersey reads the first of a repeated single-valued parameter.
    let format = pairs
        .iter()
        .find(|(k, _)| k == "format")
        .map(|(_, v)| v.as_str());
    if let Some(text) = r.formatted(&schema, format).await? {
        body.schema = text;
    }
    Ok(sr_json(axum::http::StatusCode::OK, &body))
}

/// The URI with an alias replaced in the subject segment of `/subjects/{subject}/…` paths
/// (also under `/compatibility/` and `/contexts/{ctx}/`) and in the `subject` parameter of
/// `/schemas/ids/…`, before routing, as Confluent's `AliasFilter` does: a subject whose own
/// config has an `alias` stands for that subject in every read, lookup, registration,
/// check and delete. `None` when there is no aliased subject (the URI stays as it is); a
/// URI that names no subject is answered without an allocation.
pub(super) async fn aliased_uri(r: &Registry, uri: &axum::http::Uri) -> Option<axum::http::Uri> {
    let path = uri.path();
    if !names_a_subject(uri) {
        return None;
    }
    // The segment after the first `subjects` one, looked up before anything is copied:
    // most subjects have no alias.
    let mut path_target = None;
    if let Some(segment) = subject_segment(path) {
        let name = percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .ok()?;
        path_target = alias_of(r, &name).await;
    }
    let ids_query = path.starts_with("/schemas/ids");
    if path_target.is_none() && !ids_query {
        return None;
    }
    let mut segments: Vec<String> = path.split('/').map(str::to_owned).collect();
    let mut changed = false;
    if let Some(target) = path_target
        && let Some(at) = segments.iter().position(|s| s == "subjects")
    {
        segments[at + 1] = percent_encode(target.as_str());
        changed = true;
    }
    let mut query = uri.query().map(str::to_owned);
    if ids_query && let Some(q) = &query {
        let mut pairs: Vec<(String, String)> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (p.to_owned(), String::new()),
            })
            .collect();
        for (k, v) in &mut pairs {
            if k == "subject"
                && let Some(name) = percent_decode(&v.replace('+', " "))
                && let Some(target) = alias_of(r, &name).await
            {
                *v = percent_encode(target.as_str());
                changed = true;
            }
        }
        query = Some(
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
    }
    if !changed {
        return None;
    }
    let path = segments.join("/");
    let path_and_query = match query {
        Some(q) => format!("{path}?{q}"),
        None => path,
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    axum::http::Uri::from_parts(parts).ok()
}

/// [`aliased_uri`] decided from memory: `true` when the URI stays as it is, known without
/// reading the store (it names no subject, or only one whose own config is in memory and
/// sets no alias); `false` when [`aliased_uri`] must decide. Lets the common request skip
/// the asynchronous step.
pub(super) fn keeps_its_uri(r: &Registry, uri: &axum::http::Uri) -> bool {
    if !names_a_subject(uri) {
        return true;
    }
    if uri.path().starts_with("/schemas/ids") {
        return false;
    }
    let Some(segment) = subject_segment(uri.path()) else {
        return true;
    };
    let Ok(name) = percent_encoding::percent_decode_str(segment).decode_utf8() else {
        return true;
    };
    Subject::parse(&name).map_or(true, |subject| r.known_own_alias(subject) == Some(None))
}

/// Whether a subject's alias could change the URI: its path has a `subjects` segment, or
/// it reads a schema by id for a `subject`.
fn names_a_subject(uri: &axum::http::Uri) -> bool {
    let path = uri.path();
    after_subjects(path).is_some()
        || (path.starts_with("/schemas/ids") && uri.query().is_some_and(|q| q.contains("subject")))
}

/// The path segment after the first `subjects` one, when not empty (still percent-encoded).
fn subject_segment(path: &str) -> Option<&str> {
    let rest = &path[after_subjects(path)?..];
    Some(rest.split_once('/').map_or(rest, |(segment, _)| segment)).filter(|s| !s.is_empty())
}

/// The offset in `path` just past its first `/subjects/`. A byte scan: a general substring
/// search sets itself up at each call, which costs more than scanning a URL's few dozen
/// bytes (this runs before every request is routed).
fn after_subjects(path: &str) -> Option<usize> {
    const SUBJECTS: &[u8] = b"/subjects/";
    path.as_bytes()
        .windows(SUBJECTS.len())
        .position(|w| w[0] == b'/' && w == SUBJECTS)
        .map(|at| at + SUBJECTS.len())
}

async fn alias_of(r: &Registry, name: &str) -> Option<Subject> {
    let subject = Subject::parse(name).ok()?;
    match r.alias_target(&subject).await {
        Ok(target) => target,
        Err(e) => {
            tracing::warn!(error = %e, "subject alias lookup failed");
            None
        }
    }
}

/// Percent-decodes a path segment; `None` when it is not UTF-8.
pub(super) fn percent_decode(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

/// What [`percent_encode`] escapes: every byte but unreserved characters and `:`.
const SUBJECT_ESCAPES: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

/// Percent-encodes a subject for a path segment or a query value: every byte but
/// unreserved characters and `:`.
fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, SUBJECT_ESCAPES).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_subject_segment_is_the_one_after_the_first_subjects_segment() {
        for (path, segment) in [
            ("/subjects/a/versions/latest", Some("a")),
            ("/subjects/a%2Fb", Some("a%2Fb")),
            ("/compatibility/subjects/s/versions/1", Some("s")),
            ("/subjects/subjects/versions", Some("subjects")),
            ("/x/subjectsy/subjects/b/versions", Some("b")),
            ("/subjects", None),
            ("/subjects/", None),
            ("/subjects//versions", None),
            ("/mysubjects/a", None),
            ("/schemas/ids/1", None),
        ] {
            assert_eq!(subject_segment(path), segment, "{path}");
        }
    }

    #[test]
    fn subjects_round_trip_through_percent_encoding() {
        for s in ["a/b", "test Alias", ":.ctx:orders", "ü%"] {
            assert_eq!(percent_decode(&percent_encode(s)).as_deref(), Some(s));
        }
        assert_eq!(
            percent_decode("test%2FAlias").as_deref(),
            Some("test/Alias")
        );
    }
}
