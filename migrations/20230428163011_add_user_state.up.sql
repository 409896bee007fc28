-- Lifecycle state replaces the "is the email verified" heuristic for login.
-- Existing unverified accounts start out inactive.
ALTER TABLE users ADD COLUMN state VARCHAR(16) NOT NULL DEFAULT 'active';

UPDATE users SET state = CASE WHEN is_verified = 1 THEN 'active' ELSE 'inactive' END;
