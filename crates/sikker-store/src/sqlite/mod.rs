//! The embedded backend: one SQLite file in WAL mode, one writer connection, a small pool of
//! readers. Every call runs on tokio's blocking pool so the async server never stalls on disk.

mod feed;
mod ingest;
mod schema;

use crate::{
    AppendOutcome, Classified, FeedPage, FeedQuery, IpRecord, KeyRecord, KeyRole, Publication,
    Result, SessionRecord, Store, StoreError, StoreStats,
};
use async_trait::async_trait;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension};
use sikker_event::{Event, Timestamp};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// How `date_added` is assigned to new versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateAddedPolicy {
    /// Whole milliseconds, strictly increasing per collection: `max(now, last + 1 ms)`.
    /// Unique, so no page boundary can split equal values, and exact for clients that keep
    /// only milliseconds. Under bursts above 1,000 versions a second it runs ahead of the wall
    /// clock, which is safe: a poller resuming from the wall clock sees those versions again
    /// rather than missing them.
    StrictMillis,
    /// Whole milliseconds of the wall clock, possibly repeating (what several writers without
    /// coordination would produce). Kept so the reader's equal-timestamp rule can be tested.
    WallClockMillis,
}

/// A source of "now" in microseconds; replaceable in tests.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

#[derive(Clone)]
pub struct SqliteOptions {
    pub date_added: DateAddedPolicy,
    pub clock: Clock,
    /// fsync every commit (`synchronous=FULL`): an acknowledged batch survives power loss.
    pub durable: bool,
    /// Reader connections kept open.
    pub readers: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            date_added: DateAddedPolicy::StrictMillis,
            clock: Arc::new(|| Timestamp::now().0),
            durable: true,
            readers: 4,
        }
    }
}

impl std::fmt::Debug for SqliteOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteOptions")
            .field("date_added", &self.date_added)
            .field("durable", &self.durable)
            .field("readers", &self.readers)
            .finish()
    }
}

/// The writer connection and the state only the writer may touch.
struct Writer {
    conn: Connection,
    /// The last date_added handed out (µs).
    last_date_added: i64,
}

struct Inner {
    path: PathBuf,
    options: SqliteOptions,
    writer: Mutex<Writer>,
    readers: Mutex<Vec<Connection>>,
}

/// The SQLite store. Cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

const DB_FILE: &str = "sikker.db";

impl SqliteStore {
    /// Opens (creating if needed) the store in `dir`, migrating it to this build's schema.
    pub fn open(dir: &Path, options: SqliteOptions) -> Result<SqliteStore> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        let path = dir.join(DB_FILE);
        let mut conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(
            None,
            "synchronous",
            if options.durable { "FULL" } else { "NORMAL" },
        )?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Checkpoint every ~32 MB of WAL rather than every 4 MB: fewer, larger copies.
        conn.pragma_update(None, "wal_autocheckpoint", 8_192)?;
        migrate(&mut conn)?;
        let secret: Option<Vec<u8>> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'cursor_secret'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if secret.is_none() {
            let fresh: [u8; 32] = rand::random();
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('cursor_secret', ?1)",
                params![fresh.to_vec()],
            )?;
        }
        let last_date_added: i64 =
            conn.query_row("SELECT COALESCE(MAX(date_added), 0) FROM feed", [], |r| {
                r.get(0)
            })?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                options,
                writer: Mutex::new(Writer {
                    conn,
                    last_date_added,
                }),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// Runs `f` on the writer connection on the blocking pool.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Writer, &SqliteOptions) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let mut w = inner
                .writer
                .lock()
                .map_err(|_| StoreError::Task("writer lock poisoned".into()))?;
            f(&mut w, &inner.options)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Runs `f` on a reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let conn = inner.take_reader()?;
            let out = f(&conn);
            inner.give_reader(conn);
            out
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

impl Inner {
    fn take_reader(&self) -> Result<Connection> {
        if let Some(c) = self.readers.lock().ok().and_then(|mut r| r.pop()) {
            return Ok(c);
        }
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(conn)
    }

    fn give_reader(&self, conn: Connection) {
        if let Ok(mut r) = self.readers.lock() {
            if r.len() < self.options.readers {
                r.push(conn);
            }
        }
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let known = schema::MIGRATIONS.len() as i64;
    if version > known {
        return Err(StoreError::TooNew {
            found: version,
            known,
        });
    }
    for (i, sql) in schema::MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

pub(crate) fn ip_key(ip: IpAddr) -> String {
    sikker_event::canonical_ip(ip).to_string()
}

pub(crate) fn parse_ip(s: &str) -> Result<IpAddr> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("stored IP {s:?} does not parse")))
}

pub(crate) fn parse_uuid(b: &[u8]) -> Result<Uuid> {
    Uuid::from_slice(b).map_err(|_| StoreError::Corrupt("stored UUID is not 16 bytes".into()))
}

#[async_trait]
impl Store for SqliteStore {
    async fn cursor_secret(&self) -> Result<[u8; 32]> {
        self.read(|c| {
            let v: Vec<u8> = c.query_row(
                "SELECT value FROM meta WHERE key = 'cursor_secret'",
                [],
                |r| r.get(0),
            )?;
            v.try_into()
                .map_err(|_| StoreError::Corrupt("cursor secret is not 32 bytes".into()))
        })
        .await
    }

    async fn insert_key(&self, key: KeyRecord) -> Result<()> {
        self.write(move |w, _| {
            w.conn.execute(
                "INSERT INTO api_keys (hash, prefix, name, tier, role, created, disabled)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    key.hash.to_vec(),
                    key.prefix,
                    key.name,
                    key.tier,
                    key.role.as_str(),
                    key.created.0,
                    key.disabled
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn key_by_hash(&self, hash: [u8; 32]) -> Result<Option<KeyRecord>> {
        self.read(move |c| {
            let row = c
                .prepare_cached(
                    "SELECT prefix, name, tier, role, created, disabled FROM api_keys WHERE hash = ?1",
                )?
                .query_row(params![hash.to_vec()], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, bool>(5)?,
                    ))
                })
                .optional()?;
            row.map(|(prefix, name, tier, role, created, disabled)| {
                Ok(KeyRecord {
                    hash,
                    prefix,
                    name,
                    tier,
                    role: KeyRole::parse(&role)
                        .ok_or_else(|| StoreError::Corrupt(format!("unknown key role {role:?}")))?,
                    created: Timestamp(created),
                    disabled,
                })
            })
            .transpose()
        })
        .await
    }

    async fn count_keys(&self, role: KeyRole) -> Result<u64> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT COUNT(*) FROM api_keys WHERE role = ?1",
                params![role.as_str()],
                |r| r.get::<_, i64>(0),
            )? as u64)
        })
        .await
    }

    async fn append_events(&self, events: Vec<Event>) -> Result<AppendOutcome> {
        self.write(move |w, o| ingest::append_events(&mut w.conn, events, (o.clock)()))
            .await
    }

    async fn session_events(&self, sessions: Vec<Uuid>) -> Result<Vec<(Uuid, Vec<Event>)>> {
        self.read(move |c| ingest::session_events(c, &sessions))
            .await
    }

    async fn close_idle_sessions(&self, idle: std::time::Duration) -> Result<u64> {
        self.write(move |w, o| {
            let idle = i64::try_from(idle.as_micros()).unwrap_or(i64::MAX);
            ingest::close_idle_sessions(&mut w.conn, (o.clock)().saturating_sub(idle))
        })
        .await
    }

    async fn pending_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>> {
        self.read(move |c| ingest::pending_sessions(c, limit)).await
    }

    async fn record_classifications(&self, items: Vec<Classified>) -> Result<usize> {
        self.write(move |w, _| ingest::record_classifications(&mut w.conn, items))
            .await
    }

    async fn unclassified_primitive_sets(&self) -> Result<Vec<(Vec<String>, u64)>> {
        self.read(ingest::unclassified_primitive_sets).await
    }

    async fn reset_classifications(&self) -> Result<u64> {
        self.write(|w, _| ingest::reset_classifications(&mut w.conn))
            .await
    }

    async fn dirty_ips(&self, limit: usize) -> Result<Vec<IpRecord>> {
        self.read(move |c| ingest::dirty_ips(c, limit)).await
    }

    async fn ip_record(&self, ip: IpAddr) -> Result<Option<IpRecord>> {
        self.read(move |c| ingest::ip_record(c, &ip_key(ip))).await
    }

    async fn publish(&self, items: Vec<Publication>) -> Result<usize> {
        self.write(move |w, o| feed::publish(w, o, items)).await
    }

    async fn feed_page(&self, query: FeedQuery) -> Result<FeedPage> {
        self.read(move |c| feed::page(c, &query)).await
    }

    async fn object_exists(&self, object_id: String) -> Result<bool> {
        self.read(move |c| {
            Ok(
                c.prepare_cached("SELECT 1 FROM feed WHERE object_id = ?1 LIMIT 1")?
                    .query_row(params![object_id], |_| Ok(()))
                    .optional()?
                    .is_some(),
            )
        })
        .await
    }

    async fn stats(&self) -> Result<StoreStats> {
        self.read(|c| {
            let count = |sql: &str| -> Result<u64> {
                Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))? as u64)
            };
            Ok(StoreStats {
                events: count("SELECT COUNT(*) FROM events")?,
                sessions: count("SELECT COUNT(*) FROM sessions")?,
                ips: count("SELECT COUNT(*) FROM ips")?,
                feed_versions: count("SELECT COUNT(*) FROM feed")?,
                feed_objects: count("SELECT COUNT(*) FROM feed WHERE latest = 1")?,
            })
        })
        .await
    }
}
