-- Recordings per agent per day (UTC): how many recordings were made of each agent's calls,
-- and how many of them completed. The agent is the one logged in on the recorded DN.
SELECT a.agent_login AS agent,
       (r.started_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS recordings,
       count(*) FILTER (WHERE r.state = 'completed') AS completed
FROM recordings r
JOIN recording_agents a ON a.record_id = r.record_id
GROUP BY 1, 2
ORDER BY 2, 1;
