-- The GUID of each schema (Confluent 8): the MD5 digest of its content written as a UUID, the
-- same for the same content under every subject (warden_core::Guid). New rows get it when they
-- are inserted; rows stored before this migration are filled in by the store when it opens.
ALTER TABLE schemas ADD COLUMN guid TEXT;
CREATE INDEX schemas_guid ON schemas (guid);
