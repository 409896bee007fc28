-- SQLite has no POSITION(... IN ...); same logic with instr().
ALTER TABLE users ADD COLUMN first_name VARCHAR(255);
ALTER TABLE users ADD COLUMN last_name VARCHAR(255);

UPDATE users
SET first_name = CASE
        WHEN instr(trim(name), ' ') = 0 THEN trim(name)
        ELSE substr(trim(name), 1, instr(trim(name), ' ') - 1)
    END,
    last_name = CASE
        WHEN instr(trim(name), ' ') = 0 THEN NULL
        ELSE trim(substr(trim(name), instr(trim(name), ' ') + 1))
    END
WHERE name IS NOT NULL;

ALTER TABLE users DROP COLUMN name;
