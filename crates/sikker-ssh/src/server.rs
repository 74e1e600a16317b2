//! The server connection: identification, transport (key exchange, re-key, strict KEX,
//! ext-info), user authentication and the connection protocol, as one sans-IO state machine.

use crate::algorithms::{negotiate, Algorithms, HostKeyAlg, Negotiated};
use crate::algorithms::{Compression, KexFamily};
use crate::cipher::{DirectionKeys, Opener, Sealer};
use crate::compress;
use crate::dh;
use crate::event::{AuthAttempt, AuthMethod, ChannelKind, ChannelRequest, Event, SignatureCheck};
use crate::hostkey::{fingerprint, verify_user_signature, HostKey};
use crate::kex::{
    self, KEX_METHOD_FIRST, KEX_METHOD_LAST, MSG_KEXDH_INIT, MSG_KEXDH_REPLY, MSG_KEXINIT,
    MSG_KEX_DH_GEX_GROUP, MSG_KEX_DH_GEX_INIT, MSG_KEX_DH_GEX_REPLY, MSG_KEX_DH_GEX_REQUEST,
    MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY, MSG_NEWKEYS,
};
use crate::wire::{put_bool, put_mpint, put_name_list, put_string, put_u32, put_u8, Reader};
use crate::Error;
use std::collections::VecDeque;
use std::sync::Arc;

const MSG_DISCONNECT: u8 = 1;
const MSG_IGNORE: u8 = 2;
const MSG_UNIMPLEMENTED: u8 = 3;
const MSG_DEBUG: u8 = 4;
const MSG_SERVICE_REQUEST: u8 = 5;
const MSG_SERVICE_ACCEPT: u8 = 6;
const MSG_EXT_INFO: u8 = 7;
const MSG_PING: u8 = 192;
const MSG_PONG: u8 = 193;
const PUBLICKEY_HOSTBOUND: &str = "publickey-hostbound-v00@openssh.com";
const MSG_USERAUTH_REQUEST: u8 = 50;
const MSG_USERAUTH_FAILURE: u8 = 51;
const MSG_USERAUTH_SUCCESS: u8 = 52;
const MSG_USERAUTH_BANNER: u8 = 53;
const MSG_USERAUTH_PK_OK: u8 = 60;
const MSG_USERAUTH_INFO_REQUEST: u8 = 60;
const MSG_USERAUTH_INFO_RESPONSE: u8 = 61;
const MSG_GLOBAL_REQUEST: u8 = 80;
const MSG_REQUEST_FAILURE: u8 = 82;
const MSG_CHANNEL_OPEN: u8 = 90;
const MSG_CHANNEL_OPEN_CONFIRMATION: u8 = 91;
const MSG_CHANNEL_OPEN_FAILURE: u8 = 92;
const MSG_CHANNEL_WINDOW_ADJUST: u8 = 93;
const MSG_CHANNEL_DATA: u8 = 94;
const MSG_CHANNEL_EXTENDED_DATA: u8 = 95;
const MSG_CHANNEL_EOF: u8 = 96;
const MSG_CHANNEL_CLOSE: u8 = 97;
const MSG_CHANNEL_REQUEST: u8 = 98;
const MSG_CHANNEL_SUCCESS: u8 = 99;
const MSG_CHANNEL_FAILURE: u8 = 100;

/// Disconnect reason codes (RFC 4253 §11.1) a caller is likely to need.
pub mod disconnect {
    pub const PROTOCOL_ERROR: u32 = 2;
    pub const KEY_EXCHANGE_FAILED: u32 = 3;
    pub const MAC_ERROR: u32 = 5;
    pub const SERVICE_NOT_AVAILABLE: u32 = 7;
    pub const BY_APPLICATION: u32 = 11;
    pub const TOO_MANY_CONNECTIONS: u32 = 12;
    pub const NO_MORE_AUTH_METHODS_AVAILABLE: u32 = 14;
}

/// Channel open failure reasons (RFC 4254 §5.1).
pub mod open_failure {
    pub const ADMINISTRATIVELY_PROHIBITED: u32 = 1;
    pub const CONNECT_FAILED: u32 = 2;
    pub const UNKNOWN_CHANNEL_TYPE: u32 = 3;
    pub const RESOURCE_SHORTAGE: u32 = 4;
}

/// Everything a server needs that does not change per connection; share one behind an `Arc`.
#[derive(Debug)]
pub struct ServerConfig {
    /// The identification line without CR LF, e.g. `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6`.
    pub server_id: String,
    pub algorithms: Algorithms,
    pub host_keys: Vec<HostKey>,
    /// The methods named in USERAUTH_FAILURE ("can continue").
    pub auth_methods: Vec<String>,
    /// `server-sig-algs` sent in EXT_INFO when the client offers `ext-info-c`.
    pub server_sig_algs: Vec<String>,
    /// Also announce `publickey-hostbound@openssh.com` in EXT_INFO, as OpenSSH ≥ 8.9 does.
    pub ext_info_hostbound: bool,
    /// Also announce `ping@openssh.com` in EXT_INFO, as OpenSSH ≥ 9.5 does. (Both are
    /// implemented whatever is announced.)
    pub ext_info_ping: bool,
    /// Take the client's own EXT_INFO (one, after its first NEWKEYS and before its
    /// SERVICE_REQUEST) and, when it carries `ext-info-in-auth@openssh.com` = "0", send
    /// `server-sig-algs` again in a second EXT_INFO with the answer to the first
    /// USERAUTH_REQUEST, as OpenSSH ≥ 9.6 does. Off, a client's EXT_INFO is answered with
    /// UNIMPLEMENTED, as older sshd answers any.
    pub ext_info_in_auth: bool,
    /// Largest packet_length accepted from the client (capped at 256 KiB).
    pub max_packet: u32,
    /// The window granted to the client per channel; refilled as data is handed out in events.
    pub channel_window: u32,
    /// The largest data packet the client may send on a channel.
    pub channel_max_packet: u32,
    /// Channels open at once; further opens are refused with RESOURCE_SHORTAGE.
    pub max_channels: usize,
    /// Lines a client may send before its `SSH-` line, and bytes per such line.
    pub max_preamble_lines: usize,
    /// The server starts a key exchange itself after this many bytes in and out under one
    /// set of keys (1 GiB, OpenSSH's default for these ciphers).
    pub rekey_after_bytes: u64,
}

impl ServerConfig {
    pub fn new(server_id: impl Into<String>, host_keys: Vec<HostKey>) -> Self {
        ServerConfig {
            server_id: server_id.into(),
            algorithms: Algorithms::default(),
            host_keys,
            auth_methods: vec![
                "publickey".into(),
                "password".into(),
                "keyboard-interactive".into(),
            ],
            server_sig_algs: vec![
                "ssh-ed25519".into(),
                "ecdsa-sha2-nistp256".into(),
                "ecdsa-sha2-nistp384".into(),
                "ecdsa-sha2-nistp521".into(),
                "rsa-sha2-512".into(),
                "rsa-sha2-256".into(),
            ],
            ext_info_hostbound: true,
            ext_info_ping: true,
            ext_info_in_auth: true,
            max_packet: 64 * 1024,
            channel_window: 2 * 1024 * 1024,
            channel_max_packet: 32 * 1024,
            max_channels: 10,
            max_preamble_lines: 32,
            rekey_after_bytes: 1 << 30,
        }
    }

    fn host_key_algs(&self) -> Vec<HostKeyAlg> {
        self.algorithms
            .host_key
            .iter()
            .copied()
            .filter(|a| self.host_keys.iter().any(|k| k.algorithms().contains(a)))
            .collect()
    }
}

/// Longest identification line (RFC 4253 §4.2: 255 characters including CR LF).
const MAX_ID_LINE: usize = 255;
/// Most bytes of channel data held while a re-key is in progress; `send_data` takes less.
const MAX_DEFERRED: usize = 256 * 1024;

/// Longest line a client may send before its identification.
const MAX_PREAMBLE_LINE: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `lines` is a u32 so that the phase takes 8 bytes, not 16.
    Identification {
        lines: u32,
    },
    Packets,
    Closed,
}

/// A key exchange in progress; dropped when it ends, so an idle session carries none of it.
struct KexState {
    /// Our KEXINIT payload (I_S).
    ours: Vec<u8>,
    /// The client's KEXINIT payload (I_C), once received.
    theirs: Option<Vec<u8>>,
    negotiated: Option<Negotiated>,
    /// The client guessed wrong: its next kex packet is to be ignored.
    skip_guess: bool,
    /// Client-to-server key material, installed when the client's NEWKEYS arrives.
    c2s: Option<Box<[Vec<u8>; 3]>>,
    /// Group exchange: the client's (min, n, max) and the group it was sent.
    gex: Option<Box<(u32, u32, u32, &'static dh::Group)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthPhase {
    /// No ssh-userauth SERVICE_REQUEST yet.
    NoService,
    Active,
    /// Keyboard-interactive prompts sent; expecting INFO_RESPONSE.
    AwaitingInfo,
    Done,
}

/// The client's EXT_INFO and the second EXT_INFO of ours it may ask for (OpenSSH ≥ 9.6's
/// `ext-info-in-auth@openssh.com`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientExtInfo {
    /// An EXT_INFO from the client now is answered with UNIMPLEMENTED; nothing is owed.
    Closed,
    /// After the first NEWKEYS, ext-info negotiated: one EXT_INFO is taken until SERVICE_REQUEST.
    Awaited,
    /// The client asked for ext-info-in-auth; the first USERAUTH_REQUEST has not come yet.
    Requested,
    /// The first USERAUTH_REQUEST came: the second EXT_INFO goes out before its answer.
    Owed,
}

/// What sshd takes in one EXT_INFO (`kex_input_ext_info`): more entries are answered with
/// UNIMPLEMENTED and not read.
const EXT_INFO_MAX_ENTRIES: u32 = 1024;
const EXT_INFO_IN_AUTH: &[u8] = b"ext-info-in-auth@openssh.com";

/// Reads the client's EXT_INFO (RFC 8308 §2.3) after the message number, as OpenSSH ≥ 9.6's
/// sshd does: `Some(true)` when it asks for ext-info-in-auth (version "0"), `None` when it has
/// more entries than sshd reads. Truncated fields, a count the payload cannot hold, a NUL in a
/// name or in the ext-info-in-auth value, and bytes after the last entry are errors.
fn read_client_ext_info(body: &[u8]) -> Result<Option<bool>, Error> {
    let mut r = Reader::new(body);
    let count = r.u32("extension count")?;
    if count >= EXT_INFO_MAX_ENTRIES {
        return Ok(None);
    }
    // Every entry is two strings, 8 bytes at least.
    let room = body.len() - r.position();
    if count as usize > room / 8 {
        return Err(Error::protocol(format!(
            "EXT_INFO claims {count} extensions in {room} bytes"
        )));
    }
    let mut in_auth = false;
    for _ in 0..count {
        let name = r.string("extension name")?;
        let value = r.string("extension value")?;
        if name.contains(&0) {
            return Err(Error::protocol("EXT_INFO: NUL in an extension name"));
        }
        if name == EXT_INFO_IN_AUTH {
            if value.contains(&0) {
                return Err(Error::protocol("EXT_INFO: NUL in ext-info-in-auth's value"));
            }
            // Another version is not an error, only not a request.
            in_auth |= value == b"0";
        }
    }
    if r.position() != body.len() {
        return Err(Error::protocol("EXT_INFO: bytes after the last extension"));
    }
    Ok(Some(in_auth))
}

/// The answer the caller owes before more input is processed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Auth {
        query: Option<Box<(String, Vec<u8>)>>,
        valid: bool,
        user: Box<str>,
    },
    ChannelOpen(u32),
    ChannelRequest(u32),
}

#[derive(Debug)]
struct Channel {
    remote_id: u32,
    remote_window: u32,
    remote_max_packet: u32,
    local_window: u32,
    confirmed: bool,
    eof_sent: bool,
    close_sent: bool,
}

/// One server-side SSH connection. Feed it the peer's bytes with [`ServerConnection::feed`],
/// take [`Event`]s with [`ServerConnection::poll`], answer the ones that need an answer, and
/// write [`ServerConnection::output`] to the peer.
pub struct ServerConnection {
    config: Arc<ServerConfig>,
    phase: Phase,
    input: Vec<u8>,
    in_start: usize,
    output: Vec<u8>,
    out_start: usize,
    opener: Opener,
    sealer: Sealer,
    client_id: Box<str>,
    session_id: Box<[u8]>,
    kex: Option<Box<KexState>>,
    strict: bool,
    kex_count: u32,
    client_ext_info: ClientExtInfo,
    /// Framed as (u32 length, payload), held while our side of a key exchange is unfinished.
    deferred: Vec<u8>,
    auth: AuthPhase,
    /// The user a keyboard-interactive exchange is for, between prompts and responses.
    kbd_user: Box<str>,
    pending: Option<Pending>,
    events: VecDeque<Event>,
    channels: Vec<Option<Channel>>,
    /// Bytes sent and received under the current keys.
    traffic: u64,
    /// Compression negotiated for the keys in use, and the zlib streams once it has started.
    compression: (Compression, Compression),
    zlib_out: Option<Box<flate2::Compress>>,
    zlib_in: Option<Box<flate2::Decompress>>,
}

impl std::fmt::Debug for ServerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConnection")
            .field("phase", &self.phase)
            .field("auth", &self.auth)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

impl ServerConnection {
    /// A new connection; our identification line and KEXINIT are already in the output.
    pub fn new(config: Arc<ServerConfig>) -> Self {
        let mut c = ServerConnection {
            phase: Phase::Identification { lines: 0 },
            input: Vec::new(),
            in_start: 0,
            output: Vec::with_capacity(1536),
            out_start: 0,
            opener: Opener::new(config.max_packet),
            sealer: Sealer::default(),
            client_id: "".into(),
            session_id: Box::new([]),
            kex: None,
            strict: false,
            kex_count: 0,
            client_ext_info: ClientExtInfo::Closed,
            deferred: Vec::new(),
            auth: AuthPhase::NoService,
            kbd_user: "".into(),
            pending: None,
            events: VecDeque::new(),
            channels: Vec::new(),
            traffic: 0,
            compression: (Compression::None, Compression::None),
            zlib_out: None,
            zlib_in: None,
            config,
        };
        c.output.extend_from_slice(c.config.server_id.as_bytes());
        c.output.extend_from_slice(b"\r\n");
        c.start_kex();
        c
    }

    // ---- I/O surface -------------------------------------------------------------------

    /// Bytes that should go to the peer.
    pub fn output(&self) -> &[u8] {
        &self.output[self.out_start..]
    }

    /// Marks `n` bytes of [`ServerConnection::output`] as written.
    pub fn consume_output(&mut self, n: usize) {
        self.out_start = (self.out_start + n).min(self.output.len());
        if self.out_start == self.output.len() {
            // Released, not kept: an idle connection should hold no buffers.
            self.output = Vec::new();
            self.out_start = 0;
        }
    }

    /// How many bytes [`ServerConnection::feed`] takes now. Zero while an answer is pending
    /// and the buffer holds a full packet's worth.
    pub fn input_room(&self) -> usize {
        self.input_limit()
            .saturating_sub(self.input.len() - self.in_start)
    }

    fn input_limit(&self) -> usize {
        self.config
            .max_packet
            .min(crate::cipher::ABSOLUTE_MAX_PACKET) as usize
            + 4096
    }

    /// Bytes received from the peer. At most [`ServerConnection::input_room`] bytes are taken;
    /// more is an error, so memory stays bounded whatever the peer sends.
    pub fn feed(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.phase == Phase::Closed {
            return Err(Error::Closed);
        }
        if data.len() > self.input_room() {
            return Err(Error::InputFull(self.input.len() - self.in_start));
        }
        if self.in_start > 0 && self.in_start == self.input.len() {
            self.input.clear();
            self.in_start = 0;
        }
        self.input.extend_from_slice(data);
        Ok(())
    }

    pub fn is_closed(&self) -> bool {
        self.phase == Phase::Closed
    }

    /// Whether an answer to the last event is still owed.
    pub fn awaiting_answer(&self) -> bool {
        self.pending.is_some()
    }

    /// The session identifier (the first exchange hash); empty before the first key exchange.
    pub fn session_id(&self) -> &[u8] {
        &self.session_id
    }

    pub fn is_authenticated(&self) -> bool {
        self.auth == AuthPhase::Done
    }

    /// Bytes this connection holds on the heap now (buffers, channels, key state); with
    /// `size_of::<ServerConnection>()` that is its memory footprint. zlib streams (only when
    /// the client negotiated compression) are counted at zlib's nominal 256 KiB deflate and
    /// 44 KiB inflate state.
    pub fn heap_bytes(&self) -> usize {
        self.input.capacity()
            + self.output.capacity()
            + self.deferred.capacity()
            + self.client_id.len()
            + self.session_id.len()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self.channels.capacity() * std::mem::size_of::<Option<Channel>>()
            + self.zlib_out.as_ref().map_or(0, |_| 256 * 1024)
            + self.zlib_in.as_ref().map_or(0, |_| 44 * 1024)
            + self.opener.heap_bytes()
            + self.sealer.heap_bytes()
            + self.kex.as_ref().map_or(0, |k| {
                std::mem::size_of::<KexState>()
                    + k.ours.capacity()
                    + k.theirs.as_ref().map_or(0, Vec::capacity)
            })
    }

    /// Processes buffered input until there is an event to report, more input is needed, or an
    /// answer is owed. `Ok(None)`: write the output, feed more bytes (or answer), poll again.
    /// An error is fatal: send [`ServerConnection::disconnect`]'s output if you like, then close.
    pub fn poll(&mut self) -> Result<Option<Event>, Error> {
        loop {
            if let Some(e) = self.events.pop_front() {
                return Ok(Some(e));
            }
            if self.pending.is_some() {
                return Ok(None);
            }
            let r = match self.phase {
                Phase::Closed => return Ok(None),
                Phase::Identification { lines } => self.read_identification(lines),
                Phase::Packets => self.read_packet(),
            };
            match r {
                Ok(true) => {}
                Ok(false) => {
                    self.compact_input();
                    return Ok(self.events.pop_front());
                }
                Err(e) => {
                    self.phase = Phase::Closed;
                    return Err(e);
                }
            }
        }
    }

    fn compact_input(&mut self) {
        if self.events.is_empty() && self.events.capacity() > 0 {
            self.events = VecDeque::new();
        }
        if self.in_start == self.input.len() {
            self.input = Vec::new();
            self.in_start = 0;
        } else if self.in_start > 0 {
            self.input.drain(..self.in_start);
            self.in_start = 0;
        }
    }

    // ---- identification ----------------------------------------------------------------

    fn read_identification(&mut self, lines: u32) -> Result<bool, Error> {
        let buf = &self.input[self.in_start..];
        let Some(nl) = buf.iter().position(|&b| b == b'\n') else {
            let is_id = buf.starts_with(b"SSH-") || b"SSH-".starts_with(buf);
            if (is_id && buf.len() > MAX_ID_LINE) || buf.len() > MAX_PREAMBLE_LINE {
                return Err(Error::Identification {
                    reason: "line too long",
                    line: String::from_utf8_lossy(&buf[..buf.len().min(300)]).into_owned(),
                });
            }
            return Ok(false);
        };
        let mut line = &buf[..nl];
        if let Some(l) = line.strip_suffix(b"\r") {
            line = l;
        }
        let text = String::from_utf8_lossy(line).into_owned();
        self.in_start += nl + 1;
        if !line.starts_with(b"SSH-") {
            if lines as usize >= self.config.max_preamble_lines || nl > MAX_PREAMBLE_LINE {
                return Err(Error::Identification {
                    reason: "too many lines before the identification",
                    line: text,
                });
            }
            self.phase = Phase::Identification {
                lines: lines.saturating_add(1),
            };
            return Ok(true);
        }
        if nl + 1 > MAX_ID_LINE {
            return Err(Error::Identification {
                reason: "line too long",
                line: text,
            });
        }
        let rest = &text[4..];
        let Some((version, software)) = rest.split_once('-') else {
            return Err(Error::Identification {
                reason: "malformed (no software version)",
                line: text,
            });
        };
        if version != "2.0" && version != "1.99" {
            return Err(Error::Identification {
                reason: "protocol version is not 2.0",
                line: text,
            });
        }
        if software.is_empty() || text.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(Error::Identification {
                reason: "malformed",
                line: text,
            });
        }
        self.client_id = text.clone().into_boxed_str();
        self.phase = Phase::Packets;
        self.events.push_back(Event::ClientIdentification(text));
        Ok(true)
    }

    // ---- packets -----------------------------------------------------------------------

    fn read_packet(&mut self) -> Result<bool, Error> {
        let Some(op) = self.opener.open(&mut self.input[self.in_start..])? else {
            return Ok(false);
        };
        let input = std::mem::take(&mut self.input);
        let start = self.in_start;
        let payload = &input[start + op.payload.start..start + op.payload.end];
        let r = match self.zlib_in.as_mut() {
            Some(z) => match compress::inflate(z, payload, self.config.max_packet as usize) {
                Ok(plain) => self.dispatch(&plain, op.seq),
                Err(e) => Err(e),
            },
            None => self.dispatch(payload, op.seq),
        };
        self.input = input;
        self.in_start += op.consumed;
        self.traffic = self.traffic.saturating_add(op.consumed as u64);
        r?;
        self.maybe_rekey();
        Ok(true)
    }

    /// Starts a key exchange of our own once enough has passed under the current keys
    /// (RFC 4253 §9), well before sequence numbers could wrap.
    fn maybe_rekey(&mut self) {
        if self.kex.is_none()
            && self.kex_count > 0
            && self.phase == Phase::Packets
            && self.traffic >= self.config.rekey_after_bytes
        {
            self.start_kex();
        }
    }

    /// Frames one message: written straight into the output, or held while our side of a key
    /// exchange is unfinished and the message is not part of it.
    fn send(&mut self, build: impl FnOnce(&mut Vec<u8>)) {
        if self.deferring() {
            let at = self.deferred.len();
            self.deferred.extend_from_slice(&[0; 4]);
            build(&mut self.deferred);
            let len = (self.deferred.len() - at - 4) as u32;
            self.deferred[at..at + 4].copy_from_slice(&len.to_be_bytes());
            return;
        }
        self.send_now(build);
    }

    fn send_now(&mut self, build: impl FnOnce(&mut Vec<u8>)) {
        let start = Sealer::begin(&mut self.output);
        let before = self.output.len();
        match self.zlib_out.as_mut() {
            Some(z) => {
                let mut plain = Vec::with_capacity(256);
                build(&mut plain);
                compress::deflate_into(z, &plain, &mut self.output);
            }
            None => build(&mut self.output),
        }
        self.sealer.seal(&mut self.output, start);
        self.traffic = self
            .traffic
            .saturating_add((self.output.len() - before) as u64);
    }

    /// Whether messages are being held for the end of our side of a key exchange.
    fn deferring(&self) -> bool {
        self.kex.as_ref().is_some_and(|k| k.c2s.is_none())
    }

    /// zlib@openssh.com starts right after USERAUTH_SUCCESS, in both directions.
    fn start_delayed_compression(&mut self) {
        if self.compression.1 == Compression::ZlibOpenssh && self.zlib_out.is_none() {
            self.zlib_out = Some(compress::new_deflate());
        }
        if self.compression.0 == Compression::ZlibOpenssh && self.zlib_in.is_none() {
            self.zlib_in = Some(compress::new_inflate());
        }
    }

    fn flush_deferred(&mut self) {
        let deferred = std::mem::take(&mut self.deferred);
        let mut r = Reader::new(&deferred);
        while let Ok(p) = r.string("deferred") {
            self.send_now(|o| o.extend_from_slice(p));
            if p.first() == Some(&MSG_USERAUTH_SUCCESS) {
                self.start_delayed_compression();
            }
        }
    }

    fn dispatch(&mut self, payload: &[u8], seq: u32) -> Result<(), Error> {
        let Some(&msg) = payload.first() else {
            return Err(Error::protocol("empty payload"));
        };
        let initial = self.kex_count == 0;
        let in_kex = self.kex.as_ref().is_some_and(|k| k.theirs.is_some());
        if initial
            && self.strict
            && !matches!(msg, KEX_METHOD_FIRST..=KEX_METHOD_LAST | MSG_NEWKEYS)
        {
            return Err(Error::StrictKex(
                "only key exchange messages before the first NEWKEYS",
            ));
        }
        if in_kex && !matches!(msg, 1..=4 | KEX_METHOD_FIRST..=KEX_METHOD_LAST | MSG_NEWKEYS) {
            return Err(Error::protocol(format!(
                "message {msg} during key exchange"
            )));
        }
        match msg {
            MSG_DISCONNECT => {
                let mut r = Reader::new(&payload[1..]);
                let reason = r.u32("disconnect reason")?;
                let description = r.utf8("disconnect description").unwrap_or_default();
                self.phase = Phase::Closed;
                self.events.push_back(Event::Disconnected {
                    reason,
                    description,
                });
                Ok(())
            }
            MSG_IGNORE | MSG_DEBUG | MSG_UNIMPLEMENTED => Ok(()),
            MSG_EXT_INFO => self.on_ext_info(payload, seq),
            MSG_KEXINIT => self.on_kexinit(payload, seq),
            KEX_METHOD_FIRST..=KEX_METHOD_LAST => self.on_kex_method(payload),
            MSG_NEWKEYS => self.on_newkeys(),
            _ if initial => Err(Error::protocol(format!(
                "message {msg} before the first key exchange"
            ))),
            MSG_SERVICE_REQUEST => self.on_service_request(payload),
            MSG_USERAUTH_REQUEST => self.on_userauth_request(payload),
            MSG_USERAUTH_INFO_RESPONSE => self.on_info_response(payload),
            MSG_PING => {
                let data = Reader::new(&payload[1..]).string("ping data")?.to_vec();
                self.send(|o| {
                    put_u8(o, MSG_PONG);
                    put_string(o, &data);
                });
                Ok(())
            }
            MSG_PONG => Ok(()),
            MSG_GLOBAL_REQUEST..=MSG_CHANNEL_FAILURE => {
                if self.auth != AuthPhase::Done {
                    return Err(Error::protocol(format!(
                        "connection message {msg} before authentication"
                    )));
                }
                self.on_connection_message(msg, payload)
            }
            _ => {
                self.send_unimplemented(seq);
                Ok(())
            }
        }
    }

    fn send_unimplemented(&mut self, seq: u32) {
        self.send(|o| {
            put_u8(o, MSG_UNIMPLEMENTED);
            put_u32(o, seq);
        });
    }

    /// The client's EXT_INFO: taken once, between its first NEWKEYS and its SERVICE_REQUEST,
    /// where sshd ≥ 9.6 takes it; anywhere else (or with `ext_info_in_auth` off) it is answered
    /// with UNIMPLEMENTED, as sshd answers a message it does not expect.
    fn on_ext_info(&mut self, payload: &[u8], seq: u32) -> Result<(), Error> {
        if self.client_ext_info != ClientExtInfo::Awaited {
            self.send_unimplemented(seq);
            return Ok(());
        }
        // Only one, whatever it holds.
        self.client_ext_info = ClientExtInfo::Closed;
        match read_client_ext_info(&payload[1..])? {
            Some(true) => self.client_ext_info = ClientExtInfo::Requested,
            Some(false) => {}
            // sshd's answer to 1024 entries or more, which it does not read.
            None => self.send_unimplemented(seq),
        }
        Ok(())
    }

    /// The second EXT_INFO, if the client asked for it: `server-sig-algs` alone, before the
    /// answer to the first USERAUTH_REQUEST (and after any banner the caller sent first, as
    /// sshd sends its Banner before it).
    fn send_owed_ext_info(&mut self) {
        if self.client_ext_info != ClientExtInfo::Owed {
            return;
        }
        self.client_ext_info = ClientExtInfo::Closed;
        let algs = self.config.server_sig_algs.clone();
        self.send(|o| {
            put_u8(o, MSG_EXT_INFO);
            put_u32(o, 1);
            put_string(o, b"server-sig-algs");
            put_name_list(o, &algs);
        });
    }

    // ---- key exchange ------------------------------------------------------------------

    fn start_kex(&mut self) {
        let mut ours = Vec::with_capacity(512);
        kex::write_kexinit(
            &mut ours,
            &self.config.algorithms,
            &self.config.host_key_algs(),
        );
        self.send_now(|o| o.extend_from_slice(&ours));
        self.kex = Some(Box::new(KexState {
            ours,
            theirs: None,
            negotiated: None,
            skip_guess: false,
            c2s: None,
            gex: None,
        }));
    }

    fn on_kexinit(&mut self, payload: &[u8], seq: u32) -> Result<(), Error> {
        if self.kex.as_ref().is_some_and(|k| k.theirs.is_some()) {
            return Err(Error::protocol("second KEXINIT during a key exchange"));
        }
        let client = kex::parse_kexinit(payload)?;
        let negotiated = negotiate(
            &client,
            &self.config.algorithms,
            &self.config.host_key_algs(),
        )?;
        if self.kex_count == 0 {
            self.strict = negotiated.strict;
            if self.strict && seq != 0 {
                return Err(Error::StrictKex("KEXINIT was not the first packet"));
            }
        }
        if self.kex.is_none() {
            self.start_kex();
        }
        let skip_guess = client.first_kex_packet_follows
            && (client.kex.iter().next() != Some(negotiated.kex.name())
                || client.host_key.iter().next() != Some(negotiated.host_key.name()));
        if let Some(k) = self.kex.as_mut() {
            k.theirs = Some(payload.to_vec());
            k.negotiated = Some(negotiated);
            k.skip_guess = skip_guess;
        }
        self.events.push_back(Event::KexInit {
            client: Box::new(client),
            negotiated,
        });
        Ok(())
    }

    fn on_kex_method(&mut self, payload: &[u8]) -> Result<(), Error> {
        let Some(mut st) = self.kex.take() else {
            return Err(Error::protocol(
                "key exchange message outside a key exchange",
            ));
        };
        self.kex_method_message(&mut st, payload)?;
        self.kex = Some(st);
        Ok(())
    }

    fn kex_method_message(&mut self, st: &mut KexState, payload: &[u8]) -> Result<(), Error> {
        let (Some(neg), Some(theirs)) = (st.negotiated, st.theirs.as_ref()) else {
            return Err(Error::protocol("key exchange message before KEXINIT"));
        };
        if st.skip_guess {
            st.skip_guess = false;
            return Ok(());
        }
        if st.c2s.is_some() {
            return Err(Error::protocol("key exchange message after the reply"));
        }
        let msg = payload[0];
        let host_key = self
            .config
            .host_keys
            .iter()
            .find(|k| k.algorithms().contains(&neg.host_key))
            .ok_or(Error::Kex("no host key for the negotiated algorithm"))?;
        let mut r = Reader::new(&payload[1..]);
        let mut t = kex::Transcript::new(neg.kex);
        t.string(self.client_id.as_bytes())
            .string(self.config.server_id.as_bytes())
            .string(theirs)
            .string(&st.ours)
            .string(host_key.public_blob());
        let mut reply = Vec::with_capacity(700);
        let secret = match (neg.kex.family(), msg) {
            (KexFamily::Ecdh, MSG_KEX_ECDH_INIT) => {
                let q_c = r.string("client ephemeral key")?;
                let (q_s, secret) = kex::agree(neg.kex, q_c)?;
                let secret = kex::encode_secret(neg.kex, &secret);
                t.string(q_c).string(&q_s);
                put_u8(&mut reply, MSG_KEX_ECDH_REPLY);
                put_string(&mut reply, host_key.public_blob());
                put_string(&mut reply, &q_s);
                secret
            }
            (KexFamily::Dh(group), MSG_KEXDH_INIT) => {
                let e = r.mpint("client DH value")?;
                let (f, secret) = dh::agree(group(), e)?;
                let secret = kex::encode_secret(neg.kex, &secret);
                t.mpint(e).mpint(&f);
                put_u8(&mut reply, MSG_KEXDH_REPLY);
                put_string(&mut reply, host_key.public_blob());
                put_mpint(&mut reply, &f);
                secret
            }
            (KexFamily::GroupExchange, MSG_KEX_DH_GEX_REQUEST) => {
                if st.gex.is_some() {
                    return Err(Error::protocol("second group exchange request"));
                }
                let (min, n, max) = (r.u32("min")?, r.u32("n")?, r.u32("max")?);
                let g = dh::for_request(min, n, max)?;
                st.gex = Some(Box::new((min, n, max, g)));
                self.send_now(|o| {
                    put_u8(o, MSG_KEX_DH_GEX_GROUP);
                    put_mpint(o, &g.p.to_bytes_be());
                    put_mpint(o, &g.g.to_bytes_be());
                });
                return Ok(());
            }
            (KexFamily::GroupExchange, MSG_KEX_DH_GEX_INIT) => {
                let Some(gex) = st.gex.as_ref() else {
                    return Err(Error::protocol("group exchange init before its request"));
                };
                let (min, n, max, g) = **gex;
                let e = r.mpint("client DH value")?;
                let (f, secret) = dh::agree(g, e)?;
                let secret = kex::encode_secret(neg.kex, &secret);
                let mut bounds = Vec::with_capacity(12);
                put_u32(&mut bounds, min);
                put_u32(&mut bounds, n);
                put_u32(&mut bounds, max);
                t.raw(&bounds)
                    .mpint(&g.p.to_bytes_be())
                    .mpint(&g.g.to_bytes_be())
                    .mpint(e)
                    .mpint(&f);
                put_u8(&mut reply, MSG_KEX_DH_GEX_REPLY);
                put_string(&mut reply, host_key.public_blob());
                put_mpint(&mut reply, &f);
                secret
            }
            _ => {
                return Err(Error::protocol(format!(
                    "message {msg} is not part of {}",
                    neg.kex.name()
                )))
            }
        };
        t.raw(&secret);
        let h = t.finish();
        let h = h.as_ref();
        if self.session_id.is_empty() {
            self.session_id = h.into();
        }
        host_key.sign_into(neg.host_key, h, &mut reply)?;
        self.send_now(|o| o.extend_from_slice(&reply));
        self.send_now(|o| put_u8(o, MSG_NEWKEYS));
        let sid = self.session_id.clone();
        let sid = &*sid;
        let d = |letter, len| kex::derive(neg.kex, &secret, h, letter, sid, len);
        let s2c_mac_len = neg.mac_s2c.map_or(0, |m| m.key_len());
        let (iv, key, mac) = (
            d(b'B', neg.cipher_s2c.iv_len()),
            d(b'D', neg.cipher_s2c.key_len()),
            d(b'F', s2c_mac_len),
        );
        self.sealer.rekey(&DirectionKeys {
            cipher: neg.cipher_s2c,
            mac: neg.mac_s2c,
            iv: &iv,
            key: &key,
            mac_key: &mac,
        })?;
        if self.strict {
            self.sealer.seq = 0;
        }
        // Each NEWKEYS starts compression afresh (as OpenSSH does), once authenticated.
        self.compression.1 = neg.compression_s2c;
        self.zlib_out = None;
        if self.auth == AuthPhase::Done {
            self.start_delayed_compression();
        }
        let c2s_mac_len = neg.mac_c2s.map_or(0, |m| m.key_len());
        st.c2s = Some(Box::new([
            d(b'A', neg.cipher_c2s.iv_len()),
            d(b'C', neg.cipher_c2s.key_len()),
            d(b'E', c2s_mac_len),
        ]));
        if self.kex_count == 0 && neg.ext_info {
            let algs = self.config.server_sig_algs.clone();
            let (hostbound, ping) = (self.config.ext_info_hostbound, self.config.ext_info_ping);
            self.send_now(|o| {
                put_u8(o, MSG_EXT_INFO);
                put_u32(o, 1 + u32::from(hostbound) + u32::from(ping));
                put_string(o, b"server-sig-algs");
                put_name_list(o, &algs);
                if hostbound {
                    put_string(o, b"publickey-hostbound@openssh.com");
                    put_string(o, b"0");
                }
                if ping {
                    put_string(o, b"ping@openssh.com");
                    put_string(o, b"0");
                }
            });
        }
        self.flush_deferred();
        Ok(())
    }

    fn on_newkeys(&mut self) -> Result<(), Error> {
        let Some(st) = self.kex.take() else {
            return Err(Error::protocol("NEWKEYS outside a key exchange"));
        };
        let (Some(neg), Some(c2s)) = (st.negotiated, st.c2s) else {
            return Err(Error::protocol("NEWKEYS before the key exchange reply"));
        };
        let [iv, key, mac] = *c2s;
        self.opener.rekey(&DirectionKeys {
            cipher: neg.cipher_c2s,
            mac: neg.mac_c2s,
            iv: &iv,
            key: &key,
            mac_key: &mac,
        })?;
        if self.strict {
            self.opener.seq = 0;
        }
        self.compression.0 = neg.compression_c2s;
        self.zlib_in = None;
        if self.auth == AuthPhase::Done {
            self.start_delayed_compression();
        }
        let initial = self.kex_count == 0;
        // sshd takes the client's EXT_INFO from here; a re-key before SERVICE_REQUEST ends that.
        self.client_ext_info = match self.client_ext_info {
            _ if initial && neg.ext_info && self.config.ext_info_in_auth => ClientExtInfo::Awaited,
            ClientExtInfo::Awaited => ClientExtInfo::Closed,
            other => other,
        };
        self.kex_count += 1;
        self.traffic = 0;
        // Anything the caller sent after our NEWKEYS went out already; nothing is deferred now.
        self.flush_deferred();
        self.events.push_back(Event::KeyExchangeDone { initial });
        Ok(())
    }

    // ---- user authentication -----------------------------------------------------------

    fn on_service_request(&mut self, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(&payload[1..]);
        let name = r.string("service name")?.to_vec();
        if name != b"ssh-userauth" || self.auth != AuthPhase::NoService {
            self.disconnect(disconnect::SERVICE_NOT_AVAILABLE, "service not available");
            return Err(Error::protocol(format!(
                "service {:?} requested",
                String::from_utf8_lossy(&name)
            )));
        }
        self.auth = AuthPhase::Active;
        if self.client_ext_info == ClientExtInfo::Awaited {
            self.client_ext_info = ClientExtInfo::Closed;
        }
        self.send(|o| {
            put_u8(o, MSG_SERVICE_ACCEPT);
            put_string(o, &name);
        });
        Ok(())
    }

    fn on_userauth_request(&mut self, payload: &[u8]) -> Result<(), Error> {
        match self.auth {
            AuthPhase::NoService => {
                return Err(Error::protocol("USERAUTH_REQUEST before ssh-userauth"))
            }
            // RFC 4252 §5.1: requests after success are ignored.
            AuthPhase::Done => return Ok(()),
            AuthPhase::Active | AuthPhase::AwaitingInfo => {}
        }
        self.auth = AuthPhase::Active;
        let mut r = Reader::new(&payload[1..]);
        let user = r.utf8("user name")?;
        let service = r.utf8("service name")?;
        let method_name = r.utf8("method name")?;
        // Only the first request can find `Requested` (the client's EXT_INFO came before
        // SERVICE_REQUEST). sshd sends the second EXT_INFO while handling it, before its reply:
        // here it goes out with the caller's answer.
        if self.client_ext_info == ClientExtInfo::Requested {
            self.client_ext_info = ClientExtInfo::Owed;
        }
        let mut query = None;
        let mut valid = true;
        let method = match method_name.as_str() {
            "none" => AuthMethod::None,
            "password" => {
                let change = r.bool("password change flag")?;
                let password = r.utf8("password")?;
                let new_password = if change {
                    Some(r.utf8("new password")?)
                } else {
                    None
                };
                AuthMethod::Password {
                    password,
                    new_password,
                }
            }
            "publickey" | PUBLICKEY_HOSTBOUND => {
                let signed = r.bool("has signature")?;
                let algorithm = r.utf8("public key algorithm")?;
                let key = r.string("public key")?.to_vec();
                // The hostbound variant names our host key, which the signature then covers.
                let bound_to_us = method_name != PUBLICKEY_HOSTBOUND || {
                    let hk = r.string("server host key")?;
                    self.config.host_keys.iter().any(|k| k.public_blob() == hk)
                };
                let signature = if signed {
                    let signed_len = 1 + r.position();
                    let sig = r.string("signature")?;
                    let mut data = Vec::with_capacity(self.session_id.len() + signed_len + 4);
                    put_string(&mut data, &self.session_id);
                    data.extend_from_slice(&payload[..signed_len]);
                    if bound_to_us && verify_user_signature(&algorithm, &key, sig, &data) {
                        SignatureCheck::Valid
                    } else {
                        valid = false;
                        SignatureCheck::Invalid
                    }
                } else {
                    query = Some(Box::new((algorithm.clone(), key.clone())));
                    SignatureCheck::Query
                };
                AuthMethod::PublicKey {
                    algorithm,
                    fingerprint: fingerprint(&key),
                    key,
                    signature,
                    host_bound: method_name == PUBLICKEY_HOSTBOUND,
                }
            }
            "keyboard-interactive" => {
                r.string("language")?;
                AuthMethod::KeyboardInteractiveStart {
                    submethods: r.utf8("submethods")?,
                }
            }
            _ => AuthMethod::Other(method_name),
        };
        self.pending = Some(Pending::Auth {
            query,
            valid,
            user: user.clone().into_boxed_str(),
        });
        self.events.push_back(Event::Auth(AuthAttempt {
            user,
            service,
            method,
        }));
        Ok(())
    }

    fn on_info_response(&mut self, payload: &[u8]) -> Result<(), Error> {
        if self.auth != AuthPhase::AwaitingInfo {
            return Err(Error::protocol("USERAUTH_INFO_RESPONSE without a request"));
        }
        let mut r = Reader::new(&payload[1..]);
        let n = r.u32("response count")?;
        if n > 64 {
            return Err(Error::protocol("too many keyboard-interactive responses"));
        }
        let mut responses = Vec::with_capacity(n as usize);
        for _ in 0..n {
            responses.push(r.utf8("response")?);
        }
        self.auth = AuthPhase::Active;
        let user = std::mem::take(&mut self.kbd_user);
        self.events.push_back(Event::Auth(AuthAttempt {
            user: user.to_string(),
            service: "ssh-connection".into(),
            method: AuthMethod::KeyboardInteractive { responses },
        }));
        self.pending = Some(Pending::Auth {
            query: None,
            valid: true,
            user,
        });
        Ok(())
    }

    /// Accepts the pending authentication attempt: USERAUTH_SUCCESS, or PK_OK for a public
    /// key query. An attempt whose signature did not verify fails anyway.
    pub fn accept_auth(&mut self) -> Result<(), Error> {
        let Some(Pending::Auth { query, valid, .. }) = self.pending.take() else {
            return Err(Error::NotPending("accept_auth"));
        };
        self.send_owed_ext_info();
        if !valid {
            self.send_auth_failure();
        } else if let Some(q) = query {
            self.send(|o| {
                put_u8(o, MSG_USERAUTH_PK_OK);
                put_string(o, q.0.as_bytes());
                put_string(o, &q.1);
            });
        } else {
            self.auth = AuthPhase::Done;
            let deferred = self.deferring();
            self.send(|o| put_u8(o, MSG_USERAUTH_SUCCESS));
            if !deferred {
                self.start_delayed_compression();
            }
        }
        Ok(())
    }

    /// Rejects the pending authentication attempt (USERAUTH_FAILURE with the configured methods).
    pub fn reject_auth(&mut self) -> Result<(), Error> {
        let Some(Pending::Auth { .. }) = self.pending.take() else {
            return Err(Error::NotPending("reject_auth"));
        };
        self.send_owed_ext_info();
        self.send_auth_failure();
        Ok(())
    }

    fn send_auth_failure(&mut self) {
        let methods = self.config.auth_methods.clone();
        self.send(|o| {
            put_u8(o, MSG_USERAUTH_FAILURE);
            put_name_list(o, &methods);
            put_bool(o, false);
        });
    }

    /// Answers a keyboard-interactive start (or a previous round's responses) with prompts;
    /// `(prompt, echo)` pairs. The answers arrive as another [`Event::Auth`].
    pub fn keyboard_interactive_prompt(
        &mut self,
        name: &str,
        instruction: &str,
        prompts: &[(&str, bool)],
    ) -> Result<(), Error> {
        match self.pending.take() {
            Some(Pending::Auth {
                query: None, user, ..
            }) => self.kbd_user = user,
            other => {
                self.pending = other;
                return Err(Error::NotPending("keyboard_interactive_prompt"));
            }
        }
        self.send_owed_ext_info();
        self.auth = AuthPhase::AwaitingInfo;
        self.send(|o| {
            put_u8(o, MSG_USERAUTH_INFO_REQUEST);
            put_string(o, name.as_bytes());
            put_string(o, instruction.as_bytes());
            put_string(o, b"");
            put_u32(o, prompts.len() as u32);
            for (p, echo) in prompts {
                put_string(o, p.as_bytes());
                put_bool(o, *echo);
            }
        });
        Ok(())
    }

    /// Sends a USERAUTH_BANNER (only meaningful before authentication succeeds).
    pub fn send_auth_banner(&mut self, text: &str) {
        self.send(|o| {
            put_u8(o, MSG_USERAUTH_BANNER);
            put_string(o, text.as_bytes());
            put_string(o, b"");
        });
    }

    // ---- connection protocol -----------------------------------------------------------

    fn channel_mut(&mut self, id: u32) -> Option<&mut Channel> {
        self.channels.get_mut(id as usize).and_then(Option::as_mut)
    }

    fn on_connection_message(&mut self, msg: u8, payload: &[u8]) -> Result<(), Error> {
        let mut r = Reader::new(&payload[1..]);
        match msg {
            MSG_GLOBAL_REQUEST => {
                let name = r.utf8("global request name")?;
                let want_reply = r.bool("want reply")?;
                let forward = if name == "tcpip-forward" || name == "cancel-tcpip-forward" {
                    Some((r.utf8("bind address")?, r.u32("bind port")?))
                } else {
                    None
                };
                if want_reply {
                    self.send(|o| put_u8(o, MSG_REQUEST_FAILURE));
                }
                self.events.push_back(Event::GlobalRequest {
                    name,
                    want_reply,
                    forward,
                });
                Ok(())
            }
            MSG_CHANNEL_OPEN => self.on_channel_open(&mut r),
            MSG_CHANNEL_REQUEST => self.on_channel_request(&mut r),
            MSG_CHANNEL_OPEN_CONFIRMATION | MSG_CHANNEL_OPEN_FAILURE => Err(Error::protocol(
                "channel open answer, but the server opens no channels",
            )),
            // Answers to our own requests: we never ask for one.
            MSG_CHANNEL_SUCCESS | MSG_CHANNEL_FAILURE | 81 => Ok(()),
            _ => {
                let id = r.u32("recipient channel")?;
                let window = self.config.channel_window;
                // A channel we already closed may still see the client's in-flight packets.
                let Some(ch) = self.channel_mut(id) else {
                    return Ok(());
                };
                match msg {
                    MSG_CHANNEL_WINDOW_ADJUST => {
                        let n = r.u32("window increment")?;
                        ch.remote_window = ch.remote_window.saturating_add(n);
                        let window = ch.remote_window;
                        self.events.push_back(Event::WindowAdjusted {
                            channel: id,
                            window,
                        });
                    }
                    MSG_CHANNEL_DATA | MSG_CHANNEL_EXTENDED_DATA => {
                        let code = if msg == MSG_CHANNEL_EXTENDED_DATA {
                            Some(r.u32("data type code")?)
                        } else {
                            None
                        };
                        let data = r.string("channel data")?;
                        // Data beyond the window granted is dropped, not fatal.
                        let n = data.len().min(ch.local_window as usize);
                        ch.local_window -= n as u32;
                        let data = data[..n].to_vec();
                        if ch.local_window < window / 2 {
                            let add = window - ch.local_window;
                            ch.local_window = window;
                            let remote = ch.remote_id;
                            self.send(|o| {
                                put_u8(o, MSG_CHANNEL_WINDOW_ADJUST);
                                put_u32(o, remote);
                                put_u32(o, add);
                            });
                        }
                        self.events.push_back(match code {
                            None => Event::Data { channel: id, data },
                            Some(code) => Event::ExtendedData {
                                channel: id,
                                code,
                                data,
                            },
                        });
                    }
                    MSG_CHANNEL_EOF => self.events.push_back(Event::Eof { channel: id }),
                    MSG_CHANNEL_CLOSE => {
                        let (remote, sent) = (ch.remote_id, ch.close_sent);
                        if !sent {
                            self.send(|o| {
                                put_u8(o, MSG_CHANNEL_CLOSE);
                                put_u32(o, remote);
                            });
                        }
                        if let Some(slot) = self.channels.get_mut(id as usize) {
                            *slot = None;
                        }
                        self.events.push_back(Event::Close { channel: id });
                    }
                    _ => {}
                }
                Ok(())
            }
        }
    }

    fn on_channel_open(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        let kind = r.utf8("channel type")?;
        let remote_id = r.u32("sender channel")?;
        let window = r.u32("initial window")?;
        let max_packet = r.u32("maximum packet")?;
        let refuse = |this: &mut Self, reason: u32, text: &'static str| {
            this.send(|o| {
                put_u8(o, MSG_CHANNEL_OPEN_FAILURE);
                put_u32(o, remote_id);
                put_u32(o, reason);
                put_string(o, text.as_bytes());
                put_string(o, b"");
            });
        };
        let kind = match kind.as_str() {
            "session" => ChannelKind::Session,
            "direct-tcpip" => ChannelKind::DirectTcpip {
                host: r.utf8("host")?,
                port: r.u32("port")?,
                originator: r.utf8("originator address")?,
                originator_port: r.u32("originator port")?,
            },
            _ => ChannelKind::Other(kind),
        };
        if kind != ChannelKind::Session {
            let (reason, text) = match kind {
                ChannelKind::DirectTcpip { .. } => {
                    (open_failure::CONNECT_FAILED, "Connection refused")
                }
                _ => (open_failure::UNKNOWN_CHANNEL_TYPE, "unknown channel type"),
            };
            refuse(self, reason, text);
            self.events.push_back(Event::ChannelOpen {
                channel: u32::MAX,
                kind,
            });
            return Ok(());
        }
        let slot = match self.channels.iter().position(Option::is_none) {
            Some(i) => i,
            None if self.channels.len() < self.config.max_channels => {
                self.channels.push(None);
                self.channels.len() - 1
            }
            None => {
                refuse(self, open_failure::RESOURCE_SHORTAGE, "too many channels");
                return Ok(());
            }
        };
        self.channels[slot] = Some(Channel {
            remote_id,
            remote_window: window,
            remote_max_packet: max_packet.clamp(1, 1 << 20),
            local_window: self.config.channel_window,
            confirmed: false,
            eof_sent: false,
            close_sent: false,
        });
        self.pending = Some(Pending::ChannelOpen(slot as u32));
        self.events.push_back(Event::ChannelOpen {
            channel: slot as u32,
            kind,
        });
        Ok(())
    }

    fn on_channel_request(&mut self, r: &mut Reader<'_>) -> Result<(), Error> {
        let id = r.u32("recipient channel")?;
        let name = r.utf8("request type")?;
        let want_reply = r.bool("want reply")?;
        let request = match name.as_str() {
            "pty-req" => ChannelRequest::PtyReq {
                term: r.utf8("TERM")?,
                cols: r.u32("columns")?,
                rows: r.u32("rows")?,
                width_px: r.u32("width")?,
                height_px: r.u32("height")?,
                modes: r.string("terminal modes")?.to_vec(),
            },
            "env" => ChannelRequest::Env {
                name: r.utf8("variable name")?,
                value: r.utf8("variable value")?,
            },
            "shell" => ChannelRequest::Shell,
            "exec" => ChannelRequest::Exec {
                command: r.string("command")?.to_vec(),
            },
            "subsystem" => ChannelRequest::Subsystem {
                name: r.utf8("subsystem name")?,
            },
            "window-change" => ChannelRequest::WindowChange {
                cols: r.u32("columns")?,
                rows: r.u32("rows")?,
                width_px: r.u32("width")?,
                height_px: r.u32("height")?,
            },
            "signal" => ChannelRequest::Signal {
                name: r.utf8("signal name")?,
            },
            _ => ChannelRequest::Other { name },
        };
        if self.channel_mut(id).is_none() {
            if want_reply {
                self.send(|o| {
                    put_u8(o, MSG_CHANNEL_FAILURE);
                    put_u32(o, id);
                });
            }
            return Ok(());
        }
        if want_reply {
            self.pending = Some(Pending::ChannelRequest(id));
        }
        self.events.push_back(Event::ChannelRequest {
            channel: id,
            want_reply,
            request,
        });
        Ok(())
    }

    /// Confirms the pending session channel open.
    pub fn accept_channel(&mut self, channel: u32) -> Result<(), Error> {
        if self.pending != Some(Pending::ChannelOpen(channel)) {
            return Err(Error::NotPending("accept_channel"));
        }
        self.pending = None;
        let (window, max) = (self.config.channel_window, self.config.channel_max_packet);
        let ch = self
            .channel_mut(channel)
            .ok_or(Error::NoSuchChannel(channel))?;
        ch.confirmed = true;
        let remote = ch.remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_OPEN_CONFIRMATION);
            put_u32(o, remote);
            put_u32(o, channel);
            put_u32(o, window);
            put_u32(o, max);
        });
        Ok(())
    }

    /// Refuses the pending session channel open.
    pub fn reject_channel(&mut self, channel: u32, reason: u32, text: &str) -> Result<(), Error> {
        if self.pending != Some(Pending::ChannelOpen(channel)) {
            return Err(Error::NotPending("reject_channel"));
        }
        self.pending = None;
        let remote = self
            .channels
            .get_mut(channel as usize)
            .and_then(Option::take)
            .ok_or(Error::NoSuchChannel(channel))?
            .remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_OPEN_FAILURE);
            put_u32(o, remote);
            put_u32(o, reason);
            put_string(o, text.as_bytes());
            put_string(o, b"");
        });
        Ok(())
    }

    /// Answers the pending channel request (CHANNEL_SUCCESS or CHANNEL_FAILURE).
    pub fn channel_request_reply(&mut self, channel: u32, success: bool) -> Result<(), Error> {
        if self.pending != Some(Pending::ChannelRequest(channel)) {
            return Err(Error::NotPending("channel_request_reply"));
        }
        self.pending = None;
        let remote = self
            .channel_mut(channel)
            .ok_or(Error::NoSuchChannel(channel))?
            .remote_id;
        self.send(|o| {
            put_u8(
                o,
                if success {
                    MSG_CHANNEL_SUCCESS
                } else {
                    MSG_CHANNEL_FAILURE
                },
            );
            put_u32(o, remote);
        });
        Ok(())
    }

    /// How many bytes `send_data` would take now on `channel`.
    pub fn send_window(&self, channel: u32) -> usize {
        self.channels
            .get(channel as usize)
            .and_then(Option::as_ref)
            .filter(|c| c.confirmed && !c.eof_sent && !c.close_sent)
            .map_or(0, |c| c.remote_window as usize)
            .min(if self.deferring() {
                MAX_DEFERRED.saturating_sub(self.deferred.len())
            } else {
                usize::MAX
            })
    }

    /// Sends as much of `data` as the client's window allows, split at its maximum packet
    /// size; returns how many bytes were taken (hold the rest until [`Event::WindowAdjusted`]).
    pub fn send_data(&mut self, channel: u32, data: &[u8]) -> Result<usize, Error> {
        self.send_channel_data(channel, None, data)
    }

    /// Extended data (`code` 1 is stderr).
    pub fn send_extended_data(
        &mut self,
        channel: u32,
        code: u32,
        data: &[u8],
    ) -> Result<usize, Error> {
        self.send_channel_data(channel, Some(code), data)
    }

    fn send_channel_data(
        &mut self,
        channel: u32,
        code: Option<u32>,
        data: &[u8],
    ) -> Result<usize, Error> {
        if self.phase == Phase::Closed {
            return Err(Error::Closed);
        }
        let window = self
            .channel_mut(channel)
            .filter(|c| c.confirmed && !c.eof_sent && !c.close_sent)
            .ok_or(Error::NoSuchChannel(channel))?
            .remote_window;
        let mut n = data.len().min(window as usize);
        if self.deferring() {
            // Held until our NEWKEYS: bounded, whatever window the client granted.
            n = n.min(MAX_DEFERRED.saturating_sub(self.deferred.len()));
        }
        let Some(ch) = self.channel_mut(channel) else {
            return Err(Error::NoSuchChannel(channel));
        };
        ch.remote_window -= n as u32;
        let (remote, max) = (ch.remote_id, ch.remote_max_packet as usize);
        for chunk in data[..n].chunks(max.min(32 * 1024)) {
            self.send(|o| {
                match code {
                    None => put_u8(o, MSG_CHANNEL_DATA),
                    Some(_) => put_u8(o, MSG_CHANNEL_EXTENDED_DATA),
                }
                put_u32(o, remote);
                if let Some(c) = code {
                    put_u32(o, c);
                }
                put_string(o, chunk);
            });
        }
        Ok(n)
    }

    /// Sends `exit-status` (no reply wanted).
    pub fn send_exit_status(&mut self, channel: u32, status: u32) -> Result<(), Error> {
        let remote = self
            .channel_mut(channel)
            .filter(|c| !c.close_sent)
            .ok_or(Error::NoSuchChannel(channel))?
            .remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_REQUEST);
            put_u32(o, remote);
            put_string(o, b"exit-status");
            put_bool(o, false);
            put_u32(o, status);
        });
        Ok(())
    }

    /// Sends `exit-signal` (signal name without "SIG", e.g. "TERM").
    pub fn send_exit_signal(&mut self, channel: u32, signal: &str) -> Result<(), Error> {
        let remote = self
            .channel_mut(channel)
            .filter(|c| !c.close_sent)
            .ok_or(Error::NoSuchChannel(channel))?
            .remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_REQUEST);
            put_u32(o, remote);
            put_string(o, b"exit-signal");
            put_bool(o, false);
            put_string(o, signal.as_bytes());
            put_bool(o, false);
            put_string(o, b"");
            put_string(o, b"");
        });
        Ok(())
    }

    pub fn send_eof(&mut self, channel: u32) -> Result<(), Error> {
        let ch = self
            .channel_mut(channel)
            .ok_or(Error::NoSuchChannel(channel))?;
        if ch.eof_sent || ch.close_sent {
            return Ok(());
        }
        ch.eof_sent = true;
        let remote = ch.remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_EOF);
            put_u32(o, remote);
        });
        Ok(())
    }

    /// Sends CHANNEL_CLOSE; the id is freed when the client's CLOSE arrives ([`Event::Close`]).
    pub fn send_close(&mut self, channel: u32) -> Result<(), Error> {
        let ch = self
            .channel_mut(channel)
            .ok_or(Error::NoSuchChannel(channel))?;
        if ch.close_sent {
            return Ok(());
        }
        ch.close_sent = true;
        let remote = ch.remote_id;
        self.send(|o| {
            put_u8(o, MSG_CHANNEL_CLOSE);
            put_u32(o, remote);
        });
        Ok(())
    }

    /// Queues a DISCONNECT (when the transport can carry one) and closes the connection; write
    /// the output, then close the socket.
    pub fn disconnect(&mut self, reason: u32, description: &str) {
        if self.phase == Phase::Packets {
            // Bypasses the deferral: a disconnect may go out in the middle of a key exchange.
            self.send_now(|o| {
                put_u8(o, MSG_DISCONNECT);
                put_u32(o, reason);
                put_string(o, description.as_bytes());
                put_string(o, b"");
            });
        }
        self.phase = Phase::Closed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A connection past key exchange and authentication, with the transport left in the
    /// clear, so payloads can be dispatched directly.
    fn authenticated() -> ServerConnection {
        let key = HostKey::generate_ed25519().expect("key");
        let mut c = ServerConnection::new(Arc::new(ServerConfig::new("SSH-2.0-x", vec![key])));
        c.phase = Phase::Packets;
        c.kex = None;
        c.kex_count = 1;
        c.auth = AuthPhase::Done;
        c.session_id = vec![7; 32].into();
        c.output.clear();
        c
    }

    /// Dispatches, answering whatever is pending with `yes`.
    fn drive(c: &mut ServerConnection, payload: &[u8], yes: bool) -> Result<Vec<Event>, Error> {
        c.dispatch(payload, 0)?;
        let mut events = Vec::new();
        while let Some(e) = c.events.pop_front() {
            events.push(e);
        }
        match c.pending.clone() {
            Some(Pending::ChannelOpen(ch)) if yes => c.accept_channel(ch)?,
            Some(Pending::ChannelOpen(ch)) => c.reject_channel(ch, 1, "no")?,
            Some(Pending::ChannelRequest(ch)) => c.channel_request_reply(ch, yes)?,
            Some(Pending::Auth { .. }) if yes => c.accept_auth()?,
            Some(Pending::Auth { .. }) => c.reject_auth()?,
            None => {}
        }
        Ok(events)
    }

    fn open_session(c: &mut ServerConnection) -> u32 {
        let mut p = vec![MSG_CHANNEL_OPEN];
        put_string(&mut p, b"session");
        put_u32(&mut p, 5);
        put_u32(&mut p, 1000);
        put_u32(&mut p, 100);
        let ev = drive(c, &p, true).unwrap();
        match ev.as_slice() {
            [Event::ChannelOpen {
                channel,
                kind: ChannelKind::Session,
            }] => *channel,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn windows_and_packet_sizes_are_respected() {
        let mut c = authenticated();
        let ch = open_session(&mut c);
        // The client granted 1000 bytes in packets of at most 100.
        assert_eq!(c.send_data(ch, &[b'x'; 1500]).unwrap(), 1000);
        assert_eq!(c.send_data(ch, b"more").unwrap(), 0);
        let mut adj = vec![MSG_CHANNEL_WINDOW_ADJUST];
        put_u32(&mut adj, ch);
        put_u32(&mut adj, 10);
        let ev = drive(&mut c, &adj, true).unwrap();
        assert_eq!(
            ev,
            [Event::WindowAdjusted {
                channel: ch,
                window: 10
            }]
        );
        assert_eq!(c.send_window(ch), 10);
        // Data beyond the window we granted is dropped, and the window is refilled.
        let mut d = vec![MSG_CHANNEL_DATA];
        put_u32(&mut d, ch);
        put_string(&mut d, &vec![1u8; 1_500_000]);
        drive(&mut c, &d, true).unwrap();
        drive(&mut c, &d, true).unwrap();
        let ch_state = c.channels[ch as usize].as_ref().unwrap();
        assert!(ch_state.local_window >= c.config.channel_window / 2);
    }

    #[test]
    fn forwarding_is_refused_and_reported() {
        let mut c = authenticated();
        let mut p = vec![MSG_CHANNEL_OPEN];
        put_string(&mut p, b"direct-tcpip");
        put_u32(&mut p, 9);
        put_u32(&mut p, 1000);
        put_u32(&mut p, 100);
        put_string(&mut p, b"10.1.2.3");
        put_u32(&mut p, 25);
        put_string(&mut p, b"127.0.0.1");
        put_u32(&mut p, 5555);
        let ev = drive(&mut c, &p, true).unwrap();
        assert!(
            matches!(&ev[0], Event::ChannelOpen { kind: ChannelKind::DirectTcpip { host, port: 25, .. }, .. } if host == "10.1.2.3")
        );
        assert!(c.pending.is_none());
        assert!(c.channels.iter().all(Option::is_none));
        let mut g = vec![MSG_GLOBAL_REQUEST];
        put_string(&mut g, b"tcpip-forward");
        put_bool(&mut g, true);
        put_string(&mut g, b"0.0.0.0");
        put_u32(&mut g, 8080);
        let ev = drive(&mut c, &g, true).unwrap();
        assert!(
            matches!(&ev[0], Event::GlobalRequest { forward: Some((a, 8080)), .. } if a == "0.0.0.0")
        );
    }

    #[test]
    fn channel_limit_and_reuse() {
        let mut c = authenticated();
        let ids: Vec<u32> = (0..10).map(|_| open_session(&mut c)).collect();
        assert_eq!(ids, (0..10).collect::<Vec<_>>());
        let mut p = vec![MSG_CHANNEL_OPEN];
        put_string(&mut p, b"session");
        put_u32(&mut p, 5);
        put_u32(&mut p, 1000);
        put_u32(&mut p, 100);
        assert!(drive(&mut c, &p, true).unwrap().is_empty(), "11th refused");
        let mut close = vec![MSG_CHANNEL_CLOSE];
        put_u32(&mut close, 3);
        assert_eq!(
            drive(&mut c, &close, true).unwrap(),
            [Event::Close { channel: 3 }]
        );
        assert_eq!(open_session(&mut c), 3);
    }

    #[test]
    fn connection_messages_need_authentication() {
        let mut c = authenticated();
        c.auth = AuthPhase::Active;
        let mut p = vec![MSG_CHANNEL_OPEN];
        put_string(&mut p, b"session");
        assert!(matches!(c.dispatch(&p, 0), Err(Error::Protocol(_))));
    }

    /// A publickey request signed by `user` over our session id; `bound` names a host key.
    fn signed_request(c: &ServerConnection, user: &HostKey, bound: Option<&[u8]>) -> Vec<u8> {
        let mut p = vec![MSG_USERAUTH_REQUEST];
        put_string(&mut p, b"root");
        put_string(&mut p, b"ssh-connection");
        put_string(
            &mut p,
            if bound.is_some() {
                PUBLICKEY_HOSTBOUND.as_bytes()
            } else {
                b"publickey"
            },
        );
        put_bool(&mut p, true);
        put_string(&mut p, b"ssh-ed25519");
        put_string(&mut p, user.public_blob());
        if let Some(hk) = bound {
            put_string(&mut p, hk);
        }
        let mut signed = Vec::new();
        put_string(&mut signed, &c.session_id);
        signed.extend_from_slice(&p);
        user.sign_into(HostKeyAlg::Ed25519, &signed, &mut p)
            .unwrap();
        p
    }

    #[test]
    fn publickey_signatures_cover_session_and_host_key() {
        let user = HostKey::generate_ed25519().unwrap();
        let other = HostKey::generate_ed25519().unwrap();
        let mut c = authenticated();
        c.auth = AuthPhase::Active;
        let ours = c.config.host_keys[0].public_blob().to_vec();
        let cases: [(Option<&[u8]>, SignatureCheck); 3] = [
            (None, SignatureCheck::Valid),
            (Some(&ours), SignatureCheck::Valid),
            (Some(other.public_blob()), SignatureCheck::Invalid),
        ];
        for (bound, want) in cases {
            let p = signed_request(&c, &user, bound);
            let ev = drive(&mut c, &p, false).unwrap();
            assert!(
                matches!(&ev[0], Event::Auth(AuthAttempt { method: AuthMethod::PublicKey { signature, .. }, .. }) if *signature == want),
                "{bound:?}: {ev:?}"
            );
        }
        // A signature made for another session does not verify here.
        let p = signed_request(&c, &user, None);
        c.session_id = vec![8; 32].into();
        let ev = drive(&mut c, &p, true).unwrap();
        assert!(matches!(
            &ev[0],
            Event::Auth(AuthAttempt {
                method: AuthMethod::PublicKey {
                    signature: SignatureCheck::Invalid,
                    ..
                },
                ..
            })
        ));
        assert!(
            !c.is_authenticated(),
            "an invalid signature fails even when accepted"
        );
    }

    #[test]
    fn ping_gets_pong() {
        let mut c = authenticated();
        let mut p = vec![MSG_PING];
        put_string(&mut p, b"abc");
        drive(&mut c, &p, true).unwrap();
        // In the clear here: length, padding length, then the PONG payload.
        assert_eq!(
            &c.output[5..5 + 8],
            &[MSG_PONG, 0, 0, 0, 3, b'a', b'b', b'c']
        );
    }

    fn ext_info_body(count: u32, entries: &[(&[u8], &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        put_u32(&mut b, count);
        for (name, value) in entries {
            put_string(&mut b, name);
            put_string(&mut b, value);
        }
        b
    }

    #[test]
    fn client_ext_info_is_read_as_sshd_reads_it() {
        let ok = |count, entries: &[(&[u8], &[u8])]| {
            read_client_ext_info(&ext_info_body(count, entries)).unwrap()
        };
        assert_eq!(ok(1, &[(EXT_INFO_IN_AUTH, b"0")]), Some(true));
        assert_eq!(
            ok(2, &[(b"a", b"\0"), (EXT_INFO_IN_AUTH, b"0")]),
            Some(true)
        );
        assert_eq!(ok(1, &[(EXT_INFO_IN_AUTH, b"00")]), Some(false));
        assert_eq!(ok(0, &[]), Some(false));
        // OpenSSH's limit: 1024 entries and more are not read at all.
        let empty: (&[u8], &[u8]) = (b"", b"");
        assert_eq!(ok(1023, &[empty; 1023]), Some(false));
        assert_eq!(ok(1024, &[]), None);
        assert_eq!(ok(u32::MAX, &[]), None);
        let err = |count, entries: &[(&[u8], &[u8])]| {
            read_client_ext_info(&ext_info_body(count, entries)).unwrap_err()
        };
        // A count the payload cannot hold is refused before any entry is read.
        assert!(
            matches!(err(1000, &[(EXT_INFO_IN_AUTH, b"0")]), Error::Protocol(m) if m.contains("claims"))
        );
        assert!(matches!(err(2, &[(b"a", b"b")]), Error::Protocol(_)));
        assert!(matches!(err(1, &[(b"a\0", b"")]), Error::Protocol(_)));
        assert!(matches!(
            err(1, &[(EXT_INFO_IN_AUTH, b"\0")]),
            Error::Protocol(_)
        ));
        let mut trailing = ext_info_body(1, &[(b"a", b"b")]);
        trailing.push(0);
        assert!(read_client_ext_info(&trailing).is_err());
        let mut short = ext_info_body(1, &[(b"name", b"value")]);
        short.truncate(short.len() - 1);
        assert!(matches!(
            read_client_ext_info(&short),
            Err(Error::Truncated(_))
        ));
        assert!(matches!(
            read_client_ext_info(&[0, 0]),
            Err(Error::Truncated(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Random auth and connection messages, after a session channel is open: errors are
        /// fine, panics and unbounded state are not.
        #[test]
        fn random_messages_after_auth(
            msgs in proptest::collection::vec(
                (prop_oneof![Just(50u8), 61u8..=62, 80u8..=100, 192u8..=193, 0u8..=255],
                 proptest::collection::vec(any::<u8>(), 0..64), any::<bool>()),
                1..20),
        ) {
            let mut c = authenticated();
            open_session(&mut c);
            for (msg, body, yes) in msgs {
                let mut p = vec![msg];
                // Point most messages at channel 0 so they reach the channel code.
                if (93..=100).contains(&msg) && body.len() >= 4 {
                    p.extend_from_slice(&[0, 0, 0, 0]);
                    p.extend_from_slice(&body[4..]);
                } else {
                    p.extend_from_slice(&body);
                }
                if drive(&mut c, &p, yes).is_err() {
                    break;
                }
            }
            prop_assert!(c.channels.len() <= c.config.max_channels);
            prop_assert!(c.deferred.len() <= MAX_DEFERRED);
        }

        /// Random EXT_INFO bodies with small counts, so the entries are read: errors are fine,
        /// panics are not.
        #[test]
        fn random_client_ext_info(count in 0u32..16, rest in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut body = count.to_be_bytes().to_vec();
            body.extend_from_slice(&rest);
            let _ = read_client_ext_info(&body);
        }
    }
}
