-- Total paused time per recording (seconds), with the number of pauses; recordings never
-- paused are listed with 0. A pause still open counts until the recording ended (or now).
SELECT record_id, connid, recorded_dn, pauses,
       extract(epoch FROM paused)::numeric(12, 3) AS paused_s
FROM recording_paused
ORDER BY record_id;
