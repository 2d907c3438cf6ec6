-- Total paused time per agent (seconds) over all recordings of the agent's calls, with the
-- number of recordings and pauses.
SELECT a.agent_login AS agent, count(*) AS recordings, sum(p.pauses) AS pauses,
       extract(epoch FROM sum(p.paused))::numeric(12, 3) AS paused_s
FROM recording_paused p
JOIN recording_agents a ON a.record_id = p.record_id
GROUP BY a.agent_login
ORDER BY a.agent_login;
