// The state machine that uses all of these follows in the next commit.
#![allow(dead_code)]
//! A server-side SSH-2 implementation as a sans-IO state machine, on `ring`.
//! This first part: wire encodings, algorithm negotiation, packet framing with every
//! cipher/MAC pair, key exchange primitives and host keys.

mod algorithms;
mod cipher;
mod error;
mod hostkey;
mod kex;
mod wire;

pub use algorithms::{Algorithms, Cipher, ClientKexInit, HostKeyAlg, Kex, MacAlg, Negotiated};
pub use error::Error;
pub use hostkey::{fingerprint, HostKey};

/// Packet framing, exposed for tests and benchmarks of the ciphers alone.
pub mod packet {
    pub use crate::cipher::{DirectionKeys, Opened, Opener, Sealer, ABSOLUTE_MAX_PACKET};
}
