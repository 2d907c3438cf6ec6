-- 002_report_views: views the reporting queries in sql/ share. Idempotent (CREATE OR REPLACE).

-- Paused time per recording: each 'pause' lasts until the next segment event of the same
-- recording (resume, stop, fail) or, when none came, until the recording ended (or now).
CREATE OR REPLACE VIEW recording_paused AS
WITH s AS (
    SELECT record_id, event, at,
           lead(at) OVER (PARTITION BY record_id ORDER BY at, id) AS next_at
    FROM recording_segments
)
SELECT r.record_id, r.connid, r.call_uuid, r.recorded_dn, r.started_at, r.ended_at,
       coalesce(sum(coalesce(s.next_at, r.ended_at, now()) - s.at)
                    FILTER (WHERE s.event = 'pause'), interval '0') AS paused,
       count(*) FILTER (WHERE s.event = 'pause') AS pauses
FROM recordings r
LEFT JOIN s ON s.record_id = r.record_id
GROUP BY r.record_id;

-- The agent (if any) logged in on the recorded DN of each recording.
CREATE OR REPLACE VIEW recording_agents AS
SELECT DISTINCT ON (r.record_id) r.record_id, p.agent_login
FROM recordings r
JOIN parties p ON p.connid = r.connid AND p.dn = r.recorded_dn AND p.agent_login IS NOT NULL
ORDER BY r.record_id, p.joined_at DESC;
