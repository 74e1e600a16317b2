//! Key exchange: KEXINIT encoding and parsing, the ECDH methods on ring, the exchange hash and
//! key derivation (RFC 4253 §7–7.2, RFC 5656, RFC 8731).

use crate::algorithms::{
    Algorithms, ClientKexInit, HostKeyAlg, Kex, EXT_INFO_SERVER, KEX_STRICT_SERVER,
};
use crate::wire::{
    put_bool, put_mpint, put_name_list, put_string, put_u32, put_u8, split_name_list, Reader,
};
use crate::Error;
use rand::RngCore;
use ring::agreement;
use ring::digest;

pub const MSG_KEXINIT: u8 = 20;
pub const MSG_NEWKEYS: u8 = 21;
pub const MSG_KEX_ECDH_INIT: u8 = 30;
pub const MSG_KEX_ECDH_REPLY: u8 = 31;
pub const MSG_KEXDH_INIT: u8 = 30;
pub const MSG_KEXDH_REPLY: u8 = 31;
pub const MSG_KEX_DH_GEX_GROUP: u8 = 31;
pub const MSG_KEX_DH_GEX_INIT: u8 = 32;
pub const MSG_KEX_DH_GEX_REPLY: u8 = 33;
pub const MSG_KEX_DH_GEX_REQUEST: u8 = 34;
/// Message numbers 30–49 belong to the negotiated key exchange method (RFC 4250 §4.1.2).
pub const KEX_METHOD_FIRST: u8 = 30;
pub const KEX_METHOD_LAST: u8 = 49;

/// Appends the server's KEXINIT payload. `host_keys` is the host key list already narrowed to
/// the keys the server holds.
pub fn write_kexinit(out: &mut Vec<u8>, algs: &Algorithms, host_keys: &[HostKeyAlg]) {
    put_u8(out, MSG_KEXINIT);
    let mut cookie = [0u8; 16];
    rand::rng().fill_bytes(&mut cookie);
    out.extend_from_slice(&cookie);
    let mut kex: Vec<&str> = algs.kex.iter().map(|k| k.name()).collect();
    // Where OpenSSH ≥ 9.6 puts them: "…,ext-info-s,kex-strict-s-v00@openssh.com".
    if algs.ext_info_s {
        kex.push(EXT_INFO_SERVER);
    }
    if algs.strict {
        kex.push(KEX_STRICT_SERVER);
    }
    put_name_list(out, &kex);
    let hk: Vec<&str> = host_keys.iter().map(|h| h.name()).collect();
    put_name_list(out, &hk);
    let ciphers: Vec<&str> = algs.cipher.iter().map(|c| c.name()).collect();
    put_name_list(out, &ciphers);
    put_name_list(out, &ciphers);
    let macs: Vec<&str> = algs.mac.iter().map(|m| m.name()).collect();
    put_name_list(out, &macs);
    put_name_list(out, &macs);
    let comp: Vec<&str> = algs.compression.iter().map(|c| c.name()).collect();
    put_name_list(out, &comp);
    put_name_list(out, &comp);
    put_name_list::<&str>(out, &[]);
    put_name_list::<&str>(out, &[]);
    put_bool(out, false);
    put_u32(out, 0);
}

/// Parses a client's KEXINIT payload (message number included).
pub fn parse_kexinit(payload: &[u8]) -> Result<ClientKexInit, Error> {
    let mut r = Reader::new(payload);
    if r.u8("message number")? != MSG_KEXINIT {
        return Err(Error::protocol("not a KEXINIT"));
    }
    r.bytes(16, "KEXINIT cookie")?;
    let mut list = |what| r.string(what).map(split_name_list);
    let k = ClientKexInit {
        kex: list("kex algorithms")?,
        host_key: list("host key algorithms")?,
        cipher_c2s: list("ciphers client to server")?,
        cipher_s2c: list("ciphers server to client")?,
        mac_c2s: list("MACs client to server")?,
        mac_s2c: list("MACs server to client")?,
        compression_c2s: list("compression client to server")?,
        compression_s2c: list("compression server to client")?,
        first_kex_packet_follows: {
            list("languages client to server")?;
            list("languages server to client")?;
            r.bool("first_kex_packet_follows")?
        },
    };
    r.u32("reserved")?;
    Ok(k)
}

/// K as it enters the exchange hash and the key derivation: an mpint, except for the hybrid
/// post-quantum method, whose K is a hash and is encoded as a string.
pub fn encode_secret(kex: Kex, secret: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(secret.len() + 5);
    match kex {
        Kex::Mlkem768X25519Sha256 => put_string(&mut k, secret),
        _ => put_mpint(&mut k, secret),
    }
    k
}

/// ML-KEM-768 encapsulation key and X25519 public key lengths in the hybrid method's C_INIT.
const MLKEM768_PUBLIC: usize = 1184;

/// mlkem768x25519-sha256: encapsulate to the client's ML-KEM key, agree on X25519, and return
/// (ciphertext ‖ our X25519 public, SHA-256(K_pq ‖ K_cl)).
fn agree_hybrid(client_public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    use ml_kem::{Encapsulate, EncapsulationKey, MlKem768, TryKeyInit};
    if client_public.len() != MLKEM768_PUBLIC + 32 {
        return Err(Error::Kex("hybrid client value has the wrong length"));
    }
    let (pq, classic) = client_public.split_at(MLKEM768_PUBLIC);
    let ek = EncapsulationKey::<MlKem768>::new_from_slice(pq)
        .map_err(|_| Error::Kex("client's ML-KEM key rejected"))?;
    let (ct, k_pq) = ek.encapsulate();
    let (s_pub, k_cl) = agree(Kex::Curve25519Sha256, classic)?;
    let mut reply = Vec::with_capacity(ct.len() + s_pub.len());
    reply.extend_from_slice(&ct);
    reply.extend_from_slice(&s_pub);
    let mut h = digest::Context::new(&digest::SHA256);
    h.update(&k_pq);
    h.update(&k_cl);
    Ok((reply, h.finish().as_ref().to_vec()))
}

/// ecdh-sha2-nistp521, which ring lacks, on RustCrypto's p521.
fn agree_p521(client_public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let peer = p521::PublicKey::from_sec1_bytes(client_public)
        .map_err(|_| Error::Kex("client's ephemeral public key rejected"))?;
    // A uniformly random scalar below 2^521, retried in the (≈2^-260) case it is ≥ n or zero.
    let secret = (0..8)
        .find_map(|_| {
            let mut b = [0u8; 66];
            rand::rng().fill_bytes(&mut b);
            b[0] &= 0x01;
            p521::SecretKey::from_slice(&b).ok()
        })
        .ok_or(Error::Kex("ephemeral key generation"))?;
    let shared = p521::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
    Ok((
        secret.public_key().to_sec1_bytes().to_vec(),
        shared.raw_secret_bytes().to_vec(),
    ))
}

/// The server's half of an ECDH exchange: its public value and the shared secret K (as the
/// unsigned big-endian magnitude that is hashed as an mpint).
pub fn agree(kex: Kex, client_public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let alg = match kex {
        Kex::Curve25519Sha256 | Kex::Curve25519Sha256Libssh => &agreement::X25519,
        Kex::EcdhSha2Nistp256 => &agreement::ECDH_P256,
        Kex::EcdhSha2Nistp384 => &agreement::ECDH_P384,
        Kex::Mlkem768X25519Sha256 => return agree_hybrid(client_public),
        Kex::EcdhSha2Nistp521 => return agree_p521(client_public),
        _ => return Err(Error::Kex("not an ECDH method")),
    };
    let rng = ring::rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(alg, &rng)
        .map_err(|_| Error::Kex("ephemeral key generation"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Error::Kex("ephemeral public key"))?;
    let peer = agreement::UnparsedPublicKey::new(alg, client_public);
    // ring rejects malformed points, off-curve points and an all-zero X25519 result.
    let secret = agreement::agree_ephemeral(private, &peer, |k| k.to_vec())
        .map_err(|_| Error::Kex("client's ephemeral public key rejected"))?;
    Ok((public.as_ref().to_vec(), secret))
}

/// Feeds `string` encodings into a running hash.
pub struct Transcript(digest::Context);

impl Transcript {
    pub fn new(kex: Kex) -> Self {
        Transcript(digest::Context::new(kex.hash()))
    }
    pub fn string(&mut self, s: &[u8]) -> &mut Self {
        self.0.update(&(s.len() as u32).to_be_bytes());
        self.0.update(s);
        self
    }
    pub fn raw(&mut self, b: &[u8]) -> &mut Self {
        self.0.update(b);
        self
    }
    pub fn mpint(&mut self, m: &[u8]) -> &mut Self {
        let mut enc = Vec::with_capacity(m.len() + 5);
        put_mpint(&mut enc, m);
        self.0.update(&enc);
        self
    }
    pub fn finish(self) -> digest::Digest {
        self.0.finish()
    }
}

/// Derives `len` bytes of key material for `letter` ('A'..'F'), RFC 4253 §7.2.
pub fn derive(
    kex: Kex,
    encoded_secret: &[u8],
    h: &[u8],
    letter: u8,
    session_id: &[u8],
    len: usize,
) -> Vec<u8> {
    let k = encoded_secret;
    let mut ctx = digest::Context::new(kex.hash());
    ctx.update(k);
    ctx.update(h);
    ctx.update(&[letter]);
    ctx.update(session_id);
    let mut out = ctx.finish().as_ref().to_vec();
    while out.len() < len {
        let mut ctx = digest::Context::new(kex.hash());
        ctx.update(k);
        ctx.update(h);
        ctx.update(&out);
        out.extend_from_slice(ctx.finish().as_ref());
    }
    out.truncate(len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_kexinit_parses_back() {
        let mut p = Vec::new();
        write_kexinit(&mut p, &Algorithms::default(), &[HostKeyAlg::Ed25519]);
        let k = parse_kexinit(&p).unwrap();
        assert_eq!(k.kex.last().map(String::as_str), Some(KEX_STRICT_SERVER));
        assert_eq!(k.host_key, ["ssh-ed25519"]);
        assert_eq!(k.compression_c2s, ["none", "zlib@openssh.com"]);
        assert!(!k.first_kex_packet_follows);
        // Every truncation is an error, not a panic.
        for n in 0..p.len() {
            assert!(parse_kexinit(&p[..n]).is_err(), "prefix {n}");
        }
    }

    #[test]
    fn x25519_both_sides_agree() {
        let rng = ring::rand::SystemRandom::new();
        let c = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
        let cpub = c.compute_public_key().unwrap();
        let (spub, s_secret) = agree(Kex::Curve25519Sha256, cpub.as_ref()).unwrap();
        let c_secret = agreement::agree_ephemeral(
            c,
            &agreement::UnparsedPublicKey::new(&agreement::X25519, &spub),
            |k| k.to_vec(),
        )
        .unwrap();
        assert_eq!(s_secret, c_secret);
        assert!(agree(Kex::Curve25519Sha256, &[0u8; 32]).is_err());
        assert!(agree(Kex::Curve25519Sha256, &[1u8; 7]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp256, &[4u8; 65]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp521, &[4u8; 133]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp521, &[]).is_err());
        assert!(agree(Kex::Mlkem768X25519Sha256, &[0u8; 1215]).is_err());
        // An ML-KEM key of the right length whose coefficients are out of range.
        assert!(agree(Kex::Mlkem768X25519Sha256, &[0xffu8; 1216]).is_err());
    }

    #[test]
    fn derivation_extends_past_one_digest() {
        let a = derive(
            Kex::Curve25519Sha256,
            &[1, 2, 3],
            &[9; 32],
            b'C',
            &[9; 32],
            64,
        );
        assert_eq!(a.len(), 64);
        let b = derive(
            Kex::Curve25519Sha256,
            &[1, 2, 3],
            &[9; 32],
            b'C',
            &[9; 32],
            16,
        );
        assert_eq!(&a[..16], &b[..]);
        let c = derive(
            Kex::Curve25519Sha256,
            &[1, 2, 3],
            &[9; 32],
            b'D',
            &[9; 32],
            16,
        );
        assert_ne!(b, c);
    }
}
