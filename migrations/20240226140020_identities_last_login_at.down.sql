ALTER TABLE identities DROP COLUMN last_login_at;
