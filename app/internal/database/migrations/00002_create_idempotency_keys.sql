-- +goose Up
-- One row per Idempotency-Key: the request it was first used with (a
-- fingerprint) and the response to replay. Written in the same transaction
-- as the note it guards, so a key exists exactly when its note was created.
CREATE TABLE idempotency_keys (
    key         text        PRIMARY KEY CHECK (char_length(key) BETWEEN 1 AND 255),
    fingerprint bytea       NOT NULL,
    status      smallint    NOT NULL,
    header      jsonb       NOT NULL,
    body        bytea       NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- The purge deletes by expiry.
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);

-- +goose Down
DROP TABLE idempotency_keys;
