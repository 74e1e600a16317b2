//! Finite-field Diffie-Hellman (RFC 4253 §8, RFC 8268 groups, RFC 4419 group exchange) over
//! the MODP groups 14, 16 and 18 of RFC 3526, and Oakley group 2 of RFC 2409 §6.2 (SSH's
//! `group1`, 1024 bits). The primes are computed from their definition
//! (p = 2^n − 2^(n−64) − 1 + 2^64·(⌊2^(n−130)·π⌋ + k)) once, on first use.
//!
//! num-bigint's modpow is not constant-time. The exponent is the server's ephemeral secret for
//! one session with the very peer that would time it; a honeypot protects nothing with it.

use crate::Error;
use num_bigint::BigUint;
use rand::RngCore;
use std::sync::OnceLock;

pub struct Group {
    pub p: BigUint,
    pub g: BigUint,
}

/// ⌊π · 2^bits⌋ by Machin's formula in fixed point.
fn pi_scaled(bits: u64) -> BigUint {
    let guard = 64;
    let one = BigUint::from(1u32) << (bits + guard);
    let atan_inv = |x: u32| {
        let (mut pos, mut neg) = (BigUint::ZERO, BigUint::ZERO);
        let mut power = &one / x;
        let x2 = BigUint::from(x) * x;
        let mut k = 0u32;
        loop {
            let term = &power / (2 * k + 1);
            if term == BigUint::ZERO {
                break;
            }
            if k.is_multiple_of(2) {
                pos += term;
            } else {
                neg += term;
            }
            power /= &x2;
            k += 1;
        }
        pos - neg
    };
    (atan_inv(5) * 16u32 - atan_inv(239) * 4u32) >> guard
}

fn modp(n: u64, k: u32) -> Group {
    let one = BigUint::from(1u32);
    let p = (&one << n) - (&one << (n - 64)) - &one + ((pi_scaled(n - 130) + k) << 64);
    Group {
        p,
        g: BigUint::from(2u32),
    }
}

/// Only for `diffie-hellman-group1-sha1`: never picked for a group exchange.
pub fn group1() -> &'static Group {
    static G: OnceLock<Group> = OnceLock::new();
    G.get_or_init(|| modp(1024, 129093))
}

pub fn group14() -> &'static Group {
    static G: OnceLock<Group> = OnceLock::new();
    G.get_or_init(|| modp(2048, 124476))
}

pub fn group16() -> &'static Group {
    static G: OnceLock<Group> = OnceLock::new();
    G.get_or_init(|| modp(4096, 240904))
}

pub fn group18() -> &'static Group {
    static G: OnceLock<Group> = OnceLock::new();
    G.get_or_init(|| modp(8192, 4743158))
}

/// The group a group-exchange request gets (RFC 4419: the smallest we have ≥ n, within
/// [min, max]; else the closest within the bounds).
pub fn for_request(min: u32, n: u32, max: u32) -> Result<&'static Group, Error> {
    if min > n || n > max || max < 2048 {
        return Err(Error::Kex(
            "group exchange: no group within the requested bounds",
        ));
    }
    let sizes = [2048, 4096, 8192];
    let pick = sizes
        .iter()
        .copied()
        .find(|&b| b >= n && b >= min && b <= max)
        .or_else(|| sizes.iter().rev().copied().find(|&b| b >= min && b <= max))
        .ok_or(Error::Kex(
            "group exchange: no group within the requested bounds",
        ))?;
    Ok(match pick {
        2048 => group14(),
        4096 => group16(),
        _ => group18(),
    })
}

/// Server side of one exchange: checks the client's e, returns (f, K) as big-endian magnitudes.
pub fn agree(group: &Group, e: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let e = BigUint::from_bytes_be(e);
    let one = BigUint::from(1u32);
    // RFC 4253 §8: 1 < e < p − 1.
    if e <= one || e >= &group.p - &one {
        return Err(Error::Kex("client's DH value out of range"));
    }
    let mut y = [0u8; 64];
    rand::rng().fill_bytes(&mut y);
    let y = BigUint::from_bytes_be(&y);
    let f = group.g.modpow(&y, &group.p);
    let k = e.modpow(&y, &group.p);
    Ok((f.to_bytes_be(), k.to_bytes_be()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group14_matches_rfc3526_and_is_a_safe_prime() {
        let g = group14();
        let hex = format!("{:X}", g.p);
        assert_eq!(hex.len(), 512);
        assert!(hex.starts_with("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"));
        assert!(hex.ends_with("15728E5A8AACAA68FFFFFFFFFFFFFFFF"), "{hex}");
        // Fermat tests of p and (p − 1)/2: a wrong digit of π would fail them.
        let one = BigUint::from(1u32);
        let two = BigUint::from(2u32);
        assert_eq!(two.modpow(&(&g.p - &one), &g.p), one);
        let q = (&g.p - &one) >> 1;
        assert_eq!(BigUint::from(3u32).modpow(&(&q - &one), &q), one);
    }

    /// RFC 2409 §6.2's prime, digit for digit (OpenSSL has no name for it to compare with).
    #[test]
    fn group1_is_oakley_group_2() {
        let rfc2409 = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1\
                       29024E088A67CC74020BBEA63B139B22514A08798E3404DD\
                       EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245\
                       E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
                       EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381\
                       FFFFFFFFFFFFFFFF";
        let g = group1();
        assert_eq!(format!("{:X}", g.p), rfc2409);
        assert_eq!(g.g, BigUint::from(2u32));
        let one = BigUint::from(1u32);
        let q = (&g.p - &one) >> 1;
        assert_eq!(BigUint::from(3u32).modpow(&(&q - &one), &q), one);
        // An exchange over it, and group exchange never hands it out.
        let x = BigUint::from(987654321u64);
        let e = g.g.modpow(&x, &g.p);
        let (f, k) = agree(g, &e.to_bytes_be()).unwrap();
        let k2 = BigUint::from_bytes_be(&f).modpow(&x, &g.p);
        assert_eq!(BigUint::from_bytes_be(&k), k2);
        assert!(for_request(1024, 1024, 1024).is_err());
    }

    /// The same groups as OpenSSL knows them (`openssl genpkey -genparam … group:modp_N`,
    /// whose PEM carries p as the first INTEGER).
    #[test]
    fn all_groups_match_openssl() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        for (name, g) in [
            ("modp_2048", group14()),
            ("modp_4096", group16()),
            ("modp_8192", group18()),
        ] {
            let Ok(pem) = Command::new("openssl")
                .args(["genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt"])
                .arg(format!("group:{name}"))
                .output()
            else {
                eprintln!("openssl not installed: comparison skipped");
                return;
            };
            let mut asn1 = Command::new("openssl")
                .arg("asn1parse")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("openssl asn1parse");
            asn1.stdin
                .take()
                .expect("stdin")
                .write_all(&pem.stdout)
                .expect("write");
            let out = asn1.wait_with_output().expect("asn1parse output");
            let text = String::from_utf8_lossy(&out.stdout);
            let p = text
                .lines()
                .find_map(|l| l.split("INTEGER           :").nth(1))
                .expect("an INTEGER")
                .trim()
                .to_owned();
            assert_eq!(p, format!("{:X}", g.p), "{name}");
        }
    }

    #[test]
    fn agreement_and_range_checks() {
        let g = group14();
        let x = BigUint::from(123456789u64);
        let e = g.g.modpow(&x, &g.p);
        let (f, k) = agree(g, &e.to_bytes_be()).unwrap();
        let k2 = BigUint::from_bytes_be(&f).modpow(&x, &g.p);
        assert_eq!(BigUint::from_bytes_be(&k), k2);
        assert!(agree(g, &[1]).is_err());
        assert!(agree(g, &[]).is_err());
        assert!(agree(g, &(&g.p - 1u32).to_bytes_be()).is_err());
        assert_eq!(for_request(2048, 3072, 8192).unwrap().p.bits(), 4096);
        assert_eq!(for_request(1024, 2048, 8192).unwrap().p.bits(), 2048);
        assert_eq!(for_request(2048, 8192, 8192).unwrap().p.bits(), 8192);
        assert!(for_request(1024, 1024, 1024).is_err());
        assert!(for_request(9000, 9000, 9000).is_err());
    }
}
