-- 001_core: CDR correlation tables (calls, parties, user data, recordings, segments, tones,
-- screen capture, ISLink, T-Lib audit). Idempotent: every object is created IF NOT EXISTS,
-- so the file can be applied to an empty database or re-applied to a current one.
--
-- Rows reach these tables through an at-least-once stream (gatewayd's writer and its
-- journal): every statement is an upsert on a natural key or an insert keyed by the row's
-- unique write id, and child tables carry no foreign keys because a replay after an outage
-- may deliver a child before its parent (a foreign key would turn that into a lost row).
-- CHECK constraints keep malformed values out instead.

-- Microseconds since the Unix epoch (what gatewayd sends) to timestamptz, exactly.
CREATE OR REPLACE FUNCTION arec_ts(us bigint) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT 'epoch'::timestamptz + us * interval '1 microsecond' $$;

-- Recording state ordering: a late replayed 'active' must not undo 'completed'.
CREATE OR REPLACE FUNCTION arec_rec_state_rank(s text) RETURNS int
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE s WHEN 'completed' THEN 2 WHEN 'failed' THEN 2 ELSE 1 END $$;

CREATE TABLE IF NOT EXISTS calls (
    connid       text PRIMARY KEY CHECK (connid ~ '^[0-9a-f]{16}$'),
    call_uuid    text NOT NULL CHECK (length(call_uuid) BETWEEN 1 AND 128),
    site         text NOT NULL CHECK (length(site) BETWEEN 1 AND 128),
    call_type    text NOT NULL CHECK (call_type IN
                     ('Unknown', 'Internal', 'Inbound', 'Outbound', 'Consult')),
    ani          text,
    dnis         text,
    started_at   timestamptz NOT NULL,
    answered_at  timestamptz,
    ended_at     timestamptz,
    end_cause    text,
    write_id     text NOT NULL,
    CHECK (answered_at IS NULL OR answered_at >= started_at),
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);
CREATE INDEX IF NOT EXISTS calls_call_uuid ON calls (call_uuid);
CREATE INDEX IF NOT EXISTS calls_started_at ON calls (started_at);

CREATE TABLE IF NOT EXISTS parties (
    connid       text NOT NULL CHECK (connid ~ '^[0-9a-f]{16}$'),
    dn           text NOT NULL CHECK (length(dn) BETWEEN 1 AND 256),
    role         text NOT NULL CHECK (role IN
                     ('Origination', 'Destination', 'ConferenceMember', 'Observer', 'Other')),
    agent_login  text,
    full_time    boolean NOT NULL DEFAULT false, -- DN configured record = true
    joined_at    timestamptz NOT NULL,
    left_at      timestamptz,
    write_id     text NOT NULL,
    PRIMARY KEY (connid, dn, joined_at),
    CHECK (left_at IS NULL OR left_at >= joined_at)
);
CREATE INDEX IF NOT EXISTS parties_dn ON parties (dn, joined_at);
CREATE INDEX IF NOT EXISTS parties_agent ON parties (agent_login, joined_at)
    WHERE agent_login IS NOT NULL;

-- User data history: one row per change (add / update / delete of a key, or delete-all).
CREATE TABLE IF NOT EXISTS call_user_data (
    id           bigserial PRIMARY KEY,
    write_id     text NOT NULL UNIQUE,
    connid       text NOT NULL CHECK (connid ~ '^[0-9a-f]{16}$'),
    changed_at   timestamptz NOT NULL,
    op           text NOT NULL CHECK (op IN ('add', 'update', 'delete', 'delete-all')),
    key          text,
    value        text,  -- UTF-8 text; invalid bytes escaped as \xNN (docs/database.md)
    value_raw    bytea, -- the exact bytes, only when value had to be escaped
    CHECK (op = 'delete-all' OR key IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS call_user_data_connid ON call_user_data (connid, changed_at);

CREATE TABLE IF NOT EXISTS recordings (
    record_id    text PRIMARY KEY CHECK (length(record_id) BETWEEN 1 AND 128),
    connid       text NOT NULL CHECK (connid ~ '^[0-9a-f]{16}$'),
    call_uuid    text NOT NULL,
    recorded_dn  text NOT NULL,
    other_dn     text,
    side         text NOT NULL CHECK (side IN ('both', 'dn', 'other')),
    started_by   text NOT NULL CHECK (started_by IN ('full-time', 'selective', 'dynamic')),
    mediad       text,
    recorder     text,
    recorder2    text,
    dest         text,
    dest2        text,
    file_name    text,
    dialect      text,
    audio_state  text CHECK (audio_state IN ('sendonly', 'inactive', 'none')),
    video_state  text CHECK (video_state IN ('sendonly', 'inactive', 'none')),
    state        text NOT NULL CHECK (state IN ('active', 'paused', 'completed', 'failed')),
    fail_reason  text,
    started_at   timestamptz NOT NULL,
    ended_at     timestamptz,
    write_id     text NOT NULL,
    CHECK (ended_at IS NULL OR ended_at >= started_at),
    CHECK (state <> 'failed' OR fail_reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS recordings_connid ON recordings (connid);
CREATE INDEX IF NOT EXISTS recordings_call_uuid ON recordings (call_uuid);
CREATE INDEX IF NOT EXISTS recordings_started_at ON recordings (started_at);

CREATE TABLE IF NOT EXISTS recording_segments (
    id           bigserial PRIMARY KEY,
    write_id     text NOT NULL UNIQUE,
    record_id    text NOT NULL,
    event        text NOT NULL CHECK (event IN ('start', 'pause', 'resume', 'stop', 'fail')),
    at           timestamptz NOT NULL,
    reason       text,
    CHECK (event <> 'fail' OR reason IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS recording_segments_record ON recording_segments (record_id, at);
CREATE INDEX IF NOT EXISTS recording_segments_fail ON recording_segments (reason)
    WHERE event = 'fail';

-- Compliance tone settings a recording used (seed: audiosrc, tonesilenceduration).
CREATE TABLE IF NOT EXISTS tone_settings (
    id           bigserial PRIMARY KEY,
    write_id     text NOT NULL UNIQUE,
    record_id    text NOT NULL,
    audiosrc     text,
    silence_ms   integer CHECK (silence_ms IS NULL OR silence_ms >= 1500),
    heard_by     text CHECK (heard_by IN ('both', 'dn', 'other', 'none')),
    at           timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS tone_settings_record ON tone_settings (record_id);

CREATE TABLE IF NOT EXISTS screen_capture_events (
    id           bigserial PRIMARY KEY,
    write_id     text NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    site         text NOT NULL,
    dn           text NOT NULL,
    connid       text CHECK (connid IS NULL OR connid ~ '^[0-9a-f]{16}$'),
    agent_login  text,
    action       text NOT NULL CHECK (length(action) BETWEEN 1 AND 64),
    detail       text
);
CREATE INDEX IF NOT EXISTS screen_capture_dn ON screen_capture_events (dn, at);

-- One row per site per call leg taking part in an ISLink (multi-site) call.
CREATE TABLE IF NOT EXISTS islinks (
    islink_id      text NOT NULL CHECK (length(islink_id) BETWEEN 1 AND 128),
    site           text NOT NULL,
    call_uuid      text NOT NULL,
    connid         text CHECK (connid IS NULL OR connid ~ '^[0-9a-f]{16}$'),
    location_name  text NOT NULL,  -- the other site, as named in the ISLink
    direction_role text NOT NULL CHECK (direction_role IN ('origination', 'destination')),
    created_at     timestamptz NOT NULL,
    write_id       text NOT NULL,
    PRIMARY KEY (islink_id, site, call_uuid)
);
CREATE INDEX IF NOT EXISTS islinks_call_uuid ON islinks (call_uuid);

-- T-Lib events worth auditing (client registrations, user events, errors).
CREATE TABLE IF NOT EXISTS tlib_events (
    id           bigserial PRIMARY KEY,
    write_id     text NOT NULL UNIQUE,
    at           timestamptz NOT NULL,
    site         text NOT NULL,
    event        text NOT NULL CHECK (length(event) BETWEEN 1 AND 64),
    client       text,
    dn           text,
    connid       text CHECK (connid IS NULL OR connid ~ '^[0-9a-f]{16}$'),
    error_code   integer CHECK (error_code IS NULL OR error_code >= 0),
    detail       text
);
CREATE INDEX IF NOT EXISTS tlib_events_at ON tlib_events (at);
CREATE INDEX IF NOT EXISTS tlib_events_event ON tlib_events (event, at);
