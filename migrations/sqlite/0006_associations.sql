-- Associations between a resource (a Kafka topic) and subjects, as Confluent 8's
-- AssociationsResource keeps them (`AssociationValue`): one row per resource id, resource
-- type and association type (`key` or `value`). `subject` is the subject as given (with its
-- `:.context:` prefix when it has one); `lifecycle` is STRONG or WEAK; times are epoch ms.
CREATE TABLE associations (
    guid               TEXT    PRIMARY KEY,
    resource_name      TEXT    NOT NULL,
    resource_namespace TEXT    NOT NULL,
    resource_id        TEXT    NOT NULL,
    resource_type      TEXT    NOT NULL,
    association_type   TEXT    NOT NULL,
    subject            TEXT    NOT NULL,
    lifecycle          TEXT    NOT NULL,
    frozen             BOOLEAN NOT NULL,
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (resource_id, resource_type, association_type)
);
CREATE INDEX associations_subject ON associations (subject);
CREATE INDEX associations_resource_name ON associations (resource_name, resource_namespace);
CREATE INDEX associations_resource_namespace ON associations (resource_namespace);
