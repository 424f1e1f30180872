//! What a compatibility check reports: the [`Violation`], the [`Direction`] it was found in,
//! the [`Difference`] JSON Schema's and Protobuf's diffs find, and Confluent's verbose
//! compatibility [`Message`]s, written and read back here only.
//!
//! A leaf: the format checkers (`avro::compat`, `json::compat`, `protobuf::compat`), the
//! format-independent [`crate::schema`] and the level logic in [`crate::compat`] all build on
//! it, and it imports none of them.

use std::fmt;

use crate::types::{CompatibilityLevel, Version};

/// One reason a reader cannot read a writer's data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Confluent's rule name, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
    pub rule: &'static str,
    /// Where the change is, as a JSON-pointer-like path: in the reader schema for Avro
    /// (`/fields/3/type`), Confluent's fragment form for JSON Schema (`#/properties/email`).
    pub path: String,
    /// Confluent's verbose message for this violation, e.g.
    /// `{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'…', additionalInfo:'f2'}`
    /// for Avro, `{errorType:"TYPE_CHANGED", description:"…"}` for JSON Schema.
    pub message: String,
}

impl Violation {
    /// A violation whose message is Confluent's for one difference
    /// ([`Message::Difference`]): Avro's form when `additional_info` is given, JSON Schema's
    /// and Protobuf's otherwise.
    pub(crate) fn difference(
        rule: &'static str,
        path: String,
        description: &str,
        additional_info: Option<&str>,
    ) -> Self {
        Violation {
            rule,
            path,
            message: difference_text(rule, description, additional_info),
        }
    }
}

/// Which way a check runs, for messages that speak of the "new" and the "old" schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The new schema reads the old one's data (backward).
    NewReadsOld,
    /// The old schema reads the new one's data (forward).
    OldReadsNew,
}

impl Direction {
    /// The words Confluent's messages use for the reader's and the writer's schema, the two
    /// `%s` of its `Difference` texts as `SchemaValidatorBuilder` fills them: `("new", "old")`
    /// backward, `("old", "new")` forward.
    pub fn roles(self) -> (&'static str, &'static str) {
        match self {
            Direction::NewReadsOld => ("new", "old"),
            Direction::OldReadsNew => ("old", "new"),
        }
    }
}

/// One change between an original schema and its update (Confluent's `Difference`), whose
/// kind is a format's `DifferenceType` (Confluent's `Difference.Type`): JSON Schema's
/// ([`crate::json::Difference`]) and Protobuf's ([`crate::protobuf::Difference`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference<T> {
    /// What changed.
    pub kind: T,
    /// Where, as Confluent writes it: a fragment from the schema root, `#/` for the root
    /// itself (the format's alias says the rest).
    pub path: String,
}

/// What [`Difference`] needs of a format's `DifferenceType`: Confluent's name and
/// description of each type.
pub(crate) trait DifferenceKind: Copy {
    /// Confluent's name, the `errorType` of the message (the table's `as_str`).
    fn name(self) -> &'static str;

    /// Confluent's description (`Difference.error()`) of a difference at `path`, with
    /// `reader` and `writer` standing for its two `%s`: the update's role and the original's
    /// (`new`/`old` when checking backward). Empty for types Confluent does not describe.
    fn description(self, path: &str, reader: &str, writer: &str) -> String;
}

impl<T: fmt::Display> fmt::Display for Difference<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.path)
    }
}

/// The [`Violation`]s among `differences`, the diff from the writer's schema to the reader's:
/// those `compatible` rejects, each with Confluent's verbose message (`Difference.toString()`,
/// a [`Message::Difference`] without additional info) in `direction`'s words.
pub(crate) fn violations<T: DifferenceKind>(
    differences: &[Difference<T>],
    direction: Direction,
    compatible: impl Fn(T) -> bool,
) -> Vec<Violation> {
    let (reader, writer) = direction.roles();
    differences
        .iter()
        .filter(|d| !compatible(d.kind))
        .map(|d| {
            let description = d.kind.description(&d.path, reader, writer);
            Violation::difference(d.kind.name(), d.path.clone(), &description, None)
        })
        .collect()
}

/// Declares a format's `DifferenceType`, Confluent's `Difference.Type` (JSON Schema's and
/// Protobuf's diffs), from one table: a row per type, `Variant = "CONFLUENT_NAME", verdict;`,
/// in Confluent's declaration order. It generates the enum, `ALL`, `as_str` (the name, as the
/// `errorType` of a [`Message::Difference`]), [`fmt::Display`], and a private `verdict` that
/// answers the row's last column, of the type named after `verdict:`. The format implements
/// [`DifferenceKind`] beside it, with its descriptions.
///
/// ```text
/// difference_types! {
///     /// Confluent's `Difference.Type`: one kind of change between two Protobuf schemas.
///     "Protobuf", verdict: bool;
///     /// The `package` differs.
///     PackageChanged = "PACKAGE_CHANGED", false;
/// }
/// ```
macro_rules! difference_types {
    (
        $(#[$meta:meta])*
        $format:literal, verdict: $verdict:ty;
        $($(#[$doc:meta])* $name:ident = $text:literal, $compatible:expr;)*
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum DifferenceType {
            $($(#[$doc])* #[doc = concat!("Confluent ", $format, " rule `", $text, "`.")] $name,)*
        }

        impl DifferenceType {
            /// Every type, in Confluent's declaration order.
            pub const ALL: &'static [DifferenceType] = &[$(DifferenceType::$name,)*];

            /// Confluent's name, the `errorType` of its messages.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(DifferenceType::$name => $text,)*
                }
            }

            /// The table's verdict for this type.
            fn verdict(self) -> $verdict {
                match self {
                    $(DifferenceType::$name => $compatible,)*
                }
            }
        }

        impl ::std::fmt::Display for DifferenceType {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use difference_types;

/// One of Confluent's verbose compatibility messages: an entry of `messages` in the answer
/// to `POST /compatibility/…?verbose=true`, and of the details of a 409 on registration.
/// [`fmt::Display`] writes it as Confluent does, [`Message::parse`] reads it back.
///
/// Confluent builds these strings by concatenation, without escaping, so a description may
/// hold its own delimiter (Avro's `description:'The field 'age' at path …'`): the parser
/// reads a description up to the last delimiter, not the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// One incompatibility (Confluent `Difference.toString()`): Avro's
    /// `{errorType:'RULE', description:'…', additionalInfo:'…'}` (single quotes) when
    /// `additional_info` is given, else JSON Schema's and Protobuf's
    /// `{errorType:"RULE", description:"…"}` (double quotes, no additional info).
    Difference {
        /// The rule, e.g. `READER_FIELD_MISSING_DEFAULT_VALUE`.
        rule: String,
        /// What changed and where, e.g. `The field 'age' at path '/fields/4' in the new
        /// schema has no default value and is missing in the old schema`.
        description: String,
        /// Avro's detail: the field name, the missing symbols, the two types…
        additional_info: Option<String>,
    },
    /// `{oldSchemaVersion: 2}`: the differences listed since the previous such entry are
    /// against this version.
    OldSchemaVersion(Version),
    /// `{oldSchema: '…'}`: the text of that version.
    OldSchema(String),
    /// `{validateFields: 'false', compatibility: 'BACKWARD'}`: the last entry of a failed
    /// check, with the level it ran under.
    Summary {
        /// Whether field names were validated (Confluent's `avro.validate.fields`).
        validate_fields: bool,
        /// The level the check ran under.
        level: CompatibilityLevel,
    },
    /// Text of none of the shapes above, kept whole: Warden's plain messages (schemas of two
    /// formats, an ambiguous Avro reader field) and other registries' wordings.
    Other(String),
}

impl Message {
    /// Reads one message; text of no known shape is [`Message::Other`].
    pub fn parse(text: &str) -> Message {
        Self::parse_shaped(text).unwrap_or_else(|| Message::Other(text.to_owned()))
    }

    fn parse_shaped(text: &str) -> Option<Message> {
        let body = text.strip_prefix('{')?.strip_suffix('}')?;
        if let Some(rest) = body.strip_prefix("errorType:") {
            return parse_difference(rest);
        }
        if let Some(version) = body.strip_prefix("oldSchemaVersion:") {
            return version
                .trim()
                .parse::<i64>()
                .ok()
                .and_then(|n| Version::new(n).ok())
                .map(Message::OldSchemaVersion);
        }
        if let Some(schema) = body.strip_prefix("oldSchema: '") {
            return Some(Message::OldSchema(schema.strip_suffix('\'')?.to_owned()));
        }
        let rest = body.strip_prefix("validateFields: '")?;
        let (validate_fields, level) = rest.split_once("', compatibility: '")?;
        Some(Message::Summary {
            validate_fields: validate_fields.parse().ok()?,
            level: level.strip_suffix('\'')?.parse().ok()?,
        })
    }

    /// The path a difference's description names (`… at path '/fields/4' …`,
    /// `… at path: '#/Order/2' …`, `… at '#/' …`): the [`Violation::path`] of the violation
    /// behind it. `None` for other messages and for descriptions that name no path.
    pub fn path(&self) -> Option<&str> {
        let Message::Difference { description, .. } = self else {
            return None;
        };
        ["path '", "path: '", "at '"].iter().find_map(|marker| {
            let rest = &description[description.find(marker)? + marker.len()..];
            rest.find('\'').map(|end| &rest[..end])
        })
    }
}

/// `{errorType:…}` after its first key: the quote that opens the rule closes it and delimits
/// the description.
fn parse_difference(rest: &str) -> Option<Message> {
    let quote = rest.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
    let (rule, rest) = rest[1..].split_once(quote)?;
    let rest = rest
        .strip_prefix(", description:")?
        .strip_prefix(quote)?
        .strip_suffix(quote)?;
    let (description, additional_info) = match rest.rsplit_once("', additionalInfo:'") {
        Some((description, info)) if quote == '\'' => (description, Some(info.to_owned())),
        _ => (rest, None),
    };
    Some(Message::Difference {
        rule: rule.to_owned(),
        description: description.to_owned(),
        additional_info,
    })
}

/// Confluent's `Difference.toString()` for the given parts; see [`Message::Difference`].
fn difference_text(rule: &str, description: &str, additional_info: Option<&str>) -> String {
    match additional_info {
        Some(info) => {
            format!("{{errorType:'{rule}', description:'{description}', additionalInfo:'{info}'}}")
        }
        None => format!("{{errorType:\"{rule}\", description:\"{description}\"}}"),
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Difference {
                rule,
                description,
                additional_info,
            } => f.write_str(&difference_text(
                rule,
                description,
                additional_info.as_deref(),
            )),
            Message::OldSchemaVersion(version) => write!(f, "{{oldSchemaVersion: {version}}}"),
            Message::OldSchema(schema) => write!(f, "{{oldSchema: '{schema}'}}"),
            Message::Summary {
                validate_fields,
                level,
            } => write!(
                f,
                "{{validateFields: '{validate_fields}', compatibility: '{}'}}",
                level.as_str()
            ),
            Message::Other(text) => f.write_str(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(message: &Message) -> Message {
        Message::parse(&message.to_string())
    }

    #[test]
    fn an_avro_difference_parses_back_with_the_quotes_inside_its_description() {
        // The README's example: the description holds 'age' in the message's own quotes.
        let text = "{errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field \
                    'age' at path '/fields/4' in the new schema has no default value and is \
                    missing in the old schema', additionalInfo:'age'}";
        let message = Message::parse(text);
        assert_eq!(
            message,
            Message::Difference {
                rule: "READER_FIELD_MISSING_DEFAULT_VALUE".to_owned(),
                description: "The field 'age' at path '/fields/4' in the new schema has no \
                              default value and is missing in the old schema"
                    .to_owned(),
                additional_info: Some("age".to_owned()),
            }
        );
        assert_eq!(message.path(), Some("/fields/4"));
        assert_eq!(
            message.to_string(),
            text,
            "rendering gives Confluent's text back"
        );
    }

    #[test]
    fn a_violation_message_parses_back_to_its_rule_description_and_path() {
        let cases = [
            (
                "MISSING_ENUM_SYMBOLS",
                "/symbols",
                "The new schema is missing enum symbols '[B, C]' at path '/symbols' in the \
                 old schema",
                Some("[B, C]"),
            ),
            (
                "TYPE_CHANGED",
                "#/properties/it\"s",
                "A type at path '#/properties/it\"s' is different between the new schema and \
                 the old schema",
                None,
            ),
            (
                "REQUIRED_FIELD_REMOVED",
                "#/Order/2",
                "The new schema is missing a required field at path: '#/Order/2' in the old \
                 schema",
                None,
            ),
            (
                "PACKAGE_CHANGED",
                "#/",
                "The package at '#/' in the new schema does not match the package in the old \
                 schema",
                None,
            ),
        ];
        for (rule, path, description, info) in cases {
            let violation = Violation::difference(rule, path.to_owned(), description, info);
            let message = Message::parse(&violation.message);
            assert_eq!(
                message,
                Message::Difference {
                    rule: rule.to_owned(),
                    description: description.to_owned(),
                    additional_info: info.map(str::to_owned),
                },
                "{rule}: the rendered message reads back to its parts"
            );
            assert_eq!(
                message.path(),
                Some(path),
                "{rule}: the path is found again"
            );
        }
    }

    #[test]
    fn the_entries_around_the_differences_parse_back() {
        let messages = [
            Message::OldSchemaVersion(Version::new(2).unwrap()),
            Message::OldSchema("{\"type\":\"string\",\"doc\":\"it's\"}".to_owned()),
            Message::Summary {
                validate_fields: false,
                level: CompatibilityLevel::BackwardTransitive,
            },
            Message::Difference {
                rule: "TYPE_CHANGED".to_owned(),
                description: String::new(),
                additional_info: None,
            },
        ];
        for message in &messages {
            assert_eq!(&round_trip(message), message, "{message}");
        }
        assert_eq!(
            Message::OldSchemaVersion(Version::new(2).unwrap()).to_string(),
            "{oldSchemaVersion: 2}"
        );
        assert_eq!(
            messages[2].to_string(),
            "{validateFields: 'false', compatibility: 'BACKWARD_TRANSITIVE'}"
        );
    }

    #[test]
    fn text_of_another_shape_is_kept_whole() {
        for text in [
            "Incompatible because of different schema type: AVRO cannot read JSON",
            "{oldSchemaVersion: two}",
            "{errorType:'RULE'}",
            "{validateFields: 'maybe', compatibility: 'BACKWARD'}",
        ] {
            assert_eq!(
                Message::parse(text),
                Message::Other(text.to_owned()),
                "{text}"
            );
            assert_eq!(Message::parse(text).path(), None, "{text}");
        }
    }
}
