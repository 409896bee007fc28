ALTER TABLE users ADD COLUMN name VARCHAR(255);

UPDATE users
SET name = CASE
        WHEN last_name IS NULL THEN first_name
        ELSE CONCAT(first_name, ' ', last_name)
    END;

ALTER TABLE users DROP COLUMN first_name;
ALTER TABLE users DROP COLUMN last_name;
