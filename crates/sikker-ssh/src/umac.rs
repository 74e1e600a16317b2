//! UMAC-64 and UMAC-128 (RFC 4418) as OpenSSH uses them (`umac-64@openssh.com`,
//! `umac-128@openssh.com` and their -etm forms): a 16-byte AES-128 key, the packet as the
//! message and the 64-bit big-endian sequence number as the nonce.
//!
//! Layers: NH over 1024-byte chunks (message words little-endian, key words big-endian, as
//! the reference code loads them), POLY over the chunk hashes when the message is longer
//! than one chunk, the inner product mod 2^36 − 5, and a pad from AES of the nonce.

use aes::cipher::{BlockCipherEncrypt, KeyInit};

const L1_KEY_LEN: usize = 1024;
const P36: u64 = (1 << 36) - 5;
const P64: u64 = 0u64.wrapping_sub(59); // 2^64 − 59

/// Per-stream keys (one stream per 32 bits of tag).
struct Stream {
    /// L2 (POLY) key, masked.
    poly_key: u64,
    /// L3 keys for the four non-zero 16-bit words of the 16-byte L2 output, reduced mod p36.
    ip_keys: [u64; 4],
    /// L3 output mask.
    ip_trans: u32,
}

pub struct Umac {
    pdf: aes::Aes128,
    /// NH key words (big-endian from the KDF): 1024 bytes plus 16 per extra stream.
    nh_key: Vec<u32>,
    streams: Vec<Stream>,
    tag_len: usize,
}

fn kdf(aes: &aes::Aes128, index: u8, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut counter = 1u64;
    while out.len() < len {
        let mut block = [0u8; 16];
        block[7] = index;
        block[8..].copy_from_slice(&counter.to_be_bytes());
        let mut b = block.into();
        aes.encrypt_block(&mut b);
        out.extend_from_slice(&b);
        counter += 1;
    }
    out.truncate(len);
    out
}

fn be64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    u64::from_be_bytes(a)
}

impl Umac {
    /// `tag_len` is 8 (UMAC-64) or 16 (UMAC-128).
    pub fn new(key: &[u8], tag_len: usize) -> Option<Self> {
        let aes = aes::Aes128::new_from_slice(key).ok()?;
        let n = tag_len / 4;
        let pdf = aes::Aes128::new_from_slice(&kdf(&aes, 0, 16)).ok()?;
        let nh: Vec<u32> = kdf(&aes, 1, L1_KEY_LEN + (n - 1) * 16)
            .chunks_exact(4)
            .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let l2 = kdf(&aes, 2, n * 24);
        let l3a = kdf(&aes, 3, n * 64);
        let l3b = kdf(&aes, 4, n * 4);
        let streams = (0..n)
            .map(|i| {
                let mut ip_keys = [0u64; 4];
                for (j, k) in ip_keys.iter_mut().enumerate() {
                    *k = be64(&l3a[i * 64 + 32 + j * 8..]) % P36;
                }
                Stream {
                    poly_key: be64(&l2[i * 24..]) & 0x01ff_ffff_01ff_ffff,
                    ip_keys,
                    ip_trans: u32::from_be_bytes([
                        l3b[i * 4],
                        l3b[i * 4 + 1],
                        l3b[i * 4 + 2],
                        l3b[i * 4 + 3],
                    ]),
                }
            })
            .collect();
        Some(Umac {
            pdf,
            nh_key: nh,
            streams,
            tag_len,
        })
    }

    /// NH of one chunk (≤ 1024 bytes) with the key offset for `stream`, plus its bit length.
    fn nh(&self, stream: usize, chunk: &[u8]) -> u64 {
        let key = &self.nh_key[stream * 4..];
        let mut h = 0u64;
        let mut tail = [0u8; 32];
        for (bi, c) in chunk.chunks(32).enumerate() {
            // The last block is zero-padded to 32 bytes.
            let d: &[u8] = if c.len() == 32 {
                c
            } else {
                tail[..c.len()].copy_from_slice(c);
                &tail
            };
            let k = &key[bi * 8..bi * 8 + 8];
            let w =
                |i: usize| u32::from_le_bytes([d[4 * i], d[4 * i + 1], d[4 * i + 2], d[4 * i + 3]]);
            for i in 0..4 {
                let a = w(i).wrapping_add(k[i]) as u64;
                let b = w(i + 4).wrapping_add(k[i + 4]) as u64;
                h = h.wrapping_add(a.wrapping_mul(b));
            }
        }
        h.wrapping_add((chunk.len() as u64) * 8)
    }

    fn poly_step(y: u64, key: u64, m: u64) -> u64 {
        ((y as u128 * key as u128 + m as u128) % P64 as u128) as u64
    }

    fn uhash_stream(&self, i: usize, msg: &[u8]) -> u32 {
        let s = &self.streams[i];
        let l2: u64 = if msg.len() <= L1_KEY_LEN {
            self.nh(i, msg)
        } else {
            // SSH packets are far below 2^17 chunks, so one 64-bit POLY covers them.
            let mut y = 1u64;
            for chunk in msg.chunks(L1_KEY_LEN) {
                let m = self.nh(i, chunk);
                if m >> 32 == 0xffff_ffff {
                    y = Self::poly_step(y, s.poly_key, P64 - 1);
                    y = Self::poly_step(y, s.poly_key, m.wrapping_sub(59));
                } else {
                    y = Self::poly_step(y, s.poly_key, m);
                }
            }
            y
        };
        let mut t = 0u128;
        for (j, k) in s.ip_keys.iter().enumerate() {
            let word = (l2 >> (48 - 16 * j)) & 0xffff;
            t += word as u128 * *k as u128;
        }
        ((t % P36 as u128) as u32) ^ s.ip_trans
    }

    /// The tag of `msg` under `nonce` (OpenSSH: the packet's sequence number).
    pub fn tag(&self, msg: &[u8], nonce: u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        for i in 0..self.streams.len() {
            out[4 * i..4 * i + 4].copy_from_slice(&self.uhash_stream(i, msg).to_be_bytes());
        }
        // The pad: AES of the nonce; UMAC-64 takes the half its low bit selects.
        let mut block = [0u8; 16];
        let (nonce, half) = if self.tag_len == 8 {
            (nonce & !1, (nonce & 1) as usize)
        } else {
            (nonce, 0)
        };
        block[..8].copy_from_slice(&nonce.to_be_bytes());
        let mut b = block.into();
        self.pdf.encrypt_block(&mut b);
        for (o, p) in out[..self.tag_len]
            .iter_mut()
            .zip(&b[half * 8..half * 8 + self.tag_len])
        {
            *o ^= p;
        }
        out
    }
}
