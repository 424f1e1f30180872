//! The JSON Schema diff's rule table: Confluent's `Difference.Type` (`json/diff/Difference.java`)
//! with each type's verdict under the `STRICT` and `LENIENT` policies
//! (`SchemaDiff.COMPATIBLE_CHANGES_STRICT` / `COMPATIBLE_CHANGES_LENIENT`), its description,
//! and the four types each bounded keyword reports. The walker that finds the differences is
//! [`super::compat`].

use crate::types::CompatibilityPolicy;
use crate::violation::{DifferenceKind, difference_types};

/// The table's last column: the least permissive of Confluent's policies under which a
/// change is compatible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compatible {
    /// In `SchemaDiff.COMPATIBLE_CHANGES_STRICT` (65 types), and so under both policies.
    Strict,
    /// Added by `SchemaDiff.COMPATIBLE_CHANGES_LENIENT` (schema-registry PR #3930;
    /// ../shared/reference/confluent-api.md §2.4): 10 types, 75 in all.
    Lenient,
    /// Under neither.
    Never,
}

use Compatible::{Lenient, Never, Strict};

difference_types! {
    /// Confluent's `Difference.Type`: one kind of change between two JSON Schemas.
    "JSON diff", verdict: Compatible;
    IdChanged = "ID_CHANGED", Strict;
    DescriptionChanged = "DESCRIPTION_CHANGED", Strict;
    TitleChanged = "TITLE_CHANGED", Strict;
    DefaultChanged = "DEFAULT_CHANGED", Strict;
    SchemaAdded = "SCHEMA_ADDED", Never;
    SchemaRemoved = "SCHEMA_REMOVED", Strict;
    TypeExtended = "TYPE_EXTENDED", Strict;
    TypeNarrowed = "TYPE_NARROWED", Never;
    TypeChanged = "TYPE_CHANGED", Never;
    MaxLengthAdded = "MAX_LENGTH_ADDED", Never;
    MaxLengthRemoved = "MAX_LENGTH_REMOVED", Strict;
    MaxLengthIncreased = "MAX_LENGTH_INCREASED", Strict;
    MaxLengthDecreased = "MAX_LENGTH_DECREASED", Never;
    MinLengthAdded = "MIN_LENGTH_ADDED", Never;
    MinLengthRemoved = "MIN_LENGTH_REMOVED", Strict;
    MinLengthIncreased = "MIN_LENGTH_INCREASED", Never;
    MinLengthDecreased = "MIN_LENGTH_DECREASED", Strict;
    PatternAdded = "PATTERN_ADDED", Never;
    PatternRemoved = "PATTERN_REMOVED", Strict;
    PatternChanged = "PATTERN_CHANGED", Never;
    MaximumAdded = "MAXIMUM_ADDED", Never;
    MaximumRemoved = "MAXIMUM_REMOVED", Strict;
    MaximumIncreased = "MAXIMUM_INCREASED", Strict;
    MaximumDecreased = "MAXIMUM_DECREASED", Never;
    MinimumAdded = "MINIMUM_ADDED", Never;
    MinimumRemoved = "MINIMUM_REMOVED", Strict;
    MinimumIncreased = "MINIMUM_INCREASED", Never;
    MinimumDecreased = "MINIMUM_DECREASED", Strict;
    ExclusiveMaximumAdded = "EXCLUSIVE_MAXIMUM_ADDED", Never;
    ExclusiveMaximumRemoved = "EXCLUSIVE_MAXIMUM_REMOVED", Strict;
    ExclusiveMaximumIncreased = "EXCLUSIVE_MAXIMUM_INCREASED", Strict;
    ExclusiveMaximumDecreased = "EXCLUSIVE_MAXIMUM_DECREASED", Never;
    ExclusiveMinimumAdded = "EXCLUSIVE_MINIMUM_ADDED", Never;
    ExclusiveMinimumRemoved = "EXCLUSIVE_MINIMUM_REMOVED", Strict;
    ExclusiveMinimumIncreased = "EXCLUSIVE_MINIMUM_INCREASED", Never;
    ExclusiveMinimumDecreased = "EXCLUSIVE_MINIMUM_DECREASED", Strict;
    MultipleOfAdded = "MULTIPLE_OF_ADDED", Never;
    MultipleOfRemoved = "MULTIPLE_OF_REMOVED", Strict;
    MultipleOfExpanded = "MULTIPLE_OF_EXPANDED", Never;
    MultipleOfReduced = "MULTIPLE_OF_REDUCED", Strict;
    MultipleOfChanged = "MULTIPLE_OF_CHANGED", Never;
    RequiredAttributeAdded = "REQUIRED_ATTRIBUTE_ADDED", Never;
    RequiredAttributeWithDefaultAdded = "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED", Strict;
    RequiredAttributeRemoved = "REQUIRED_ATTRIBUTE_REMOVED", Strict;
    MaxPropertiesAdded = "MAX_PROPERTIES_ADDED", Never;
    MaxPropertiesRemoved = "MAX_PROPERTIES_REMOVED", Strict;
    MaxPropertiesIncreased = "MAX_PROPERTIES_INCREASED", Strict;
    MaxPropertiesDecreased = "MAX_PROPERTIES_DECREASED", Never;
    MinPropertiesAdded = "MIN_PROPERTIES_ADDED", Never;
    MinPropertiesRemoved = "MIN_PROPERTIES_REMOVED", Strict;
    MinPropertiesIncreased = "MIN_PROPERTIES_INCREASED", Never;
    MinPropertiesDecreased = "MIN_PROPERTIES_DECREASED", Strict;
    AdditionalPropertiesAdded = "ADDITIONAL_PROPERTIES_ADDED", Strict;
    AdditionalPropertiesRemoved = "ADDITIONAL_PROPERTIES_REMOVED", Lenient;
    AdditionalPropertiesExtended = "ADDITIONAL_PROPERTIES_EXTENDED", Strict;
    AdditionalPropertiesNarrowed = "ADDITIONAL_PROPERTIES_NARROWED", Lenient;
    DependencyArrayAdded = "DEPENDENCY_ARRAY_ADDED", Never;
    DependencyArrayRemoved = "DEPENDENCY_ARRAY_REMOVED", Strict;
    DependencyArrayExtended = "DEPENDENCY_ARRAY_EXTENDED", Never;
    DependencyArrayNarrowed = "DEPENDENCY_ARRAY_NARROWED", Strict;
    DependencyArrayChanged = "DEPENDENCY_ARRAY_CHANGED", Never;
    DependencySchemaAdded = "DEPENDENCY_SCHEMA_ADDED", Never;
    DependencySchemaRemoved = "DEPENDENCY_SCHEMA_REMOVED", Strict;
    /// Confluent 7.x's single name for a property added to an open content model; 8.x
    /// deprecated it for the three `…_ADDED_TO_OPEN_CONTENT_MODEL` types below and never
    /// reports it. Warden does not report it either; it is here because `LENIENT` lists it.
    PropertyAddedToOpenContentModel = "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", Lenient;
    RequiredPropertyAddedToOpenContentModel = "REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", Never;
    RequiredPropertyWithDefaultAddedToOpenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL", Lenient;
    OptionalPropertyAddedToOpenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", Lenient;
    PropertyWithEmptySchemaAddedToOpenContentModel = "PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", Strict;
    RequiredPropertyAddedToUnopenContentModel = "REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", Never;
    RequiredPropertyWithDefaultAddedToUnopenContentModel = "REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL", Strict;
    OptionalPropertyAddedToUnopenContentModel = "OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", Strict;
    PropertyRemovedFromOpenContentModel = "PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", Strict;
    PropertyWithFalseRemovedFromClosedContentModel = "PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", Strict;
    PropertyRemovedFromClosedContentModel = "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", Lenient;
    PropertyRemovedIsCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Strict;
    PropertyRemovedNotCoveredByPartiallyOpenContentModel = "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Lenient;
    PropertyAddedIsCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Strict;
    PropertyAddedNotCoveredByPartiallyOpenContentModel = "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Lenient;
    ReservedPropertyRemoved = "RESERVED_PROPERTY_REMOVED", Never;
    ReservedPropertyConflictsWithProperty = "RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY", Never;
    UnevaluatedPropertiesAdded = "UNEVALUATED_PROPERTIES_ADDED", Strict;
    UnevaluatedPropertiesRemoved = "UNEVALUATED_PROPERTIES_REMOVED", Lenient;
    UnevaluatedPropertiesExtended = "UNEVALUATED_PROPERTIES_EXTENDED", Strict;
    UnevaluatedPropertiesNarrowed = "UNEVALUATED_PROPERTIES_NARROWED", Lenient;
    MaxItemsAdded = "MAX_ITEMS_ADDED", Never;
    MaxItemsRemoved = "MAX_ITEMS_REMOVED", Strict;
    MaxItemsIncreased = "MAX_ITEMS_INCREASED", Strict;
    MaxItemsDecreased = "MAX_ITEMS_DECREASED", Never;
    MinItemsAdded = "MIN_ITEMS_ADDED", Never;
    MinItemsRemoved = "MIN_ITEMS_REMOVED", Strict;
    MinItemsIncreased = "MIN_ITEMS_INCREASED", Never;
    MinItemsDecreased = "MIN_ITEMS_DECREASED", Strict;
    MaxContainsAdded = "MAX_CONTAINS_ADDED", Never;
    MaxContainsRemoved = "MAX_CONTAINS_REMOVED", Strict;
    MaxContainsIncreased = "MAX_CONTAINS_INCREASED", Strict;
    MaxContainsDecreased = "MAX_CONTAINS_DECREASED", Never;
    MinContainsAdded = "MIN_CONTAINS_ADDED", Never;
    MinContainsRemoved = "MIN_CONTAINS_REMOVED", Strict;
    MinContainsIncreased = "MIN_CONTAINS_INCREASED", Never;
    MinContainsDecreased = "MIN_CONTAINS_DECREASED", Strict;
    UniqueItemsAdded = "UNIQUE_ITEMS_ADDED", Never;
    UniqueItemsRemoved = "UNIQUE_ITEMS_REMOVED", Strict;
    AdditionalItemsAdded = "ADDITIONAL_ITEMS_ADDED", Strict;
    AdditionalItemsRemoved = "ADDITIONAL_ITEMS_REMOVED", Never;
    AdditionalItemsExtended = "ADDITIONAL_ITEMS_EXTENDED", Strict;
    AdditionalItemsNarrowed = "ADDITIONAL_ITEMS_NARROWED", Never;
    UnevaluatedItemsAdded = "UNEVALUATED_ITEMS_ADDED", Strict;
    UnevaluatedItemsRemoved = "UNEVALUATED_ITEMS_REMOVED", Never;
    UnevaluatedItemsExtended = "UNEVALUATED_ITEMS_EXTENDED", Strict;
    UnevaluatedItemsNarrowed = "UNEVALUATED_ITEMS_NARROWED", Never;
    ItemAddedToOpenContentModel = "ITEM_ADDED_TO_OPEN_CONTENT_MODEL", Never;
    ItemWithEmptySchemaAddedToOpenContentModel = "ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL", Strict;
    ItemAddedToClosedContentModel = "ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", Strict;
    ItemRemovedFromOpenContentModel = "ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", Strict;
    ItemWithFalseRemovedFromClosedContentModel = "ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL", Strict;
    ItemRemovedFromClosedContentModel = "ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", Never;
    ItemRemovedIsCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Strict;
    ItemRemovedNotCoveredByPartiallyOpenContentModel = "ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Never;
    ItemAddedIsCoveredByPartiallyOpenContentModel = "ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Strict;
    ItemAddedNotCoveredByPartiallyOpenContentModel = "ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", Never;
    EnumArrayExtended = "ENUM_ARRAY_EXTENDED", Strict;
    EnumArrayNarrowed = "ENUM_ARRAY_NARROWED", Never;
    EnumArrayChanged = "ENUM_ARRAY_CHANGED", Never;
    CombinedTypeExtended = "COMBINED_TYPE_EXTENDED", Strict;
    CombinedTypeChanged = "COMBINED_TYPE_CHANGED", Never;
    ProductTypeExtended = "PRODUCT_TYPE_EXTENDED", Never;
    ProductTypeNarrowed = "PRODUCT_TYPE_NARROWED", Strict;
    SumTypeExtended = "SUM_TYPE_EXTENDED", Strict;
    SumTypeNarrowed = "SUM_TYPE_NARROWED", Never;
    CombinedTypeSubschemasChanged = "COMBINED_TYPE_SUBSCHEMAS_CHANGED", Never;
    NotTypeExtended = "NOT_TYPE_EXTENDED", Never;
    NotTypeNarrowed = "NOT_TYPE_NARROWED", Strict;
}

use DifferenceType as T;

impl DifferenceType {
    /// Whether the change keeps every document valid under the original valid under the
    /// update, by Confluent's `COMPATIBLE_CHANGES_STRICT` / `COMPATIBLE_CHANGES_LENIENT`.
    pub fn is_compatible(self, policy: CompatibilityPolicy) -> bool {
        match self.verdict() {
            Compatible::Strict => true,
            Compatible::Lenient => policy == CompatibilityPolicy::Lenient,
            Compatible::Never => false,
        }
    }
}

impl DifferenceKind for DifferenceType {
    fn name(self) -> &'static str {
        self.as_str()
    }

    fn description(self, path: &str, reader: &str, writer: &str) -> String {
        match self {
            T::MaximumAdded
            | T::MinimumAdded
            | T::ExclusiveMaximumAdded
            | T::ExclusiveMinimumAdded
            | T::MultipleOfAdded
            | T::MaxLengthAdded
            | T::MinLengthAdded
            | T::PatternAdded
            | T::RequiredAttributeAdded
            | T::MaxPropertiesAdded
            | T::MinPropertiesAdded
            | T::DependencyArrayAdded
            | T::DependencySchemaAdded
            | T::MaxItemsAdded
            | T::MinItemsAdded
            | T::MaxContainsAdded
            | T::MinContainsAdded
            | T::UniqueItemsAdded
            | T::AdditionalItemsRemoved
            | T::AdditionalPropertiesRemoved
            | T::UnevaluatedPropertiesRemoved
            | T::UnevaluatedItemsRemoved => format!(
                "The keyword at path '{path}' in the {reader} schema is not present in the \
                 {writer} schema"
            ),
            T::MinLengthIncreased
            | T::MinimumIncreased
            | T::ExclusiveMinimumIncreased
            | T::MinPropertiesIncreased
            | T::MultipleOfExpanded
            | T::MinItemsIncreased
            | T::MinContainsIncreased => format!(
                "The value at path '{path}' in the {reader} schema is more than its value in \
                 the {writer} schema"
            ),
            T::MaxLengthDecreased
            | T::MaximumDecreased
            | T::MaxItemsDecreased
            | T::MaxContainsDecreased
            | T::ExclusiveMaximumDecreased
            | T::MaxPropertiesDecreased => format!(
                "The value at path '{path}' in the {reader} schema is less than its value in \
                 the {writer} schema"
            ),
            T::PatternChanged | T::MultipleOfChanged | T::DependencyArrayChanged => format!(
                "The value at path '{path}' is different between the {reader} and {writer} \
                 schema"
            ),
            T::AdditionalItemsNarrowed
            | T::EnumArrayNarrowed
            | T::SumTypeNarrowed
            | T::AdditionalPropertiesNarrowed
            | T::UnevaluatedPropertiesNarrowed
            | T::UnevaluatedItemsNarrowed => format!(
                "An array or combined type at path '{path}' has fewer elements in the {reader} \
                 schema than the {writer} schema"
            ),
            T::DependencyArrayExtended
            | T::ProductTypeExtended
            | T::SumTypeExtended
            | T::NotTypeExtended => format!(
                "An array or combined type at path '{path}' has more elements in the {reader} \
                 schema than the {writer} schema"
            ),
            T::TypeChanged
            | T::TypeNarrowed
            | T::CombinedTypeChanged
            | T::CombinedTypeSubschemasChanged
            | T::EnumArrayChanged => format!(
                "A type at path '{path}' is different between the {reader} schema and the \
                 {writer} schema"
            ),
            T::RequiredPropertyAddedToOpenContentModel
            | T::RequiredPropertyWithDefaultAddedToOpenContentModel
            | T::OptionalPropertyAddedToOpenContentModel
            | T::ItemAddedToOpenContentModel => format!(
                "The {reader} schema has an open content model and has a property or item at \
                 path '{path}' which is missing in the {writer} schema"
            ),
            T::RequiredPropertyAddedToUnopenContentModel => format!(
                "The {reader} schema has an unopen content model and has a required property at \
                 path '{path}' which is missing in the {writer} schema"
            ),
            T::PropertyRemovedFromClosedContentModel | T::ItemRemovedFromClosedContentModel => {
                format!(
                    "The {reader} schema has a closed content model and is missing a property or \
                     item present at path '{path}' in the {writer} schema"
                )
            }
            T::PropertyRemovedNotCoveredByPartiallyOpenContentModel
            | T::ItemRemovedNotCoveredByPartiallyOpenContentModel => format!(
                "A property or item is missing in the {reader} schema but present at path \
                 '{path}' in the {writer} schema and is not covered by its partially open \
                 content model"
            ),
            T::PropertyAddedNotCoveredByPartiallyOpenContentModel
            | T::ItemAddedNotCoveredByPartiallyOpenContentModel => format!(
                "The {reader} schema has a property or item at path '{path}' which is missing in \
                 the {writer} schema and is not covered by its partially open content model"
            ),
            // Confluent has no description for these (an empty string); Warden says what
            // happened rather than nothing.
            T::SchemaAdded => format!(
                "The {reader} schema has a schema at path '{path}' which is missing in the \
                 {writer} schema"
            ),
            _ => String::new(),
        }
    }
}

/// Added, removed, increased, decreased.
pub(super) type Bound = [DifferenceType; 4];
pub(super) const MAX_LENGTH: Bound = [
    T::MaxLengthAdded,
    T::MaxLengthRemoved,
    T::MaxLengthIncreased,
    T::MaxLengthDecreased,
];
pub(super) const MIN_LENGTH: Bound = [
    T::MinLengthAdded,
    T::MinLengthRemoved,
    T::MinLengthIncreased,
    T::MinLengthDecreased,
];
pub(super) const MAXIMUM: Bound = [
    T::MaximumAdded,
    T::MaximumRemoved,
    T::MaximumIncreased,
    T::MaximumDecreased,
];
pub(super) const MINIMUM: Bound = [
    T::MinimumAdded,
    T::MinimumRemoved,
    T::MinimumIncreased,
    T::MinimumDecreased,
];
pub(super) const EXCLUSIVE_MAXIMUM: Bound = [
    T::ExclusiveMaximumAdded,
    T::ExclusiveMaximumRemoved,
    T::ExclusiveMaximumIncreased,
    T::ExclusiveMaximumDecreased,
];
pub(super) const EXCLUSIVE_MINIMUM: Bound = [
    T::ExclusiveMinimumAdded,
    T::ExclusiveMinimumRemoved,
    T::ExclusiveMinimumIncreased,
    T::ExclusiveMinimumDecreased,
];
pub(super) const MAX_PROPERTIES: Bound = [
    T::MaxPropertiesAdded,
    T::MaxPropertiesRemoved,
    T::MaxPropertiesIncreased,
    T::MaxPropertiesDecreased,
];
pub(super) const MIN_PROPERTIES: Bound = [
    T::MinPropertiesAdded,
    T::MinPropertiesRemoved,
    T::MinPropertiesIncreased,
    T::MinPropertiesDecreased,
];
pub(super) const MAX_ITEMS: Bound = [
    T::MaxItemsAdded,
    T::MaxItemsRemoved,
    T::MaxItemsIncreased,
    T::MaxItemsDecreased,
];
pub(super) const MIN_ITEMS: Bound = [
    T::MinItemsAdded,
    T::MinItemsRemoved,
    T::MinItemsIncreased,
    T::MinItemsDecreased,
];
pub(super) const MAX_CONTAINS: Bound = [
    T::MaxContainsAdded,
    T::MaxContainsRemoved,
    T::MaxContainsIncreased,
    T::MaxContainsDecreased,
];
pub(super) const MIN_CONTAINS: Bound = [
    T::MinContainsAdded,
    T::MinContainsRemoved,
    T::MinContainsIncreased,
    T::MinContainsDecreased,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_column_holds_confluents_strict_and_lenient_sets() {
        let compatible = |policy| {
            DifferenceType::ALL
                .iter()
                .filter(|t| t.is_compatible(policy))
                .count()
        };
        assert_eq!(compatible(CompatibilityPolicy::Strict), 65);
        assert_eq!(compatible(CompatibilityPolicy::Lenient), 75);
        assert!(!T::PropertyAddedToOpenContentModel.is_compatible(CompatibilityPolicy::Strict));
        assert!(T::PropertyAddedToOpenContentModel.is_compatible(CompatibilityPolicy::Lenient));
        assert!(!T::TypeChanged.is_compatible(CompatibilityPolicy::Lenient));
    }
}
