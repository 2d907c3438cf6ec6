-- 004_recording_parties: every other party a recording had. A transfer that keeps the
-- recording (docs/recording.md "Transfers") moves other_dn to the new party; other_dns keeps
-- them all, in order (a party that comes back is listed again). Idempotent like 001.
ALTER TABLE recordings ADD COLUMN IF NOT EXISTS other_dns text[];
UPDATE recordings SET other_dns = ARRAY[other_dn]
    WHERE other_dns IS NULL AND other_dn IS NOT NULL;
