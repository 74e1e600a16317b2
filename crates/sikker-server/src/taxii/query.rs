//! Query parameters (§3.4) and the pagination cursor.
//!
//! The cursor (`next`) is stateless: it carries the keyset position (date_added, object id),
//! the filters of the query that made it, the page size and when it was issued, signed with
//! HMAC-SHA256 under the store's secret. A client may send it alone (Elastic does) or with
//! the original filters (OpenCTI does); filters that contradict it are refused.

use super::response::TaxiiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use sikker_stix::Timestamp;
use sikker_store::VersionFilter;
use std::collections::BTreeSet;

pub const DEFAULT_LIMIT: usize = 100;
pub const MAX_LIMIT: usize = 1_000;
/// Bound on values in one match parameter, so a query cannot grow without limit.
const MAX_MATCH_VALUES: usize = 1_000;
const TAG_BYTES: usize = 16;

/// The filters of a query: what a cursor must remember.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub added_after: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// `None`: the endpoint's default (latest version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<VersionFilter>,
    /// `None`: any; otherwise the requested spec versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_versions: Option<Vec<String>>,
}

impl Filters {
    fn is_empty(&self) -> bool {
        *self == Filters::default()
    }

    /// Whether objects of STIX 2.1 (all this server has) can match.
    pub fn wants_spec_21(&self) -> bool {
        self.spec_versions
            .as_ref()
            .is_none_or(|v| v.iter().any(|s| s == "2.1"))
    }
}

/// A parsed request: filters, page size and the position to continue from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub filters: Filters,
    pub limit: usize,
    pub after: Option<(i64, String)>,
}

/// Which match fields an endpoint takes (§5.6: the object endpoint takes version and
/// spec_version only; the versions endpoint spec_version only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Collection,
    Object,
    Versions,
}

#[derive(Serialize, Deserialize)]
struct Token {
    /// The scope the token was made for: the endpoint and, for one object, its id.
    s: String,
    /// Position: date_added (µs) and object id of the last row served.
    d: i64,
    i: String,
    /// Issued at, seconds since the epoch.
    t: i64,
    l: usize,
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    f: Filters,
}

pub struct Cursors<'a> {
    pub key: &'a [u8; 32],
    pub lifetime_secs: i64,
}

impl Cursors<'_> {
    fn tag(&self, payload: &[u8]) -> Vec<u8> {
        // HMAC takes keys of any length; 32 bytes cannot be refused.
        let mut mac =
            Hmac::<Sha256>::new_from_slice(self.key).expect("HMAC accepts any key length");
        mac.update(payload);
        mac.finalize().into_bytes()[..TAG_BYTES].to_vec()
    }

    pub fn make(&self, scope: &str, req: &PageRequest, position: (i64, &str)) -> String {
        let token = Token {
            s: scope.to_owned(),
            d: position.0,
            i: position.1.to_owned(),
            t: Timestamp::now().0 / 1_000_000,
            l: req.limit,
            f: req.filters.clone(),
        };
        let payload = serde_json::to_vec(&token).unwrap_or_default();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(self.tag(&payload))
        )
    }

    fn open(&self, scope: &str, next: &str) -> Result<Token, TaxiiError> {
        let bad =
            || TaxiiError::bad_request("the next parameter is not a cursor this server issued");
        let (payload, tag) = next.split_once('.').ok_or_else(bad)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| bad())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| bad())?;
        // verify_truncated_left accepts any prefix length: insist on the full tag.
        if tag.len() != TAG_BYTES {
            return Err(bad());
        }
        let mut mac = Hmac::<Sha256>::new_from_slice(self.key).map_err(|_| bad())?;
        mac.update(&payload);
        mac.verify_truncated_left(&tag).map_err(|_| bad())?;
        let token: Token = serde_json::from_slice(&payload).map_err(|_| bad())?;
        if token.s != scope {
            return Err(TaxiiError::bad_request(
                "the next cursor belongs to another endpoint or object",
            ));
        }
        let age = (Timestamp::now().0 / 1_000_000).checked_sub(token.t);
        if age.is_none_or(|age| age > self.lifetime_secs || age < -300) {
            return Err(TaxiiError::bad_request(format!(
                "the next cursor expired (cursors last {} days); start again with added_after",
                self.lifetime_secs / 86_400
            )));
        }
        Ok(token)
    }
}

/// Parses the query string of a TAXII request for `endpoint`, opening `next` if present.
pub fn parse(
    query: Option<&str>,
    endpoint: Endpoint,
    scope: &str,
    cursors: &Cursors<'_>,
) -> Result<PageRequest, TaxiiError> {
    let mut seen = BTreeSet::new();
    let mut filters = Filters::default();
    let mut limit = None;
    let mut next = None;
    for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        if !seen.insert(key.to_string()) {
            return Err(TaxiiError::bad_request(format!(
                "the parameter {key} may appear only once"
            )));
        }
        match key.as_ref() {
            "added_after" => {
                let t = Timestamp::parse(&value).map_err(|_| {
                    TaxiiError::bad_request(format!(
                        "added_after must be an RFC 3339 timestamp such as 2026-01-31T00:00:00.000000Z, not {value:?}"
                    ))
                })?;
                filters.added_after = Some(t.0);
            }
            "limit" => {
                let n: i64 = value.trim().parse().map_err(|_| {
                    TaxiiError::bad_request(format!(
                        "limit must be a positive integer, not {value:?}"
                    ))
                })?;
                if n <= 0 {
                    return Err(TaxiiError::bad_request(format!(
                        "limit must be a positive integer, not {n}"
                    )));
                }
                limit = Some((n as u64).min(MAX_LIMIT as u64) as usize);
            }
            "next" => next = Some(value.into_owned()),
            "match[id]" if endpoint == Endpoint::Collection => {
                filters.ids = list(&value, "match[id]")?
            }
            "match[type]" if endpoint == Endpoint::Collection => {
                filters.types = list(&value, "match[type]")?
            }
            "match[version]" if endpoint != Endpoint::Versions => {
                filters.versions = Some(versions(&value)?)
            }
            "match[spec_version]" => {
                filters.spec_versions = Some(list(&value, "match[spec_version]")?)
            }
            // Unknown parameters and match fields this endpoint does not take are ignored
            // (§3.4.1 allows it; clients add their own).
            _ => {}
        }
    }
    let mut request = PageRequest {
        filters,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
        after: None,
    };
    if let Some(next) = next {
        let token = cursors.open(scope, &next)?;
        if request.filters.is_empty() {
            request.filters = token.f;
        } else if request.filters != token.f {
            return Err(TaxiiError::bad_request(
                "the filters of this request differ from those the next cursor was made for; send next alone or with the same filters",
            ));
        }
        if limit.is_none() {
            request.limit = token.l.clamp(1, MAX_LIMIT);
        }
        request.after = Some((token.d, token.i));
    }
    Ok(request)
}

fn list(value: &str, name: &str) -> Result<Vec<String>, TaxiiError> {
    let items: Vec<String> = value
        .split(',')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Err(TaxiiError::bad_request(format!(
            "{name} needs at least one value"
        )));
    }
    if items.len() > MAX_MATCH_VALUES {
        return Err(TaxiiError::bad_request(format!(
            "{name} takes at most {MAX_MATCH_VALUES} values"
        )));
    }
    let mut sorted = items;
    sorted.sort();
    sorted.dedup();
    Ok(sorted)
}

fn versions(value: &str) -> Result<VersionFilter, TaxiiError> {
    let mut f = VersionFilter::default();
    let mut seen = BTreeSet::new();
    list(value, "match[version]")?; // bounds and emptiness
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let item = item.to_owned();
        if !seen.insert(item.clone()) {
            return Err(TaxiiError::bad_request(format!(
                "match[version] names {item} twice"
            )));
        }
        match item.as_str() {
            "all" => f.all = true,
            "first" => f.first = true,
            "last" => f.last = true,
            t => {
                let ts = Timestamp::parse(t).map_err(|_| {
                    TaxiiError::bad_request(format!(
                        "match[version] takes last, first, all or STIX timestamps, not {t:?}"
                    ))
                })?;
                f.exact.push(ts.0);
            }
        }
    }
    if f.all && (f.first || f.last || !f.exact.is_empty()) {
        return Err(TaxiiError::bad_request(
            "match[version]=all cannot be combined with other values",
        ));
    }
    f.exact.sort_unstable();
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn cursors() -> Cursors<'static> {
        Cursors {
            key: &KEY,
            lifetime_secs: 7 * 86_400,
        }
    }

    fn p(q: &str) -> Result<PageRequest, TaxiiError> {
        parse(Some(q), Endpoint::Collection, "c", &cursors())
    }

    #[test]
    fn limits_and_timestamps() {
        assert_eq!(p("").unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(p("limit=5000").unwrap().limit, MAX_LIMIT);
        for bad in [
            "limit=0",
            "limit=-3",
            "limit=abc",
            "added_after=yesterday",
            "limit=1&limit=2",
        ] {
            assert_eq!(p(bad).unwrap_err().status, 400, "{bad}");
        }
        let a = p("added_after=2026-02-01T00:00:00Z")
            .unwrap()
            .filters
            .added_after;
        let b = p("added_after=2026-02-01T00:00:00.000000%2B00:00")
            .unwrap()
            .filters
            .added_after;
        assert_eq!(a, b);
        assert!(a.is_some());
    }

    #[test]
    fn version_filters() {
        let v = p("match[version]=first,last")
            .unwrap()
            .filters
            .versions
            .unwrap();
        assert!(v.first && v.last && !v.all);
        assert!(p("match[version]=all,last").is_err());
        assert!(p("match[version]=last,last").is_err());
        assert!(p("match[version]=soon").is_err());
        let v = p("match[version]=2026-01-01T00:00:00.000Z")
            .unwrap()
            .filters
            .versions
            .unwrap();
        assert_eq!(v.exact.len(), 1);
        assert_eq!(p("match[colour]=red").unwrap().filters, Filters::default());
    }

    #[test]
    fn cursors_round_trip_and_refuse_tampering() {
        let req = p("match[type]=indicator&limit=10").unwrap();
        let token = cursors().make("c", &req, (42, "indicator--x"));
        let alone = p(&format!("next={token}")).unwrap();
        assert_eq!(alone.filters, req.filters);
        assert_eq!(alone.limit, 10);
        assert_eq!(alone.after, Some((42, "indicator--x".to_owned())));
        let same = p(&format!("next={token}&match[type]=indicator&limit=50")).unwrap();
        assert_eq!(same.limit, 50);
        assert!(p(&format!("next={token}&match[type]=identity")).is_err());
        let (payload, tag) = token.split_once('.').unwrap();
        for short in 1..tag.len() {
            let cut = format!("next={payload}.{}", &tag[..short]);
            assert!(p(&cut).is_err(), "a {short}-character tag was accepted");
        }
        let mut forged = token.clone().into_bytes();
        forged[3] ^= 1;
        assert!(p(&format!("next={}", String::from_utf8(forged).unwrap())).is_err());
        assert!(p("next=garbage").is_err());
        assert!(parse(
            Some(&format!("next={token}")),
            Endpoint::Collection,
            "other",
            &cursors()
        )
        .is_err());
        let old = Cursors {
            key: &KEY,
            lifetime_secs: -1,
        };
        assert!(parse(
            Some(&format!("next={token}")),
            Endpoint::Collection,
            "c",
            &old
        )
        .is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Whatever a client sends as a query string, the answer is a page request or a 400,
        /// never a panic.
        #[test]
        fn any_query_string_is_answered(q in "[\\PC&=%\\[\\],]{0,120}") {
            if let Err(e) = p(&q) {
                proptest::prop_assert_eq!(e.status, 400);
            }
        }

        /// Changing any one character of a cursor makes it unusable.
        #[test]
        fn every_single_character_change_to_a_cursor_is_refused(
            at in proptest::prelude::any::<proptest::sample::Index>(),
            with in "[A-Za-z0-9_.-]",
        ) {
            let req = p("match[type]=indicator&limit=10").expect("valid");
            let token = cursors().make("c", &req, (42, "indicator--x"));
            let i = at.index(token.len());
            let mut forged = token.clone();
            forged.replace_range(i..i + 1, &with);
            proptest::prop_assume!(forged != token);
            let opened = p(&format!("next={forged}"));
            proptest::prop_assert!(opened.is_err(), "forged cursor {} opened", forged);
        }
    }
}
