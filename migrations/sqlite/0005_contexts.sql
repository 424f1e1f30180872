-- Schema contexts (Confluent's `:.ctx:subject`). Each context has its own schema ids; the
-- store numbers every context but the default one here, from 1, at its first registration,
-- and keys its schemas -(number * 2^31 + id) in `schemas.id` (64-bit in SQLite already), so
-- the default context's ids, its AUTOINCREMENT and rows written before contexts keep their
-- values. A context stays listed until it is deleted, as in Confluent.
CREATE TABLE contexts (
    name   TEXT    PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE
);
