//! One connection's recorder: it stamps every event with the session's identity, hands it to
//! the spool, and keeps the counters and the stage the deadlines are judged by.

use crate::spool::{Spool, SpoolError};
use sikker_event::{Event, EventData, Protocol, RawBytes, Timestamp};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Instant;
use uuid::Uuid;

/// The last id's Unix milliseconds and sequence number, as `ms << 12 | seq`.
static LAST_ID: AtomicU64 = AtomicU64::new(0);

/// A UUIDv7 for a session or an event, stamped `at` (microseconds since the epoch). Ids from
/// this process increase, as `Uuid::now_v7`'s do (a 12-bit sequence within a millisecond),
/// but the random bits come from the thread's generator: `now_v7` asks the kernel for them,
/// two system calls per event.
pub(crate) fn new_id(at: Timestamp) -> Uuid {
    let floor = (at.millis().max(0) as u64) << 12;
    let mut last = LAST_ID.load(Ordering::Relaxed);
    let stamp = loop {
        let next = floor.max(last + 1);
        match LAST_ID.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => break next,
            Err(seen) => last = seen,
        }
    };
    let mut bits: [u8; 10] = rand::random();
    // The sequence fills the 12 bits after the version (the builder sets version and variant).
    bits[0] = (stamp >> 8 & 0x0f) as u8;
    bits[1] = stamp as u8;
    uuid::Builder::from_unix_timestamp_millis(stamp >> 12, &bits).into_uuid()
}

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
                id: new_id(Timestamp::now()),
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
        let ts = Timestamp::now();
        Event {
            id: new_id(ts),
            sensor: i.sensor.to_string(),
            session: i.id,
            ts,
            protocol: i.protocol,
            src_ip: i.peer.ip(),
            src_port: i.peer.port(),
            dst_port: i.local_port,
            synthetic: false,
            data,
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_v7_stamped_and_increasing() {
        let at = Timestamp::now();
        let ids: Vec<Uuid> = (0..10_000).map(|_| new_id(at)).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        for id in [ids[0], ids[9_999]] {
            assert_eq!(id.get_version_num(), 7);
            assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        }
        // 10,000 ids overflow one millisecond's 4,096 sequence numbers into the next ones.
        let (secs, nanos) = ids[0].get_timestamp().expect("a v7 timestamp").to_unix();
        let ms = secs as i64 * 1_000 + i64::from(nanos) / 1_000_000;
        assert!(ms >= at.millis() && ms < at.millis() + 1_000);
        // An earlier clock reading never makes a smaller id.
        let earlier = new_id(Timestamp::from_micros(at.micros() - 60_000_000));
        assert!(earlier > ids[9_999]);
    }
}
