//! Known-benign sources (search crawlers, research scanners) and their discount factors.
//! Matching is by CIDR, by ASN, or by a reverse-DNS name the caller has already forward-
//! confirmed (the engine does no DNS). The list is data: `catalog/benign.toml`.

use crate::catalog::{Diagnostic, Level};
use serde::{Deserialize, Serialize};
use sikker_event::canonical_ip;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use toml::Spanned;

const BUILTIN: &str = include_str!("../../../catalog/benign.toml");

/// An address block, `203.0.113.0/24` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Cidr, String> {
        let (a, p) = s.split_once('/').unwrap_or((s, ""));
        let addr: IpAddr = a
            .trim()
            .parse()
            .map_err(|_| format!("{s:?} is not an address block"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = if p.is_empty() {
            max
        } else {
            p.parse::<u8>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{s:?}: prefix must be 0..={max}"))?
        };
        Ok(Cidr { addr, prefix })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// One known-benign operator.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenignSource {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Multiplier in [0, 1] applied to the confidence after normalisation.
    pub factor: f64,
    pub cidrs: Vec<Cidr>,
    pub asns: Vec<u32>,
    /// Forward-confirmed reverse-DNS names ending in one of these (on a label boundary).
    pub rdns_suffixes: Vec<String>,
}

impl BenignSource {
    fn matches(&self, ip: IpAddr, asn: Option<u32>, rdns: Option<&str>) -> bool {
        self.cidrs.iter().any(|c| c.contains(ip))
            || asn.is_some_and(|a| self.asns.contains(&a))
            || rdns.is_some_and(|name| {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                self.rdns_suffixes.iter().any(|suf| {
                    name == *suf
                        || (name.ends_with(suf.as_str())
                            && name.as_bytes()[name.len() - suf.len() - 1] == b'.')
                })
            })
    }
}

/// The benign-source list.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BenignList {
    pub sources: Vec<BenignSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawList {
    #[serde(default)]
    source: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    name: String,
    #[serde(default)]
    description: String,
    factor: Spanned<f64>,
    #[serde(default)]
    cidrs: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    asns: Vec<u32>,
    #[serde(default)]
    rdns: Vec<String>,
}

impl BenignList {
    /// The embedded default list (`catalog/benign.toml`).
    pub fn builtin() -> BenignList {
        match BenignList::parse(BUILTIN) {
            Ok(l) => l,
            // Checked by this crate's tests; reaching this is a build bug.
            Err(d) => panic!("the builtin benign list is invalid: {}", d[0]),
        }
    }

    /// Parses a list named `benign.toml` in diagnostics.
    pub fn parse(text: &str) -> Result<BenignList, Vec<Diagnostic>> {
        BenignList::parse_named(crate::catalog::BENIGN_FILE, text)
    }

    pub fn parse_named(file: &str, text: &str) -> Result<BenignList, Vec<Diagnostic>> {
        let line = |off: usize| {
            text.as_bytes()[..off.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1
        };
        let diag = |off: usize, message: String| Diagnostic {
            file: file.to_owned(),
            line: line(off),
            level: Level::Error,
            message,
        };
        let raw: RawList = toml::from_str(text).map_err(|e| {
            vec![diag(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_owned(),
            )]
        })?;
        let mut errors = Vec::new();
        let mut sources: Vec<BenignSource> = Vec::new();
        for s in raw.source {
            let id = s.id.get_ref().clone();
            let off = s.id.span().start;
            if sources.iter().any(|x| x.id == id) {
                errors.push(diag(off, format!("duplicate benign source {id:?}")));
            }
            let factor = *s.factor.get_ref();
            if !(0.0..=1.0).contains(&factor) {
                errors.push(diag(
                    s.factor.span().start,
                    format!("source {id}: factor {factor} is outside [0, 1]"),
                ));
            }
            let mut cidrs = Vec::new();
            if let Some(cs) = &s.cidrs {
                for c in cs.get_ref() {
                    match c.parse::<Cidr>() {
                        Ok(c) => cidrs.push(c),
                        Err(e) => errors.push(diag(cs.span().start, format!("source {id}: {e}"))),
                    }
                }
            }
            let rdns_suffixes: Vec<String> = s
                .rdns
                .iter()
                .map(|r| r.trim_matches('.').to_ascii_lowercase())
                .collect();
            if rdns_suffixes.iter().any(|r| !r.contains('.')) {
                errors.push(diag(
                    off,
                    format!("source {id}: an rdns suffix must have at least two labels"),
                ));
            }
            if cidrs.is_empty() && s.asns.is_empty() && rdns_suffixes.is_empty() {
                errors.push(diag(
                    off,
                    format!("source {id} matches nothing: give cidrs, asns or rdns"),
                ));
            }
            sources.push(BenignSource {
                id,
                name: s.name,
                description: s.description,
                factor,
                cidrs,
                asns: s.asns,
                rdns_suffixes,
            });
        }
        if errors.is_empty() {
            Ok(BenignList { sources })
        } else {
            Err(errors)
        }
    }

    /// The first source (in file order) that the IP, its ASN or its forward-confirmed
    /// reverse-DNS name belongs to. Pass `confirmed_rdns` only after checking that the name
    /// resolves back to `ip`: anyone can set a PTR record.
    pub fn lookup(
        &self,
        ip: IpAddr,
        asn: Option<u32>,
        confirmed_rdns: Option<&str>,
    ) -> Option<&BenignSource> {
        self.sources
            .iter()
            .find(|s| s.matches(ip, asn, confirmed_rdns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidrs() {
        let c: Cidr = "66.249.64.0/19".parse().unwrap();
        assert!(c.contains("66.249.95.255".parse().unwrap()));
        assert!(!c.contains("66.249.96.0".parse().unwrap()));
        assert!(c.contains("::ffff:66.249.64.1".parse().unwrap()));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("1.2.3.4".parse().unwrap()));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("1.2.3.4".parse().unwrap()));
        assert!("1.2.3.4/33".parse::<Cidr>().is_err());
        assert!("nope/8".parse::<Cidr>().is_err());
    }

    #[test]
    fn builtin_list_and_lookup() {
        let l = BenignList::builtin();
        assert!(l.sources.len() >= 6);
        let g = l
            .lookup("66.249.66.1".parse().unwrap(), None, None)
            .unwrap();
        assert_eq!(g.id, "googlebot");
        let ip: IpAddr = "198.51.100.7".parse().unwrap();
        assert!(l.lookup(ip, None, None).is_none());
        assert_eq!(
            l.lookup(ip, None, Some("crawl-1-2-3-4.googlebot.com."))
                .unwrap()
                .id,
            "googlebot"
        );
        assert!(l.lookup(ip, None, Some("evilgooglebot.com")).is_none());
        assert_eq!(
            l.lookup(ip, None, Some("scanner-01.censys-scanner.com"))
                .unwrap()
                .id,
            "censys"
        );
        assert_eq!(l.lookup(ip, Some(398324), None).unwrap().id, "censys");
    }

    #[test]
    fn errors_have_lines() {
        let e = BenignList::parse(
            "[[source]]\nid = \"x\"\nname = \"X\"\nfactor = 1.5\ncidrs = [\"1.2.3.4/99\"]\n",
        )
        .unwrap_err();
        let s: Vec<String> = e.iter().map(|d| d.to_string()).collect();
        assert!(
            s.contains(&"benign.toml:4: source x: factor 1.5 is outside [0, 1]".to_string()),
            "{s:?}"
        );
        assert!(s.iter().any(|m| m.starts_with("benign.toml:5: ")), "{s:?}");
    }
}
