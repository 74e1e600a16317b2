//! Listeners: one accept loop per address, the limits that guard them, and the recording
//! stream every connection is wrapped in before a protocol sees it.

use crate::config::Limits;
use crate::protocols::{Connection, ProtocolHandler};
use crate::session::{SessionRecorder, Stage};
use crate::spool::Spool;
use sikker_event::{canonical_ip, Disconnect, EventData};
use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
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

impl<S: AsyncRead + Unpin> AsyncRead for RecordedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let activity = this.session.activity();
        if activity.bytes_in.load(Ordering::Relaxed) >= this.max_in {
            return Poll::Ready(Err(io::Error::other("session byte limit reached")));
        }
        let before = buf.filled().len();
        let res = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &res {
            let new = &buf.filled()[before..];
            if !new.is_empty() {
                activity
                    .bytes_in
                    .fetch_add(new.len() as u64, Ordering::Relaxed);
                activity.touch();
                if this.capture {
                    this.session.record_input(new);
                }
            }
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
        let local_port = stream.local_addr().map(|a| a.port()).unwrap_or(0);
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
    let _ = stream.set_nodelay(true);
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
async fn watchdog(session: &SessionRecorder, limits: &Limits) -> &'static str {
    let a = session.activity().clone();
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let elapsed = a.started.elapsed();
        if elapsed >= limits.session() {
            return "deadline";
        }
        let stage = a.stage();
        if stage == Stage::Connected && elapsed >= limits.preauth() {
            return "preauth_timeout";
        }
        if stage < Stage::Authenticated && elapsed >= limits.auth() {
            return "auth_timeout";
        }
        let idle_ms =
            (elapsed.as_millis() as u64).saturating_sub(a.last_active_ms.load(Ordering::Relaxed));
        if idle_ms >= limits.idle().as_millis() as u64 {
            return "idle";
        }
    }
}
