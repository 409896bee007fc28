CREATE TABLE audit_log_new (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER,
    event_type VARCHAR(64) NOT NULL,
    ip_address VARCHAR(45),
    payload BLOB,
    created_at VARCHAR(32) NOT NULL,
    CONSTRAINT audit_log_identity_fk FOREIGN KEY (identity_id) REFERENCES identities (id) ON DELETE SET NULL
);

-- Entries about deleted identities cannot satisfy the foreign key any more.
INSERT INTO audit_log_new (id, identity_id, event_type, ip_address, payload, created_at)
SELECT id,
       CASE WHEN identity_id IN (SELECT id FROM identities) THEN identity_id ELSE NULL END,
       event_type, ip_address, payload, created_at
FROM audit_log;

DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;

CREATE INDEX audit_log_identity_id_created_at_idx ON audit_log (identity_id, created_at);
