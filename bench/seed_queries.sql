-- The SQL queries of the seed document (/work/shared/seed/database-schema-review.md),
-- every ```sql block copied verbatim, in document order. Run with:
--   psql -X -q -d URL -f bench/seed_queries.sql
-- (bench/check_bench.py times this as the baseline for `schemac check`.)

SELECT table_name 
FROM information_schema.tables 
WHERE table_schema = 'public' 
AND table_type = 'BASE TABLE'
ORDER BY table_name;

SELECT 
    tc.table_name,
    kcu.column_name,
    CASE WHEN idx.indexname IS NULL THEN 'MISSING INDEX' ELSE 'OK' END as index_status
FROM information_schema.table_constraints AS tc
JOIN information_schema.key_column_usage AS kcu
    ON tc.constraint_name = kcu.constraint_name
LEFT JOIN pg_indexes idx 
    ON idx.tablename = tc.table_name 
    AND idx.indexdef LIKE '%' || kcu.column_name || '%'
WHERE tc.constraint_type = 'FOREIGN KEY'
    AND tc.table_schema = 'public';

-- Check users.email is unique
SELECT COUNT(*) FROM users GROUP BY email HAVING COUNT(*) > 1;

-- Check teams.slug is unique
SELECT COUNT(*) FROM teams GROUP BY slug HAVING COUNT(*) > 1;

-- Check api_keys.key_hash is unique
SELECT COUNT(*) FROM api_keys GROUP BY key_hash HAVING COUNT(*) > 1;

-- Orphaned subscriptions
SELECT COUNT(*) FROM subscriptions s 
LEFT JOIN users u ON s.user_id = u.id 
WHERE u.id IS NULL;

-- Orphaned team members
SELECT COUNT(*) FROM team_members tm
LEFT JOIN teams t ON tm.team_id = t.id
LEFT JOIN users u ON tm.user_id = u.id
WHERE t.id IS NULL OR u.id IS NULL;

-- Check if timestamps are timezone-aware
SELECT column_name, data_type 
FROM information_schema.columns
WHERE table_schema = 'public' 
AND (column_name LIKE '%_at' OR column_name = 'created_at' OR column_name = 'updated_at')
AND data_type != 'timestamp with time zone';

-- Table count
SELECT COUNT(*) as table_count
FROM information_schema.tables 
WHERE table_schema = 'public' AND table_type = 'BASE TABLE';

-- Index count
SELECT COUNT(*) as index_count
FROM pg_indexes 
WHERE schemaname = 'public';

-- Foreign key count
SELECT COUNT(*) as fk_count
FROM information_schema.table_constraints
WHERE constraint_type = 'FOREIGN KEY' AND table_schema = 'public';

-- Users table integrity
SELECT 
    COUNT(*) as total_users,
    COUNT(DISTINCT email) as unique_emails,
    COUNT(*) - COUNT(DISTINCT email) as duplicate_emails
FROM users;

-- Active users
SELECT COUNT(*) as active_users FROM users WHERE is_active = true;

-- Teams with valid owners
SELECT COUNT(*) as teams_with_valid_owners
FROM teams t
JOIN users u ON t.owner_id = u.id
WHERE u.is_active = true;
