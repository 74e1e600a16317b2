//! What the state machine reports to its caller.

use crate::algorithms::{ClientKexInit, Negotiated};

/// One thing that happened on the connection. Events marked "answer required" leave the
/// connection waiting (no further input is processed) until the caller answers with the named
/// method; everything else is information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The client's identification line, without CR LF (e.g. `SSH-2.0-OpenSSH_9.6`).
    ClientIdentification(String),
    /// The client's KEXINIT (for fingerprinting) and what was negotiated, on every key exchange.
    KexInit {
        client: Box<ClientKexInit>,
        negotiated: Negotiated,
    },
    /// A key exchange finished (both NEWKEYS seen); `initial` is false for a re-key. While a
    /// re-key runs, `send_data` takes at most 256 KiB in all; retry what it left here.
    KeyExchangeDone {
        initial: bool,
    },
    /// An authentication attempt. Answer required: [`crate::ServerConnection::accept_auth`] or
    /// [`crate::ServerConnection::reject_auth`] (for keyboard-interactive's start also
    /// [`crate::ServerConnection::keyboard_interactive_prompt`]).
    Auth(AuthAttempt),
    /// The client opened a channel. For [`ChannelKind::Session`] an answer is required
    /// ([`crate::ServerConnection::accept_channel`] / `reject_channel`); every other kind has
    /// already been refused (a honeypot never connects out) and is reported for the record,
    /// with `channel` set to `u32::MAX`.
    ChannelOpen {
        channel: u32,
        kind: ChannelKind,
    },
    /// A channel request. If `want_reply`, an answer is required:
    /// [`crate::ServerConnection::channel_request_reply`].
    ChannelRequest {
        channel: u32,
        want_reply: bool,
        request: ChannelRequest,
    },
    Data {
        channel: u32,
        data: Vec<u8>,
    },
    ExtendedData {
        channel: u32,
        code: u32,
        data: Vec<u8>,
    },
    Eof {
        channel: u32,
    },
    /// The client closed the channel; the crate has answered with its own CLOSE if needed and
    /// the channel id is free again.
    Close {
        channel: u32,
    },
    /// The client granted more window: data held back by `send_data` can go now.
    WindowAdjusted {
        channel: u32,
        window: u32,
    },
    /// A global request (`tcpip-forward`, `keepalive@openssh.com`, …); already refused.
    GlobalRequest {
        name: String,
        want_reply: bool,
        /// Address and port for `tcpip-forward` / `cancel-tcpip-forward`.
        forward: Option<(String, u32)>,
    },
    /// The client sent DISCONNECT; the connection is closed.
    Disconnected {
        reason: u32,
        description: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAttempt {
    pub user: String,
    pub service: String,
    pub method: AuthMethod,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No signature: the client asks whether this key would be accepted (accept → PK_OK).
    Query,
    /// The signature over the session id verified: accepting logs the user in.
    Valid,
    /// The signature did not verify (or the key type is unsupported): the attempt fails
    /// whatever the answer.
    Invalid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    Password {
        password: String,
        /// Set when the client asks to change its password (SSH_MSG_USERAUTH_REQUEST with TRUE).
        new_password: Option<String>,
    },
    PublicKey {
        algorithm: String,
        /// `SHA256:…` of the key blob, as `ssh-keygen -l` prints it.
        fingerprint: String,
        key: Vec<u8>,
        signature: SignatureCheck,
        /// `publickey-hostbound-v00@openssh.com` (OpenSSH ≥ 8.9): the signature also covers
        /// our host key.
        host_bound: bool,
    },
    /// The client asks for keyboard-interactive; answer with
    /// [`crate::ServerConnection::keyboard_interactive_prompt`], or accept/reject outright.
    KeyboardInteractiveStart {
        submethods: String,
    },
    /// The answers to the prompts the caller sent.
    KeyboardInteractive {
        responses: Vec<String>,
    },
    /// Any other method name (`hostbased`, `gssapi-with-mic`, …).
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelKind {
    Session,
    DirectTcpip {
        host: String,
        port: u32,
        originator: String,
        originator_port: u32,
    },
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelRequest {
    PtyReq {
        term: String,
        cols: u32,
        rows: u32,
        width_px: u32,
        height_px: u32,
        modes: Vec<u8>,
    },
    Env {
        name: String,
        value: String,
    },
    Shell,
    Exec {
        command: Vec<u8>,
    },
    Subsystem {
        name: String,
    },
    WindowChange {
        cols: u32,
        rows: u32,
        width_px: u32,
        height_px: u32,
    },
    Signal {
        name: String,
    },
    Other {
        name: String,
    },
}
