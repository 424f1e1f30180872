-- The DEK registry (Confluent's `dek-registry` module, `/dek-registry/v1/keks…`): key
-- encryption keys (KEKs) by name, and the data encryption keys (DEKs) wrapped by them, one
-- row per KEK, subject, algorithm and version. `kms_props` is a JSON object of strings;
-- `encrypted_key_material` is base64 (Tink ciphertext of the serialized Tink key); times are
-- epoch ms. Soft-deleted keys keep their rows with `deleted` set.
CREATE TABLE keks (
    name        TEXT    PRIMARY KEY,
    kms_type    TEXT    NOT NULL,
    kms_key_id  TEXT    NOT NULL,
    kms_props   TEXT    NOT NULL,
    doc         TEXT,
    shared      BOOLEAN NOT NULL,
    deleted     BOOLEAN NOT NULL,
    ts          BIGINT  NOT NULL
);
CREATE TABLE deks (
    kek_name               TEXT    NOT NULL,
    subject                TEXT    NOT NULL,
    algorithm              TEXT    NOT NULL,
    version                INTEGER NOT NULL,
    encrypted_key_material TEXT    NOT NULL,
    deleted                BOOLEAN NOT NULL,
    ts                     BIGINT  NOT NULL,
    PRIMARY KEY (kek_name, subject, algorithm, version)
);
