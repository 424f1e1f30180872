//! The four renderings of a [`Report`]: text for people (colored on a terminal), JSON for
//! scripts, GitHub workflow annotations, and JUnit XML for CI servers.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use anstyle::{AnsiColor, Style};

use super::{Outcome, Report, SubjectReport};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// File, subject, rule, path and message per violation, grouped by file.
    Text,
    /// One JSON document.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,title=…::…`).
    Github,
    /// JUnit XML: one test case per subject.
    Junit,
}

/// Writes `report` to stdout in `format`. `root` is the project root, used to make GitHub
/// annotation paths relative to the repository.
pub(crate) fn print(report: &Report, format: Format, root: &Path) -> anyhow::Result<()> {
    let out = match format {
        Format::Text => text(report),
        Format::Json => serde_json::to_string_pretty(&json(report))? + "\n",
        Format::Github => github(report, &repo_prefix(root)),
        Format::Junit => junit(report),
    };
    // anstream strips the colors when stdout is not a terminal (or NO_COLOR is set).
    let mut stdout = anstream::stdout();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    Ok(())
}

const RED: Style = AnsiColor::Red.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

#[derive(Debug, Default)]
struct Counts {
    compatible: usize,
    new: usize,
    incompatible: usize,
    deleted: usize,
    invalid: usize,
}

fn counts(report: &Report) -> Counts {
    let mut c = Counts::default();
    for s in &report.subjects {
        match s.outcome {
            Outcome::Compatible => c.compatible += 1,
            Outcome::New { .. } => c.new += 1,
            Outcome::Incompatible(_) => c.incompatible += 1,
            Outcome::Deleted => c.deleted += 1,
            Outcome::Invalid { .. } => c.invalid += 1,
        }
    }
    c
}

fn header(s: &SubjectReport) -> String {
    format!(
        "(subject {}, {}, {})",
        s.subject,
        s.schema_type.as_str(),
        s.level
    )
}

/// `N subjects checked against X: … compatible, … new, …`.
fn summary(report: &Report) -> String {
    let c = counts(report);
    format!(
        "{} subject{} checked against {}: {} compatible, {} new, {} incompatible, {} deleted, \
         {} invalid",
        report.subjects.len(),
        if report.subjects.len() == 1 { "" } else { "s" },
        report.against,
        c.compatible,
        c.new,
        c.incompatible,
        c.deleted,
        c.invalid
    )
}

/// The text rendering, with ANSI styles (stripped by the writer when not on a terminal).
fn text(report: &Report) -> String {
    let mut out = String::new();
    for s in &report.subjects {
        let head = header(s);
        match &s.outcome {
            Outcome::Compatible => {
                let _ = writeln!(
                    out,
                    "{GREEN}ok{GREEN:#}       {} {DIM}{head}{DIM:#}",
                    s.file
                );
            }
            Outcome::New { note } => {
                let _ = writeln!(
                    out,
                    "{GREEN}new{GREEN:#}      {} {DIM}{head}{DIM:#}",
                    s.file
                );
                if let Some(note) = note {
                    let _ = writeln!(out, "         {DIM}note: {note}{DIM:#}");
                }
            }
            Outcome::Deleted => {
                let _ = writeln!(
                    out,
                    "{RED}deleted{RED:#}  {} {DIM}{head}{DIM:#}: the file is gone from the \
                     working tree; readers and writers of the subject lose their schema",
                    s.file
                );
            }
            Outcome::Invalid { message, line } => {
                let location = line.map_or_else(|| s.file.clone(), |l| format!("{}:{l}", s.file));
                let _ = writeln!(
                    out,
                    "{YELLOW}invalid{YELLOW:#}  {location} {DIM}{head}{DIM:#}: {message}"
                );
            }
            Outcome::Incompatible(findings) => {
                let _ = writeln!(
                    out,
                    "{RED}FAIL{RED:#}     {} {DIM}{head}{DIM:#}: {} violation{}",
                    s.file,
                    findings.len(),
                    if findings.len() == 1 { "" } else { "s" }
                );
                for f in findings {
                    let path = if f.path.is_empty() {
                        String::new()
                    } else {
                        format!(" at {}", f.path)
                    };
                    let old = f
                        .old_version
                        .as_deref()
                        .map(|v| format!(" (against {v})"))
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "  {}:{}: {}: {BOLD}{}{BOLD:#}{path}{old}: {}",
                        s.file, f.line, s.subject, f.rule, f.message
                    );
                }
            }
        }
    }
    let _ = writeln!(out, "\n{}", summary(report));
    out
}

/// The JSON rendering.
fn json(report: &Report) -> serde_json::Value {
    use serde_json::json;
    let c = counts(report);
    let subjects: Vec<serde_json::Value> = report
        .subjects
        .iter()
        .map(|s| {
            let mut v = json!({
                "subject": s.subject,
                "file": s.file,
                "schemaType": s.schema_type.as_str(),
                "compatibility": s.level,
            });
            let status = match &s.outcome {
                Outcome::Compatible => "compatible",
                Outcome::New { note } => {
                    if let Some(note) = note {
                        v["note"] = json!(note);
                    }
                    "new"
                }
                Outcome::Deleted => "deleted",
                Outcome::Invalid { message, line } => {
                    v["error"] = json!({"message": message, "line": line});
                    "invalid"
                }
                Outcome::Incompatible(findings) => {
                    v["violations"] = findings
                        .iter()
                        .map(|f| {
                            json!({
                                "rule": f.rule,
                                "path": f.path,
                                "line": f.line,
                                "message": f.message,
                                "against": f.old_version,
                            })
                        })
                        .collect();
                    "incompatible"
                }
            };
            v["status"] = json!(status);
            v
        })
        .collect();
    json!({
        "against": report.against,
        "compatible": report.exit_code() == 0,
        "summary": {
            "compatible": c.compatible,
            "new": c.new,
            "incompatible": c.incompatible,
            "deleted": c.deleted,
            "invalid": c.invalid,
        },
        "subjects": subjects,
    })
}

/// The project root's path inside its git repository (`""` at the top, `sub/dir/` below),
/// so annotations name files as GitHub does.
fn repo_prefix(root: &Path) -> String {
    std::process::Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--show-prefix"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Escapes the message of a workflow command (GitHub's `escapeData`).
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property of a workflow command (GitHub's `escapeProperty`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions annotations: one `::error` per violation, deleted file or invalid schema,
/// and a `::notice` summary.
fn github(report: &Report, prefix: &str) -> String {
    let mut out = String::new();
    let mut error = |file: &str, line: u32, title: &str, message: &str| {
        let _ = writeln!(
            out,
            "::error file={},line={line},title={}::{}",
            escape_property(&format!("{prefix}{file}")),
            escape_property(title),
            escape_data(message)
        );
    };
    for s in &report.subjects {
        match &s.outcome {
            Outcome::Compatible | Outcome::New { .. } => {}
            Outcome::Deleted => error(
                &s.file,
                1,
                "SCHEMA_DELETED",
                &format!(
                    "subject {}: the schema file was deleted (it exists in {})",
                    s.subject, report.against
                ),
            ),
            Outcome::Invalid { message, line } => error(
                &s.file,
                line.unwrap_or(1),
                "INVALID_SCHEMA",
                &format!(
                    "subject {}: the schema does not parse: {message}",
                    s.subject
                ),
            ),
            Outcome::Incompatible(findings) => {
                for f in findings {
                    error(
                        &s.file,
                        f.line,
                        &f.rule,
                        &format!(
                            "subject {} ({}): {}{}",
                            s.subject,
                            s.level,
                            f.message,
                            if f.path.is_empty() {
                                String::new()
                            } else {
                                format!(" [{}]", f.path)
                            }
                        ),
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "::notice title=warden check::{}",
        escape_data(&summary(report))
    );
    out
}

/// Escapes text for XML content and attribute values; drops characters XML 1.0 forbids.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML (the Ant/Surefire shape CI servers read): one `<testcase>` per subject, a
/// `<failure>` per incompatible or deleted subject, an `<error>` per invalid schema.
fn junit(report: &Report) -> String {
    let c = counts(report);
    let tests = report.subjects.len();
    let failures = c.incompatible + c.deleted;
    let errors = c.invalid;
    let suite = format!("warden check against {}", report.against);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"warden check\" tests=\"{tests}\" failures=\"{failures}\" \
         errors=\"{errors}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" \
         skipped=\"0\">",
        xml(&suite)
    );
    for s in &report.subjects {
        let open = format!(
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"",
            xml(&s.subject),
            xml(&s.file),
            xml(&s.file)
        );
        match &s.outcome {
            Outcome::Compatible | Outcome::New { .. } => {
                let _ = writeln!(out, "{open}/>");
            }
            Outcome::Deleted => {
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <failure type=\"SCHEMA_DELETED\" message=\"the schema file was \
                     deleted\">{}</failure>",
                    xml(&format!(
                        "{} (subject {}) exists in {} and is gone from the working tree",
                        s.file, s.subject, report.against
                    ))
                );
                let _ = writeln!(out, "    </testcase>");
            }
            Outcome::Invalid { message, line } => {
                let location = line.map_or_else(|| s.file.clone(), |l| format!("{}:{l}", s.file));
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <error type=\"INVALID_SCHEMA\" message=\"{}\">{}</error>",
                    xml(message),
                    xml(&format!("{location}: {message}"))
                );
                let _ = writeln!(out, "    </testcase>");
            }
            Outcome::Incompatible(findings) => {
                let mut rules: Vec<&str> = Vec::new();
                for f in findings {
                    if !rules.contains(&f.rule.as_str()) {
                        rules.push(&f.rule);
                    }
                }
                let mut body = String::new();
                for f in findings {
                    let _ = writeln!(
                        body,
                        "{}:{}: {} at {}: {}",
                        s.file, f.line, f.rule, f.path, f.message
                    );
                }
                let _ = writeln!(out, "{open}>");
                let _ = writeln!(
                    out,
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>",
                    xml(rules.first().copied().unwrap_or("INCOMPATIBLE")),
                    xml(&format!(
                        "incompatible under {}: {}",
                        s.level,
                        rules.join(", ")
                    )),
                    xml(body.trim_end())
                );
                let _ = writeln!(out, "    </testcase>");
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_properties_escape_colons_commas_and_newlines() {
        assert_eq!(escape_property("a:b,c\nd%"), "a%3Ab%2Cc%0Ad%25");
        assert_eq!(escape_data("a:b,c\nd"), "a:b,c%0Ad");
    }

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            xml("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}
