use thiserror::Error;

/// Why a connection cannot go on. Every error is fatal for its connection: the caller may send
/// [`crate::ServerConnection::disconnect`] and then closes the socket.
#[derive(Debug, Error)]
pub enum Error {
    #[error("client identification: {reason} (line {line:?})")]
    Identification { reason: &'static str, line: String },
    #[error("truncated message: {0}")]
    Truncated(&'static str),
    /// Too short, over the limit, or not whole blocks of the cipher (CBC's 8 or 16 bytes).
    #[error("packet length {0} out of bounds or not a multiple of the block size")]
    PacketLength(u32),
    #[error("bad padding: {0}")]
    Padding(&'static str),
    #[error("message authentication failed (sequence number {0})")]
    Mac(u32),
    #[error("no common {kind} algorithm (client offered {client:?})")]
    NoCommonAlgorithm { kind: &'static str, client: String },
    #[error("protocol violation: {0}")]
    Protocol(String),
    #[error("strict key exchange violated: {0}")]
    StrictKex(&'static str),
    #[error("key exchange failed: {0}")]
    Kex(&'static str),
    #[error("input buffer full ({0} bytes): the caller must poll before feeding more")]
    InputFull(usize),
    #[error("unsupported algorithm {0:?} in the configuration")]
    UnsupportedAlgorithm(String),
    #[error("host key: {0}")]
    HostKey(String),
    #[error("no such channel {0}")]
    NoSuchChannel(u32),
    #[error("no answer is pending for this call: {0}")]
    NotPending(&'static str),
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    #[error("connection closed")]
    Closed,
    #[error("peer disconnected (reason {reason}): {description}")]
    PeerDisconnected { reason: u32, description: String },
}

impl Error {
    pub(crate) fn protocol(msg: impl Into<String>) -> Self {
        Error::Protocol(msg.into())
    }
}
