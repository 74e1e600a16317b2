//! The feed's version log: publishing versions and reading pages of it.

use super::{ip_key, DateAddedPolicy, SqliteOptions, Writer};
use crate::{FeedPage, FeedQuery, FeedRow, Publication, Result};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};
use sikker_event::Timestamp;

const MS: i64 = 1_000;

fn whole_ms(us: i64) -> i64 {
    us.div_euclid(MS) * MS
}

/// The next `date_added` under the policy, in microseconds with sub-millisecond zeros.
fn next_date_added(last: &mut i64, options: &SqliteOptions) -> i64 {
    let now = whole_ms((options.clock)());
    let next = match options.date_added {
        DateAddedPolicy::StrictMillis => now.max(*last + MS),
        DateAddedPolicy::WallClockMillis => now,
    };
    *last = (*last).max(next);
    next
}

pub(super) fn publish(
    w: &mut Writer,
    options: &SqliteOptions,
    items: Vec<Publication>,
) -> Result<usize> {
    // IMMEDIATE: take the write lock before reading, so another process writing the same
    // file (simulate or catalog apply beside a running serve) cannot interleave. The last
    // date_added is read inside the transaction for the same reason; the clock advances only
    // if the transaction commits.
    let tx = w
        .conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let stored_last: i64 =
        tx.query_row("SELECT COALESCE(MAX(date_added), 0) FROM feed", [], |r| {
            r.get(0)
        })?;
    let mut last = w.last_date_added.max(stored_last);
    let mut added = 0;
    {
        let mut latest = tx.prepare_cached(
            "SELECT created, modified, inputs FROM feed WHERE object_id = ?1 AND latest = 1",
        )?;
        let mut retire =
            tx.prepare_cached("UPDATE feed SET latest = 0 WHERE object_id = ?1 AND latest = 1")?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO feed (date_added, object_id, kind, created, modified, first, latest, inputs, object)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8)",
        )?;
        let mut score = tx.prepare_cached(
            "UPDATE ips SET confidence = ?2, published_generation = MAX(published_generation, ?3)
             WHERE ip = ?1",
        )?;
        for p in &items {
            let prev = latest
                .query_row(params![p.object_id], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .optional()?;
            let changed = prev
                .as_ref()
                .is_none_or(|(_, _, inputs)| *inputs != p.inputs);
            if changed {
                let date_added = next_date_added(&mut last, options);
                let now = whole_ms((options.clock)());
                let (created, modified) = match (p.fixed_times, &prev) {
                    (Some((c, m)), _) => (c.0, m.0),
                    (None, Some((created, modified, _))) => (*created, now.max(modified + MS)),
                    (None, None) => (now, now),
                };
                retire.execute(params![p.object_id])?;
                insert.execute(params![
                    date_added,
                    p.object_id,
                    p.kind,
                    created,
                    modified,
                    prev.is_none(),
                    p.inputs,
                    p.render
                        .as_ref()
                        .map(|r| (r.0)(Timestamp(created), Timestamp(modified)))
                ])?;
                added += 1;
            }
            if let Some(ip) = &p.ip {
                score.execute(params![
                    ip_key(ip.ip),
                    i64::from(ip.confidence),
                    ip.generation
                ])?;
            }
        }
    }
    tx.commit()?;
    w.last_date_added = last;
    Ok(added)
}

/// One page in (date_added, object_id) order. A page never ends inside a run of equal
/// `date_added` values unless that run alone is longer than the page; the cursor is the
/// (date_added, object_id) pair, so even then nothing is skipped or repeated.
pub(super) fn page(conn: &Connection, q: &FeedQuery) -> Result<FeedPage> {
    let mut sql = String::from(if q.with_objects {
        "SELECT date_added, object_id, kind, created, modified, object,
                CASE WHEN object IS NULL THEN inputs ELSE x'' END
         FROM feed WHERE 1 = 1"
    } else {
        "SELECT date_added, object_id, kind, created, modified, NULL, x''
         FROM feed WHERE 1 = 1"
    });
    let mut args: Vec<Value> = Vec::new();
    let v = &q.versions;
    if !v.all {
        let mut alternatives: Vec<String> = Vec::new();
        if v.last {
            alternatives.push("latest = 1".into());
        }
        if v.first {
            alternatives.push("first = 1".into());
        }
        if !v.exact.is_empty() {
            alternatives.push(format!("modified IN ({})", placeholders(v.exact.len())));
            args.extend(v.exact.iter().map(|m| Value::Integer(*m)));
        }
        if alternatives.is_empty() {
            return Ok(FeedPage::default());
        }
        sql.push_str(&format!(" AND ({})", alternatives.join(" OR ")));
    }
    if let Some((d, id)) = &q.after {
        sql.push_str(" AND (date_added, object_id) > (?, ?)");
        args.push(Value::Integer(*d));
        args.push(Value::Text(id.clone()));
    }
    if let Some(after) = q.added_after {
        sql.push_str(" AND date_added > ?");
        args.push(Value::Integer(after));
    }
    if !q.ids.is_empty() {
        sql.push_str(&format!(
            " AND object_id IN ({})",
            placeholders(q.ids.len())
        ));
        args.extend(q.ids.iter().map(|i| Value::Text(i.clone())));
    }
    if !q.types.is_empty() {
        sql.push_str(&format!(" AND kind IN ({})", placeholders(q.types.len())));
        args.extend(q.types.iter().map(|t| Value::Text(t.clone())));
    }
    sql.push_str(" ORDER BY date_added, object_id LIMIT ?");
    let limit = q.limit.max(1);
    args.push(Value::Integer(limit as i64 + 1));

    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows: Vec<FeedRow> = stmt
        .query_map(params_from_iter(args), |r| {
            Ok(FeedRow {
                date_added: Timestamp(r.get(0)?),
                object_id: r.get(1)?,
                kind: r.get(2)?,
                created: Timestamp(r.get(3)?),
                modified: Timestamp(r.get(4)?),
                object: r.get(5)?,
                inputs: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit;
    if more {
        let boundary = rows[limit].date_added;
        rows.truncate(limit);
        if rows.last().is_some_and(|r| r.date_added == boundary) {
            let keep = rows.iter().take_while(|r| r.date_added != boundary).count();
            if keep > 0 {
                rows.truncate(keep);
            }
        }
    }
    Ok(FeedPage { rows, more })
}

fn placeholders(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}
