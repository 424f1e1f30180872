//! What a compatibility check reports: the [`Violation`] and the [`Direction`] it was found
//! in.
//!
//! A leaf: the format checkers (`avro::compat`, `json::compat`, `protobuf::compat`), the
//! format-independent [`crate::schema`] and the level logic in [`crate::compat`] all build on
//! it, and it imports none of them.

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
