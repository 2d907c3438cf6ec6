-- Compliance gap: calls that should have been recorded (a full-time DN or a logged-in agent
-- was a party) but have no completed recording. Lists the DNs and agents that made the call
-- subject to recording and what recordings, if any, were attempted.
SELECT c.connid, c.call_uuid, c.site, c.started_at,
       string_agg(DISTINCT p.dn, ',' ORDER BY p.dn) FILTER (WHERE p.full_time) AS full_time_dns,
       string_agg(DISTINCT p.agent_login, ',' ORDER BY p.agent_login) AS agents,
       (SELECT string_agg(r.record_id || ':' || r.state, ',' ORDER BY r.record_id)
          FROM recordings r WHERE r.connid = c.connid) AS attempts
FROM calls c
JOIN parties p ON p.connid = c.connid AND (p.full_time OR p.agent_login IS NOT NULL)
WHERE NOT EXISTS (SELECT 1 FROM recordings r WHERE r.connid = c.connid AND r.state = 'completed')
GROUP BY c.connid, c.site
ORDER BY c.started_at, c.connid;
