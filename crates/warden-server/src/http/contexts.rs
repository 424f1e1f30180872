//! Schema contexts over HTTP: `GET /contexts`, `DELETE /contexts/{context}` (Confluent's
//! `ContextsResource`), and `/contexts/{context}/…` URLs, rewritten before routing into the
//! URLs of qualified subjects as Confluent's `ContextFilter` does.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
#[allow(unused_imports)] // named only in `utoipa::path` attributes
use warden_core::api::ErrorBody;
use warden_core::{Context, ErrorCode};

use super::extract::{SrPath, SrQuery};
use super::openapi::JavaInt;
use super::{ApiError, AppState, sr_json};
use crate::error::Error;

// The context routes.
operations!(
    list_contexts;
    delete_context
);

/// The query of `GET /contexts`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContextsQuery {
    offset: Option<String>,
    limit: Option<String>,
    context_prefix: Option<String>,
}

/// Every context: `.` (the default context) first, then every context a schema was
/// registered in, by name; a context stays until it is deleted.
#[utoipa::path(
    get,
    path = "/contexts",
    tag = "contexts",
    params(
        ("offset" = Option<JavaInt>, Query, description = "Contexts to skip."),
        ("limit" = Option<JavaInt>, Query, description = "At most this many contexts; not positive is no limit."),
        ("contextPrefix" = Option<String>, Query, description = "Only contexts whose name starts with this (`.ctx`)."),
    ),
    responses(
        (status = 200, description = "Context names, `.` first.", body = Vec<String>),
        (status = 404, description = "404 an offset or limit that is not a Java int", body = ErrorBody),
    )
)]
async fn list_contexts(
    State(r): State<AppState>,
    SrQuery(q): SrQuery<ContextsQuery>,
) -> Result<Response, ApiError> {
    let params = super::extract::Params {
        offset: q.offset,
        limit: q.limit,
        ..Default::default()
    };
    let page = params.page(i32::MAX as usize, i32::MAX as usize)?;
    let mut names = r.contexts().await?;
    if let Some(prefix) = q.context_prefix.filter(|p| !p.is_empty()) {
        names.retain(|n| n.starts_with(&prefix));
    }
    Ok(sr_json(StatusCode::OK, &page.of(names)))
}

/// Deletes a context that has no subject left (soft-deleted ones count).
#[utoipa::path(
    delete,
    path = "/contexts/{context}",
    tag = "contexts",
    params(
        ("context" = String, Path, pattern = "^:?[^:]*:?$", description = "The context: `.ctx`, or `:.ctx:`; no colon inside (400)."),
    ),
    responses(
        (status = 204, description = "The context is gone (or never was)."),
        (status = 400, description = "400 a context name with a colon inside", body = ErrorBody),
        (status = 422, description = "42211 the context still has subjects", body = ErrorBody),
    )
)]
async fn delete_context(
    State(r): State<AppState>,
    SrPath(context): SrPath<String>,
) -> Result<Response, ApiError> {
    let context = Context::parse(&context)
        .map_err(|e| ApiError::Http(ErrorCode::BadRequest, e.to_string()))?;
    r.delete_context(&context).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Rewrites `/contexts/{context}/…` before routing, as Confluent's `ContextFilter`: the
/// subject after `subjects` (anywhere in the path, so `/compatibility/subjects/{s}` too) is
/// qualified with the context unless it is qualified already; `/config` and `/mode` of the
/// context are its scope (`/config/:.ctx:`); `GET /schemas/ids/{id}` reads in the context
/// (`?subject=` qualified); `GET /subjects` and `GET /schemas` list the context
/// (`subjectPrefix` qualified); `/contexts/{context}` alone is that context
/// (`DELETE /contexts/.ctx` is `DELETE /contexts/:.ctx:`). A context with `:` inside is 400.
/// The rewritten URI of a `/contexts/{context}/…` request; `None` for other paths.
///
/// Errors: the context's name is not one (the message of a 400).
pub(super) fn context_uri(uri: &Uri) -> Result<Option<Uri>, String> {
    if !uri.path().starts_with("/contexts/") {
        return Ok(None);
    }
    let segments: Vec<&str> = uri.path().split('/').collect();
    // ["", "contexts", context, rest…]
    let [_, "contexts", raw, rest @ ..] = segments.as_slice() else {
        return Ok(None);
    };
    if raw.is_empty() {
        return Ok(None);
    }
    let name = decode(raw);
    let context = Context::parse(&name).map_err(|e| e.to_string())?;
    // Written into the URL: percent-encoded.
    let prefix = encode(&context.prefix());
    let mut out: Vec<String> = Vec::new();
    let mut subject_next = false;
    let mut config_or_mode = false;
    for (i, segment) in rest.iter().enumerate() {
        if subject_next {
            subject_next = false;
            if starts_with_context(&decode(segment)) {
                out.push((*segment).to_owned());
            } else {
                out.push(format!("{prefix}{segment}"));
            }
            continue;
        }
        let root = i == 0 && (*segment == "config" || *segment == "mode");
        if *segment == "subjects" || root {
            subject_next = true;
            config_or_mode |= root;
        }
        out.push((*segment).to_owned());
    }
    let path = if rest.is_empty() || rest == [""] {
        // The context itself.
        if prefix.is_empty() {
            format!("/contexts/{raw}")
        } else {
            format!("/contexts/{prefix}")
        }
    } else {
        if config_or_mode && subject_next && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        format!("/{}", out.join("/"))
    };
    let trimmed = path.trim_end_matches('/');
    let mut query: Vec<(String, String)> = uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (p.to_owned(), String::new()),
        })
        .collect();
    let qualify = |value: &str| {
        if starts_with_context(&decode(&value.replace('+', " "))) {
            value.to_owned()
        } else {
            format!("{prefix}{value}")
        }
    };
    if trimmed.starts_with("/schemas/ids") {
        match query.iter_mut().find(|(k, _)| k == "subject") {
            Some((_, v)) => *v = qualify(v),
            None if !prefix.is_empty() => query.push(("subject".into(), prefix.clone())),
            None => {}
        }
    } else if trimmed == "/schemas" || trimmed == "/subjects" {
        let mut any = false;
        for (k, v) in &mut query {
            if k == "subjectPrefix" {
                *v = qualify(v);
                any = true;
            }
        }
        if !any {
            query.push(("subjectPrefix".into(), prefix.clone()));
        }
    }
    let path_and_query = if query.is_empty() {
        path
    } else {
        let q: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{path}?{}", q.join("&"))
    };
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(
        path_and_query
            .parse()
            .map_err(|_| Error::InvalidSubject(path_and_query.clone()).to_string())?,
    );
    Ok(Uri::from_parts(parts).ok())
}

/// Whether a subject (or prefix) names its context: `:.ctx:…` or the wildcard `:*:…`.
fn starts_with_context(s: &str) -> bool {
    s.starts_with(":.") || s.starts_with(":*:")
}

/// Percent-encodes text for a path segment or a query value: every byte but ASCII
/// letters, digits and `-._~:`.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decodes URL text (invalid escapes are kept as they are).
fn decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(uri: &str) -> String {
        let uri: Uri = uri.parse().unwrap();
        context_uri(&uri)
            .unwrap()
            .map(|u| u.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn context_urls_are_rewritten_as_confluents_context_filter() {
        assert_eq!(
            rewrite("/contexts/.ctx/subjects/s/versions?normalize=false"),
            "/subjects/:.ctx:s/versions?normalize=false"
        );
        assert_eq!(
            rewrite("/contexts/.ctx/subjects/:.other:s/versions"),
            "/subjects/:.other:s/versions"
        );
        assert_eq!(
            rewrite("/contexts/.ctx/compatibility/subjects/s/versions/latest"),
            "/compatibility/subjects/:.ctx:s/versions/latest"
        );
        assert_eq!(rewrite("/contexts/.ctx/config"), "/config/:.ctx:");
        assert_eq!(rewrite("/contexts/.ctx/mode/s"), "/mode/:.ctx:s");
        assert_eq!(
            rewrite("/contexts/.ctx/schemas/ids/1"),
            "/schemas/ids/1?subject=:.ctx:"
        );
        assert_eq!(
            rewrite("/contexts/.ctx/schemas/ids/1?subject=s"),
            "/schemas/ids/1?subject=:.ctx:s"
        );
        assert_eq!(
            rewrite("/contexts/.ctx/subjects"),
            "/subjects?subjectPrefix=:.ctx:"
        );
        assert_eq!(
            rewrite("/contexts/ctx/schemas?subjectPrefix=a"),
            "/schemas?subjectPrefix=:.ctx:a"
        );
        assert_eq!(rewrite("/contexts/.ctx"), "/contexts/:.ctx:");
        assert_eq!(rewrite("/contexts/.ctx/"), "/contexts/:.ctx:");
        assert_eq!(rewrite("/contexts"), "");
        assert_eq!(rewrite("/subjects/s"), "");
        assert_eq!(
            rewrite("/contexts/./subjects/s/versions"),
            "/subjects/s/versions"
        );
        let bad: Uri = "/contexts/.a:b/subjects".parse().unwrap();
        assert!(context_uri(&bad).is_err());
    }
}
