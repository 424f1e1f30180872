-- Warden registry schema (SQLite). Kept in step with migrations/postgres.

-- One row per distinct schema; the id is global and shared by every subject using it.
-- `fingerprint` is the SHA-256 of the schema's identity (type, canonical text, references,
-- metadata, rule set): the unique index, not a read-then-write, decides races.
CREATE TABLE schemas (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    schema_type TEXT    NOT NULL,
    schema      TEXT    NOT NULL,
    refs        TEXT    NOT NULL DEFAULT '[]',
    metadata    TEXT,
    rule_set    TEXT,
    fingerprint TEXT    NOT NULL UNIQUE
);

-- Versions of subjects; `deleted` = 1 marks a soft delete.
CREATE TABLE subject_versions (
    subject    TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    schema_id  INTEGER NOT NULL REFERENCES schemas (id),
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (subject, version)
);
CREATE INDEX subject_versions_schema_id ON subject_versions (schema_id);

-- Which schema references which subject version (for 42206 and referencedby).
CREATE TABLE schema_references (
    schema_id   INTEGER NOT NULL REFERENCES schemas (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    ref_subject TEXT    NOT NULL,
    ref_version INTEGER NOT NULL,
    PRIMARY KEY (schema_id, name)
);
CREATE INDEX schema_references_target ON schema_references (ref_subject, ref_version);

-- Compatibility config per scope; the empty string is the global scope.
CREATE TABLE configs (
    scope         TEXT PRIMARY KEY,
    compatibility TEXT,
    normalize     INTEGER
);

-- Mode per scope; the empty string is the global scope.
CREATE TABLE modes (
    scope TEXT PRIMARY KEY,
    mode  TEXT NOT NULL
);
