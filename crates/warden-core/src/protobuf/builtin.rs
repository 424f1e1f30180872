//! The `.proto` files Confluent's clients never register because every Confluent component
//! knows them (`ProtobufSchema.KNOWN_DEPENDENCIES`): `google/type/*.proto` (copied from
//! googleapis, Apache-2.0, see `builtin/google/type/README.md`) and `confluent/meta.proto`,
//! `confluent/type/decimal.proto` (minimal definitions written for Warden with Confluent's
//! package, names and numbers). The well-known `google/protobuf/*.proto` files come from
//! protox's `GoogleFileResolver`.

use std::collections::HashMap;
use std::sync::OnceLock;

use prost_types::FileDescriptorProto;
use protox::file::{File, FileResolver, GoogleFileResolver};

/// The embedded sources, by import path.
const SOURCES: [(&str, &str); 19] = [
    (
        "confluent/meta.proto",
        include_str!("builtin/confluent/meta.proto"),
    ),
    (
        "confluent/type/decimal.proto",
        include_str!("builtin/confluent/type/decimal.proto"),
    ),
    (
        "google/type/calendar_period.proto",
        include_str!("builtin/google/type/calendar_period.proto"),
    ),
    (
        "google/type/color.proto",
        include_str!("builtin/google/type/color.proto"),
    ),
    (
        "google/type/date.proto",
        include_str!("builtin/google/type/date.proto"),
    ),
    (
        "google/type/datetime.proto",
        include_str!("builtin/google/type/datetime.proto"),
    ),
    (
        "google/type/dayofweek.proto",
        include_str!("builtin/google/type/dayofweek.proto"),
    ),
    (
        "google/type/decimal.proto",
        include_str!("builtin/google/type/decimal.proto"),
    ),
    (
        "google/type/expr.proto",
        include_str!("builtin/google/type/expr.proto"),
    ),
    (
        "google/type/fraction.proto",
        include_str!("builtin/google/type/fraction.proto"),
    ),
    (
        "google/type/interval.proto",
        include_str!("builtin/google/type/interval.proto"),
    ),
    (
        "google/type/latlng.proto",
        include_str!("builtin/google/type/latlng.proto"),
    ),
    (
        "google/type/localized_text.proto",
        include_str!("builtin/google/type/localized_text.proto"),
    ),
    (
        "google/type/money.proto",
        include_str!("builtin/google/type/money.proto"),
    ),
    (
        "google/type/month.proto",
        include_str!("builtin/google/type/month.proto"),
    ),
    (
        "google/type/phone_number.proto",
        include_str!("builtin/google/type/phone_number.proto"),
    ),
    (
        "google/type/postal_address.proto",
        include_str!("builtin/google/type/postal_address.proto"),
    ),
    (
        "google/type/quaternion.proto",
        include_str!("builtin/google/type/quaternion.proto"),
    ),
    (
        "google/type/timeofday.proto",
        include_str!("builtin/google/type/timeofday.proto"),
    ),
];

/// The import paths resolved without a reference: the embedded files above and protox's
/// well-known types.
pub(crate) fn is_builtin(name: &str) -> bool {
    SOURCES.iter().any(|(n, _)| *n == name) || WELL_KNOWN.contains(&name)
}

/// The files protox's `GoogleFileResolver` provides.
const WELL_KNOWN: [&str; 12] = [
    "google/protobuf/any.proto",
    "google/protobuf/api.proto",
    "google/protobuf/descriptor.proto",
    "google/protobuf/duration.proto",
    "google/protobuf/empty.proto",
    "google/protobuf/field_mask.proto",
    "google/protobuf/source_context.proto",
    "google/protobuf/struct.proto",
    "google/protobuf/timestamp.proto",
    "google/protobuf/type.proto",
    "google/protobuf/wrappers.proto",
    "google/protobuf/compiler/plugin.proto",
];

/// The embedded files, parsed once.
fn parsed() -> &'static HashMap<&'static str, FileDescriptorProto> {
    static PARSED: OnceLock<HashMap<&'static str, FileDescriptorProto>> = OnceLock::new();
    PARSED.get_or_init(|| {
        SOURCES
            .iter()
            .map(|(name, source)| {
                let file = File::from_source(name, source)
                    .unwrap_or_else(|e| panic!("built-in {name} does not parse: {e:?}"));
                (*name, file.file_descriptor_proto().clone())
            })
            .collect()
    })
}

/// Resolves the built-in files: the embedded ones, then protox's well-known types.
#[derive(Debug)]
pub(crate) struct BuiltinResolver {
    google: GoogleFileResolver,
}

impl BuiltinResolver {
    pub(crate) fn new() -> Self {
        // `GoogleFileResolver::default()` has an empty pool; `new()` takes the global one.
        Self {
            google: GoogleFileResolver::new(),
        }
    }
}

impl FileResolver for BuiltinResolver {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        match parsed().get(name) {
            Some(file) => Ok(File::from_file_descriptor_proto(file.clone())),
            None => self.google.open_file(name),
        }
    }
}
