-- Audit log. payload holds the raw (binary) event body. Seed one
-- identity.created event per existing identity, reusing the identity id.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER,
    event_type VARCHAR(64) NOT NULL,
    ip_address VARCHAR(45),
    payload BLOB,
    created_at VARCHAR(32) NOT NULL,
    CONSTRAINT audit_log_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE SET NULL
);

CREATE INDEX audit_log_identity_id_created_at_idx ON audit_log (identity_id, created_at);

INSERT INTO audit_log (id, identity_id, event_type, ip_address, payload, created_at)
SELECT id, id, 'identity.created', NULL, NULL, COALESCE(created_at, '1970-01-01T00:00:00Z')
FROM identities;
