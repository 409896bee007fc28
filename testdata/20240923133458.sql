-- Identity 999 was deleted long ago; its audit trail stays.
INSERT INTO audit_log (id, identity_id, event_type, ip_address, payload, created_at) VALUES
    (1004, 999, 'identity.deleted', '198.51.100.23', NULL, '2024-09-24T08:00:00Z'),
    (1005, 14, 'session.revoked', '198.51.100.24', NULL, '2024-09-25T17:45:00Z');

INSERT INTO sessions (id, identity_id, token, issued_at, expires_at, active) VALUES
    ('7cd2809f-2d9e-4f56-8b8c-9daebfc0d1e7', 13, 'ory_st_Vc4xZ3lK2jH1gF0dS9aP8oI7uY6tR5eW', '2024-09-26T11:00:00Z', '2024-10-26T11:00:00Z', 1);
