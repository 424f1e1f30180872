//! Schema contexts (Confluent's `ContextsResource` and the context rules of
//! `AbstractSchemaRegistry`): listing and deleting contexts, which subjects a
//! `subjectPrefix` names across contexts, and in which context an id of
//! `GET /schemas/ids/{id}?subject=` is read.
//!
//! Design: a context is the `:.ctx:` prefix of its subjects' names; configs and modes of a
//! context are those of the scope `:.ctx:`. Each context has its own schema ids: the store
//! keys a schema by (context, id) ([`SchemaId::in_context`]), and a schema's identity
//! fingerprint is scoped by its context ([`Context::scoped_fingerprint`]), so the same schema
//! text registered in two contexts is two schemas that may have the same numeric id.

use warden_core::{Context, SchemaId, Subject};

use super::Registry;
use crate::error::{Error, Result};

/// Which subjects a `subjectPrefix` names, as Confluent's lookups by prefix read it: `:*:`
/// (Confluent's wildcard) followed by a name prefix is every context; a prefix that starts
/// with a context (`:.ctx:`) is that context's subjects; any other prefix is the default
/// context's subjects that start with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectPrefix {
    /// Every context's subjects whose name in their context starts with this.
    Everywhere(String),
    /// The subjects whose full (qualified) name starts with this.
    Qualified(String),
    /// The default context's subjects that start with this.
    Default(String),
}

impl SubjectPrefix {
    /// Reads a `subjectPrefix`; `absent` is what Confluent's resource defaults it to
    /// (`:*:` for `GET /subjects`, the empty prefix for `GET /schemas`).
    pub fn parse(prefix: Option<&str>, absent: &str) -> Self {
        let prefix = prefix.unwrap_or(absent);
        if let Some(rest) = prefix.strip_prefix(":*:") {
            Self::Everywhere(rest.to_owned())
        } else if prefix.starts_with(":.") {
            Self::Qualified(prefix.to_owned())
        } else {
            Self::Default(prefix.to_owned())
        }
    }

    /// Whether `subject` is named.
    pub fn matches(&self, subject: &Subject) -> bool {
        match self {
            Self::Everywhere(rest) => subject.unqualified().starts_with(rest.as_str()),
            Self::Qualified(p) => subject.as_str().starts_with(p.as_str()),
            Self::Default(p) => {
                subject.context().is_default() && subject.as_str().starts_with(p.as_str())
            }
        }
    }
}

/// Confluent's order of subjects (`QualifiedSubject.compareTo`): by context, the default
/// context first, then by name within the context.
pub(crate) fn context_order(a: &Subject, b: &Subject) -> std::cmp::Ordering {
    (a.context(), a.unqualified()).cmp(&(b.context(), b.unqualified()))
}

impl Registry {
    /// `GET /contexts`: the default context `.` first, then every context a schema was
    /// registered in, by name (Confluent's `listContexts`); a context stays listed until it
    /// is deleted, even with no subject left.
    pub async fn contexts(&self) -> Result<Vec<String>> {
        let mut names = vec![Context::DEFAULT_NAME.to_owned()];
        names.extend(
            self.store
                .contexts()
                .await?
                .into_iter()
                .map(|c| c.name().to_owned()),
        );
        Ok(names)
    }

    /// `DELETE /contexts/{context}`: forgets a context with no subject version, live or
    /// soft-deleted (Confluent's `deleteContextOrForward`); a context never used is gone
    /// already.
    ///
    /// Errors: 42211 "The specified context ':.ctx:' is not empty." while it has subjects.
    pub async fn delete_context(&self, context: &Context) -> Result<()> {
        let _guard = self.write_lock.lock().await;
        let not_empty = || Error::ContextNotEmpty(context.prefix());
        if context.is_default() {
            return if self.store.has_subjects().await? {
                let any = self
                    .store
                    .subjects(None, warden_storage::DeletedFilter::All)
                    .await?
                    .iter()
                    .any(|s| s.context().is_default());
                if any { Err(not_empty()) } else { Ok(()) }
            } else {
                Ok(())
            };
        }
        let removed = self.store.delete_context(context).await;
        self.settings.clear();
        if removed? { Ok(()) } else { Err(not_empty()) }
    }

    /// The id `id` of `GET /schemas/ids/{id}` read in the context `subject` names, as
    /// Confluent's `getSchemaKeyUsingContexts`: no subject, or one of the default context
    /// whose id exists there, is the default context; a qualified subject (or a context,
    /// `:.ctx:`) is its context; a subject of the default context that does not have the id
    /// is looked for in every context (`:.ctx:subject` using the id), and the default
    /// context's id is answered when none has it.
    ///
    /// Errors: 40403 for a context nothing was registered in.
    pub async fn id_in_context(&self, id: SchemaId, subject: Option<&Subject>) -> Result<SchemaId> {
        let Some(subject) = subject else {
            return Ok(id);
        };
        let context = subject.context();
        if !context.is_default() {
            // A context nothing was registered in has no schema.
            return self
                .store
                .schema_id_in(&context, id)
                .await?
                .ok_or_else(|| Error::SchemaNotFound(format!("Schema {id} not found")));
        }
        if subject.is_context() || self.store.schema_by_id(id).await?.is_some() {
            return Ok(id);
        }
        for context in self.store.contexts().await? {
            let Some(placed) = self.store.schema_id_in(&context, id).await? else {
                continue;
            };
            let qualified = subject.in_context(&context);
            if self
                .store
                .versions_of_schema(placed)
                .await?
                .iter()
                .any(|(s, ..)| *s == qualified)
            {
                return Ok(placed);
            }
        }
        Ok(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(s: &str) -> Subject {
        Subject::parse(s).unwrap()
    }

    #[test]
    fn subject_prefixes_name_contexts_as_confluent_does() {
        let all = SubjectPrefix::parse(None, ":*:");
        assert!(all.matches(&subject("a")) && all.matches(&subject(":.ctx:a")));
        let default = SubjectPrefix::parse(Some(""), ":*:");
        assert!(default.matches(&subject("a")) && !default.matches(&subject(":.ctx:a")));
        let ctx = SubjectPrefix::parse(Some(":.ctx:"), "");
        assert!(ctx.matches(&subject(":.ctx:a")) && !ctx.matches(&subject("a")));
        let named = SubjectPrefix::parse(Some(":*:b"), "");
        assert!(named.matches(&subject(":.ctx:b1")) && !named.matches(&subject("a")));
        let mut subjects = vec![
            subject(":.b:a"),
            subject("z"),
            subject(":.a:z"),
            subject("A"),
        ];
        subjects.sort_by(context_order);
        assert_eq!(
            subjects,
            [
                subject("A"),
                subject("z"),
                subject(":.a:z"),
                subject(":.b:a")
            ]
        );
    }
}
