//! Host keys (signing, public blobs, OpenSSH private key files) and the verification of users'
//! public keys and signatures, on AWS-LC (aws-lc-rs).

use crate::algorithms::HostKeyAlg;
use crate::wire::{put_mpint, put_string, Reader};
use crate::Error;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;

enum Pair {
    Ed25519(Ed25519KeyPair),
    Ecdsa {
        pair: EcdsaKeyPair,
        curve: &'static str,
        scalar_len: usize,
    },
    /// AWS-LC for rsa-sha2-256/512; the `rsa` crate only for legacy `ssh-rsa` (SHA-1), which
    /// aws-lc-rs does not sign and old clients still ask for. Keys read from DER have no
    /// legacy half.
    Rsa(RsaKeyPair, Option<Box<rsa::RsaPrivateKey>>),
}

/// A server host key and its public blob, built once and shared by every connection.
pub struct HostKey {
    pair: Pair,
    blob: Vec<u8>,
}

impl std::fmt::Debug for HostKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostKey({})", self.fingerprint())
    }
}

fn key_err(what: &str) -> impl Fn(aws_lc_rs::error::KeyRejected) -> Error + '_ {
    move |e| Error::HostKey(format!("{what}: {e}"))
}

impl HostKey {
    pub fn ed25519_from_seed(seed: &[u8; 32]) -> Result<Self, Error> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(key_err("ed25519 seed"))?;
        Ok(Self::from_pair(Pair::Ed25519(pair)))
    }

    /// A fresh Ed25519 key (for tests and first starts; persist it with your own format).
    pub fn generate_ed25519() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| Error::HostKey("ed25519 generation".into()))?;
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(key_err("ed25519"))?;
        Ok(Self::from_pair(Pair::Ed25519(pair)))
    }

    /// A fresh ECDSA P-256 key.
    pub fn generate_ecdsa_p256() -> Result<Self, Error> {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let doc = EcdsaKeyPair::generate_pkcs8(alg, &rng)
            .map_err(|_| Error::HostKey("ecdsa generation".into()))?;
        let pair = EcdsaKeyPair::from_pkcs8(alg, doc.as_ref()).map_err(key_err("ecdsa"))?;
        Ok(Self::from_pair(Pair::Ecdsa {
            pair,
            curve: "nistp256",
            scalar_len: 32,
        }))
    }

    /// An RSA key from PKCS#8 or PKCS#1 DER (the sensor generates its keys elsewhere).
    pub fn rsa_from_der(der: &[u8]) -> Result<Self, Error> {
        let pair = RsaKeyPair::from_pkcs8(der)
            .or_else(|_| RsaKeyPair::from_der(der))
            .map_err(key_err("rsa"))?;
        Ok(Self::from_pair(Pair::Rsa(pair, None)))
    }

    /// Reads an unencrypted OpenSSH private key file (`ssh-keygen`'s default format, what the
    /// sensor keeps in its state directory): ed25519, ecdsa-sha2-nistp256/384 or ssh-rsa.
    pub fn from_openssh(text: &str) -> Result<Self, Error> {
        let bad = |m: &str| Error::HostKey(format!("OpenSSH key file: {m}"));
        let body: String = text
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN OPENSSH PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let raw = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| bad("not base64"))?;
        let magic = b"openssh-key-v1\0";
        let rest = raw
            .strip_prefix(magic)
            .ok_or_else(|| bad("no openssh-key-v1 magic"))?;
        let mut r = Reader::new(rest);
        if r.string("cipher")? != b"none" {
            return Err(bad("encrypted keys are not supported"));
        }
        r.string("kdf")?;
        r.string("kdf options")?;
        if r.u32("key count")? != 1 {
            return Err(bad("exactly one key expected"));
        }
        r.string("public key")?;
        let mut p = Reader::new(r.string("private section")?);
        if p.u32("check")? != p.u32("check")? {
            return Err(bad("check bytes differ (encrypted?)"));
        }
        let kind = p.string("key type")?;
        let pair = match kind {
            b"ssh-ed25519" => {
                let pk = p.string("ed25519 public")?;
                let sk = p.string("ed25519 private")?;
                if sk.len() != 64 {
                    return Err(bad("ed25519 private key length"));
                }
                Pair::Ed25519(
                    Ed25519KeyPair::from_seed_and_public_key(&sk[..32], pk)
                        .map_err(key_err("ed25519"))?,
                )
            }
            b"ecdsa-sha2-nistp256" | b"ecdsa-sha2-nistp384" => {
                let (alg, curve, n) = if kind == b"ecdsa-sha2-nistp256" {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, "nistp256", 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, "nistp384", 48)
                };
                p.string("curve")?;
                let q = p.string("ecdsa public")?;
                let d = p.mpint("ecdsa private")?;
                if d.len() > n {
                    return Err(bad("ecdsa scalar length"));
                }
                let mut fixed = vec![0u8; n];
                fixed[n - d.len()..].copy_from_slice(d);
                let pair = EcdsaKeyPair::from_private_key_and_public_key(alg, &fixed, q)
                    .map_err(key_err("ecdsa"))?;
                Pair::Ecdsa {
                    pair,
                    curve,
                    scalar_len: n,
                }
            }
            b"ssh-rsa" => {
                let n = p.mpint("n")?;
                let e = p.mpint("e")?;
                let d = p.mpint("d")?;
                let iqmp = p.mpint("iqmp")?;
                let pp = p.mpint("p")?;
                let q = p.mpint("q")?;
                let dp = mod_minus_one(d, pp);
                let dq = mod_minus_one(d, q);
                let c = aws_lc_rs::rsa::KeyPairComponents {
                    public_key: aws_lc_rs::rsa::PublicKeyComponents { n, e },
                    d,
                    p: pp,
                    q,
                    dP: dp.as_slice(),
                    dQ: dq.as_slice(),
                    qInv: iqmp,
                };
                let big = |b: &[u8]| rsa::BoxedUint::from_be_slice_vartime(b);
                let legacy = rsa::RsaPrivateKey::from_components(
                    big(n),
                    big(e),
                    big(d),
                    vec![big(pp), big(q)],
                )
                .map_err(|e| Error::HostKey(format!("rsa (ssh-rsa signer): {e}")))?;
                Pair::Rsa(
                    RsaKeyPair::from_components(&c).map_err(key_err("rsa"))?,
                    Some(Box::new(legacy)),
                )
            }
            other => {
                return Err(bad(&format!(
                    "key type {:?} not supported",
                    String::from_utf8_lossy(other)
                )))
            }
        };
        Ok(Self::from_pair(pair))
    }

    fn from_pair(pair: Pair) -> Self {
        let mut blob = Vec::new();
        match &pair {
            Pair::Ed25519(k) => {
                put_string(&mut blob, b"ssh-ed25519");
                put_string(&mut blob, k.public_key().as_ref());
            }
            Pair::Ecdsa { pair, curve, .. } => {
                put_string(&mut blob, format!("ecdsa-sha2-{curve}").as_bytes());
                put_string(&mut blob, curve.as_bytes());
                put_string(&mut blob, pair.public_key().as_ref());
            }
            Pair::Rsa(k, _) => {
                let c: signature::RsaPublicKeyComponents<Vec<u8>> = k.public_key().into();
                put_string(&mut blob, b"ssh-rsa");
                put_mpint(&mut blob, &c.e);
                put_mpint(&mut blob, &c.n);
            }
        }
        HostKey { pair, blob }
    }

    /// The host key algorithms this key can serve.
    pub fn algorithms(&self) -> &'static [HostKeyAlg] {
        match &self.pair {
            Pair::Ed25519(_) => &[HostKeyAlg::Ed25519],
            Pair::Ecdsa { curve, .. } if *curve == "nistp256" => &[HostKeyAlg::EcdsaNistp256],
            Pair::Ecdsa { .. } => &[HostKeyAlg::EcdsaNistp384],
            Pair::Rsa(_, Some(_)) => &[
                HostKeyAlg::RsaSha2_512,
                HostKeyAlg::RsaSha2_256,
                HostKeyAlg::SshRsa,
            ],
            Pair::Rsa(_, None) => &[HostKeyAlg::RsaSha2_512, HostKeyAlg::RsaSha2_256],
        }
    }

    /// The public key blob (RFC 4253 §6.6), as sent in KEX replies.
    pub fn public_blob(&self) -> &[u8] {
        &self.blob
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.blob)
    }

    /// Signs `data` and appends the signature blob (as a string) to `out`.
    pub(crate) fn sign_into(
        &self,
        alg: HostKeyAlg,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        let mut sig = Vec::with_capacity(600);
        match &self.pair {
            Pair::Ed25519(k) => {
                put_string(&mut sig, b"ssh-ed25519");
                put_string(&mut sig, k.sign(data).as_ref());
            }
            Pair::Ecdsa {
                pair,
                curve,
                scalar_len,
            } => {
                let s = pair
                    .sign(&SystemRandom::new(), data)
                    .map_err(|_| Error::Kex("ecdsa signing"))?;
                let (r, s) = s.as_ref().split_at(*scalar_len);
                let mut inner = Vec::with_capacity(2 * scalar_len + 10);
                put_mpint(&mut inner, r);
                put_mpint(&mut inner, s);
                put_string(&mut sig, format!("ecdsa-sha2-{curve}").as_bytes());
                put_string(&mut sig, &inner);
            }
            Pair::Rsa(_, Some(legacy)) if alg == HostKeyAlg::SshRsa => {
                // EMSA-PKCS1-v1_5 DigestInfo prefix for SHA-1 (RFC 8017 §9.2, note 1).
                const SHA1_PREFIX: [u8; 15] = [
                    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00,
                    0x04, 0x14,
                ];
                let digest =
                    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
                let padding = rsa::Pkcs1v15Sign {
                    hash_len: Some(20),
                    prefix: Box::new(SHA1_PREFIX),
                };
                // With an RNG the private operation is blinded.
                let s = legacy
                    .sign_with_rng(&mut rand10::rng(), padding, digest.as_ref())
                    .map_err(|_| Error::Kex("ssh-rsa signing"))?;
                put_string(&mut sig, b"ssh-rsa");
                put_string(&mut sig, &s);
            }
            Pair::Rsa(k, _) => {
                let (enc, name): (&'static dyn signature::RsaEncoding, &[u8]) = match alg {
                    HostKeyAlg::RsaSha2_256 => (&signature::RSA_PKCS1_SHA256, b"rsa-sha2-256"),
                    _ => (&signature::RSA_PKCS1_SHA512, b"rsa-sha2-512"),
                };
                let mut s = vec![0u8; k.public_modulus_len()];
                k.sign(enc, &SystemRandom::new(), data, &mut s)
                    .map_err(|_| Error::Kex("rsa signing"))?;
                put_string(&mut sig, name);
                put_string(&mut sig, &s);
            }
        }
        put_string(out, &sig);
        Ok(())
    }
}

/// `d mod (m - 1)` for big-endian magnitudes: the CRT exponents AWS-LC wants, which OpenSSH
/// files do not store. Bit by bit; it runs once per key load.
fn mod_minus_one(d: &[u8], m: &[u8]) -> Vec<u8> {
    let mut m: Vec<u8> = m.to_vec();
    // m - 1 (m is an odd prime, so the last byte is non-zero).
    for b in m.iter_mut().rev() {
        let (v, borrow) = b.overflowing_sub(1);
        *b = v;
        if !borrow {
            break;
        }
    }
    let mut r = vec![0u8; m.len() + 1];
    let mut mm = vec![0u8];
    mm.extend_from_slice(&m);
    for byte in d {
        for bit in (0..8).rev() {
            // r = 2r + bit
            let mut carry = (byte >> bit) & 1;
            for x in r.iter_mut().rev() {
                let nx = (*x << 1) | carry;
                carry = *x >> 7;
                *x = nx;
            }
            if r.as_slice() >= mm.as_slice() {
                let mut borrow = 0i16;
                for (x, y) in r.iter_mut().rev().zip(mm.iter().rev()) {
                    let v = *x as i16 - *y as i16 - borrow;
                    borrow = (v < 0) as i16;
                    *x = v.rem_euclid(256) as u8;
                }
            }
        }
    }
    let start = r.iter().position(|&b| b != 0).unwrap_or(r.len());
    r[start..].to_vec()
}

pub fn fingerprint(blob: &[u8]) -> String {
    let h = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, blob);
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(h.as_ref())
    )
}

/// Verifies a user's signature blob over `data` with the public key `blob`, for the public key
/// algorithm named in the request. Unknown or malformed keys verify as false, never panic.
pub(crate) fn verify_user_signature(alg: &str, blob: &[u8], sig_blob: &[u8], data: &[u8]) -> bool {
    verify_inner(alg, blob, sig_blob, data).unwrap_or(false)
}

fn verify_inner(alg: &str, blob: &[u8], sig_blob: &[u8], data: &[u8]) -> Result<bool, Error> {
    let mut k = Reader::new(blob);
    let kind = k.string("key type")?;
    let mut s = Reader::new(sig_blob);
    let sig_alg = s.string("signature algorithm")?;
    let sig = s.string("signature")?;
    if sig_alg != alg.as_bytes() {
        return Ok(false);
    }
    let ok = match (kind, alg) {
        (b"ssh-ed25519", "ssh-ed25519") => {
            let pk = k.string("ed25519 key")?;
            signature::UnparsedPublicKey::new(&signature::ED25519, pk)
                .verify(data, sig)
                .is_ok()
        }
        (b"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256")
        | (b"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp384") => {
            let (v, n): (&signature::EcdsaVerificationAlgorithm, usize) =
                if alg == "ecdsa-sha2-nistp256" {
                    (&signature::ECDSA_P256_SHA256_FIXED, 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED, 48)
                };
            k.string("curve")?;
            let q = k.string("ecdsa point")?;
            let mut rs = Reader::new(sig);
            let (r, s) = (rs.mpint("r")?, rs.mpint("s")?);
            if r.len() > n || s.len() > n {
                return Ok(false);
            }
            let mut fixed = vec![0u8; 2 * n];
            fixed[n - r.len()..n].copy_from_slice(r);
            fixed[2 * n - s.len()..].copy_from_slice(s);
            signature::UnparsedPublicKey::new(v, q)
                .verify(data, &fixed)
                .is_ok()
        }
        (b"ecdsa-sha2-nistp521", "ecdsa-sha2-nistp521") => {
            use p521::ecdsa::signature::Verifier;
            k.string("curve")?;
            let q = k.string("ecdsa point")?;
            let mut rs = Reader::new(sig);
            let (r, s) = (rs.mpint("r")?, rs.mpint("s")?);
            if r.len() > 66 || s.len() > 66 {
                return Ok(false);
            }
            let mut fixed = [0u8; 132];
            fixed[66 - r.len()..66].copy_from_slice(r);
            fixed[132 - s.len()..].copy_from_slice(s);
            match (
                p521::ecdsa::VerifyingKey::from_sec1_bytes(q),
                p521::ecdsa::Signature::from_slice(&fixed),
            ) {
                (Ok(key), Ok(sig)) => key.verify(data, &sig).is_ok(),
                _ => false,
            }
        }
        (b"ssh-rsa", "rsa-sha2-512" | "rsa-sha2-256" | "ssh-rsa") => {
            let e = k.mpint("rsa e")?;
            let n = k.mpint("rsa n")?;
            let params: &signature::RsaParameters = match alg {
                "rsa-sha2-512" => &signature::RSA_PKCS1_2048_8192_SHA512,
                "rsa-sha2-256" => &signature::RSA_PKCS1_2048_8192_SHA256,
                _ => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            };
            signature::RsaPublicKeyComponents { n, e }
                .verify(params, data, sig)
                .is_ok()
        }
        _ => false,
    };
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crt_exponent_matches_small_numbers() {
        // 1000 mod (97 - 1) = 40; 65537 mod (0x0101 - 1) = 1
        assert_eq!(mod_minus_one(&[0x03, 0xe8], &[97]), vec![40]);
        assert_eq!(mod_minus_one(&[0x01, 0x00, 0x01], &[0x01, 0x01]), vec![1]);
        assert_eq!(mod_minus_one(&[0x05], &[0x07]), vec![5]);
        assert_eq!(mod_minus_one(&[0x06], &[0x07]), Vec::<u8>::new());
    }

    #[test]
    fn ed25519_signatures_verify_and_tampering_does_not() {
        let k = HostKey::generate_ed25519().unwrap();
        let mut out = Vec::new();
        k.sign_into(HostKeyAlg::Ed25519, b"hello", &mut out)
            .unwrap();
        let sig = Reader::new(&out).string("sig").unwrap().to_vec();
        assert!(verify_user_signature(
            "ssh-ed25519",
            k.public_blob(),
            &sig,
            b"hello"
        ));
        assert!(!verify_user_signature(
            "ssh-ed25519",
            k.public_blob(),
            &sig,
            b"hellp"
        ));
        assert!(!verify_user_signature(
            "rsa-sha2-512",
            k.public_blob(),
            &sig,
            b"hello"
        ));
        assert!(!verify_user_signature(
            "ssh-ed25519",
            b"\0\0",
            &sig,
            b"hello"
        ));
        assert!(k.fingerprint().starts_with("SHA256:"));
    }

    #[test]
    fn ecdsa_signatures_verify() {
        let k = HostKey::generate_ecdsa_p256().unwrap();
        let mut out = Vec::new();
        k.sign_into(HostKeyAlg::EcdsaNistp256, b"data", &mut out)
            .unwrap();
        let sig = Reader::new(&out).string("sig").unwrap().to_vec();
        assert!(verify_user_signature(
            "ecdsa-sha2-nistp256",
            k.public_blob(),
            &sig,
            b"data"
        ));
        assert!(!verify_user_signature(
            "ecdsa-sha2-nistp256",
            k.public_blob(),
            &sig,
            b"dat"
        ));
    }

    #[test]
    fn garbage_key_files_are_errors() {
        assert!(HostKey::from_openssh("").is_err());
        assert!(HostKey::from_openssh(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----"
        )
        .is_err());
    }
}
