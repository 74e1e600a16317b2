//! sikker's storage: the [`Store`] interface and its embedded SQLite backend.
//!
//! What is kept:
//! - raw events, append-only, deduplicated by event id (at-least-once delivery upstream);
//! - sessions (one per connection) and whether they have been classified; new events for a
//!   classified session take its classification back out of the IP's counts and make it
//!   pending again, so a verdict always covers every stored event of its session;
//! - per-IP aggregates (first/last seen, counts, protocols, behaviors, primitives, score);
//! - API keys and sensor tokens, by SHA-256 hash only;
//! - the feed's version log: per object version, its inputs, `created`, `modified` and the
//!   TAXII `date_added`, strictly increasing per collection in whole milliseconds.
//!
//! Work that must not be lost between steps is marked in the data itself: a closed session
//! not yet classified, an IP touched since its last publication. A crash between steps leaves
//! those marks, and the next pass finishes the work.
//!
//! Invariant: this crate knows nothing of HTTP, of STIX rendering or of matching rules; it
//! stores bytes and counts. The interface is async and object-safe so that a PostgreSQL
//! backend can follow without touching callers.

pub mod sqlite;
mod types;

pub use sqlite::{DateAddedPolicy, SqliteOptions, SqliteStore};
pub use types::*;

use async_trait::async_trait;
use sikker_event::Event;
use std::net::IpAddr;
use uuid::Uuid;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is not what it should be: {0}")]
    Corrupt(String),
    #[error("the data directory {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database schema version {found} is newer than this build understands ({known})")]
    TooNew { found: i64, known: i64 },
    #[error("background task failed: {0}")]
    Task(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Everything central keeps. One implementation per backend.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The secret that signs pagination cursors; made once, kept forever.
    async fn cursor_secret(&self) -> Result<[u8; 32]>;

    // --- keys
    async fn insert_key(&self, key: KeyRecord) -> Result<()>;
    async fn key_by_hash(&self, hash: [u8; 32]) -> Result<Option<KeyRecord>>;
    async fn count_keys(&self, role: KeyRole) -> Result<u64>;

    // --- ingest
    /// Appends events not seen before and updates sessions and IP aggregates, in one
    /// transaction. Events already stored are reported as known and change nothing.
    async fn append_events(&self, events: Vec<Event>) -> Result<AppendOutcome>;
    /// All stored events of these sessions, each session's in time order.
    async fn session_events(&self, sessions: Vec<Uuid>) -> Result<Vec<(Uuid, Vec<Event>)>>;
    /// Closes every open session for which no event has arrived for `idle` (by the store's
    /// clock, not the events' times), as if it had disconnected at its last event: a sensor
    /// that crashed or lost its spool never sends the disconnect. Events arriving later take
    /// the session back out (open again, or pending if they hold the disconnect). Returns
    /// how many closed.
    async fn close_idle_sessions(&self, idle: std::time::Duration) -> Result<u64>;
    /// Closed sessions not yet classified, oldest first.
    async fn pending_sessions(&self, limit: usize) -> Result<Vec<SessionRecord>>;
    /// Records classifications and counts them into the IPs; a session already classified
    /// is left as it is, so replays change nothing, and so is one with more events stored
    /// than the verdict saw. Returns how many were recorded.
    async fn record_classifications(&self, items: Vec<Classified>) -> Result<usize>;
    /// Primitive sets of classified sessions that matched primitives but no behavior, with
    /// how many sessions showed each set: the editors' queue.
    async fn unclassified_primitive_sets(&self) -> Result<Vec<(Vec<String>, u64)>>;
    /// Forgets every classification (for reclassification with a new catalog) and marks every
    /// closed session pending again. Returns how many sessions are pending.
    async fn reset_classifications(&self) -> Result<u64>;

    // --- IPs
    /// IPs touched since their last publication.
    async fn dirty_ips(&self, limit: usize) -> Result<Vec<IpRecord>>;
    async fn ip_record(&self, ip: IpAddr) -> Result<Option<IpRecord>>;

    // --- feed
    /// Appends a new version for each publication whose inputs differ from the object's
    /// latest version, and records the IP's score. Returns how many versions were added.
    async fn publish(&self, items: Vec<Publication>) -> Result<usize>;
    /// One page of the version log, in (date_added, object_id) order.
    async fn feed_page(&self, query: FeedQuery) -> Result<FeedPage>;
    /// Whether any version of this object exists.
    async fn object_exists(&self, object_id: String) -> Result<bool>;
    /// Counts for operators and tests.
    async fn stats(&self) -> Result<StoreStats>;
}
