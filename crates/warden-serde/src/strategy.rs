//! Subject name strategies (Confluent `io.confluent.kafka.serializers.subject`).

use crate::error::{Result, SerdeError};

/// Whether a serialized value is a record's key or its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// The record key (subject suffix `-key`).
    Key,
    /// The record value (subject suffix `-value`).
    Value,
}

/// Where a value goes: the topic and whether it is the key or the value (Confluent's
/// `SerializationContext`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SerializationContext {
    /// The topic.
    pub topic: String,
    /// Key or value.
    pub part: Part,
}

impl SerializationContext {
    /// The context of a record value on `topic`.
    pub fn value(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            part: Part::Value,
        }
    }

    /// The context of a record key on `topic`.
    pub fn key(topic: impl Into<String>) -> Self {
        Self {
            topic: topic.into(),
            part: Part::Key,
        }
    }
}

/// How the subject of a value is named.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SubjectNameStrategy {
    /// `<topic>-key` / `<topic>-value` (`TopicNameStrategy`, the default): one schema per
    /// topic and part.
    #[default]
    TopicName,
    /// The fully qualified record name (`RecordNameStrategy`): Avro `namespace.name`,
    /// Protobuf message full name, JSON Schema `title`. Several record types per topic.
    RecordName,
    /// `<topic>-<record name>` (`TopicRecordNameStrategy`).
    TopicRecordName,
}

impl SubjectNameStrategy {
    /// The subject for a value in `context` whose record name is `record_name`.
    ///
    /// Errors: [`SerdeError::Config`] when the strategy needs a record name and there is none.
    pub fn subject(
        self,
        context: &SerializationContext,
        record_name: Option<&str>,
    ) -> Result<String> {
        let name = || {
            record_name.ok_or_else(|| {
                SerdeError::Config(format!(
                    "{self:?} strategy needs a record name (a named schema or message type)"
                ))
            })
        };
        Ok(match self {
            Self::TopicName => match context.part {
                Part::Key => format!("{}-key", context.topic),
                Part::Value => format!("{}-value", context.topic),
            },
            Self::RecordName => name()?.to_owned(),
            Self::TopicRecordName => format!("{}-{}", context.topic, name()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_name_subjects_as_confluent_does() {
        let value = SerializationContext::value("orders");
        let key = SerializationContext::key("orders");
        let s = SubjectNameStrategy::TopicName;
        assert_eq!(s.subject(&value, None).unwrap(), "orders-value");
        assert_eq!(s.subject(&key, Some("x")).unwrap(), "orders-key");
        let s = SubjectNameStrategy::RecordName;
        assert_eq!(s.subject(&value, Some("acme.Order")).unwrap(), "acme.Order");
        assert!(matches!(
            s.subject(&value, None),
            Err(SerdeError::Config(_))
        ));
        let s = SubjectNameStrategy::TopicRecordName;
        assert_eq!(
            s.subject(&key, Some("acme.Order")).unwrap(),
            "orders-acme.Order"
        );
    }
}
