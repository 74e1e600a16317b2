//! API keys and sensor tokens: made here, stored only as SHA-256, looked up per request.
//!
//! Formats: API keys are `sk_<tier>_<32 base62>` (SikkerAPI's form); sensor tokens are
//! `sks_<32 base62>`. A key is accepted as `Authorization: Bearer`, as `x-api-key`, or as
//! HTTP Basic with the key as password (any user name) or as user name (any password), so
//! every TAXII client's credential fields fit.

use crate::Central;
use axum::http::{header, HeaderMap};
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};
use sikker_stix::Timestamp;
use sikker_store::{KeyRecord, KeyRole, StoreError};

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Tiers a key may have; quotas per tier come with the REST API.
pub const TIERS: &[&str] = &[
    "free",
    "tier_1",
    "tier_2",
    "tier_3",
    "tier_4",
    "contributor",
];

/// A fresh key and its record. The key itself is shown once and never stored.
pub fn generate(role: KeyRole, tier: &str, name: &str) -> Result<(String, KeyRecord), String> {
    if role == KeyRole::Api && !TIERS.contains(&tier) {
        return Err(format!(
            "unknown tier {tier:?}; one of: {}",
            TIERS.join(", ")
        ));
    }
    let mut rng = rand::rng();
    let random: String = (0..32)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    let key = match role {
        KeyRole::Api => format!("sk_{tier}_{random}"),
        KeyRole::Sensor => format!("sks_{random}"),
    };
    let record = KeyRecord {
        hash: hash(&key),
        prefix: key.chars().take(key.len() - 28).collect(),
        name: name.to_owned(),
        tier: if role == KeyRole::Sensor {
            "sensor".to_owned()
        } else {
            tier.to_owned()
        },
        role,
        created: Timestamp::now(),
        disabled: false,
    };
    Ok((key, record))
}

pub fn hash(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// What a request presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// Nothing that looks like a key.
    Missing,
    /// Something, but no stored key matches it.
    Unknown,
    Key(KeyRecord),
}

/// The candidate keys a request carries, in the order they are tried.
fn candidates(headers: &HeaderMap) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let auth = auth.trim();
        let (scheme, rest) = auth.split_once(' ').unwrap_or((auth, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            out.push(rest.to_owned());
        } else if scheme.eq_ignore_ascii_case("basic") {
            if let Some(decoded) = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|d| String::from_utf8(d).ok())
            {
                let (user, pass) = decoded.split_once(':').unwrap_or((&decoded, ""));
                for c in [pass, user] {
                    if !c.is_empty() {
                        out.push(c.to_owned());
                    }
                }
            }
        }
    }
    if let Some(k) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        if !k.trim().is_empty() {
            out.push(k.trim().to_owned());
        }
    }
    out
}

pub async fn authenticate(
    central: &Central,
    headers: &HeaderMap,
) -> Result<Credential, StoreError> {
    let candidates = candidates(headers);
    if candidates.is_empty() {
        return Ok(Credential::Missing);
    }
    for c in candidates.iter().take(3) {
        // Keys are short; anything long is not a key and costs no lookup.
        if c.len() > 128 {
            continue;
        }
        if let Some(record) = central.store.key_by_hash(hash(c)).await? {
            return Ok(Credential::Key(record));
        }
    }
    Ok(Credential::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn key_formats() {
        let (k, r) = generate(KeyRole::Api, "free", "t").unwrap();
        assert!(k.starts_with("sk_free_") && k.len() == 8 + 32, "{k}");
        assert_eq!(r.hash, hash(&k));
        assert!(k.starts_with(&r.prefix) && r.prefix.len() < k.len());
        let (s, r) = generate(KeyRole::Sensor, "free", "s").unwrap();
        assert!(s.starts_with("sks_"));
        assert_eq!(r.tier, "sensor");
        assert!(generate(KeyRole::Api, "platinum", "x").is_err());
    }

    #[test]
    fn every_credential_form_is_found() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let cases = [
            ("authorization", "Bearer KEY".to_owned(), vec!["KEY"]),
            (
                "authorization",
                format!("Basic {}", b64("user:KEY")),
                vec!["KEY", "user"],
            ),
            (
                "authorization",
                format!("Basic {}", b64("KEY:")),
                vec!["KEY"],
            ),
            (
                "authorization",
                format!("basic {}", b64("KEY:x")),
                vec!["x", "KEY"],
            ),
            ("x-api-key", "KEY".to_owned(), vec!["KEY"]),
            ("authorization", "Basic !!!".to_owned(), vec![]),
        ];
        for (name, value, want) in cases {
            let mut h = HeaderMap::new();
            h.insert(name, HeaderValue::from_str(&value).unwrap());
            assert_eq!(candidates(&h), want, "{name}: {value}");
        }
    }
}
