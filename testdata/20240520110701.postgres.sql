-- PostgreSQL has no X'..' bytea literal; decode() the same bytes.
INSERT INTO audit_log (id, identity_id, event_type, ip_address, payload, created_at) VALUES
    (1001, 1, 'session.created', '203.0.113.7', decode('7B226D6574686F64223A2270617373776F7264227D', 'hex'), '2024-05-21T10:00:00Z'),
    (1002, NULL, 'login.failed', '2001:db8::1', NULL, '2024-05-21T10:02:30Z'),
    (1003, 12, 'identity.updated', NULL, decode('00FF10', 'hex'), '2024-05-22T16:20:00Z');
