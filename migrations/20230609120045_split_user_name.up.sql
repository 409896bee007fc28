-- Split the free-form name into first_name / last_name at the first space.
-- "Madonna" becomes first_name only; "Mary Jane Watson" becomes "Mary" + "Jane Watson".
ALTER TABLE users ADD COLUMN first_name VARCHAR(255);
ALTER TABLE users ADD COLUMN last_name VARCHAR(255);

UPDATE users
SET first_name = CASE
        WHEN POSITION(' ' IN TRIM(name)) = 0 THEN TRIM(name)
        ELSE SUBSTR(TRIM(name), 1, POSITION(' ' IN TRIM(name)) - 1)
    END,
    last_name = CASE
        WHEN POSITION(' ' IN TRIM(name)) = 0 THEN NULL
        ELSE TRIM(SUBSTR(TRIM(name), POSITION(' ' IN TRIM(name)) + 1))
    END
WHERE name IS NOT NULL;

ALTER TABLE users DROP COLUMN name;
