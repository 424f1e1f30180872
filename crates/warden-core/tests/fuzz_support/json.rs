//! JSON Schema documents.
