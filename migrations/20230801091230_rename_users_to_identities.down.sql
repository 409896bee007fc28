ALTER TABLE sessions RENAME COLUMN identity_id TO user_id;
ALTER TABLE credentials RENAME COLUMN identity_id TO user_id;
ALTER TABLE identities RENAME TO users;
