-- Schema contexts (Confluent's `:.ctx:subject`). Each context has its own schema ids; the
-- store numbers every context but the default one here, from 1, at its first registration,
-- and keys its schemas -(number * 2^31 + id) in `schemas.id`, so the default context's ids,
-- its identity sequence and rows written before contexts keep their values. A context stays
-- listed until it is deleted, as in Confluent.
CREATE TABLE contexts (
    name   TEXT    PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE
);

-- Keys of other contexts need 64 bits; the identity sequence (the default context's ids)
-- still stops at 2^31-1, Confluent's ids being Java ints.
ALTER TABLE schemas ALTER COLUMN id TYPE BIGINT;
ALTER TABLE subject_versions ALTER COLUMN schema_id TYPE BIGINT;
ALTER TABLE schema_references ALTER COLUMN schema_id TYPE BIGINT;
ALTER TABLE schemas ALTER COLUMN id SET MAXVALUE 2147483647;
