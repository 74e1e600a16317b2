//! A minimal SSH client that talks to a `ServerConnection` in memory, without sockets: the
//! client side of curve25519-sha256 (ring), key derivation per RFC 4253 §7.2, and the crate's
//! own `Sealer`/`Opener` for the encrypted packets. It offers one cipher and one MAC and strict
//! KEX, and does not check the host key's signature: it is for driving the server's state
//! machine message by message, not for testing the key exchange itself.

use ring::{agreement, digest, rand::SystemRandom};
use sikker_ssh::packet::{DirectionKeys, Opener, Sealer};
use sikker_ssh::{Cipher, Event, MacAlg, ServerConnection};

pub const CLIENT_ID: &str = "SSH-2.0-OpenSSH_9.6";
pub const MSG_UNIMPLEMENTED: u8 = 3;
pub const MSG_SERVICE_ACCEPT: u8 = 6;
pub const MSG_EXT_INFO: u8 = 7;
pub const MSG_NEWKEYS: u8 = 21;
pub const MSG_KEX_ECDH_REPLY: u8 = 31;
pub const MSG_USERAUTH_FAILURE: u8 = 51;
pub const MSG_USERAUTH_SUCCESS: u8 = 52;
pub const MSG_USERAUTH_BANNER: u8 = 53;
pub const MSG_USERAUTH_INFO_REQUEST: u8 = 60;

const CIPHER: Cipher = Cipher::Aes128Ctr;
const MAC: MacAlg = MacAlg::HmacSha256;

pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s);
}

fn put_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let m = &magnitude[start..];
    let sign = m.first().is_some_and(|b| b & 0x80 != 0);
    put_u32(out, (m.len() + usize::from(sign)) as u32);
    if sign {
        out.push(0);
    }
    out.extend_from_slice(m);
}

/// A bounds-checked reader over a server payload (panics: this is test code).
pub struct Read<'a>(pub &'a [u8]);

impl<'a> Read<'a> {
    pub fn u8(&mut self) -> u8 {
        let b = self.0[0];
        self.0 = &self.0[1..];
        b
    }
    pub fn u32(&mut self) -> u32 {
        let (n, rest) = self.0.split_first_chunk::<4>().expect("u32");
        self.0 = rest;
        u32::from_be_bytes(*n)
    }
    pub fn string(&mut self) -> &'a [u8] {
        let n = self.u32() as usize;
        let (s, rest) = self.0.split_at(n);
        self.0 = rest;
        s
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Every (name, value) of an EXT_INFO payload, checking that nothing follows the last one.
pub fn ext_info_entries(payload: &[u8]) -> Vec<(String, String)> {
    let mut r = Read(payload);
    assert_eq!(r.u8(), MSG_EXT_INFO);
    let n = r.u32();
    let entries = (0..n)
        .map(|_| {
            let name = String::from_utf8(r.string().to_vec()).expect("name");
            let value = String::from_utf8(r.string().to_vec()).expect("value");
            (name, value)
        })
        .collect();
    assert!(r.is_empty(), "bytes after the last extension");
    entries
}

/// An EXT_INFO payload with these entries, the count given separately so it can lie.
pub fn ext_info(count: u32, entries: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut p = vec![MSG_EXT_INFO];
    put_u32(&mut p, count);
    for (name, value) in entries {
        put_string(&mut p, name);
        put_string(&mut p, value);
    }
    p
}

pub fn service_request(name: &str) -> Vec<u8> {
    let mut p = vec![5];
    put_string(&mut p, name.as_bytes());
    p
}

pub fn password_request(user: &str, password: &str) -> Vec<u8> {
    let mut p = vec![50];
    put_string(&mut p, user.as_bytes());
    put_string(&mut p, b"ssh-connection");
    put_string(&mut p, b"password");
    p.push(0);
    put_string(&mut p, password.as_bytes());
    p
}

pub fn keyboard_interactive_request(user: &str) -> Vec<u8> {
    let mut p = vec![50];
    put_string(&mut p, user.as_bytes());
    put_string(&mut p, b"ssh-connection");
    put_string(&mut p, b"keyboard-interactive");
    put_string(&mut p, b"");
    put_string(&mut p, b"");
    p
}

/// Polls until the server wants input or an answer; the events, or the first error.
pub fn poll_all(conn: &mut ServerConnection) -> Result<Vec<Event>, sikker_ssh::Error> {
    let mut events = Vec::new();
    while let Some(e) = conn.poll()? {
        events.push(e);
    }
    Ok(events)
}

/// The client's side of one connection, past the key exchange once `connect` returns.
pub struct Client {
    sealer: Sealer,
    opener: Opener,
    /// Server bytes not yet opened.
    rx: Vec<u8>,
    server_id: Vec<u8>,
    /// The first exchange hash; empty before the first key exchange.
    session_id: Vec<u8>,
    ext_info_c: bool,
    /// What the first EXT_INFO said, if the server sent one with its NEWKEYS.
    pub first_ext_info: Option<Vec<(String, String)>>,
    /// Packets sent under the current keys: the sequence number of the next one.
    pub seq: u32,
}

impl Client {
    /// Identification, then a key exchange (see [`Client::key_exchange`]). Returns the
    /// events the server reported on the way.
    pub fn connect(conn: &mut ServerConnection, ext_info_c: bool) -> (Client, Vec<Event>) {
        let mut c = Client {
            sealer: Sealer::default(),
            opener: Opener::new(256 * 1024),
            rx: Vec::new(),
            server_id: Vec::new(),
            session_id: Vec::new(),
            ext_info_c,
            first_ext_info: None,
            seq: 0,
        };
        // The server's identification line comes first, unframed.
        let out = take_output(conn);
        let nl = out.iter().position(|&b| b == b'\n').expect("server id");
        c.server_id = out[..nl].strip_suffix(b"\r").expect("CR LF").to_vec();
        c.rx.extend_from_slice(&out[nl + 1..]);
        let id = format!("{CLIENT_ID}\r\n");
        let events = c.key_exchange(conn, id.as_bytes());
        let rest = c.receive(conn);
        match rest.as_slice() {
            [] => {}
            [p] if p[0] == MSG_EXT_INFO => c.first_ext_info = Some(ext_info_entries(p)),
            other => panic!("after NEWKEYS: {other:?}"),
        }
        (c, events)
    }

    /// A key exchange started by the client, under the keys in use; nothing else may be in
    /// flight.
    pub fn rekey(&mut self, conn: &mut ServerConnection) -> Vec<Event> {
        self.key_exchange(conn, b"")
    }

    /// KEXINIT (curve25519-sha256, plus `ext-info-c` if asked for, and
    /// `kex-strict-c-v00@openssh.com`), KEX_ECDH_INIT, the server's KEXINIT, reply and
    /// NEWKEYS, then our NEWKEYS and the new keys both ways. `prefix` goes first (the
    /// identification line).
    fn key_exchange(&mut self, conn: &mut ServerConnection, prefix: &[u8]) -> Vec<Event> {
        let kex = if self.ext_info_c {
            "curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com"
        } else {
            "curve25519-sha256,kex-strict-c-v00@openssh.com"
        };
        let mut kexinit = vec![20];
        kexinit.extend_from_slice(&[0x5a; 16]);
        for list in [
            kex,
            "ssh-ed25519",
            CIPHER.name(),
            CIPHER.name(),
            MAC.name(),
            MAC.name(),
            "none",
            "none",
            "",
            "",
        ] {
            put_string(&mut kexinit, list.as_bytes());
        }
        kexinit.push(0);
        put_u32(&mut kexinit, 0);

        let rng = SystemRandom::new();
        let private =
            agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).expect("x25519");
        let q_c = private
            .compute_public_key()
            .expect("public")
            .as_ref()
            .to_vec();
        let mut init = vec![30];
        put_string(&mut init, &q_c);

        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&self.frame(&kexinit));
        bytes.extend_from_slice(&self.frame(&init));
        conn.feed(&bytes).expect("feed");
        let mut events = poll_all(conn).expect("key exchange");

        // KEXINIT, KEX_ECDH_REPLY, NEWKEYS under the old keys; what follows is under the new.
        self.rx.extend_from_slice(&take_output(conn));
        let server_kexinit = self.open_one().expect("server KEXINIT");
        assert_eq!(server_kexinit[0], 20);
        let reply = self.open_one().expect("KEX_ECDH_REPLY");
        let mut r = Read(&reply);
        assert_eq!(r.u8(), MSG_KEX_ECDH_REPLY);
        let k_s = r.string().to_vec();
        let q_s = r.string().to_vec();
        let _signature = r.string();
        assert_eq!(self.open_one().expect("NEWKEYS"), [MSG_NEWKEYS]);

        let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, &q_s);
        let secret = agreement::agree_ephemeral(private, &peer, |k| k.to_vec()).expect("agree");
        let mut k = Vec::new();
        put_mpint(&mut k, &secret);
        let mut h = digest::Context::new(&digest::SHA256);
        for s in [
            CLIENT_ID.as_bytes(),
            &self.server_id,
            &kexinit,
            &server_kexinit,
            &k_s,
            &q_c,
            &q_s,
        ] {
            h.update(&(s.len() as u32).to_be_bytes());
            h.update(s);
        }
        h.update(&k);
        let h = h.finish().as_ref().to_vec();
        if self.session_id.is_empty() {
            self.session_id = h.clone();
        }
        let session_id = self.session_id.clone();
        let derive = |letter: u8, len: usize| derive(&k, &h, letter, &session_id, len);

        // Strict KEX: sequence numbers start again at zero under the new keys, so fresh halves.
        let (iv, key, mac) = (
            derive(b'B', CIPHER.iv_len()),
            derive(b'D', CIPHER.key_len()),
            derive(b'F', MAC.key_len()),
        );
        self.opener = Opener::new(256 * 1024);
        self.opener
            .rekey(&DirectionKeys {
                cipher: CIPHER,
                mac: Some(MAC),
                iv: &iv,
                key: &key,
                mac_key: &mac,
            })
            .expect("server-to-client keys");
        let newkeys = self.frame(&[MSG_NEWKEYS]);
        let (iv, key, mac) = (
            derive(b'A', CIPHER.iv_len()),
            derive(b'C', CIPHER.key_len()),
            derive(b'E', MAC.key_len()),
        );
        self.sealer = Sealer::default();
        self.sealer
            .rekey(&DirectionKeys {
                cipher: CIPHER,
                mac: Some(MAC),
                iv: &iv,
                key: &key,
                mac_key: &mac,
            })
            .expect("client-to-server keys");
        self.seq = 0;
        conn.feed(&newkeys).expect("feed NEWKEYS");
        events.extend(poll_all(conn).expect("NEWKEYS"));
        assert!(
            events
                .iter()
                .any(|e| matches!(e, Event::KeyExchangeDone { .. })),
            "{events:?}"
        );
        events
    }

    /// Frames `payload` with the current client-to-server keys.
    fn frame(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let start = Sealer::begin(&mut out);
        out.extend_from_slice(payload);
        self.sealer.seal(&mut out, start);
        out
    }

    /// Seals `payload`, feeds it to the server and returns its sequence number.
    pub fn send(&mut self, conn: &mut ServerConnection, payload: &[u8]) -> u32 {
        let packet = self.frame(payload);
        conn.feed(&packet).expect("feed");
        self.seq += 1;
        self.seq - 1
    }

    fn open_one(&mut self) -> Option<Vec<u8>> {
        let op = self.opener.open(&mut self.rx).expect("server packet")?;
        let payload = self.rx[op.payload].to_vec();
        self.rx.drain(..op.consumed);
        Some(payload)
    }

    /// Every whole packet the server has written since, as payloads.
    pub fn receive(&mut self, conn: &mut ServerConnection) -> Vec<Vec<u8>> {
        self.rx.extend_from_slice(&take_output(conn));
        std::iter::from_fn(|| self.open_one()).collect()
    }
}

fn take_output(conn: &mut ServerConnection) -> Vec<u8> {
    let out = conn.output().to_vec();
    conn.consume_output(out.len());
    out
}

/// RFC 4253 §7.2: HASH(K || H || letter || session_id), extended by HASH(K || H || so far).
fn derive(k: &[u8], h: &[u8], letter: u8, session_id: &[u8], len: usize) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(k);
    ctx.update(h);
    ctx.update(&[letter]);
    ctx.update(session_id);
    let mut out = ctx.finish().as_ref().to_vec();
    while out.len() < len {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(k);
        ctx.update(h);
        ctx.update(&out);
        out.extend_from_slice(ctx.finish().as_ref());
    }
    out.truncate(len);
    out
}
