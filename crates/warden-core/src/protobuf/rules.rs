//! The Protobuf diff's rule table: Confluent's `Difference.Type`
//! (`protobuf/diff/Difference.java`) with each type's verdict (whether it is in
//! `SchemaDiff.COMPATIBLE_CHANGES`) and its description. The walker that finds the
//! differences is [`super::compat`].

use crate::violation::{DifferenceKind, difference_types};

difference_types! {
    /// Confluent's `Difference.Type`: one kind of change between two Protobuf schemas. The
    /// table's last column: whether Confluent lists it in `SchemaDiff.COMPATIBLE_CHANGES`.
    "Protobuf", verdict: bool;
    /// The `package` differs.
    PackageChanged = "PACKAGE_CHANGED", false;
    /// A message only the update has.
    MessageAdded = "MESSAGE_ADDED", true;
    /// A message only the original has.
    MessageRemoved = "MESSAGE_REMOVED", false;
    /// A message at another position among its sibling messages.
    MessageMoved = "MESSAGE_MOVED", true;
    /// An enum only the update has.
    EnumAdded = "ENUM_ADDED", true;
    /// An enum only the original has.
    EnumRemoved = "ENUM_REMOVED", true;
    /// An enum number only the update has.
    EnumConstAdded = "ENUM_CONST_ADDED", true;
    /// An enum number with another name.
    EnumConstChanged = "ENUM_CONST_CHANGED", true;
    /// An enum number only the original has.
    EnumConstRemoved = "ENUM_CONST_REMOVED", true;
    /// A field number only the update has (outside oneofs).
    FieldAdded = "FIELD_ADDED", true;
    /// A field number only the original has (outside oneofs).
    FieldRemoved = "FIELD_REMOVED", true;
    /// A field number with another name.
    FieldNameChanged = "FIELD_NAME_CHANGED", true;
    /// Scalar, message and map kinds differ.
    FieldKindChanged = "FIELD_KIND_CHANGED", false;
    /// Scalar types of different wire groups.
    FieldScalarKindChanged = "FIELD_SCALAR_KIND_CHANGED", false;
    /// Message types of different names, or an incompatible imported type.
    FieldNamedTypeChanged = "FIELD_NAMED_TYPE_CHANGED", false;
    /// A numeric field's label changed.
    FieldNumericLabelChanged = "FIELD_NUMERIC_LABEL_CHANGED", false;
    /// A string or bytes field's label changed.
    FieldStringOrBytesLabelChanged = "FIELD_STRING_OR_BYTES_LABEL_CHANGED", true;
    /// A proto2 `required` field only the update has.
    RequiredFieldAdded = "REQUIRED_FIELD_ADDED", false;
    /// A proto2 `required` field only the original has.
    RequiredFieldRemoved = "REQUIRED_FIELD_REMOVED", false;
    /// A oneof only the update has.
    OneofAdded = "ONEOF_ADDED", true;
    /// A oneof only the original has.
    OneofRemoved = "ONEOF_REMOVED", true;
    /// A oneof member only the update has.
    OneofFieldAdded = "ONEOF_FIELD_ADDED", true;
    /// A oneof member the update no longer has anywhere.
    OneofFieldRemoved = "ONEOF_FIELD_REMOVED", false;
    /// A oneof member that became a top-level field.
    OneofFieldMovedToTopLevel = "ONEOF_FIELD_MOVED_TO_TOP_LEVEL", true;
    /// Several top-level fields moved into one oneof.
    MultipleFieldsMovedToOneof = "MULTIPLE_FIELDS_MOVED_TO_ONEOF", false;
    /// A field moved into a oneof together with members of another group.
    FieldMovedToExistingOneof = "FIELD_MOVED_TO_EXISTING_ONEOF", false;
}

impl DifferenceType {
    /// Whether Confluent lists it in `SchemaDiff.COMPATIBLE_CHANGES`.
    pub fn is_compatible(self) -> bool {
        self.verdict()
    }
}

/// Descriptions for the incompatible types only: Confluent describes no compatible change.
impl DifferenceKind for DifferenceType {
    fn name(self) -> &'static str {
        self.as_str()
    }

    fn description(self, path: &str, reader: &str, writer: &str) -> String {
        use DifferenceType as T;
        match self {
            T::PackageChanged => format!(
                "The package at '{path}' in the {reader} schema does not match the package in \
                 the {writer} schema"
            ),
            T::MessageRemoved => format!(
                "The {reader} schema is missing a MESSAGE type at path '{path}' in the {writer} \
                 schema"
            ),
            T::FieldKindChanged => format!(
                "The type of a field at path '{path}' in the {reader} schema does not match the \
                 {writer} schema"
            ),
            T::FieldScalarKindChanged => format!(
                "The kind of a SCALAR field at path '{path}' in the {reader} schema does not \
                 match its kind in the {writer} schema"
            ),
            T::FieldNamedTypeChanged => format!(
                "The type of a MESSAGE field at path '{path}' in the {reader} schema does not \
                 match its type in the {writer} schema"
            ),
            T::FieldNumericLabelChanged => format!(
                "The label for a NUMERIC field at path '{path}' in the {reader} schema does not \
                 match its label in the {writer} schema"
            ),
            // Confluent's text has the double space.
            T::RequiredFieldAdded => format!(
                "A required field  at path '{path}' in the {reader} schema is missing in the \
                 {writer} schema"
            ),
            T::RequiredFieldRemoved => format!(
                "The {reader} schema is missing a required field at path: '{path}' in the \
                 {writer} schema"
            ),
            T::OneofFieldRemoved => format!(
                "The {reader} schema is missing a oneof field at path '{path}' in the {writer} \
                 schema"
            ),
            T::MultipleFieldsMovedToOneof => format!(
                "Multiple fields in the oneof at path '{path}' in the {reader} schema are outside \
                 a oneof in the {writer} schema"
            ),
            T::FieldMovedToExistingOneof => format!(
                "A field in the oneof at path '{path}' in the {reader} schema is outside an \
                 existing oneof in the {writer} schema"
            ),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_incompatible_type_has_a_description_naming_its_path_and_both_roles() {
        for kind in DifferenceType::ALL {
            let description = kind.description("#/Order/3", "new", "old");
            if kind.is_compatible() {
                assert_eq!(
                    description, "",
                    "{kind}: Confluent describes no compatible change"
                );
            } else {
                for part in ["'#/Order/3'", "new schema", "old schema"] {
                    assert!(description.contains(part), "{kind}: {description}");
                }
            }
        }
    }
}
