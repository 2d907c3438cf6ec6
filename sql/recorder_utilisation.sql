-- Recordings by recorder and media server (utilisation): how many recordings each
-- (recorder, mediad) pair carried, how many are running now and the recorded time. A
-- recording sent to two recorders (recorder2, duplicate recording) counts for both.
SELECT v.recorder, coalesce(r.mediad, '(none)') AS mediad,
       count(*) AS recordings,
       count(*) FILTER (WHERE r.state IN ('active', 'paused')) AS running,
       extract(epoch FROM sum(coalesce(r.ended_at, now()) - r.started_at))::numeric(14, 3)
           AS recorded_s
FROM recordings r
CROSS JOIN LATERAL (VALUES (r.recorder), (r.recorder2)) AS v(recorder)
WHERE v.recorder IS NOT NULL
GROUP BY 1, 2
ORDER BY 1, 2;
