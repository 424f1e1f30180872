-- The other fields of Confluent's Config per scope; NULL is unset (inherits where Confluent's
-- mergeConfigs inherits). Metadata and rule sets are JSON text.
ALTER TABLE configs ADD COLUMN alias TEXT;
ALTER TABLE configs ADD COLUMN alias_for_deks TEXT;
ALTER TABLE configs ADD COLUMN validate_fields BOOLEAN;
ALTER TABLE configs ADD COLUMN validate_new_schemas BOOLEAN;
ALTER TABLE configs ADD COLUMN validate_rules BOOLEAN;
ALTER TABLE configs ADD COLUMN compatibility_group TEXT;
ALTER TABLE configs ADD COLUMN default_metadata TEXT;
ALTER TABLE configs ADD COLUMN override_metadata TEXT;
ALTER TABLE configs ADD COLUMN default_rule_set TEXT;
ALTER TABLE configs ADD COLUMN override_rule_set TEXT;
