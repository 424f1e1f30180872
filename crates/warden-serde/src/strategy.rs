//! Subject name strategies (Confluent `io.confluent.kafka.serializers.subject`).

use warden_core::Subject;

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
/// `SerializationContext`). Borrows the topic, so making one per record costs nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SerializationContext<'a> {
    /// The topic.
    pub topic: &'a str,
    /// Key or value.
    pub part: Part,
}

impl<'a> SerializationContext<'a> {
    /// The context of a record value on `topic`.
    pub fn value(topic: &'a str) -> Self {
        Self {
            topic,
            part: Part::Value,
        }
    }

    /// The context of a record key on `topic`.
    pub fn key(topic: &'a str) -> Self {
        Self {
            topic,
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
    /// Errors: [`SerdeError::Config`] when the strategy needs a record name and there is
    /// none, or when the name it makes is not a valid subject (`Subject::parse`: empty, over
    /// 1,024 bytes, a control character).
    pub fn subject(
        self,
        context: &SerializationContext<'_>,
        record_name: Option<&str>,
    ) -> Result<Subject> {
        let name = || {
            record_name.ok_or_else(|| {
                SerdeError::Config(format!(
                    "{self:?} strategy needs a record name (a named schema or message type)"
                ))
            })
        };
        let subject = match self {
            Self::TopicName => match context.part {
                Part::Key => format!("{}-key", context.topic),
                Part::Value => format!("{}-value", context.topic),
            },
            Self::RecordName => name()?.to_owned(),
            Self::TopicRecordName => format!("{}-{}", context.topic, name()?),
        };
        Subject::parse(&subject)
            .map_err(|e| SerdeError::Config(format!("{self:?} strategy: {}", e.0)))
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
        assert_eq!(s.subject(&value, None).unwrap().as_str(), "orders-value");
        assert_eq!(s.subject(&key, Some("x")).unwrap().as_str(), "orders-key");
        let s = SubjectNameStrategy::RecordName;
        assert_eq!(
            s.subject(&value, Some("acme.Order")).unwrap().as_str(),
            "acme.Order"
        );
        assert!(matches!(
            s.subject(&value, None),
            Err(SerdeError::Config(_))
        ));
        assert!(
            matches!(s.subject(&value, Some("")), Err(SerdeError::Config(_))),
            "an empty record name makes no subject"
        );
        let s = SubjectNameStrategy::TopicRecordName;
        assert_eq!(
            s.subject(&key, Some("acme.Order")).unwrap().as_str(),
            "orders-acme.Order"
        );
    }
}
