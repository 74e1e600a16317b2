//! One connection's recorder: it stamps every event with the session's identity, hands it to
//! the spool, and keeps the counters and the stage the deadlines are judged by.

use crate::spool::{Spool, SpoolError};
use sikker_event::{Event, EventData, Protocol, RawBytes};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// How far a session has got; the watchdog applies the pre-auth and auth deadlines by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Stage {
    /// Connected; the protocol has not reached authentication yet.
    Connected = 0,
    /// The client is authenticating.
    Authenticating = 1,
    /// Logged in (or a protocol without login is being spoken).
    Authenticated = 2,
}

/// Counters shared between the recording stream, the protocol and the watchdog.
#[derive(Debug)]
pub struct Activity {
    pub started: Instant,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Milliseconds since `started` at the last byte in either direction.
    pub last_active_ms: AtomicU64,
    stage: AtomicU8,
}

impl Activity {
    pub(crate) fn new() -> Activity {
        Activity {
            started: Instant::now(),
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            last_active_ms: AtomicU64::new(0),
            stage: AtomicU8::new(Stage::Connected as u8),
        }
    }

    pub(crate) fn touch(&self) {
        let ms = self.started.elapsed().as_millis() as u64;
        self.last_active_ms.store(ms, Ordering::Relaxed);
    }

    /// Moves the stage forward (never back).
    pub(crate) fn advance(&self, stage: Stage) {
        self.stage.fetch_max(stage as u8, Ordering::Relaxed);
    }

    pub fn stage(&self) -> Stage {
        match self.stage.load(Ordering::Relaxed) {
            0 => Stage::Connected,
            1 => Stage::Authenticating,
            _ => Stage::Authenticated,
        }
    }
}

/// The identity and recorder of one session. Cheap to clone.
#[derive(Clone)]
pub struct SessionRecorder {
    inner: Arc<Inner>,
}

struct Inner {
    sensor: Arc<str>,
    id: Uuid,
    protocol: Protocol,
    peer: SocketAddr,
    local_port: u16,
    spool: Spool,
    activity: Arc<Activity>,
    chunk: usize,
}

impl SessionRecorder {
    pub(crate) fn new(
        sensor: Arc<str>,
        protocol: Protocol,
        peer: SocketAddr,
        local_port: u16,
        spool: Spool,
        chunk: usize,
    ) -> SessionRecorder {
        SessionRecorder {
            inner: Arc::new(Inner {
                sensor,
                id: Uuid::now_v7(),
                protocol,
                peer,
                local_port,
                spool,
                activity: Arc::new(Activity::new()),
                chunk: chunk.max(1),
            }),
        }
    }

    pub fn id(&self) -> Uuid {
        self.inner.id
    }

    pub fn peer(&self) -> SocketAddr {
        self.inner.peer
    }

    pub fn protocol(&self) -> Protocol {
        self.inner.protocol
    }

    pub fn activity(&self) -> &Arc<Activity> {
        &self.inner.activity
    }

    /// Moves the session forward (never back) for the deadlines.
    pub fn set_stage(&self, stage: Stage) {
        self.inner.activity.advance(stage);
    }

    pub fn event(&self, data: EventData) -> Event {
        let i = &self.inner;
        Event::new(
            &i.sensor,
            i.id,
            i.protocol,
            i.peer.ip(),
            i.peer.port(),
            i.local_port,
            data,
        )
    }

    /// Records an event and waits until it is durable. A spool failure is logged, not fatal:
    /// the honeypot keeps answering.
    pub async fn record(&self, data: EventData) {
        let event = self.event(data);
        if let Err(e) = self.inner.spool.append(&event).await {
            log_spool_error(&e);
        }
    }

    /// Records without waiting; ordered before any later [`SessionRecorder::record`].
    pub fn record_nowait(&self, data: EventData) {
        let event = self.event(data);
        if let Err(e) = self.inner.spool.enqueue(&event) {
            log_spool_error(&e);
        }
    }

    /// Raw bytes from the attacker, split into events of at most the configured chunk.
    pub fn record_input(&self, bytes: &[u8]) {
        for chunk in bytes.chunks(self.inner.chunk) {
            self.record_nowait(EventData::Input {
                data: RawBytes(chunk.to_vec()),
            });
        }
    }

    /// Raw bytes sent to the attacker.
    pub fn record_output(&self, bytes: &[u8]) {
        for chunk in bytes.chunks(self.inner.chunk) {
            self.record_nowait(EventData::Output {
                data: RawBytes(chunk.to_vec()),
            });
        }
    }
}

fn log_spool_error(e: &SpoolError) {
    tracing::error!("event not spooled: {e}");
}
