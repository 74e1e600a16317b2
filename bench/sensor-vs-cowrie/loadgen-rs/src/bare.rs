//! `--client bare`: a handshake client that does only what the handshake needs, so that on a
//! small machine the load generator leaves the CPUs to the server it measures. The russh
//! client spends more CPU per handshake than the sikker sensor does; this one about a third.
//!
//! What it speaks, all of which both the sikker sensor and Cowrie offer: `curve25519-sha256`,
//! the host key type given with `--hostkey`, `aes128-ctr` with `hmac-sha2-256` in both
//! directions, no compression, no extension negotiation, no strict key exchange. It sends the
//! same messages in the same order as the russh client (identification, KEXINIT,
//! KEX_ECDH_INIT, NEWKEYS, the `ssh-userauth` service, `none` then `password`, DISCONNECT),
//! so the server's work per handshake is the same.
//!
//! What it leaves out, because a load generator does not need it: it does not verify the host
//! key's signature over the exchange hash (the russh client of the same bench does), nor the
//! MACs of the server's packets; it decrypts them only to read their message types. Its KEXINIT
//! cookie and padding are zeros. Anything malformed from the server ends the handshake with an
//! error naming what was wrong; sizes are bounded.

use aes::cipher::{KeyIvInit, StreamCipher};
use aws_lc_rs::{agreement, digest, hmac, rand};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

const IDENT: &[u8] = b"SSH-2.0-sikker_bench_bare_0.1";
const MAX_PACKET: usize = 64 * 1024;
const MAX_IDENT_BYTES: usize = 16 * 1024;
const MAC_LEN: usize = 32;

const MSG_DISCONNECT: u8 = 1;
const MSG_SERVICE_REQUEST: u8 = 5;
const MSG_SERVICE_ACCEPT: u8 = 6;
const MSG_KEXINIT: u8 = 20;
const MSG_NEWKEYS: u8 = 21;
const MSG_KEX_ECDH_INIT: u8 = 30;
const MSG_KEX_ECDH_REPLY: u8 = 31;
const MSG_USERAUTH_REQUEST: u8 = 50;
const MSG_USERAUTH_FAILURE: u8 = 51;
const MSG_USERAUTH_SUCCESS: u8 = 52;

/// One direction's keys once NEWKEYS has passed.
struct Keys {
    cipher: Aes128Ctr,
    mac: hmac::Key,
}

struct Conn {
    tcp: TcpStream,
    /// Bytes read and not yet consumed; with `rx_keys`, the first block of the next packet may
    /// already be decrypted (`head_plain`).
    rx: Vec<u8>,
    head_plain: bool,
    tx_seq: u32,
    tx_keys: Option<Keys>,
    rx_keys: Option<Aes128Ctr>,
}

/// One handshake against 127.0.0.1:`port`; returns the host key type the server presented.
pub async fn handshake(
    port: u16,
    hostkey: &str,
    user: &str,
    password: &str,
) -> Result<String, String> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true)
        .map_err(|e| format!("TCP_NODELAY: {e}"))?;
    let mut c = Conn {
        tcp,
        rx: Vec::with_capacity(4096),
        head_plain: false,
        tx_seq: 0,
        tx_keys: None,
        rx_keys: None,
    };

    let client_kexinit = kexinit(hostkey);
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(IDENT);
    out.extend_from_slice(b"\r\n");
    c.seal(&client_kexinit, &mut out);
    c.send(&out).await?;

    let server_ident = c.read_ident().await?;
    let server_kexinit = c.expect(MSG_KEXINIT, "KEXINIT").await?;

    let rng = rand::SystemRandom::new();
    let ephemeral = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng)
        .map_err(|_| "X25519 key generation failed".to_string())?;
    let q_c = ephemeral
        .compute_public_key()
        .map_err(|_| "X25519 public key failed".to_string())?;
    let mut init = vec![MSG_KEX_ECDH_INIT];
    put_string(&mut init, q_c.as_ref());
    out.clear();
    c.seal(&init, &mut out);
    c.send(&out).await?;

    let reply = c.expect(MSG_KEX_ECDH_REPLY, "KEX_ECDH_REPLY").await?;
    let mut r = Reader(&reply[1..]);
    let k_s = r.string("host key")?;
    let q_s = r.string("server ephemeral key")?;
    r.string("signature")?;
    let key_type = String::from_utf8_lossy(Reader(k_s).string("host key type")?).into_owned();
    let peer = agreement::UnparsedPublicKey::new(&agreement::X25519, q_s);
    let secret = agreement::agree_ephemeral(
        ephemeral,
        peer,
        "X25519 agreement failed (bad server key)".to_string(),
        |k| Ok(k.to_vec()),
    )?;
    let mut k = Vec::with_capacity(40);
    put_mpint(&mut k, &secret);

    let mut h = digest::Context::new(&digest::SHA256);
    for part in [
        IDENT,
        server_ident.as_slice(),
        client_kexinit.as_slice(),
        server_kexinit.as_slice(),
        k_s,
        q_c.as_ref(),
        q_s,
    ] {
        h.update(&(part.len() as u32).to_be_bytes());
        h.update(part);
    }
    h.update(&k);
    let h = h.finish();
    let derive = |letter: u8| {
        let mut d = digest::Context::new(&digest::SHA256);
        d.update(&k);
        d.update(h.as_ref());
        d.update(&[letter]);
        d.update(h.as_ref()); // the session id is the first exchange hash
        d.finish()
    };
    let (iv_c, iv_s, enc_c, enc_s, mac_c) = (
        derive(b'A'),
        derive(b'B'),
        derive(b'C'),
        derive(b'D'),
        derive(b'E'),
    );
    let cipher = |key: &digest::Digest, iv: &digest::Digest| {
        Aes128Ctr::new_from_slices(&key.as_ref()[..16], &iv.as_ref()[..16])
            .map_err(|_| "aes128-ctr key set-up".to_string())
    };

    c.expect(MSG_NEWKEYS, "NEWKEYS").await?;
    c.rx_keys = Some(cipher(&enc_s, &iv_s)?);
    // NEWKEYS goes out in the clear; what follows it in the same write is encrypted.
    out.clear();
    c.seal(&[MSG_NEWKEYS], &mut out);
    c.tx_keys = Some(Keys {
        cipher: cipher(&enc_c, &iv_c)?,
        mac: hmac::Key::new(hmac::HMAC_SHA256, mac_c.as_ref()),
    });
    let mut service = vec![MSG_SERVICE_REQUEST];
    put_string(&mut service, b"ssh-userauth");
    c.seal(&service, &mut out);
    c.send(&out).await?;
    c.expect(MSG_SERVICE_ACCEPT, "SERVICE_ACCEPT").await?;

    // `none` first, as OpenSSH and asyncssh ask; whatever it answers, the password follows.
    let mut none = vec![MSG_USERAUTH_REQUEST];
    for s in [user.as_bytes(), b"ssh-connection", b"none"] {
        put_string(&mut none, s);
    }
    out.clear();
    c.seal(&none, &mut out);
    c.send(&out).await?;
    c.auth_answer().await?;

    let mut pw = vec![MSG_USERAUTH_REQUEST];
    for s in [user.as_bytes(), b"ssh-connection", b"password"] {
        put_string(&mut pw, s);
    }
    pw.push(0); // not a password change
    put_string(&mut pw, password.as_bytes());
    out.clear();
    c.seal(&pw, &mut out);
    c.send(&out).await?;
    if !c.auth_answer().await? {
        return Err("password rejected".into());
    }

    let mut bye = vec![MSG_DISCONNECT];
    bye.extend_from_slice(&11u32.to_be_bytes()); // SSH_DISCONNECT_BY_APPLICATION
    put_string(&mut bye, b"");
    put_string(&mut bye, b"");
    out.clear();
    c.seal(&bye, &mut out);
    c.send(&out).await?;
    // As the russh client does: the handshake ends when the server closes.
    let mut sink = [0u8; 512];
    while let Ok(n) = c.tcp.read(&mut sink).await {
        if n == 0 {
            break;
        }
    }
    Ok(key_type)
}

/// The client's KEXINIT payload: one algorithm per list.
fn kexinit(hostkey: &str) -> Vec<u8> {
    let mut p = vec![MSG_KEXINIT];
    p.extend_from_slice(&[0u8; 16]);
    for list in [
        "curve25519-sha256",
        hostkey,
        "aes128-ctr",
        "aes128-ctr",
        "hmac-sha2-256",
        "hmac-sha2-256",
        "none",
        "none",
        "",
        "",
    ] {
        put_string(&mut p, list.as_bytes());
    }
    p.push(0); // no guessed packet follows
    p.extend_from_slice(&0u32.to_be_bytes());
    p
}

impl Conn {
    /// Appends `payload` as one binary packet to `out`: in the clear before NEWKEYS, then
    /// encrypted and MACed.
    fn seal(&mut self, payload: &[u8], out: &mut Vec<u8>) {
        let block = if self.tx_keys.is_some() { 16 } else { 8 };
        let mut pad = block - (5 + payload.len()) % block;
        if pad < 4 {
            pad += block;
        }
        let start = out.len();
        out.extend_from_slice(&((1 + payload.len() + pad) as u32).to_be_bytes());
        out.push(pad as u8);
        out.extend_from_slice(payload);
        out.resize(out.len() + pad, 0);
        if let Some(keys) = &mut self.tx_keys {
            let mut mac = hmac::Context::with_key(&keys.mac);
            mac.update(&self.tx_seq.to_be_bytes());
            mac.update(&out[start..]);
            let tag = mac.sign();
            keys.cipher.apply_keystream(&mut out[start..]);
            out.extend_from_slice(tag.as_ref());
        }
        self.tx_seq = self.tx_seq.wrapping_add(1);
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.tcp
            .write_all(bytes)
            .await
            .map_err(|e| format!("write: {e}"))
    }

    async fn fill(&mut self, want: usize) -> Result<(), String> {
        while self.rx.len() < want {
            let n = self
                .tcp
                .read_buf(&mut self.rx)
                .await
                .map_err(|e| format!("read: {e}"))?;
            if n == 0 {
                return Err("server closed the connection".into());
            }
        }
        Ok(())
    }

    /// The server's identification line without its line end; lines before it are skipped.
    async fn read_ident(&mut self) -> Result<Vec<u8>, String> {
        loop {
            if let Some(end) = self.rx.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.rx.drain(..=end).collect();
                let line = line.strip_suffix(b"\n").unwrap_or(&line);
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                if line.starts_with(b"SSH-") {
                    return Ok(line.to_vec());
                }
                continue;
            }
            if self.rx.len() > MAX_IDENT_BYTES {
                return Err("no identification line in the server's first 16 KiB".into());
            }
            let want = self.rx.len() + 1;
            self.fill(want).await?;
        }
    }

    /// The next packet's payload.
    async fn packet(&mut self) -> Result<Vec<u8>, String> {
        let head = if self.rx_keys.is_some() { 16 } else { 5 };
        self.fill(head).await?;
        if let (Some(cipher), false) = (&mut self.rx_keys, self.head_plain) {
            cipher.apply_keystream(&mut self.rx[..16]);
            self.head_plain = true;
        }
        let len = u32::from_be_bytes([self.rx[0], self.rx[1], self.rx[2], self.rx[3]]) as usize;
        let pad = self.rx[4] as usize;
        if !(pad + 1..=MAX_PACKET).contains(&len) || len + 4 < head {
            return Err(format!("bad packet length {len} (padding {pad})"));
        }
        let mac = if self.rx_keys.is_some() { MAC_LEN } else { 0 };
        self.fill(4 + len + mac).await?;
        if let Some(cipher) = &mut self.rx_keys {
            cipher.apply_keystream(&mut self.rx[16..4 + len]);
        }
        self.head_plain = false;
        let payload = self.rx[5..4 + len - pad].to_vec();
        self.rx.drain(..4 + len + mac);
        if payload.is_empty() {
            return Err("empty packet".into());
        }
        Ok(payload)
    }

    /// The next packet of type `want`, skipping IGNORE, DEBUG, EXT_INFO and banners; a
    /// DISCONNECT or anything else is an error.
    async fn expect(&mut self, want: u8, name: &str) -> Result<Vec<u8>, String> {
        loop {
            let p = self.packet().await?;
            match p[0] {
                t if t == want => return Ok(p),
                2 | 4 | 7 | 53 => continue,
                MSG_DISCONNECT => return Err(format!("server disconnected waiting for {name}")),
                t => return Err(format!("message {t} while waiting for {name}")),
            }
        }
    }

    /// USERAUTH_SUCCESS (true) or FAILURE (false), skipping banners.
    async fn auth_answer(&mut self) -> Result<bool, String> {
        loop {
            let p = self.packet().await?;
            match p[0] {
                MSG_USERAUTH_SUCCESS => return Ok(true),
                MSG_USERAUTH_FAILURE => return Ok(false),
                2 | 4 | 7 | 53 => continue,
                t => return Err(format!("message {t} while waiting for the auth answer")),
            }
        }
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s);
}

/// `bytes` (big-endian, unsigned) as an SSH mpint.
fn put_mpint(out: &mut Vec<u8>, bytes: &[u8]) {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[first..];
    let sign_pad = digits.first().is_some_and(|&b| b & 0x80 != 0);
    out.extend_from_slice(&((digits.len() + sign_pad as usize) as u32).to_be_bytes());
    if sign_pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn string(&mut self, what: &str) -> Result<&'a [u8], String> {
        let short = || format!("KEX_ECDH_REPLY: {what} cut short");
        let len = self.0.get(..4).ok_or_else(short)?;
        let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]) as usize;
        let s = self.0.get(4..4 + len).ok_or_else(short)?;
        self.0 = &self.0[4 + len..];
        Ok(s)
    }
}
