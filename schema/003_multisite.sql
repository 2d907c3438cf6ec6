-- 003_multisite: calls of several sites in one database (docs/multisite.md).
-- A call transferred to another site may keep its ConnID there (the seed's ISLink example),
-- so a ConnID names a call per site: the calls key becomes (connid, site). ISLink rows use
-- the vendor's direction-role words, source (this site sent the call) and target (it
-- received it). Idempotent like 001: re-applying it changes nothing.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'calls_pkey'
               AND conrelid = 'calls'::regclass
               AND array_length(conkey, 1) = 1) THEN
        ALTER TABLE calls DROP CONSTRAINT calls_pkey;
        ALTER TABLE calls ADD CONSTRAINT calls_pkey PRIMARY KEY (connid, site);
    END IF;
END $$;

-- source / target are what gatewayd writes; origination / destination (001's words) stay
-- accepted for rows of older writers.
ALTER TABLE islinks DROP CONSTRAINT IF EXISTS islinks_direction_role_check;
ALTER TABLE islinks ADD CONSTRAINT islinks_direction_role_check
    CHECK (direction_role IN ('source', 'target', 'origination', 'destination'));
CREATE INDEX IF NOT EXISTS islinks_islink_id ON islinks (islink_id);
