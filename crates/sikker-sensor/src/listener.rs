//! Listeners: one accept loop per address, the limits that guard them, and the recording
//! stream every connection is wrapped in before a protocol sees it.

use crate::config::Limits;
use crate::protocols::{Connection, ProtocolHandler};
use crate::session::{SessionRecorder, Stage};
use crate::spool::Spool;
use sikker_event::{canonical_ip, Disconnect, EventData};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// A byte stream that records what passes through it. Every byte is counted (for the
/// `disconnect` event, the idle deadline and the byte cap); with `capture` on, every read and
/// write also becomes an `input`/`output` event, stamped when it happened. Encrypted protocols
/// turn `capture` off and record the plaintext themselves.
pub struct RecordedStream<S> {
    inner: S,
    session: SessionRecorder,
    capture: bool,
    max_in: u64,
}

impl<S> RecordedStream<S> {
    pub fn new(inner: S, session: SessionRecorder, capture: bool, max_in: u64) -> Self {
        RecordedStream {
            inner,
            session,
            capture,
            max_in,
        }
    }

    pub fn session(&self) -> &SessionRecorder {
        &self.session
    }
}

impl<S> RecordedStream<S> {
    fn over_limit(&self) -> io::Result<()> {
        if self.session.activity().bytes_in.load(Ordering::Relaxed) >= self.max_in {
            return Err(io::Error::other("session byte limit reached"));
        }
        Ok(())
    }

    /// Counts (and with `capture`, records) bytes that were read.
    fn took_in(&self, new: &[u8]) {
        if new.is_empty() {
            return;
        }
        let activity = self.session.activity();
        activity
            .bytes_in
            .fetch_add(new.len() as u64, Ordering::Relaxed);
        activity.touch();
        if self.capture {
            self.session.record_input(new);
        }
    }
}

/// Readiness-then-read for protocols that keep no read buffer while a connection idles (see
/// `protocols::ssh`): counted and recorded like `poll_read`.
impl RecordedStream<TcpStream> {
    pub async fn readable(&self) -> io::Result<()> {
        self.inner.readable().await
    }

    /// Reads what is there into `buf`'s spare capacity without waiting (`WouldBlock` if
    /// nothing is); `Ok(0)` is the end of the stream.
    ///
    /// Through `poll_read`, polled once, rather than `TcpStream::try_read_buf`: after a short
    /// read tokio's `poll_read` marks the socket drained, so the next [`Self::readable`] waits
    /// for new data instead of returning at once into a read that finds nothing (a wasted
    /// `recvfrom` on most reads of a handshake).
    pub async fn try_read_buf(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        let mut read = std::pin::pin!(self.read_buf(buf));
        match std::future::poll_fn(|cx| Poll::Ready(read.as_mut().poll(cx))).await {
            Poll::Ready(result) => result,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for RecordedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.over_limit()?;
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &res {
            this.took_in(&buf.filled()[before..]);
        }
        res
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for RecordedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let res = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &res {
            if *n > 0 {
                let activity = this.session.activity();
                activity.bytes_out.fetch_add(*n as u64, Ordering::Relaxed);
                activity.touch();
                if this.capture {
                    this.session.record_output(&buf[..*n]);
                }
            }
        }
        res
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Concurrent connections per source address.
#[derive(Default)]
pub(crate) struct PerIp {
    counts: Mutex<HashMap<IpAddr, usize>>,
}

pub(crate) struct IpSlot {
    table: Arc<PerIp>,
    ip: IpAddr,
}

impl PerIp {
    fn try_take(table: &Arc<PerIp>, ip: IpAddr, max: usize) -> Option<IpSlot> {
        let mut counts = table.counts.lock().unwrap_or_else(|p| p.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(IpSlot {
            table: table.clone(),
            ip,
        })
    }
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut counts = self.table.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// What every accept loop shares.
pub(crate) struct ListenerShared {
    pub sensor: Arc<str>,
    pub limits: Arc<Limits>,
    pub spool: Spool,
    pub per_ip: Arc<PerIp>,
    pub sessions: Arc<Semaphore>,
    pub shutdown: watch::Receiver<bool>,
}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    handler: Arc<dyn ProtocolHandler>,
    shared: Arc<ListenerShared>,
) {
    let mut shutdown = shared.shutdown.clone();
    // Every connection's local port is the listener's: no `getsockname` per connection.
    let local_port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                // Out of descriptors and the like: back off instead of spinning.
                tracing::warn!("accept on {:?}: {e}", listener.local_addr().ok());
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let peer = SocketAddr::new(canonical_ip(peer.ip()), peer.port());
        let session = SessionRecorder::new(
            shared.sensor.clone(),
            handler.protocol(),
            peer,
            local_port,
            shared.spool.clone(),
            shared.limits.record_chunk_bytes,
        );
        let slot = PerIp::try_take(&shared.per_ip, peer.ip(), shared.limits.connections_per_ip);
        let permit = shared.sessions.clone().try_acquire_owned().ok();
        let (Some(slot), Some(permit)) = (slot, permit) else {
            // Over a limit: the attempt is still evidence, so it is recorded, then dropped.
            session.record_nowait(EventData::Connect);
            session.record_nowait(disconnect(&session, "limit"));
            drop(stream);
            continue;
        };
        let handler = handler.clone();
        let shared = shared.clone();
        tokio::spawn(run_session(stream, session, handler, shared, slot, permit));
    }
}

fn disconnect(session: &SessionRecorder, reason: &str) -> EventData {
    let a = session.activity();
    EventData::Disconnect(Disconnect {
        reason: reason.to_owned(),
        duration_ms: a.started.elapsed().as_millis() as u64,
        bytes_in: a.bytes_in.load(Ordering::Relaxed),
        bytes_out: a.bytes_out.load(Ordering::Relaxed),
    })
}

async fn run_session(
    stream: TcpStream,
    session: SessionRecorder,
    handler: Arc<dyn ProtocolHandler>,
    shared: Arc<ListenerShared>,
    _slot: IpSlot,
    _permit: OwnedSemaphorePermit,
) {
    // TCP_NODELAY comes from the listening socket (see `bind` in lib.rs).
    session.record(EventData::Connect).await;
    let limits = shared.limits.clone();
    let conn = Connection {
        stream: RecordedStream::new(
            stream,
            session.clone(),
            handler.records_wire(),
            limits.session_bytes,
        ),
        session: session.clone(),
    };
    let mut shutdown = shared.shutdown.clone();
    let reason: &str = tokio::select! {
        r = handler.serve(conn) => {
            if session.activity().bytes_in.load(Ordering::Relaxed) >= limits.session_bytes {
                "limit"
            } else {
                r
            }
        }
        r = watchdog(&session, &limits) => r,
        _ = shutdown.changed() => "shutdown",
    };
    session.record(disconnect(&session, reason)).await;
}

/// Resolves with a reason when a deadline passes: pre-auth, auth, idle or the hard cap.
/// Sleeps until the earliest deadline that applies, then looks again (activity or a later
/// stage may have moved it), so an idle session costs one wake-up per deadline, not a timer
/// tick every fraction of a second.
async fn watchdog(session: &SessionRecorder, limits: &Limits) -> &'static str {
    let a = session.activity().clone();
    loop {
        let (due, reason) = next_deadline(&a, limits);
        if due <= a.started.elapsed() {
            return reason;
        }
        tokio::time::sleep_until(tokio::time::Instant::from_std(a.started + due)).await;
    }
}

/// The deadline that applies first, as time since the session started, and its reason.
/// When several have passed, the hard cap wins, then pre-auth, auth and idle.
fn next_deadline(a: &crate::session::Activity, limits: &Limits) -> (Duration, &'static str) {
    let stage = a.stage();
    let idle_at = Duration::from_millis(a.last_active_ms.load(Ordering::Relaxed)) + limits.idle();
    let candidates = [
        Some((limits.session(), "deadline")),
        (stage == Stage::Connected).then(|| (limits.preauth(), "preauth_timeout")),
        (stage < Stage::Authenticated).then(|| (limits.auth(), "auth_timeout")),
        Some((idle_at, "idle")),
    ];
    let elapsed = a.started.elapsed();
    let mut earliest = (limits.session(), "deadline");
    for (due, reason) in candidates.into_iter().flatten() {
        if due <= elapsed {
            return (due, reason);
        }
        if due < earliest.0 {
            earliest = (due, reason);
        }
    }
    earliest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::Activity;

    fn limits() -> Limits {
        Limits {
            preauth_secs: 30,
            auth_secs: 120,
            idle_secs: 300,
            session_secs: 3600,
            ..Limits::default()
        }
    }

    #[test]
    fn the_earliest_applicable_deadline_is_next() {
        let l = limits();
        let a = Activity::new();
        assert_eq!(next_deadline(&a, &l), (l.preauth(), "preauth_timeout"));
        a.advance(Stage::Authenticating);
        assert_eq!(next_deadline(&a, &l), (l.auth(), "auth_timeout"));
        a.advance(Stage::Authenticated);
        assert_eq!(next_deadline(&a, &l), (l.idle(), "idle"));
        // Activity moves the idle deadline.
        a.last_active_ms.store(200_000, Ordering::Relaxed);
        assert_eq!(next_deadline(&a, &l), (Duration::from_secs(500), "idle"));
        // Close to the hard cap, the cap comes first.
        a.last_active_ms.store(3_500_000, Ordering::Relaxed);
        assert_eq!(next_deadline(&a, &l), (l.session(), "deadline"));
        // The stage never goes back.
        a.advance(Stage::Connected);
        assert_eq!(a.stage(), Stage::Authenticated);
    }

    #[test]
    fn a_passed_deadline_is_reported_at_once() {
        let l = Limits {
            preauth_secs: 0,
            ..limits()
        };
        let a = Activity::new();
        assert_eq!(next_deadline(&a, &l), (Duration::ZERO, "preauth_timeout"));
        a.advance(Stage::Authenticated);
        let l = Limits {
            idle_secs: 0,
            ..limits()
        };
        assert_eq!(next_deadline(&a, &l).1, "idle");
    }
}
