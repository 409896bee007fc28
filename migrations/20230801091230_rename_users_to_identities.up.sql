-- Product rename: users are now "identities" (they may be machines, too).
ALTER TABLE users RENAME TO identities;
ALTER TABLE credentials RENAME COLUMN user_id TO identity_id;
ALTER TABLE sessions RENAME COLUMN user_id TO identity_id;
