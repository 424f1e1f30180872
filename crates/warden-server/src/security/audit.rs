//! The audit log: one JSON line for every write, every delete (and every other change:
//! config, mode, import, administration) and every refused request.
//!
//! Each line is emitted as a `tracing` event of target `warden::audit` (its `audit` field
//! holds the JSON), and, when `[server.audit] file` is set, appended to that file, one
//! line a write. A line has, in this order:
//!
//! | field | value |
//! |---|---|
//! | `time` | RFC 3339 UTC, milliseconds |
//! | `principal` | the authenticated principal; `null` when none |
//! | `source` | the client's `IP:PORT` |
//! | `operation` | `read`, `write`, `delete`, `config`, `mode`, `import`, `admin`, or `authenticate` for a refused login |
//! | `method`, `path` | the request's |
//! | `subject` | the subject, `null` for registry-wide requests |
//! | `version` | the version of the path or of the answer, else `null` |
//! | `id` | the schema id of the path or of the answer, else `null` |
//! | `outcome` | `success`, `failure` (the registry answered an error), `denied` (403), `unauthenticated` (401) or `limited` (429) |
//! | `status` | the HTTP status answered |

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// `[server.audit]` of `warden.toml` (or `--audit-log`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// A file the lines are appended to, besides the `warden::audit` tracing target.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

/// One audit line.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// When the answer was sent (RFC 3339, UTC).
    pub time: String,
    /// Who asked.
    pub principal: Option<String>,
    /// From where.
    pub source: Option<String>,
    /// What they asked to do.
    pub operation: &'static str,
    /// The request method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The subject concerned.
    pub subject: Option<String>,
    /// The version concerned.
    pub version: Option<i64>,
    /// The schema id concerned.
    pub id: Option<i64>,
    /// `success`, `failure`, `denied`, `unauthenticated` or `limited`.
    pub outcome: &'static str,
    /// The HTTP status.
    pub status: u16,
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    file: Option<Mutex<std::fs::File>>,
}

impl AuditLog {
    /// Opens (creates, appends to) the audit file of `config`, if any.
    pub fn open(config: &AuditConfig) -> std::io::Result<Self> {
        let file = match &config.file {
            Some(path) => Some(Mutex::new(open_append(path)?)),
            None => None,
        };
        Ok(Self { file })
    }

    /// Records one event.
    pub fn record(&self, event: &AuditEvent) {
        let Ok(line) = serde_json::to_string(event) else {
            return;
        };
        tracing::info!(target: "warden::audit", audit = %line);
        if let Some(file) = &self.file
            && let Ok(mut file) = file.lock()
        {
            let mut bytes = line.into_bytes();
            bytes.push(b'\n');
            if let Err(e) = file.write_all(&bytes) {
                tracing::error!(error = %e, "cannot write the audit file");
            }
        }
    }
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// `now` as RFC 3339 UTC with milliseconds (`2026-12-05T01:02:03.456Z`).
pub fn rfc3339(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Howard Hinnant's civil-from-days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{:03}Z",
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_rfc3339_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_796_432_523_456);
        assert_eq!(rfc3339(t), "2026-12-05T01:02:03.456Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
