-- Recording failures by reason: count, recordings affected, first and last occurrence.
SELECT s.reason, count(*) AS failures, count(DISTINCT s.record_id) AS recordings,
       min(s.at) AS first_at, max(s.at) AS last_at
FROM recording_segments s
WHERE s.event = 'fail'
GROUP BY s.reason
ORDER BY failures DESC, s.reason;
