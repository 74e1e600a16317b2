//! A server-side SSH-2 implementation (RFC 4253 transport, RFC 4252 user authentication,
//! RFC 4254 connection protocol, and OpenSSH's strict KEX and ext-info) as a sans-IO state
//! machine, on AWS-LC's assembly X25519, Ed25519, ECDSA, RSA, AES-GCM and ChaCha20-Poly1305.
//!
//! Bytes from the peer go in ([`ServerConnection::feed`]), [`Event`]s come out
//! ([`ServerConnection::poll`]) and bytes to send accumulate in
//! [`ServerConnection::output`]. Policy — which logins succeed, which channels and requests
//! are granted, what a shell prints — is the caller's: every decision is an event it answers.
//! Nothing here does I/O; [`driver`] is an optional small loop over a tokio stream.
//!
//! ```no_run
//! use std::sync::Arc;
//! use sikker_ssh::{Event, HostKey, ServerConfig, ServerConnection};
//! let config = Arc::new(ServerConfig::new("SSH-2.0-OpenSSH_9.6", vec![HostKey::generate_ed25519()?]));
//! let mut conn = ServerConnection::new(config);
//! # let from_socket: &[u8] = b"";
//! conn.feed(from_socket)?;
//! while let Some(event) = conn.poll()? {
//!     if let Event::Auth(_) = event { conn.accept_auth()?; }
//! }
//! let _to_socket = conn.output();
//! # Ok::<(), sikker_ssh::Error>(())
//! ```

mod algorithms;
mod cipher;
mod compress;
mod dh;
mod error;
mod event;
mod hostkey;
mod kex;
mod server;
mod umac;
mod wire;

#[cfg(feature = "tokio")]
pub mod driver;

pub use algorithms::{
    Algorithms, Cipher, ClientKexInit, Compression, HostKeyAlg, Kex, MacAlg, NameList, NameLists,
    Negotiated,
};
pub use error::Error;
pub use event::{AuthAttempt, AuthMethod, ChannelKind, ChannelRequest, Event, SignatureCheck};
pub use hostkey::{fingerprint, HostKey};
pub use server::{disconnect, open_failure, ServerConfig, ServerConnection};

/// Packet framing, exposed for tests and benchmarks of the ciphers alone.
pub mod packet {
    pub use crate::cipher::{DirectionKeys, Opened, Opener, Sealer, ABSOLUTE_MAX_PACKET};
}
