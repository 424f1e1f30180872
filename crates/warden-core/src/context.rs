//! Schema contexts: Confluent's `QualifiedSubject` (`client/.../utils/QualifiedSubject.java`).
//!
//! A subject may be qualified by a context, `:.ctx:orders`: the context `.ctx` and the
//! subject `orders` in it. A subject without the prefix, and `:.:orders`, is in the default
//! context `.`. A context is written `:.ctx:` where a subject is expected (a config or mode
//! scope, `DELETE /contexts/{ctx}`), and its name `.ctx` in `GET /contexts`. Each context has
//! its own schema ids; `:.__GLOBAL:` is a config and mode scope above every context.

use std::fmt;

use crate::Subject;
use crate::types::ParseError;

/// The delimiter around a context in a qualified subject.
const DELIMITER: char = ':';

/// A schema context: `.` (the default context) or a name starting with `.` (`.ctx`), never
/// containing `:`. The wildcard `*` of `:*:` subject prefixes is not a context.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context(String);

impl Context {
    /// The name of the default context.
    pub const DEFAULT_NAME: &'static str = ".";
    /// The name of the context whose config and mode apply to every context
    /// (`:.__GLOBAL:`); it holds no subjects.
    pub const GLOBAL_NAME: &'static str = ".__GLOBAL";

    /// The default context `.`.
    pub fn default_context() -> Self {
        Self(Self::DEFAULT_NAME.to_owned())
    }

    /// Parses a context as a URL or `DELETE /contexts/{ctx}` names it (Confluent's
    /// `QualifiedSubject.normalizeContext`): one `:` on each side is optional (`:.ctx:`,
    /// `.ctx`), and so is the leading `.` (`ctx` is `.ctx`).
    ///
    /// Errors: the name contains `:` ("Context name '…' cannot contain a colon").
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let s = s.strip_prefix(DELIMITER).unwrap_or(s);
        let s = s.strip_suffix(DELIMITER).unwrap_or(s);
        if s.contains(DELIMITER) {
            return Err(ParseError(format!(
                "Context name '{s}' cannot contain a colon"
            )));
        }
        Ok(if s.starts_with('.') {
            Self(s.to_owned())
        } else {
            Self(format!(".{s}"))
        })
    }

    /// The name, `.` or `.ctx`.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Whether this is the default context `.`.
    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT_NAME
    }

    /// Whether this is `.__GLOBAL`, the scope above every context.
    pub fn is_global(&self) -> bool {
        self.0 == Self::GLOBAL_NAME
    }

    /// The prefix that qualifies a subject with this context: empty for the default
    /// context, `:.ctx:` otherwise (Confluent `toQualifiedContext`).
    pub fn prefix(&self) -> String {
        if self.is_default() {
            String::new()
        } else {
            format!("{DELIMITER}{}{DELIMITER}", self.0)
        }
    }

    /// A schema's identity fingerprint ([`crate::fingerprint`]) as this context keeps it:
    /// the same schema is a schema of its own, with its own id, in each context, so the
    /// store's unique fingerprint is qualified by the context (the default context's is the
    /// fingerprint itself).
    pub fn scoped_fingerprint(&self, fingerprint: String) -> String {
        if self.is_default() {
            fingerprint
        } else {
            format!("{}|{fingerprint}", self.0)
        }
    }

    /// The subject that names this context as a config or mode scope: `:.ctx:`; `None` for
    /// the default context, whose scope is the registry-wide one.
    pub fn as_subject(&self) -> Option<Subject> {
        (!self.is_default()).then(|| Subject::parse(&self.prefix()).expect("never empty"))
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The parts of a subject name as Confluent's `QualifiedSubject` splits it.
fn split(s: &str) -> (Option<&str>, &str) {
    if let Some(rest) = s.strip_prefix(":.") {
        match rest.find(DELIMITER) {
            // `:.ctx:name`: the context keeps its leading `.`.
            Some(ix) => (Some(&s[1..2 + ix]), &rest[ix + 1..]),
            // `:.ctx`: a context with no subject.
            None => (Some(&s[1..]), ""),
        }
    } else {
        (None, s)
    }
}

impl Subject {
    /// The context the subject is in (`.` unless qualified).
    pub fn context(&self) -> Context {
        match split(self.as_str()).0 {
            Some(ctx) => Context(ctx.to_owned()),
            None => Context::default_context(),
        }
    }

    /// The subject's name within its context (`orders` for `:.ctx:orders`); empty when the
    /// subject names a context itself (`:.ctx:`).
    pub fn unqualified(&self) -> &str {
        split(self.as_str()).1
    }

    /// Whether the subject names a context rather than a subject in it (`:.ctx:`, `:.:`),
    /// as a config or mode scope does.
    pub fn is_context(&self) -> bool {
        self.unqualified().is_empty()
    }

    /// The subject as Confluent normalizes a qualified name (`QualifiedSubject.normalize`):
    /// the default context's prefix dropped (`:.:orders` is `orders`), a context written
    /// without its closing `:` closed (`:.ctx` is `:.ctx:`). `None` for `:.:`, the default
    /// context itself, whose scope is the registry-wide one.
    pub fn normalized(&self) -> Option<Subject> {
        let text = format!("{}{}", self.context().prefix(), self.unqualified());
        if text == self.as_str() {
            return Some(self.clone());
        }
        Subject::parse(&text).ok()
    }

    /// The subject a reference from a schema under `self` names (Confluent
    /// `QualifiedSubject.qualifySubjectWithParent`): a qualified reference subject as it is,
    /// an unqualified one in `self`'s context.
    pub fn qualify_reference(&self, reference: &Subject) -> Subject {
        let parent = self.context();
        if parent.is_default() || split(reference.as_str()).0.is_some() {
            return reference.clone();
        }
        Subject::parse(&format!("{}{}", parent.prefix(), reference.as_str()))
            .unwrap_or_else(|_| reference.clone())
    }

    /// This subject in `context`, unless it is qualified already (Confluent's
    /// `ContextFilter` prefixing the subjects of `/contexts/{ctx}/…` URLs).
    pub fn in_context(&self, context: &Context) -> Subject {
        if context.is_default()
            || self.as_str().starts_with(":.")
            || self.as_str().starts_with(":*:")
        {
            return self.clone();
        }
        Subject::parse(&format!("{}{}", context.prefix(), self.as_str()))
            .unwrap_or_else(|_| self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(s: &str) -> Subject {
        Subject::parse(s).unwrap()
    }

    #[test]
    fn qualified_subjects_split_as_confluent_does() {
        let s = subject(":.ctx:orders");
        assert_eq!(s.context().name(), ".ctx");
        assert_eq!(s.unqualified(), "orders");
        assert!(subject("orders").context().is_default());
        assert_eq!(
            subject(":.:orders").normalized().unwrap().as_str(),
            "orders"
        );
        assert_eq!(subject(":.ctx").context().name(), ".ctx");
        assert!(subject(":.ctx:").is_context());
        assert_eq!(subject(":.ctx").normalized().unwrap().as_str(), ":.ctx:");
        assert_eq!(subject(":.:").normalized(), None);
        // A colon later in the name belongs to the subject.
        assert_eq!(subject(":.a:b:c").unqualified(), "b:c");
        assert_eq!(subject("a:b").context().name(), ".");
    }

    #[test]
    fn references_resolve_in_the_referrers_context() {
        let parent = subject(":.ctx:referrer");
        assert_eq!(
            parent.qualify_reference(&subject("ref")).as_str(),
            ":.ctx:ref"
        );
        assert_eq!(
            parent.qualify_reference(&subject(":.other:ref")).as_str(),
            ":.other:ref"
        );
        assert_eq!(
            subject("referrer")
                .qualify_reference(&subject("ref"))
                .as_str(),
            "ref"
        );
    }

    #[test]
    fn contexts_parse_with_or_without_delimiters() {
        for s in [".ctx", ":.ctx:", "ctx", ":ctx:"] {
            assert_eq!(Context::parse(s).unwrap().name(), ".ctx", "{s}");
        }
        assert!(Context::parse(".").unwrap().is_default());
        assert!(Context::parse(":.:").unwrap().is_default());
        assert!(Context::parse(".a:b").is_err());
        assert_eq!(Context::parse(".ctx").unwrap().prefix(), ":.ctx:");
    }
}
