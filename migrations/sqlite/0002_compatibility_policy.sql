-- The JSON Schema compatibility policy per scope (STRICT or LENIENT); NULL inherits.
ALTER TABLE configs ADD COLUMN compatibility_policy TEXT;
