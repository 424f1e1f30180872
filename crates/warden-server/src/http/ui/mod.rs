//! The web UI at `/ui/`, served by the registry itself: server-rendered HTML (`maud`), one
//! stylesheet and one small optional script embedded in the binary, no CDN, nothing to
//! build. Pages:
//! - `/ui/`: the subjects, searched by name, filtered by format, level and deleted state,
//!   paged on the server; the registry's config and mode.
//! - `/ui/subjects/{subject}`: the versions as a timeline, the selected version's schema
//!   highlighted, its references and referrers, the subject's config and mode, and a box to
//!   check a new schema against the latest version (`POST …/check`).
//! - `/ui/subjects/{subject}/diff?from=V&to=W`: the structured diff, changes marked in both
//!   texts, each compatible or breaking with its rule, and the verdict per level.
//! - `/ui/schemas/{id}`: a schema by id and the subject versions using it.
//!
//! Config and mode forms are shown, and accepted, only where the caller may change them:
//! with authentication on, the security layer's rules decide (`config`/`mode` on the
//! subject, `admin` on `*` for the registry's); every UI route is classified in
//! `http::auth::classify`. Changes are form posts from the UI's own pages: a post whose
//! `Origin` or `Sec-Fetch-Site` says it came from another site is refused (403).

mod code;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use warden_core::api::ConfigUpdateRequest;
use warden_core::diff::{Change, SchemaDiff};
use warden_core::{
    CompatibilityLevel, Mode, SchemaId, SchemaType, Subject, Version, VersionSelector,
};

use self::code::{Code, Mark};
use super::AppState;
use super::auth::Access;
use crate::error::Error;
use crate::registry::{Registry, SchemaOptions, SchemaSubmission};
use crate::security::Operation;

/// Subject versions listed on a schema's page (a schema shared by thousands of subjects
/// would make a page of thousands of links).
const USED_BY_SHOWN: usize = 200;

/// Subjects per page of the list.
const PAGE_SIZE: usize = 50;

const CSS: &str = include_str!("assets/ui.css");
const JS: &str = include_str!("assets/ui.js");

/// Every UI route with its method, as [`router`] serves them (the security layer's
/// classification is tested against this list).
#[cfg(test)]
pub(super) const ROUTES: &[(&str, &str)] = &[
    ("/ui", "GET"),
    ("/ui/assets/ui.css", "GET"),
    ("/ui/assets/ui.js", "GET"),
    ("/ui/config", "POST"),
    ("/ui/mode", "POST"),
    ("/ui/subjects/{subject}", "GET"),
    ("/ui/subjects/{subject}/diff", "GET"),
    ("/ui/subjects/{subject}/check", "POST"),
    ("/ui/subjects/{subject}/config", "POST"),
    ("/ui/subjects/{subject}/mode", "POST"),
    ("/ui/schemas/{id}", "GET"),
];

/// The UI's routes (`/ui` answers `/ui/` too: the router takes one trailing slash off).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/ui", get(subjects_page))
        .route("/ui/assets/ui.css", get(css))
        .route("/ui/assets/ui.js", get(js))
        .route("/ui/config", post(set_global_config))
        .route("/ui/mode", post(set_global_mode))
        .route("/ui/subjects/{subject}", get(subject_page))
        .route("/ui/subjects/{subject}/diff", get(diff_page))
        .route("/ui/subjects/{subject}/check", post(check_page))
        .route("/ui/subjects/{subject}/config", post(set_subject_config))
        .route("/ui/subjects/{subject}/mode", post(set_subject_mode))
        .route("/ui/schemas/{id}", get(schema_page))
        .layer(axum::middleware::from_fn(guard))
}

/// The `Content-Security-Policy` of every UI response: no framing (clickjacking), and
/// scripts, styles and everything else from the registry itself (`/ui/assets`); the
/// pages' few `style` attributes are allowed.
const CSP: &str = "frame-ancestors 'none'; default-src 'self'; style-src 'self' 'unsafe-inline'; form-action 'self'";

/// Every UI response gets [`CSP`], `X-Frame-Options: DENY` and `X-Content-Type-Options:
/// nosniff`. With authentication on (the caller's [`Access`] present), a form POST that
/// carries neither `Origin` nor `Sec-Fetch-Site` is refused: a browser sends one of them
/// on every form submission, so it can only come from elsewhere than the UI's pages.
async fn guard(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let unmarked = request.method() == axum::http::Method::POST
        && request.extensions().get::<Access>().is_some()
        && !request.headers().contains_key("origin")
        && !request.headers().contains_key("sec-fetch-site");
    let mut response = if unmarked {
        refused_change()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

type Caller = Option<Extension<Access>>;

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn css() -> Response {
    asset(CSS, "text/css; charset=utf-8")
}

async fn js() -> Response {
    asset(JS, "text/javascript; charset=utf-8")
}

/// A page in the UI's frame.
fn layout(title: &str, search: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="color-scheme" content="light dark";
                title { (title) " · Warden" }
                link rel="stylesheet" href="/ui/assets/ui.css";
                script src="/ui/assets/ui.js" defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    a.brand href="/ui/" { "Warden" }
                    nav aria-label="Main" { a href="/ui/" { "Subjects" } }
                    form role="search" action="/ui/" method="get" {
                        label.sr for="q" { span.skip { "Search subjects" } }
                        input #q type="search" name="q" value=(search) placeholder="Search subjects ( / )" aria-label="Search subjects";
                    }
                }
                main #main tabindex="-1" { (body) }
            }
        }
    }
}

/// A failure as a page, with the status Confluent's code gives.
fn error_page(e: &Error) -> Response {
    let code = e.code();
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if status.is_server_error() {
        tracing::error!(error = %e, "a UI page failed");
        "The registry could not answer; see its log.".to_owned()
    } else {
        e.to_string()
    };
    let body = layout(
        "Error",
        "",
        html! {
            h1 { "Error " (code.code()) }
            p role="alert" { (message) }
            p { a href="/ui/" { "Back to the subjects" } }
        },
    );
    (status, body).into_response()
}

fn page(result: Result<Markup, Error>) -> Response {
    match result {
        Ok(markup) => markup.into_response(),
        Err(e) => error_page(&e),
    }
}

fn subject_of(raw: &str) -> Result<Subject, Error> {
    let parsed = Subject::parse(raw).map_err(|e| Error::InvalidSubject(e.to_string()))?;
    Ok(parsed.normalized().unwrap_or(parsed))
}

/// What a path segment or query value must escape (RFC 3986): controls, space, the
/// delimiters a URL gives a meaning to, the backslash and backquote, and non-ASCII.
const ESCAPED: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, ESCAPED).to_string()
}

fn subject_url(s: &Subject) -> String {
    format!("/ui/subjects/{}", enc(s.as_str()))
}

/// A `ts` (milliseconds since the epoch) as RFC 3339.
fn date(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or_default());
    crate::security::audit::rfc3339(t)
}

fn can(caller: &Caller, op: Operation, subject: Option<&Subject>) -> bool {
    match (caller, subject) {
        (None, _) => true,
        (Some(a), Some(s)) => a.allows(op, s.as_str()),
        (Some(a), None) => a.allows_global(),
    }
}

// ---- the subjects list ----

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    deleted: String,
    /// A page number; anything else (`?page=abc`) is the first page, parsed by hand so that
    /// a bad value never answers axum's plain-text rejection.
    #[serde(default)]
    page: Option<String>,
}

const LEVEL_NAMES: [&str; 7] = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
];

const MODE_NAMES: [&str; 4] = ["READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"];

async fn subjects_page(
    State(r): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Response {
    page(subjects_markup(&r, &caller, q).await)
}

async fn subjects_markup(r: &Registry, caller: &Caller, q: ListQuery) -> Result<Markup, Error> {
    let mut all = r.subject_summaries().await?;
    if let Some(Extension(access)) = caller {
        all.retain(|s| access.can_read(s.subject.as_str()));
    }
    let total = all.len();
    let needle = q.q.trim().to_lowercase();
    all.retain(|s| {
        (needle.is_empty() || s.subject.as_str().to_lowercase().contains(&needle))
            && match q.deleted.as_str() {
                "deleted" => s.deleted,
                "all" => true,
                _ => !s.deleted,
            }
            && (q.format.is_empty() || s.schema_type.is_some_and(|t| t.as_str() == q.format))
    });
    // The level filter reads each remaining subject's config.
    let mut levels: HashMap<String, CompatibilityLevel> = HashMap::new();
    if !q.level.is_empty() {
        let mut kept = Vec::with_capacity(all.len());
        for s in all {
            let level = r.effective_level(&s.subject).await?;
            if level.as_str() == q.level {
                levels.insert(s.subject.as_str().to_owned(), level);
                kept.push(s);
            }
        }
        all = kept;
    }
    let matching = all.len();
    let pages = matching.div_ceil(PAGE_SIZE).max(1);
    let page_no = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let shown: Vec<_> = all
        .into_iter()
        .skip((page_no - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    for s in &shown {
        if !levels.contains_key(s.subject.as_str()) {
            levels.insert(
                s.subject.as_str().to_owned(),
                r.effective_level(&s.subject).await?,
            );
        }
    }
    let config = r.config(None, true).await?;
    let global_level = config.compatibility.unwrap_or_default();
    let global_mode = r.mode(None, true).await?;
    let edit = can(caller, Operation::Admin, None);
    let link = |p: usize| {
        let mut url = String::from("/ui/?");
        for (k, v) in [
            ("q", q.q.as_str()),
            ("format", q.format.as_str()),
            ("level", q.level.as_str()),
            ("deleted", q.deleted.as_str()),
        ] {
            if !v.is_empty() {
                let _ = write!(url, "{k}={}&", enc(v));
            }
        }
        let _ = write!(url, "page={p}");
        url
    };
    let select = |name: &str, label: &str, current: &str, options: &[(&str, &str)]| {
        html! {
            label {
                (label)
                select name=(name) {
                    @for (value, text) in options {
                        option value=(value) selected[*value == current] { (text) }
                    }
                }
            }
        }
    };
    let mut level_options = vec![("", "any")];
    level_options.extend(LEVEL_NAMES.iter().map(|l| (*l, *l)));
    let body = html! {
        h1 { "Subjects" }
        section.panel aria-labelledby="registry-h" {
            h2 #registry-h style="margin-top:0" { "Registry" }
            div.row {
                div { "Compatibility: " strong #global-level { (global_level.as_str()) } }
                div { "Mode: " strong #global-mode { (global_mode.as_str()) } }
                div.muted { (total) " subjects" }
            }
            @if edit {
                div.row style="margin-top:.5rem" {
                    (config_form("/ui/config", global_level.as_str()))
                    (mode_form("/ui/mode", global_mode.as_str()))
                }
            } @else {
                p.muted { "Read-only: changing the registry's config and mode needs admin." }
            }
        }
        form.filters action="/ui/" method="get" role="search" aria-label="Filter subjects" {
            label { "Name contains" input type="search" name="q" value=(q.q); }
            (select("format", "Format", &q.format, &[("", "any"), ("AVRO", "Avro"), ("PROTOBUF", "Protobuf"), ("JSON", "JSON Schema")]))
            (select("level", "Level", &q.level, &level_options))
            (select("deleted", "State", &q.deleted, &[("", "live"), ("deleted", "deleted"), ("all", "all")]))
            button type="submit" { "Filter" }
        }
        p #result-count.muted aria-live="polite" { (matching) " matching · page " (page_no) " of " (pages) }
        table #subjects {
            thead { tr { th scope="col" { "Subject" } th scope="col" { "Format" } th scope="col" { "Latest" } th scope="col" { "Level" } th scope="col" { "State" } } }
            tbody {
                @for s in &shown {
                    tr {
                        td { a href=(subject_url(&s.subject)) { (s.subject.as_str()) } }
                        td { (s.schema_type.map_or("", SchemaType::as_str)) }
                        td { @if let Some(v) = s.latest { (v.to_string()) } }
                        td { (levels.get(s.subject.as_str()).map_or("", |l| l.as_str())) }
                        td { @if s.deleted { span.badge { "deleted" } } @else { "live" } }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if page_no > 1 { a rel="prev" href=(link(page_no - 1)) { "← Previous" } }
            @if page_no < pages { a rel="next" href=(link(page_no + 1)) { "Next →" } }
        }
    };
    Ok(layout("Subjects", &q.q, body))
}

fn config_form(action: &str, current: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            label {
                "Compatibility level"
                select name="compatibility" {
                    @for l in LEVEL_NAMES { option value=(l) selected[l == current] { (l) } }
                }
            }
            button type="submit" { "Set level" }
        }
    }
}

fn mode_form(action: &str, current: &str) -> Markup {
    html! {
        form method="post" action=(action) {
            label {
                "Mode"
                select name="mode" {
                    @for m in MODE_NAMES { option value=(m) selected[m == current] { (m) } }
                }
            }
            button type="submit" { "Set mode" }
        }
    }
}

// ---- a subject ----

#[derive(Debug, Default, Deserialize)]
struct SubjectQuery {
    version: Option<String>,
}

async fn subject_page(
    State(r): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<SubjectQuery>,
) -> Response {
    page(subject_markup(&r, &caller, &raw, q).await)
}

fn schema_code(schema_type: SchemaType, text: &str) -> Code {
    match schema_type {
        SchemaType::Protobuf => Code::proto(text),
        SchemaType::Avro | SchemaType::Json => Code::json(text),
    }
}

async fn subject_markup(
    r: &Registry,
    caller: &Caller,
    raw: &str,
    q: SubjectQuery,
) -> Result<Markup, Error> {
    let subject = subject_of(raw)?;
    let rows = r.version_rows(&subject).await?;
    if rows.is_empty() {
        return Err(Error::SubjectNotFound(subject.to_string()));
    }
    let selected = match q.version.as_deref() {
        None | Some("latest") => rows
            .iter()
            .rev()
            .find(|row| !row.deleted)
            .or(rows.last())
            .copied(),
        Some(v) => {
            let v = v
                .parse::<i64>()
                .ok()
                .and_then(|n| Version::new(n).ok())
                .ok_or_else(|| {
                    Error::InvalidVersion(format!("The specified version '{v}' is not valid"))
                })?;
            rows.iter().find(|row| row.version == v).copied()
        }
    }
    .ok_or_else(|| Error::VersionNotFound(q.version.clone().unwrap_or_default()))?;
    let mut schemas = HashMap::new();
    for row in &rows {
        schemas.insert(row.schema_id, r.schema_by_id(row.schema_id).await?);
    }
    let schema = &schemas[&selected.schema_id].stored;
    let referenced_by = r
        .referenced_by(&subject, VersionSelector::Exact(selected.version), true)
        .await?;
    let level = r.effective_level(&subject).await?;
    let mode = r.effective_mode(&subject).await?;
    let can_config = can(caller, Operation::Config, Some(&subject));
    let can_mode = can(caller, Operation::Mode, Some(&subject));
    let url = subject_url(&subject);
    let code = schema_code(schema.schema_type, &schema.schema);
    let latest_live = rows
        .iter()
        .rev()
        .find(|row| !row.deleted)
        .map(|row| row.version);
    let body = html! {
        p.muted { a href="/ui/" { "Subjects" } " / " }
        h1 { (subject.as_str()) }
        section.panel aria-label="Config and mode" {
            div.row {
                div { "Compatibility: " strong #subject-level { (level.as_str()) } }
                div { "Mode: " strong #subject-mode { (mode.as_str()) } }
                div { "Format: " strong { (schema.schema_type.as_str()) } }
            }
            @if can_config || can_mode {
                div.row style="margin-top:.5rem" {
                    @if can_config { (config_form(&format!("{url}/config"), level.as_str())) }
                    @if can_mode { (mode_form(&format!("{url}/mode"), mode.as_str())) }
                }
            } @else {
                p.muted { "Read-only: you may not change this subject's config or mode." }
            }
        }
        div.sides {
            section aria-labelledby="timeline-h" {
                h2 #timeline-h { "Versions" }
                ol.timeline {
                    @for (i, row) in rows.iter().enumerate().rev() {
                        @let stored = &schemas[&row.schema_id].stored;
                        li class={ @if row.deleted { "deleted" } @if *row == selected { " selected" } } {
                            a.v href={ (url) "?version=" (row.version.to_string()) } aria-current=[(*row == selected).then_some("true")] {
                                "Version " (row.version.to_string())
                            }
                            " · id " a href=(schema_url(row.schema_id, &subject)) { (row.schema_id.to_string()) }
                            " · " time datetime=(date(row.created_at)) { (date(row.created_at)) }
                            @if row.deleted { " " span.badge { "deleted" } }
                            @if i > 0 {
                                " · " a href={ (url) "/diff?from=" (rows[i - 1].version.to_string()) "&to=" (row.version.to_string()) } { "diff with " (rows[i - 1].version.to_string()) }
                            }
                            @if let Some(m) = &stored.metadata {
                                details { summary { "metadata" @if m.get("tags").is_some() { " and tags" } } pre.code { span.ln { (pretty(m)) } } }
                            }
                            @if let Some(rs) = &stored.rule_set {
                                details { summary { "rule set" } pre.code { span.ln { (pretty(rs)) } } }
                            }
                        }
                    }
                }
            }
            section aria-labelledby="schema-h" {
                h2 #schema-h { "Schema of version " (selected.version.to_string()) " (id " (selected.schema_id.to_string()) ")" }
                (code.render(&HashMap::new(), "Schema text"))
                h2 { "References" }
                @if schema.references.is_empty() { p.muted { "None." } }
                ul #references {
                    @for reference in &schema.references {
                        li {
                            (reference.name) " → "
                            a href={ "/ui/subjects/" (enc(reference.subject.as_str())) "?version=" (reference.version.to_string()) } {
                                (reference.subject.as_str()) " version " (reference.version.to_string())
                            }
                        }
                    }
                }
                h2 { "Referenced by" }
                @if referenced_by.is_empty() { p.muted { "No schema references this version." } }
                ul #referenced-by {
                    @for id in &referenced_by {
                        li { a href=(schema_url(*id, &subject)) { "schema " (id.to_string()) } }
                    }
                }
            }
        }
        section.panel aria-labelledby="check-h" {
            h2 #check-h style="margin-top:0" { "Check a new version" }
            @match latest_live {
                Some(v) => p.muted { "Paste a schema: see its diff against version " (v.to_string()) " and the verdict under " (level.as_str()) ", before anything is registered." },
                None => p.muted { "The subject has no live version: any schema is accepted." },
            }
            form #check method="post" action={ (url) "/check" } {
                label { "Schema type"
                    select name="schemaType" {
                        @for t in [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json] {
                            option value=(t.as_str()) selected[t == schema.schema_type] { (t.as_str()) }
                        }
                    }
                }
                label { "Schema" textarea #check-schema name="schema" required aria-describedby="check-help" {} }
                p #check-help.muted { "Ctrl+Enter checks." }
                button type="submit" { "Check" }
            }
        }
    };
    Ok(layout(subject.as_str(), "", body))
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

// ---- the diff ----

#[derive(Debug, Default, Deserialize)]
struct DiffQuery {
    from: Option<String>,
    to: Option<String>,
}

async fn diff_page(
    State(r): State<AppState>,
    Path(raw): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    page(diff_markup(&r, &raw, q).await)
}

fn selector(v: Option<&str>, name: &str) -> Result<VersionSelector, Error> {
    let v = v.ok_or_else(|| Error::InvalidVersion(format!("The version '{name}' is required")))?;
    VersionSelector::parse(v).map_err(|e| Error::InvalidVersion(e.to_string()))
}

async fn diff_markup(r: &Registry, raw: &str, q: DiffQuery) -> Result<Markup, Error> {
    let subject = subject_of(raw)?;
    let from = selector(q.from.as_deref(), "from")?;
    let to = selector(q.to.as_deref(), "to")?;
    let diff = r.diff_versions(&subject, from, to).await?;
    let (old_row, old) = r.version(&subject, from, true).await?;
    let (new_row, new) = r.version(&subject, to, true).await?;
    let level = r.effective_level(&subject).await?;
    let title = format!("Version {} → {}", old_row.version, new_row.version);
    let body = html! {
        p.muted { a href="/ui/" { "Subjects" } " / " a href=(subject_url(&subject)) { (subject.as_str()) } " / diff" }
        h1 { (subject.as_str()) ": " (title) }
        (diff_body(&diff, Some(level), &old.stored.schema, &new.stored.schema, &format!("version {}", old_row.version), &format!("version {}", new_row.version)))
    };
    Ok(layout(&format!("{} diff", subject.as_str()), "", body))
}

/// The marks of each side: the lines of each change's path, breaking when either direction
/// breaks.
fn marks(code: &Code, changes: &[Change], old_side: bool) -> HashMap<usize, Mark> {
    let mut out = HashMap::new();
    for c in changes {
        let present = if old_side {
            c.old.is_some()
        } else {
            c.new.is_some()
        };
        if !present && c.kind != "INCOMPATIBILITY" {
            continue;
        }
        let Some((start, end)) = code.lines_of(&c.path) else {
            continue;
        };
        let mark = if c.backward.compatible && c.forward.compatible {
            Mark::Compatible
        } else {
            Mark::Breaking
        };
        for line in start..=end {
            let entry = out.entry(line).or_insert(mark);
            if mark == Mark::Breaking {
                *entry = Mark::Breaking;
            }
        }
    }
    out
}

fn judgement(j: &warden_core::diff::Judgement) -> Markup {
    html! {
        @if j.compatible {
            span.badge.ok { "compatible" } " " span.muted { (j.rule) }
        } @else {
            span.badge.bad { "breaking" } " " strong.rule { (j.rule) }
        }
    }
}

fn diff_body(
    diff: &SchemaDiff,
    level: Option<CompatibilityLevel>,
    old_text: &str,
    new_text: &str,
    old_label: &str,
    new_label: &str,
) -> Markup {
    let old_code = schema_code(diff.schema_type, old_text);
    let new_code = schema_code(diff.schema_type, new_text);
    html! {
        @if let Some(level) = level {
            p #verdict role="status" {
                "These two versions, compared with each other only under the subject's level "
                strong { (level.as_str()) } ": "
                @if diff.verdict(level).unwrap_or(true) { span.badge.ok { "compatible" } } @else { span.badge.bad { "incompatible" } }
            }
        }
        h2 { "Changes (" (diff.changes.len()) ")" }
        @if diff.changes.is_empty() { p.muted { "The two schemas are the same." } }
        table #changes {
            thead { tr { th scope="col" { "Change" } th scope="col" { "Path" } th scope="col" { "Backward (new reads old)" } th scope="col" { "Forward (old reads new)" } } }
            tbody {
                @for c in &diff.changes {
                    tr class=(if c.backward.compatible && c.forward.compatible { "change ok" } else { "change bad" }) {
                        td { code { (c.kind) } }
                        td { code { (c.path) } }
                        td { (judgement(&c.backward)) }
                        td { (judgement(&c.forward)) }
                    }
                }
            }
        }
        div.sides {
            section { h2 { "Old: " (old_label) } (old_code.render(&marks(&old_code, &diff.changes, true), "Old schema")) }
            section { h2 { "New: " (new_label) } (new_code.render(&marks(&new_code, &diff.changes, false), "New schema")) }
        }
        h2 { "Verdict per level" }
        table #levels {
            thead { tr { th scope="col" { "Level" } th scope="col" { "Verdict" } } }
            tbody {
                @for l in &diff.levels {
                    tr {
                        th scope="row" { (l.level) @if level.is_some_and(|level| l.level == level.as_str()) { " " span.badge { "subject's level" } } }
                        td { @if l.compatible { span.badge.ok { "compatible" } } @else { span.badge.bad { "incompatible" } } }
                    }
                }
            }
        }
    }
}

// ---- check a new version ----

#[derive(Debug, Deserialize)]
struct CheckForm {
    // Missing fields are empty, answered by the registry's own error page (42201, 42203,
    // 42204), not axum's plain-text rejection.
    #[serde(default)]
    schema: String,
    #[serde(rename = "schemaType", default)]
    schema_type: Option<String>,
}

async fn check_page(
    State(r): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<CheckForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    page(check_markup(&r, &raw, form).await)
}

async fn check_markup(r: &Registry, raw: &str, form: CheckForm) -> Result<Markup, Error> {
    let subject = subject_of(raw)?;
    let request = warden_core::api::RegisterSchemaRequest {
        schema: Some(form.schema.clone()),
        schema_type: form.schema_type.filter(|t| !t.is_empty() && t != "AVRO"),
        ..Default::default()
    };
    let submission = SchemaSubmission::from_request(request)?;
    let (level, diff) = r.diff_against_latest(&subject, submission.clone()).await?;
    // The verdict is the registration's: what `POST /compatibility/subjects/{subject}/versions`
    // answers under the subject's level (every live version for a transitive level).
    let check = r
        .test_compatibility(&subject, None, submission, SchemaOptions::default(), true)
        .await?;
    let latest = r
        .version(&subject, VersionSelector::Latest, false)
        .await
        .ok();
    let body = html! {
        p.muted { a href="/ui/" { "Subjects" } " / " a href=(subject_url(&subject)) { (subject.as_str()) } " / check" }
        h1 { "Check against " (subject.as_str()) }
        p #verdict role="status" {
            "Under the subject's level " strong { (level.as_str()) } ": "
            @if check.is_compatible { span.badge.ok { "compatible" } } @else { span.badge.bad { "incompatible" } }
        }
        @if !check.is_compatible {
            details #messages {
                summary { "Why (Confluent's messages)" }
                ul { @for m in check.messages.iter().flatten() { li { code { (m) } } } }
            }
        }
        @match (diff, latest) {
            (Some(diff), Some((row, schema))) => {
                (diff_body(&diff, None, &schema.stored.schema, &form.schema, &format!("version {} (latest)", row.version), "the pasted schema"))
            }
            _ => p.muted { "The subject has no live version to compare with." },
        }
        p { a href=(subject_url(&subject)) { "Back to " (subject.as_str()) } }
    };
    Ok(layout("Check", "", body))
}

// ---- a schema by id ----

/// The link to schema `id` as `subject` uses it: the id is read in the subject's context,
/// as `GET /schemas/ids/{id}?subject=` reads it (an id names one schema per context).
fn schema_url(id: SchemaId, subject: &Subject) -> String {
    format!("/ui/schemas/{id}?subject={}", enc(subject.as_str()))
}

/// The query of a schema's page: the subject whose context the id is read in.
#[derive(Debug, Deserialize)]
struct SchemaQuery {
    subject: Option<String>,
}

async fn schema_page(
    State(r): State<AppState>,
    caller: Caller,
    Path(raw): Path<String>,
    Query(q): Query<SchemaQuery>,
) -> Response {
    page(schema_markup(&r, &caller, &raw, q.subject.as_deref()).await)
}

async fn schema_markup(
    r: &Registry,
    caller: &Caller,
    raw: &str,
    subject: Option<&str>,
) -> Result<Markup, Error> {
    let id = raw
        .parse::<i64>()
        .ok()
        .and_then(|n| SchemaId::new(n).ok())
        .ok_or_else(|| Error::SchemaNotFound(format!("Schema {raw} not found")))?;
    // In the named subject's context, as the API and the authorization middleware
    // (`Need::SchemaId`, which reads the same `subject` parameter) resolve it.
    let named = subject.and_then(|s| Subject::parse(s).ok());
    let id = r.id_in_context(id, named.as_ref()).await?;
    let schema = r.schema_by_id(id).await?;
    let mut users = r.versions_of_schema(id, true).await?;
    if let Some(Extension(access)) = caller {
        users.retain(|u| access.can_read(u.subject.as_str()));
    }
    let stored = &schema.stored;
    let code = schema_code(stored.schema_type, &stored.schema);
    let body = html! {
        p.muted { a href="/ui/" { "Subjects" } " / schema" }
        h1 { "Schema " (id.to_string()) " " span.badge { (stored.schema_type.as_str()) } }
        h2 { "Used by " (users.len()) " subject versions" }
        ul #used-by {
            @for u in users.iter().take(USED_BY_SHOWN) {
                li { a href={ (subject_url(&u.subject)) "?version=" (u.version.to_string()) } { (u.subject.as_str()) " version " (u.version.to_string()) } }
            }
        }
        @if users.len() > USED_BY_SHOWN {
            p.muted { "… and " (users.len() - USED_BY_SHOWN) " more (all of them: " code { "GET /schemas/ids/" (id.to_string()) "/versions" } ")." }
        }
        h2 { "Text" }
        (code.render(&HashMap::new(), "Schema text"))
    };
    Ok(layout(&format!("Schema {id}"), "", body))
}

// ---- config and mode changes ----

/// A change posted from another site: refused (the browser's `Sec-Fetch-Site`, else an
/// `Origin` whose host is not this one's).
fn cross_site(headers: &HeaderMap) -> Option<Response> {
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let foreign = match (text("sec-fetch-site"), text("origin")) {
        (Some(site), _) => !matches!(site, "same-origin" | "none"),
        (None, Some(origin)) => {
            let host = text("host").unwrap_or_default();
            origin.split("://").nth(1) != Some(host)
        }
        (None, None) => false,
    };
    foreign.then(refused_change)
}

/// 403 for a change that does not come from the UI's own pages.
fn refused_change() -> Response {
    (
        StatusCode::FORBIDDEN,
        layout(
            "Refused",
            "",
            html! { h1 { "Refused" } p { "A change must come from the registry's own pages." } },
        ),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ConfigForm {
    #[serde(default)]
    compatibility: String,
}

#[derive(Debug, Deserialize)]
struct ModeForm {
    #[serde(default)]
    mode: String,
}

async fn apply_config(r: &Registry, subject: Option<&Subject>, level: String) -> Result<(), Error> {
    let update = ConfigUpdateRequest {
        compatibility: Some(level),
        ..Default::default()
    };
    r.set_config(subject, &update).await.map(|_| ())
}

fn done(result: Result<(), Error>, back: String) -> Response {
    match result {
        Ok(()) => Redirect::to(&back).into_response(),
        Err(e) => error_page(&e),
    }
}

async fn set_global_config(
    State(r): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConfigForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    done(
        apply_config(&r, None, form.compatibility).await,
        "/ui/".into(),
    )
}

async fn set_global_mode(
    State(r): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ModeForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    let result = r.set_mode(None, &form.mode, false).await.map(|_: Mode| ());
    done(result, "/ui/".into())
}

async fn set_subject_config(
    State(r): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ConfigForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    let subject = match subject_of(&raw) {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let back = subject_url(&subject);
    done(
        apply_config(&r, Some(&subject), form.compatibility).await,
        back,
    )
}

async fn set_subject_mode(
    State(r): State<AppState>,
    headers: HeaderMap,
    Path(raw): Path<String>,
    Form(form): Form<ModeForm>,
) -> Response {
    if let Some(refused) = cross_site(&headers) {
        return refused;
    }
    let subject = match subject_of(&raw) {
        Ok(s) => s,
        Err(e) => return error_page(&e),
    };
    let back = subject_url(&subject);
    let result = r
        .set_mode(Some(&subject), &form.mode, false)
        .await
        .map(|_: Mode| ());
    done(result, back)
}
