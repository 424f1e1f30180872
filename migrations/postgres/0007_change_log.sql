-- The change log: one row per committed write that other replicas must learn of, numbered
-- in sequence. `kind` is 'subject' (payload: the subject whose versions changed), 'evict'
-- (payload: comma-separated keys of schemas whose cached answers by id are stale) or
-- 'settings' (a config, mode or context changed; empty payload). The transaction that
-- writes a row also announces it with `NOTIFY warden_change`; a replica that missed
-- announcements (a lost listening connection) reads the rows after the last it saw.
-- Replicas prune rows older than an hour.
CREATE TABLE changes (
    seq     BIGSERIAL   PRIMARY KEY,
    kind    TEXT        NOT NULL,
    payload TEXT        NOT NULL,
    at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX changes_at ON changes (at);
