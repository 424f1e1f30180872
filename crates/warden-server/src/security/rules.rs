//! Authorization: rules that grant operations on subjects to principals and groups.
//!
//! A request is allowed when one rule names its principal (or `*`, any authenticated
//! principal) or one of its groups, grants the operation (or `admin`, which grants every
//! operation), and has a subject pattern matching the subject. Nothing else is allowed:
//! with no rules, nothing is.
//!
//! Subject patterns are written as strings in `warden.toml`:
//! - `*` matches every subject (of every context);
//! - a name without `*`, `?`, `[` or `{` matches that subject exactly;
//! - a name ending in one `*` and with no other metacharacter matches by prefix
//!   (`orders.*` matches `orders.v1-value`);
//! - anything else is a glob (`team-?-{key,value}`, `[a-c]*-value`), where `*` also
//!   matches `.`, `-`, `/` and `:`.
//!
//! Subjects of a context are matched by their qualified name, `:.ctx:name`.
//!
//! Registry-wide resources (the global compatibility level and mode, contexts,
//! associations) need `admin` from a rule whose subjects include `*`.

use std::fmt;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;

/// What a request does, as rules grant it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    /// Read schemas, versions, configs and modes; look up and test compatibility.
    Read,
    /// Register new versions; tag versions.
    Write,
    /// Soft and hard delete subjects and versions.
    Delete,
    /// Set or delete a subject's compatibility config.
    Config,
    /// Set or delete a subject's mode.
    Mode,
    /// Register with an explicit id and version (IMPORT mode).
    Import,
    /// Everything, and registry-wide resources when granted on `*`.
    Admin,
}

impl Operation {
    /// The name used in `warden.toml`, messages and audit lines.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Delete => "delete",
            Self::Config => "config",
            Self::Mode => "mode",
            Self::Import => "import",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A subject pattern of a rule (see the module documentation for the syntax).
#[derive(Debug, Clone)]
pub enum SubjectPattern {
    /// `*`: every subject.
    Any,
    /// A subject name.
    Exact(String),
    /// Subjects starting with this text.
    Prefix(String),
    /// A glob over the whole (qualified) subject name.
    Glob(GlobMatcher),
}

/// A subject pattern that is not a valid glob.
#[derive(Debug, thiserror::Error)]
#[error("invalid subject pattern {pattern:?}: {reason}")]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// Why it does not parse.
    pub reason: String,
}

const GLOB_META: [char; 4] = ['*', '?', '[', '{'];

impl SubjectPattern {
    /// Parses a pattern as written in a rule.
    pub fn parse(pattern: &str) -> Result<Self, PatternError> {
        if pattern == "*" {
            return Ok(Self::Any);
        }
        if !pattern.contains(GLOB_META) {
            return Ok(Self::Exact(pattern.to_owned()));
        }
        if let Some(prefix) = pattern.strip_suffix('*')
            && !prefix.contains(GLOB_META)
            && !prefix.ends_with('\\')
        {
            return Ok(Self::Prefix(prefix.to_owned()));
        }
        Glob::new(pattern)
            .map(|g| Self::Glob(g.compile_matcher()))
            .map_err(|e| PatternError {
                pattern: pattern.to_owned(),
                reason: e.kind().to_string(),
            })
    }

    /// Whether `subject` (qualified when of a context) matches.
    pub fn matches(&self, subject: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Exact(s) => s == subject,
            Self::Prefix(p) => subject.starts_with(p.as_str()),
            Self::Glob(g) => g.is_match(subject),
        }
    }
}

/// One rule as written in `[[server.auth.rules]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Principals the rule applies to; `*` is any authenticated principal.
    #[serde(default)]
    pub principals: Vec<String>,
    /// Groups (JWT group claim, users-file groups) the rule applies to.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Operations granted.
    pub operations: Vec<Operation>,
    /// Subject patterns the operations are granted on; `["*"]` when left out.
    #[serde(default = "every_subject")]
    pub subjects: Vec<String>,
}

fn every_subject() -> Vec<String> {
    vec!["*".to_owned()]
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The name: a users-file name, a JWT's principal claim, or a client certificate's
    /// CN or SAN.
    pub name: String,
    /// The groups (or roles) the caller belongs to.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone)]
struct Rule {
    principals: Vec<String>,
    groups: Vec<String>,
    operations: Vec<Operation>,
    subjects: Vec<SubjectPattern>,
}

impl Rule {
    fn applies_to(&self, who: &Principal) -> bool {
        self.principals.iter().any(|p| p == "*" || *p == who.name)
            || self.groups.iter().any(|g| who.groups.contains(g))
    }

    fn grants(&self, op: Operation) -> bool {
        self.operations
            .iter()
            .any(|&o| o == op || o == Operation::Admin)
    }
}

/// The rules in force: deny by default.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Compiles the rules of the configuration.
    pub fn new(configs: &[RuleConfig]) -> Result<Self, PatternError> {
        let rules = configs
            .iter()
            .map(|c| {
                Ok(Rule {
                    principals: c.principals.clone(),
                    groups: c.groups.clone(),
                    operations: c.operations.clone(),
                    subjects: c
                        .subjects
                        .iter()
                        .map(|s| SubjectPattern::parse(s))
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, PatternError>>()?;
        Ok(Self { rules })
    }

    /// No rule at all (everything is denied).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether `who` may do `op` on `subject` (its qualified name).
    pub fn allows(&self, who: &Principal, op: Operation, subject: &str) -> bool {
        self.rules.iter().any(|r| {
            r.applies_to(who) && r.grants(op) && r.subjects.iter().any(|s| s.matches(subject))
        })
    }

    /// Whether `who` is a registry administrator: `admin` granted on `*`. Registry-wide
    /// resources need it.
    pub fn allows_global(&self, who: &Principal) -> bool {
        self.rules.iter().any(|r| {
            r.applies_to(who)
                && r.operations.contains(&Operation::Admin)
                && r.subjects.iter().any(|s| matches!(s, SubjectPattern::Any))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_exactly_by_prefix_and_by_glob() {
        let cases = [
            ("orders-value", "orders-value", true),
            ("orders-value", "orders-value2", false),
            ("orders.*", "orders.v1-value", true),
            ("orders.*", "payments.v1", false),
            ("team-?-{key,value}", "team-a-value", true),
            ("team-?-{key,value}", "team-ab-value", false),
            ("*", ":.ctx:anything", true),
            (":.staging:*", ":.staging:orders", true),
            (":.staging:*", "orders", false),
        ];
        for (pattern, subject, expected) in cases {
            let p = SubjectPattern::parse(pattern).unwrap();
            assert_eq!(p.matches(subject), expected, "{pattern} vs {subject}");
        }
    }
}
