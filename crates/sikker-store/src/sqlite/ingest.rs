//! Events in; sessions and IP aggregates kept current; classifications recorded.

use super::{ip_key, parse_ip, parse_uuid};
use crate::{
    AppendOutcome, Classified, IpRecord, ProtocolCount, Result, SessionRecord, StoreError,
};
use rusqlite::{params, Connection, OptionalExtension};
use sikker_event::{Event, EventData, Timestamp};
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

struct SessionAgg {
    ip: String,
    sensor: String,
    protocol: String,
    started: i64,
    last: i64,
    ended: Option<i64>,
    events: i64,
    synthetic: bool,
}

#[derive(Default)]
struct IpAgg {
    first: i64,
    last: i64,
    events: i64,
    new_sessions: i64,
    synthetic: bool,
}

/// `now` (µs, the store's clock) is when central received the batch.
pub(super) fn append_events(
    conn: &mut Connection,
    events: Vec<Event>,
    now: i64,
) -> Result<AppendOutcome> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut out = AppendOutcome::default();
    // Insertion order is kept so that aggregates see events as the sensor sent them.
    let mut sessions: Vec<(Uuid, SessionAgg)> = Vec::new();
    let mut session_index: HashMap<Uuid, usize> = HashMap::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO events (id, session, ts, body) VALUES (?1, ?2, ?3, ?4)",
        )?;
        for e in &events {
            let body = serde_json::to_vec(e)
                .map_err(|err| StoreError::Corrupt(format!("event does not serialise: {err}")))?;
            let n = insert.execute(params![
                e.id.as_bytes().as_slice(),
                e.session.as_bytes().as_slice(),
                e.ts.0,
                body
            ])?;
            if n == 0 {
                out.known.push(e.id);
                continue;
            }
            out.stored.push(e.id);
            let ended = matches!(e.data, EventData::Disconnect(_)).then_some(e.ts.0);
            match session_index.get(&e.session) {
                Some(&i) => {
                    let s = &mut sessions[i].1;
                    s.started = s.started.min(e.ts.0);
                    s.last = s.last.max(e.ts.0);
                    s.ended = s.ended.or(ended);
                    s.events += 1;
                    s.synthetic &= e.synthetic;
                }
                None => {
                    session_index.insert(e.session, sessions.len());
                    sessions.push((
                        e.session,
                        SessionAgg {
                            ip: ip_key(e.src_ip),
                            sensor: e.sensor.clone(),
                            protocol: e.protocol.as_str().to_owned(),
                            started: e.ts.0,
                            last: e.ts.0,
                            ended,
                            events: 1,
                            synthetic: e.synthetic,
                        },
                    ));
                }
            }
        }
    }

    let mut ips: BTreeMap<String, IpAgg> = BTreeMap::new();
    let mut protocols: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO sessions
               (id, ip, sensor, protocol, started, last, ended, events, synthetic, received)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        // New events undo an idle close: the session is open again, or ends at the real
        // disconnect if they hold it. (SET expressions all read the row as it was.)
        let mut update = tx.prepare_cached(
            "UPDATE sessions SET started = MIN(started, ?2), last = MAX(last, ?3),
                 ended = CASE
                     WHEN ?4 IS NULL THEN CASE WHEN idle_closed THEN NULL ELSE ended END
                     WHEN ended IS NULL OR idle_closed THEN ?4
                     ELSE MAX(ended, ?4) END,
                 idle_closed = 0, received = ?7,
                 events = events + ?5, synthetic = synthetic AND ?6
             WHERE id = ?1 RETURNING ip, protocol",
        )?;
        for (id, s) in &sessions {
            let new = insert.execute(params![
                id.as_bytes().as_slice(),
                s.ip,
                s.sensor,
                s.protocol,
                s.started,
                s.last,
                s.ended,
                s.events,
                s.synthetic,
                now
            ])? == 1;
            // A session keeps the IP and protocol of its first event.
            let (ip, protocol) = if new {
                (s.ip.clone(), s.protocol.clone())
            } else {
                reopen(&tx, id)?;
                update.query_row(
                    params![
                        id.as_bytes().as_slice(),
                        s.started,
                        s.last,
                        s.ended,
                        s.events,
                        s.synthetic,
                        now
                    ],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                )?
            };
            if s.ended.is_some() {
                out.closed_sessions.push(*id);
            }
            let agg = ips.entry(ip.clone()).or_insert_with(|| IpAgg {
                first: s.started,
                last: s.last,
                synthetic: true,
                ..IpAgg::default()
            });
            agg.first = agg.first.min(s.started);
            agg.last = agg.last.max(s.last);
            agg.events += s.events;
            agg.new_sessions += i64::from(new);
            agg.synthetic &= s.synthetic;
            let p = protocols.entry((ip, protocol)).or_default();
            p.0 += i64::from(new);
            p.1 += s.events;
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT OR IGNORE INTO ips (ip, first_seen, last_seen, sessions, events, synthetic, generation)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
        )?;
        let mut update = tx.prepare_cached(
            "UPDATE ips SET first_seen = MIN(first_seen, ?2), last_seen = MAX(last_seen, ?3),
                 sessions = sessions + ?4, events = events + ?5, synthetic = synthetic AND ?6
             WHERE ip = ?1",
        )?;
        for (ip, a) in &ips {
            let args = params![ip, a.first, a.last, a.new_sessions, a.events, a.synthetic];
            if insert.execute(args)? == 1 {
                out.new_ips.push(parse_ip(ip)?);
            } else {
                update.execute(args)?;
            }
        }
        let mut proto = tx.prepare_cached(
            "INSERT INTO ip_protocols (ip, protocol, sessions, events) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (ip, protocol) DO UPDATE SET
                 sessions = sessions + excluded.sessions, events = events + excluded.events",
        )?;
        for ((ip, protocol), (s, e)) in &protocols {
            proto.execute(params![ip, protocol, s, e])?;
        }
    }
    tx.commit()?;
    Ok(out)
}

/// Takes a classified session's verdict back out of its IP's counts and marks the session
/// pending, because new events arrived for it: the verdict must cover every event.
fn reopen(tx: &rusqlite::Transaction<'_>, id: &Uuid) -> Result<()> {
    let verdict = tx
        .prepare_cached(
            "SELECT ip, behavior, primitives FROM sessions WHERE id = ?1 AND classified = 1",
        )?
        .query_row(params![id.as_bytes().as_slice()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })
        .optional()?;
    let Some((ip, behavior, primitives)) = verdict else {
        return Ok(());
    };
    let primitives: Vec<String> = match primitives {
        Some(json) => serde_json::from_str(&json).map_err(|e| {
            StoreError::Corrupt(format!("stored primitive set of session {id}: {e}"))
        })?,
        None => Vec::new(),
    };
    if let Some(b) = &behavior {
        tx.prepare_cached(
            "UPDATE ip_behaviors SET sessions = sessions - 1 WHERE ip = ?1 AND behavior = ?2",
        )?
        .execute(params![ip, b])?;
        tx.prepare_cached(
            "DELETE FROM ip_behaviors WHERE ip = ?1 AND behavior = ?2 AND sessions <= 0",
        )?
        .execute(params![ip, b])?;
    }
    for p in &primitives {
        tx.prepare_cached(
            "UPDATE ip_primitives SET sessions = sessions - 1 WHERE ip = ?1 AND primitive = ?2",
        )?
        .execute(params![ip, p])?;
        tx.prepare_cached(
            "DELETE FROM ip_primitives WHERE ip = ?1 AND primitive = ?2 AND sessions <= 0",
        )?
        .execute(params![ip, p])?;
    }
    let was_unclassified = behavior.is_none() && !primitives.is_empty();
    tx.prepare_cached(
        "UPDATE ips SET generation = generation + 1,
             unclassified = MAX(unclassified - ?2, 0) WHERE ip = ?1",
    )?
    .execute(params![ip, i64::from(was_unclassified)])?;
    tx.prepare_cached(
        "UPDATE sessions SET classified = 0, behavior = NULL, primitives = NULL WHERE id = ?1",
    )?
    .execute(params![id.as_bytes().as_slice()])?;
    Ok(())
}

/// Closes open sessions with nothing received since `received_before` (µs, store clock).
pub(super) fn close_idle_sessions(conn: &mut Connection, received_before: i64) -> Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let n = tx.execute(
        "UPDATE sessions SET ended = last, idle_closed = 1
         WHERE ended IS NULL AND received < ?1",
        params![received_before],
    )?;
    tx.commit()?;
    Ok(n as u64)
}

pub(super) fn session_events(
    conn: &Connection,
    sessions: &[Uuid],
) -> Result<Vec<(Uuid, Vec<Event>)>> {
    let mut stmt =
        conn.prepare_cached("SELECT body FROM events WHERE session = ?1 ORDER BY ts, seq")?;
    let mut out = Vec::with_capacity(sessions.len());
    for s in sessions {
        let rows = stmt.query_map(params![s.as_bytes().as_slice()], |r| r.get::<_, Vec<u8>>(0))?;
        let mut events = Vec::new();
        for body in rows {
            let body = body?;
            events.push(serde_json::from_slice::<Event>(&body).map_err(|e| {
                StoreError::Corrupt(format!("stored event of session {s} does not parse: {e}"))
            })?);
        }
        out.push((*s, events));
    }
    Ok(out)
}

pub(super) fn pending_sessions(conn: &Connection, limit: usize) -> Result<Vec<SessionRecord>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, ip, sensor, protocol, started, last, ended, events, synthetic FROM sessions
         WHERE ended IS NOT NULL AND classified = 0 ORDER BY ended LIMIT ?1",
    )?;
    let rows = stmt.query_map(params![limit as i64], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, i64>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, Option<i64>>(6)?,
            r.get::<_, i64>(7)?,
            r.get::<_, bool>(8)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, ip, sensor, protocol, started, last, ended, events, synthetic) = row?;
        out.push(SessionRecord {
            id: parse_uuid(&id)?,
            ip: parse_ip(&ip)?,
            sensor,
            protocol,
            started: Timestamp(started),
            last: Timestamp(last),
            ended: ended.map(Timestamp),
            events: events as u64,
            synthetic,
        });
    }
    Ok(out)
}

pub(super) fn record_classifications(
    conn: &mut Connection,
    items: Vec<Classified>,
) -> Result<usize> {
    let mut recorded = 0;
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    {
        let mut mark = tx.prepare_cached(
            "UPDATE sessions SET classified = 1, behavior = ?2, primitives = ?3
             WHERE id = ?1 AND classified = 0 AND events = ?4",
        )?;
        let mut behavior = tx.prepare_cached(
            "INSERT INTO ip_behaviors (ip, behavior, sessions) VALUES (?1, ?2, 1)
             ON CONFLICT (ip, behavior) DO UPDATE SET sessions = sessions + 1",
        )?;
        let mut primitive = tx.prepare_cached(
            "INSERT INTO ip_primitives (ip, primitive, sessions) VALUES (?1, ?2, 1)
             ON CONFLICT (ip, primitive) DO UPDATE SET sessions = sessions + 1",
        )?;
        let mut touch = tx.prepare_cached(
            "UPDATE ips SET generation = generation + 1, unclassified = unclassified + ?2
             WHERE ip = ?1",
        )?;
        for c in items {
            let primitives = serde_json::to_string(&c.primitives)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if mark.execute(params![
                c.session.as_bytes().as_slice(),
                c.behavior,
                primitives,
                c.events as i64
            ])? == 0
            {
                continue;
            }
            recorded += 1;
            let ip = ip_key(c.ip);
            if let Some(b) = &c.behavior {
                behavior.execute(params![ip, b])?;
            }
            for p in &c.primitives {
                primitive.execute(params![ip, p])?;
            }
            let unclassified = c.behavior.is_none() && !c.primitives.is_empty();
            touch.execute(params![ip, i64::from(unclassified)])?;
        }
    }
    tx.commit()?;
    Ok(recorded)
}

pub(super) fn unclassified_primitive_sets(conn: &Connection) -> Result<Vec<(Vec<String>, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT primitives, COUNT(*) FROM sessions
         WHERE classified = 1 AND behavior IS NULL AND primitives IS NOT NULL AND primitives != '[]'
         GROUP BY primitives",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (json, n) = row?;
        let set: Vec<String> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("stored primitive set {json:?}: {e}")))?;
        out.push((set, n as u64));
    }
    Ok(out)
}

pub(super) fn reset_classifications(conn: &mut Connection) -> Result<u64> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "DELETE FROM ip_behaviors;
         DELETE FROM ip_primitives;
         UPDATE ips SET unclassified = 0, generation = generation + 1;
         UPDATE sessions SET classified = 0, behavior = NULL, primitives = NULL
             WHERE classified = 1;",
    )?;
    let pending: i64 = tx.query_row(
        "SELECT COUNT(*) FROM sessions WHERE ended IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    tx.commit()?;
    Ok(pending as u64)
}

pub(super) fn dirty_ips(conn: &Connection, limit: usize) -> Result<Vec<IpRecord>> {
    let keys: Vec<String> = conn
        .prepare_cached("SELECT ip FROM ips WHERE generation > published_generation LIMIT ?1")?
        .query_map(params![limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        if let Some(r) = ip_record(conn, &k)? {
            out.push(r);
        }
    }
    Ok(out)
}

pub(super) fn ip_record(conn: &Connection, ip: &str) -> Result<Option<IpRecord>> {
    let base = conn
        .prepare_cached(
            "SELECT first_seen, last_seen, sessions, events, unclassified, synthetic, confidence,
                    generation
             FROM ips WHERE ip = ?1",
        )?
        .query_row(params![ip], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, bool>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, i64>(7)?,
            ))
        })
        .optional()?;
    let Some((first, last, sessions, events, unclassified, synthetic, confidence, generation)) =
        base
    else {
        return Ok(None);
    };
    let protocols = conn
        .prepare_cached(
            "SELECT protocol, sessions, events FROM ip_protocols WHERE ip = ?1 ORDER BY protocol",
        )?
        .query_map(params![ip], |r| {
            Ok(ProtocolCount {
                protocol: r.get(0)?,
                sessions: r.get::<_, i64>(1)? as u64,
                events: r.get::<_, i64>(2)? as u64,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let counts = |sql: &str| -> Result<BTreeMap<String, u64>> {
        Ok(conn
            .prepare_cached(sql)?
            .query_map(params![ip], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<_>>()?)
    };
    Ok(Some(IpRecord {
        ip: parse_ip(ip)?,
        first_seen: Timestamp(first),
        last_seen: Timestamp(last),
        sessions: sessions as u64,
        events: events as u64,
        unclassified: unclassified as u64,
        synthetic,
        protocols,
        behaviors: counts("SELECT behavior, sessions FROM ip_behaviors WHERE ip = ?1")?,
        primitives: counts("SELECT primitive, sessions FROM ip_primitives WHERE ip = ?1")?,
        confidence: confidence.map(|c| c.clamp(0, 100) as u8),
        generation,
    }))
}
