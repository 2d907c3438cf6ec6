-- A call's full trace across sites through ISLink: every call leg linked (directly or
-- through further ISLinks) to the CallUUID given as psql variable call_uuid
-- (psql -v call_uuid=...), with its site, link, role, times and recordings.
WITH RECURSIVE legs(call_uuid) AS (
    SELECT :'call_uuid'::text
    UNION
    SELECT l2.call_uuid
    FROM legs
    JOIN islinks l1 ON l1.call_uuid = legs.call_uuid
    JOIN islinks l2 ON l2.islink_id = l1.islink_id
)
SELECT legs.call_uuid, coalesce(c.site, i.site) AS site, c.connid, i.islink_id,
       i.location_name, i.direction_role, c.started_at, c.ended_at,
       (SELECT string_agg(r.record_id, ',' ORDER BY r.record_id)
          FROM recordings r WHERE r.call_uuid = legs.call_uuid) AS recordings
FROM legs
LEFT JOIN calls c ON c.call_uuid = legs.call_uuid
LEFT JOIN islinks i ON i.call_uuid = legs.call_uuid
ORDER BY c.started_at NULLS LAST, site, i.islink_id;
