//! The protocols a sensor speaks, one file each. Adding one is adding a file here that
//! implements [`ProtocolHandler`] and one arm in [`build`].

pub mod sftp;
pub mod ssh;
pub mod telnet;

use crate::config::Limits;
use crate::listener::RecordedStream;
use crate::quarantine::Quarantine;
use crate::session::SessionRecorder;
use sikker_event::Protocol;
use sikker_shell::System;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpStream;

/// One accepted connection, handed to a protocol: the recording stream and its session.
pub struct Connection {
    pub stream: RecordedStream<TcpStream>,
    pub session: SessionRecorder,
}

/// What a protocol handler may use: the sensor's emulated system, limits and state.
#[derive(Clone)]
pub struct SensorContext {
    pub limits: Arc<Limits>,
    /// The persona and its base filesystem, shared by every session.
    pub system: Arc<System>,
    /// Where a protocol keeps what must survive restarts (host keys …).
    pub state_dir: PathBuf,
    pub quarantine: Arc<Quarantine>,
}

/// A protocol: answers one connection until it ends, recording as it goes.
///
/// The framework records `connect` before and `disconnect` after [`serve`](Self::serve), and
/// ends the session itself on a deadline, a limit or shutdown by dropping the future; so a
/// handler only speaks its protocol and records what the attacker did (`auth`, `command`,
/// `request`, `upload`, `download`).
#[async_trait::async_trait]
pub trait ProtocolHandler: Send + Sync + 'static {
    fn protocol(&self) -> Protocol;

    /// Whether raw wire bytes become `input`/`output` events. Encrypted protocols say no and
    /// record the plaintext themselves.
    fn records_wire(&self) -> bool {
        true
    }

    /// Serves one connection; returns the disconnect reason (`closed`, `error`, …).
    async fn serve(&self, conn: Connection) -> &'static str;
}

/// Errors building a protocol handler.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    #[error("{0} is not implemented by this sensor yet")]
    Unsupported(Protocol),
    #[error("{protocol}: {message}")]
    Setup { protocol: Protocol, message: String },
}

/// Builds the handler for one protocol. Called once per listener at start.
pub async fn build(
    protocol: Protocol,
    ctx: &SensorContext,
) -> Result<Arc<dyn ProtocolHandler>, ProtocolError> {
    match protocol {
        Protocol::Ssh => Ok(Arc::new(ssh::Ssh::new(ctx).await?)),
        Protocol::Telnet => Ok(Arc::new(telnet::Telnet::new(ctx))),
        other => Err(ProtocolError::Unsupported(other)),
    }
}
