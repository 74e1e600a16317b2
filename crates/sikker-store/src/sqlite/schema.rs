//! Versioned migrations, applied in order inside one transaction each. `PRAGMA user_version`
//! records how many have run. Never edit a migration that has shipped: add the next one.

pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

CREATE TABLE api_keys (
    hash     BLOB PRIMARY KEY,
    prefix   TEXT NOT NULL,
    name     TEXT NOT NULL,
    tier     TEXT NOT NULL,
    role     TEXT NOT NULL,
    created  INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

-- Raw events, append-only. `id` is the sensor's UUIDv7: the dedupe key.
CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    id      BLOB NOT NULL UNIQUE,
    session BLOB NOT NULL,
    ts      INTEGER NOT NULL,
    body    BLOB NOT NULL
);
CREATE INDEX events_session ON events (session, ts);

CREATE TABLE sessions (
    id         BLOB PRIMARY KEY,
    ip         TEXT NOT NULL,
    sensor     TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    started    INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    ended      INTEGER,
    events     INTEGER NOT NULL,
    synthetic  INTEGER NOT NULL,
    classified INTEGER NOT NULL DEFAULT 0,
    behavior   TEXT,
    primitives TEXT
) WITHOUT ROWID;
CREATE INDEX sessions_pending ON sessions (ended) WHERE ended IS NOT NULL AND classified = 0;
CREATE INDEX sessions_ip ON sessions (ip);

-- Per-IP aggregates. An IP needs (re)publication while generation > published_generation.
CREATE TABLE ips (
    ip                   TEXT PRIMARY KEY,
    first_seen           INTEGER NOT NULL,
    last_seen            INTEGER NOT NULL,
    sessions             INTEGER NOT NULL,
    events               INTEGER NOT NULL,
    unclassified         INTEGER NOT NULL DEFAULT 0,
    synthetic            INTEGER NOT NULL,
    confidence           INTEGER,
    generation           INTEGER NOT NULL,
    published_generation INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX ips_dirty ON ips (ip) WHERE generation > published_generation;

CREATE TABLE ip_protocols (
    ip       TEXT NOT NULL,
    protocol TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    events   INTEGER NOT NULL,
    PRIMARY KEY (ip, protocol)
) WITHOUT ROWID;

CREATE TABLE ip_behaviors (
    ip       TEXT NOT NULL,
    behavior TEXT NOT NULL,
    sessions INTEGER NOT NULL,
    PRIMARY KEY (ip, behavior)
) WITHOUT ROWID;

CREATE TABLE ip_primitives (
    ip        TEXT NOT NULL,
    primitive TEXT NOT NULL,
    sessions  INTEGER NOT NULL,
    PRIMARY KEY (ip, primitive)
) WITHOUT ROWID;

-- The feed's version log: one row per object version. Times in microseconds.
CREATE TABLE feed (
    seq        INTEGER PRIMARY KEY,
    date_added INTEGER NOT NULL,
    object_id  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    created    INTEGER NOT NULL,
    modified   INTEGER NOT NULL,
    first      INTEGER NOT NULL,
    latest     INTEGER NOT NULL,
    inputs     BLOB NOT NULL,
    UNIQUE (date_added, object_id)
);
CREATE INDEX feed_object ON feed (object_id, date_added);
CREATE INDEX feed_latest ON feed (date_added, object_id) WHERE latest = 1;
CREATE INDEX feed_first ON feed (date_added, object_id) WHERE first = 1;
"#,
    // 2: versions keep the object as rendered when published, so a version never changes
    // after the fact and a feed page is served without rendering.
    r#"
ALTER TABLE feed ADD COLUMN object BLOB;
"#,
    // 3: open sessions by their last event, for closing those a sensor never closed.
    r#"
CREATE INDEX sessions_open ON sessions (last) WHERE ended IS NULL;
"#,
    // 4: idle sessions are found by when central last received an event for them (its own
    // clock), not by the sensor's event times, which a spool backlog or a wrong clock make old;
    // and a session closed for idleness is remembered as such, so later events reopen it.
    r#"
ALTER TABLE sessions ADD COLUMN received INTEGER;
ALTER TABLE sessions ADD COLUMN idle_closed INTEGER NOT NULL DEFAULT 0;
UPDATE sessions SET received = last;
DROP INDEX sessions_open;
CREATE INDEX sessions_open ON sessions (received) WHERE ended IS NULL;
"#,
];
