//! The sikker honeypot sensor: listeners that speak attackers' protocols convincingly and
//! record everything they do as raw events, an fsync'd on-disk spool, and a shipper that
//! delivers the spool to central at least once.
//!
//! The data's path, read off the types:
//!
//! ```text
//! TcpListener ─accept_loop─► RecordedStream ─► ProtocolHandler::serve ─► SessionRecorder
//!     ─► Spool (fsync, group commit) ─► SpoolReader ─► shipper ─► POST /v1/ingest
//! ```
//!
//! Use:
//!
//! ```no_run
//! # async fn demo() -> Result<(), sikker_sensor::SensorError> {
//! use sikker_sensor::{Sensor, SensorConfig};
//! let mut config = SensorConfig::default();
//! config.listen.push("ssh=127.0.0.1:2222".parse()?);
//! config.central = Some("http://127.0.0.1:8080".into());
//! config.token = Some("…sensor token…".into());
//! let sensor = Sensor::start(config).await?;
//! for l in sensor.listeners() {
//!     println!("{} listening on {}", l.protocol, l.addr);
//! }
//! sensor.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Invariants: a sensor never executes attacker input (commands go to `sikker-shell`, which
//! is pure), never connects anywhere but the configured central URL, and never knows how
//! events are classified (that is central's job).

pub mod config;
pub mod listener;
pub mod protocols;
pub mod quarantine;
pub mod session;
pub mod shipper;
pub mod spool;
pub mod terminal;

pub use config::{ConfigError, Limits, ListenerSpec, SensorConfig, ShipperConfig};
pub use shipper::ShipperStats;
pub use spool::{Spool, SpoolStats};

use listener::{accept_loop, ListenerShared, PerIp};
use protocols::SensorContext;
use quarantine::Quarantine;
use sikker_event::Protocol;
use sikker_shell::{Persona, System};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinHandle;

/// Why a sensor could not start.
#[derive(Debug, thiserror::Error)]
pub enum SensorError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
    #[error(transparent)]
    Protocol(#[from] protocols::ProtocolError),
    #[error("persona {path}: {message}")]
    Persona { path: String, message: String },
    #[error("listening on {spec}: {source}")]
    Bind {
        spec: ListenerSpec,
        source: std::io::Error,
    },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// A listener as bound (with the real port when the configuration said 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundListener {
    pub protocol: Protocol,
    pub addr: SocketAddr,
}

/// Entry point; see the crate docs.
pub struct Sensor;

/// A running sensor. Dropping it without [`SensorHandle::shutdown`] leaves its tasks running
/// until the runtime ends.
pub struct SensorHandle {
    listeners: Vec<BoundListener>,
    shutdown: watch::Sender<bool>,
    accept_tasks: Vec<JoinHandle<()>>,
    shipper: Option<JoinHandle<()>>,
    spool: Spool,
    shipper_stats: Arc<ShipperStats>,
    sessions: Arc<Semaphore>,
    max_sessions: usize,
    system: Arc<System>,
}

impl Sensor {
    /// Loads or creates the persona and host keys, opens the spool, binds every listener and
    /// starts the shipper (when `central` is set).
    pub async fn start(config: SensorConfig) -> Result<SensorHandle, SensorError> {
        config.validate()?;
        let io = |what: String| move |source| SensorError::Io { what, source };
        std::fs::create_dir_all(&config.state_dir)
            .map_err(io(format!("creating {}", config.state_dir.display())))?;
        let persona = load_or_create_persona(&config.persona_path())?;
        let system = System::new(persona);
        let limits = Arc::new(config.limits.clone());
        let (spool, reader) = Spool::open(&config.spool_dir(), limits.spool_bytes)?;
        let quarantine = Quarantine::new(
            &config.state_dir.join("quarantine"),
            limits.quarantine_bytes,
        )
        .map_err(io("creating the quarantine".into()))?;
        let ctx = SensorContext {
            limits: limits.clone(),
            system: system.clone(),
            state_dir: config.state_dir.clone(),
            quarantine: Arc::new(quarantine),
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let sessions = Arc::new(Semaphore::new(limits.sessions));
        let shared = Arc::new(ListenerShared {
            sensor: Arc::from(config.name.as_str()),
            limits: limits.clone(),
            spool: spool.clone(),
            per_ip: Arc::new(PerIp::default()),
            sessions: sessions.clone(),
            shutdown: shutdown_rx.clone(),
        });
        let mut bound = Vec::new();
        let mut pending = Vec::new();
        for spec in &config.listen {
            let handler = protocols::build(spec.protocol, &ctx).await?;
            let listener = bind(spec.addr).map_err(|source| SensorError::Bind {
                spec: *spec,
                source,
            })?;
            let addr = listener.local_addr().map_err(|source| SensorError::Bind {
                spec: *spec,
                source,
            })?;
            bound.push(BoundListener {
                protocol: spec.protocol,
                addr,
            });
            pending.push((listener, handler));
        }
        let accept_tasks = pending
            .into_iter()
            .map(|(l, h)| tokio::spawn(accept_loop(l, h, shared.clone())))
            .collect();
        let shipper_stats = Arc::new(ShipperStats::default());
        let shipper = match (&config.central, &config.token) {
            (Some(url), Some(token)) => Some(tokio::spawn(shipper::run(
                reader,
                shipper::Central {
                    url: url.clone(),
                    token: token.clone(),
                },
                config.shipper.clone(),
                shipper_stats.clone(),
                shutdown_rx,
            ))),
            _ => None,
        };
        Ok(SensorHandle {
            listeners: bound,
            shutdown,
            accept_tasks,
            shipper,
            spool,
            shipper_stats,
            sessions,
            max_sessions: limits.sessions,
            system,
        })
    }
}

/// Connections the kernel may hold completed but not yet accepted (it caps this at
/// `net.core.somaxconn`). Scanners arrive in bursts; with 128, as `TcpListener::bind` sets,
/// a burst of 256 connects while both CPUs were busy overflowed the queue (`ListenOverflows`
/// in `nstat`), and every dropped SYN cost its client a one-second retransmission.
const LISTEN_BACKLOG: u32 = 4096;

/// A listening socket as `TcpListener::bind` makes it (address reuse), with a deeper backlog
/// and `TCP_NODELAY` set on it: accepted connections inherit it, which saves a system call
/// per connection. Every protocol here answers in small writes that must not wait.
fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.set_nodelay(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

fn load_or_create_persona(path: &Path) -> Result<Persona, SensorError> {
    let fail = |message: String| SensorError::Persona {
        path: path.display().to_string(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => Persona::from_toml(&text).map_err(|e| fail(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let persona = Persona::generate(rand::random());
            let text = persona.to_toml().map_err(|e| fail(e.to_string()))?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
            }
            std::fs::write(path, text).map_err(|e| fail(e.to_string()))?;
            Ok(persona)
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

impl SensorHandle {
    pub fn listeners(&self) -> &[BoundListener] {
        &self.listeners
    }

    /// The first bound address of a protocol.
    pub fn addr(&self, protocol: Protocol) -> Option<SocketAddr> {
        self.listeners
            .iter()
            .find(|l| l.protocol == protocol)
            .map(|l| l.addr)
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    pub fn shipper_stats(&self) -> &ShipperStats {
        &self.shipper_stats
    }

    /// Sessions open right now.
    pub fn active_sessions(&self) -> usize {
        self.max_sessions - self.sessions.available_permits()
    }

    pub fn persona(&self) -> &Persona {
        self.system.persona()
    }

    /// Stops accepting, ends open sessions (each records its `disconnect`), waits for the
    /// spool to be durable, and stops the shipper. Unshipped events stay in the spool for the
    /// next start.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for t in self.accept_tasks {
            let _ = t.await;
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while self.sessions.available_permits() < self.max_sessions
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Err(e) = self.spool.flush().await {
            tracing::error!("spool flush at shutdown: {e}");
        }
        if let Some(s) = self.shipper {
            let _ = s.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_inherit_nodelay() {
        let listener = bind("127.0.0.1:0".parse().expect("an address")).expect("bind");
        let addr = listener.local_addr().expect("local address");
        let client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (accepted, _) = listener.accept().await.expect("accept");
        assert!(accepted.nodelay().expect("TCP_NODELAY"));
        assert!(!client.nodelay().expect("TCP_NODELAY"));
    }
}
