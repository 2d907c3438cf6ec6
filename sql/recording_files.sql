-- The recording file(s) for a call, given its CallUUID or ConnID as psql variable id
-- (psql -v id=...): where each file is, who was recorded, and its state.
SELECT r.record_id, r.connid, r.call_uuid, r.recorded_dn, r.file_name, r.recorder,
       r.recorder2, r.dest, r.dest2, r.state, r.started_at, r.ended_at
FROM recordings r
WHERE r.call_uuid = :'id' OR r.connid = :'id'
ORDER BY r.started_at, r.record_id;
