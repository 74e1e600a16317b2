//! Key exchange: KEXINIT encoding and parsing, the ECDH methods on AWS-LC, the hybrid
//! post-quantum methods, the exchange hash and key derivation (RFC 4253 §7–7.2, RFC 5656,
//! RFC 8731, RFC 9941 for sntrup761x25519-sha512, draft-ietf-sshm-mlkem-hybrid-kex).

use crate::algorithms::{Algorithms, ClientKexInit, HostKeyAlg, Kex, NameList};
use crate::wire::{put_bool, put_mpint, put_name_list, put_string, put_u32, put_u8, Reader};
use crate::Error;
use aws_lc_rs::agreement;
use aws_lc_rs::digest;
use rand::RngCore;

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
    let names = algs.names();
    put_name_list(out, &names.kex);
    let hk: Vec<&str> = host_keys.iter().map(|h| h.name()).collect();
    put_name_list(out, &hk);
    put_name_list(out, &names.cipher);
    put_name_list(out, &names.cipher);
    put_name_list(out, &names.mac);
    put_name_list(out, &names.mac);
    put_name_list(out, &names.compression);
    put_name_list(out, &names.compression);
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
    let mut list = |what| r.string(what).map(NameList::new);
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
            r.string("languages client to server")?;
            r.string("languages server to client")?;
            r.bool("first_kex_packet_follows")?
        },
    };
    r.u32("reserved")?;
    Ok(k)
}

/// K as it enters the exchange hash and the key derivation: an mpint, except for the hybrid
/// post-quantum methods, whose K is a hash and is encoded as a string.
pub fn encode_secret(kex: Kex, secret: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(secret.len() + 5);
    match kex {
        Kex::Mlkem768X25519Sha256
        | Kex::Sntrup761X25519Sha512
        | Kex::Sntrup761X25519Sha512Openssh => put_string(&mut k, secret),
        _ => put_mpint(&mut k, secret),
    }
    k
}

/// ML-KEM-768 encapsulation key length; an X25519 public key (32 bytes) follows it in C_INIT.
const MLKEM768_PUBLIC: usize = 1184;

/// The hybrid methods (mlkem768x25519-sha256, sntrup761x25519-sha512 under either name): the
/// client sends its KEM public key ‖ its X25519 public key; we encapsulate to the first, agree
/// on the second, and return (ciphertext ‖ our X25519 public, HASH(K_pq ‖ K_cl)).
fn agree_hybrid(kex: Kex, client_public: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let pq_len = match kex {
        Kex::Mlkem768X25519Sha256 => MLKEM768_PUBLIC,
        _ => sntrup761::PUBLIC_KEY_SIZE,
    };
    if client_public.len() != pq_len + 32 {
        return Err(Error::Kex("hybrid client value has the wrong length"));
    }
    let (pq, classic) = client_public.split_at(pq_len);
    // X25519 first: a bad point is refused before the costlier encapsulation.
    let (s_pub, k_cl) = agree(Kex::Curve25519Sha256, classic)?;
    let (ct, k_pq) = match kex {
        Kex::Mlkem768X25519Sha256 => encapsulate_mlkem768(pq)?,
        _ => encapsulate_sntrup761(pq)?,
    };
    let mut reply = Vec::with_capacity(ct.len() + s_pub.len());
    reply.extend_from_slice(&ct);
    reply.extend_from_slice(&s_pub);
    Ok((reply, combine_hybrid(kex, &k_pq, &k_cl)))
}

/// A hybrid method's shared secret before encoding: its hash over K_pq ‖ K_cl.
fn combine_hybrid(kex: Kex, k_pq: &[u8], k_cl: &[u8]) -> Vec<u8> {
    let mut h = digest::Context::new(kex.hash());
    h.update(k_pq);
    h.update(k_cl);
    h.finish().as_ref().to_vec()
}

fn encapsulate_mlkem768(pq: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    use ml_kem::{Encapsulate, EncapsulationKey, MlKem768, TryKeyInit};
    let ek = EncapsulationKey::<MlKem768>::new_from_slice(pq)
        .map_err(|_| Error::Kex("client's ML-KEM key rejected"))?;
    let (ct, k) = ek.encapsulate();
    Ok((ct.to_vec(), k.to_vec()))
}

/// Streamlined NTRU Prime 761 (1158-byte key, 1039-byte ciphertext, 32-byte key). Any 1158
/// bytes decode to a key, as in OpenSSH: only the length can be wrong.
fn encapsulate_sntrup761(pq: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let ek = sntrup761::EncapsulationKey::try_from(pq)
        .map_err(|_| Error::Kex("client's sntrup761 key rejected"))?;
    let (ct, k) = ek.encapsulate(rand10::rng());
    Ok((ct.as_ref().to_vec(), k.as_ref().to_vec()))
}

/// ecdh-sha2-nistp521 on RustCrypto's p521 (from when the crate was on ring, which lacks it).
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
        Kex::Mlkem768X25519Sha256
        | Kex::Sntrup761X25519Sha512
        | Kex::Sntrup761X25519Sha512Openssh => return agree_hybrid(kex, client_public),
        Kex::EcdhSha2Nistp521 => return agree_p521(client_public),
        _ => return Err(Error::Kex("not an ECDH method")),
    };
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let private = agreement::EphemeralPrivateKey::generate(alg, &rng)
        .map_err(|_| Error::Kex("ephemeral key generation"))?;
    let public = private
        .compute_public_key()
        .map_err(|_| Error::Kex("ephemeral public key"))?;
    let peer = agreement::UnparsedPublicKey::new(alg, client_public);
    // AWS-LC rejects malformed points, off-curve points and an all-zero X25519 result.
    let secret = agreement::agree_ephemeral(
        private,
        peer,
        Error::Kex("client's ephemeral public key rejected"),
        |k| Ok(k.to_vec()),
    )?;
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
    use crate::algorithms::KEX_STRICT_SERVER;
    // The client's side on ring: another implementation than the server's AWS-LC.
    use ring::agreement;

    #[test]
    fn our_kexinit_parses_back() {
        let mut p = Vec::new();
        write_kexinit(&mut p, &Algorithms::default(), &[HostKeyAlg::Ed25519]);
        let k = parse_kexinit(&p).unwrap();
        assert_eq!(k.kex.iter().last(), Some(KEX_STRICT_SERVER));
        assert_eq!(k.host_key.as_str(), "ssh-ed25519");
        assert_eq!(k.compression_c2s.as_str(), "none,zlib@openssh.com");
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
        // Low-order points (u = 0, u = 1) give an all-zero secret: refused, as OpenSSH does.
        let mut one = [0u8; 32];
        one[0] = 1;
        for bad in [[0u8; 32], one] {
            assert!(agree(Kex::Curve25519Sha256, &bad).is_err(), "{bad:?}");
        }
        assert!(agree(Kex::Curve25519Sha256, &[1u8; 7]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp256, &[4u8; 65]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp521, &[4u8; 133]).is_err());
        assert!(agree(Kex::EcdhSha2Nistp521, &[]).is_err());
        assert!(agree(Kex::Mlkem768X25519Sha256, &[0u8; 1215]).is_err());
        // An ML-KEM key of the right length whose coefficients are out of range.
        assert!(agree(Kex::Mlkem768X25519Sha256, &[0xffu8; 1216]).is_err());
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Fixed inputs through the combiner, K's encoding and the key derivation, against values
    /// computed with Python's hashlib (SHA-512 throughout; K a 64-byte string, not an mpint,
    /// though its first byte has the high bit set).
    #[test]
    fn sntrup761_known_answers() {
        let k_pq: Vec<u8> = (1..=32).collect();
        let k_cl = [6u8; 32];
        let combined = hex(
            "93ce5b1c73a466de7c066c08ecf7bbe50498d1121fbd5dae91f4449f21aa800d\
             fbad1f06cb7309f3b8eabf42204768167c1ffbe9c42ebbd92cec6c8bca0d1990",
        );
        let okm = hex(
            "22efa443018c3a699ca184aefcb803d030fa7ac78fc7cb986c296410e099ad81\
             5fdacb723928eed9e074396de126c5581bd3520a15731f1ef828a15efd037fc1\
             98d03bdbfc08bdfdfaaefb005e544227",
        );
        for kex in [
            Kex::Sntrup761X25519Sha512,
            Kex::Sntrup761X25519Sha512Openssh,
        ] {
            let k = combine_hybrid(kex, &k_pq, &k_cl);
            assert_eq!(k, combined, "{kex:?}");
            let encoded = encode_secret(kex, &k);
            assert_eq!(encoded[..4], [0, 0, 0, 64]);
            assert_eq!(encoded[4..], combined[..]);
            assert_eq!(
                derive(kex, &encoded, &[0x5a; 64], b'C', &[0xa5; 64], 80),
                okm
            );
        }
        // The string encoding keeps leading zeros and adds none.
        let kex = Kex::Sntrup761X25519Sha512;
        assert_eq!(encode_secret(kex, &[0, 1]), [0, 0, 0, 2, 0, 1]);
        assert_eq!(encode_secret(kex, &[0x80]), [0, 0, 0, 1, 0x80]);
    }

    /// The server's half against a client's: sntrup761 decapsulation, ring's X25519 (not the server's AWS-LC) and the
    /// `sha2` crate's SHA-512 must give the server's K.
    #[test]
    fn sntrup761_both_sides_agree() {
        use sha2::{Digest, Sha512};
        for kex in [
            Kex::Sntrup761X25519Sha512,
            Kex::Sntrup761X25519Sha512Openssh,
        ] {
            let (pk, sk) = sntrup761::generate_key(rand10::rng());
            let rng = ring::rand::SystemRandom::new();
            let c = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
            let mut q_c = pk.as_ref().to_vec();
            q_c.extend_from_slice(c.compute_public_key().unwrap().as_ref());
            assert_eq!(q_c.len(), 1158 + 32);
            let (q_s, k) = agree(kex, &q_c).unwrap();
            assert_eq!(q_s.len(), 1039 + 32);
            let (ct, s_pub) = q_s.split_at(1039);
            let ct = sntrup761::Ciphertext::try_from(ct).unwrap();
            let k_pq = sk.decapsulate(&ct);
            let k_cl = agreement::agree_ephemeral(
                c,
                &agreement::UnparsedPublicKey::new(&agreement::X25519, s_pub),
                |k| k.to_vec(),
            )
            .unwrap();
            let mut h = Sha512::new();
            h.update(k_pq.as_ref());
            h.update(&k_cl);
            assert_eq!(k, h.finalize().to_vec(), "{kex:?}");
        }
    }

    #[test]
    fn malformed_sntrup761_client_values_are_refused() {
        let (pk, _) = sntrup761::generate_key(rand10::rng());
        let rng = ring::rand::SystemRandom::new();
        let c = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng).unwrap();
        let x25519 = c.compute_public_key().unwrap();
        let with = |pq: &[u8], cl: &[u8]| [pq, cl].concat();
        for kex in [
            Kex::Sntrup761X25519Sha512,
            Kex::Sntrup761X25519Sha512Openssh,
        ] {
            for len in [0, 32, 1158, 1189, 1191, 1216, 4096] {
                let r = agree(kex, &vec![9u8; len]);
                assert!(
                    matches!(r, Err(Error::Kex(m)) if m.contains("wrong length")),
                    "{len}"
                );
            }
            // X25519 points whose shared secret is all zero: u = 0 and u = 1 (low order).
            let mut one = [0u8; 32];
            one[0] = 1;
            for bad in [[0u8; 32], one] {
                let r = agree(kex, &with(pk.as_ref(), &bad));
                assert!(matches!(r, Err(Error::Kex(_))), "{bad:?}");
            }
            // Every 1158-byte string decodes to some sntrup761 key: no panic, a reply.
            for pq in [[0u8; 1158], [0xffu8; 1158]] {
                let (q_s, k) = agree(kex, &with(&pq, x25519.as_ref())).unwrap();
                assert_eq!((q_s.len(), k.len()), (1071, 64));
            }
        }
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
