//! One STIX indicator per source IP.
//!
//! The store keeps, per indicator version, [`IndicatorInputs`] plus `created`/`modified` and
//! the object rendered from them when the version was published. Two versions differ exactly
//! when their inputs differ, which is what decides whether `modified` moves.

use crate::objects::{IDENTITY_ID, TLP_CLEAR_ID};
use crate::{stix_time, SIKKER_NAMESPACE};
use serde::{Deserialize, Serialize};
use sikker_event::{canonical_ip, Timestamp};
use std::net::IpAddr;

/// STIX `indicator-type-ov` values sikker uses, from the strongest behavior's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IndicatorType {
    MaliciousActivity,
    AnomalousActivity,
    Benign,
    Unknown,
}

impl IndicatorType {
    pub fn as_str(self) -> &'static str {
        match self {
            IndicatorType::MaliciousActivity => "malicious-activity",
            IndicatorType::AnomalousActivity => "anomalous-activity",
            IndicatorType::Benign => "benign",
            IndicatorType::Unknown => "unknown",
        }
    }

    fn name_prefix(self) -> &'static str {
        match self {
            IndicatorType::MaliciousActivity => "Malicious IP",
            IndicatorType::AnomalousActivity => "Suspicious IP",
            IndicatorType::Benign => "Benign IP",
            IndicatorType::Unknown => "Observed IP",
        }
    }
}

/// A MITRE ATT&CK technique, e.g. `T1110.001` "Password Guessing".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Technique {
    pub id: String,
    pub name: String,
}

impl Technique {
    /// `https://attack.mitre.org/techniques/T1110/001/` for `T1110.001`.
    pub fn url(&self) -> String {
        format!(
            "https://attack.mitre.org/techniques/{}/",
            self.id.replace('.', "/")
        )
    }
}

/// An ATT&CK tactic as a STIX kill chain phase (`kill_chain_name` is always `mitre-attack`).
pub type KillChainPhase = String;

/// Everything an indicator version is rendered from, except `created` and `modified`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorInputs {
    pub ip: IpAddr,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub confidence: u8,
    pub indicator_type: IndicatorType,
    /// Behavior names (the catalog's STIX labels), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// ATT&CK tactic short names, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kill_chain_phases: Vec<KillChainPhase>,
    /// ATT&CK techniques, sorted by id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub techniques: Vec<Technique>,
    /// Protocols the IP was seen on, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protocols: Vec<String>,
    pub sessions: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
}

/// The deterministic STIX id of the indicator for this IP.
pub fn indicator_id(ip: IpAddr) -> String {
    let canonical = canonical_ip(ip).to_string();
    format!(
        "indicator--{}",
        uuid::Uuid::new_v5(&SIKKER_NAMESPACE, canonical.as_bytes())
    )
}

/// `[ipv4-addr:value = '…']` or `[ipv6-addr:value = '…']` with the canonical address
/// (dotted quad; RFC 5952 lower-case compressed IPv6; IPv4-mapped IPv6 as IPv4).
pub fn indicator_pattern(ip: IpAddr) -> String {
    match canonical_ip(ip) {
        IpAddr::V4(v4) => format!("[ipv4-addr:value = '{v4}']"),
        IpAddr::V6(v6) => format!("[ipv6-addr:value = '{v6}']"),
    }
}

#[derive(Serialize)]
struct KillChain<'a> {
    kill_chain_name: &'static str,
    phase_name: &'a str,
}

#[derive(Serialize)]
struct ExternalReference<'a> {
    source_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    external_id: &'a str,
}

#[derive(Serialize)]
struct Indicator<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    spec_version: &'static str,
    id: String,
    created: String,
    modified: String,
    name: String,
    description: String,
    indicator_types: [&'static str; 1],
    pattern: String,
    pattern_type: &'static str,
    pattern_version: &'static str,
    valid_from: String,
    valid_until: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    kill_chain_phases: Vec<KillChain<'a>>,
    confidence: u8,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    labels: &'a [String],
    external_references: Vec<ExternalReference<'a>>,
    created_by_ref: &'static str,
    object_marking_refs: [&'static str; 1],
}

impl IndicatorInputs {
    /// The STIX id of this indicator.
    pub fn id(&self) -> String {
        indicator_id(self.ip)
    }

    /// Renders the STIX 2.1 indicator for one version and appends its JSON to `out`.
    ///
    /// `valid_until` is `last_seen + valid_for_us`, never earlier than one millisecond after
    /// `valid_from` (STIX requires valid_until > valid_from).
    pub fn render_into(
        &self,
        created: Timestamp,
        modified: Timestamp,
        valid_for_us: i64,
        out: &mut Vec<u8>,
    ) {
        self.render_with_id(self.id(), created, modified, valid_for_us, out)
    }

    /// As [`Self::render_into`], with the id already known (the store keeps it), which saves
    /// hashing the address again for every object of a feed page.
    pub fn render_with_id(
        &self,
        id: String,
        created: Timestamp,
        modified: Timestamp,
        valid_for_us: i64,
        out: &mut Vec<u8>,
    ) {
        let ip = canonical_ip(self.ip);
        let valid_from = Timestamp::from_micros(self.first_seen.millis() * 1000);
        let valid_until = self
            .last_seen
            .saturating_add_micros(valid_for_us)
            .max(valid_from.saturating_add_micros(1000));
        let description = self.description(ip);
        let mut refs = Vec::with_capacity(1 + self.techniques.len());
        let ip_text = ip.to_string();
        refs.push(ExternalReference {
            source_name: "sikker",
            description: Some("IP address observed by sikker honeypot sensors"),
            url: None,
            external_id: &ip_text,
        });
        for t in &self.techniques {
            refs.push(ExternalReference {
                source_name: "mitre-attack",
                description: Some(&t.name),
                url: Some(t.url()),
                external_id: &t.id,
            });
        }
        let indicator = Indicator {
            kind: "indicator",
            spec_version: "2.1",
            id,
            created: stix_time(created),
            modified: stix_time(modified),
            name: format!("{}: {ip}", self.indicator_type.name_prefix()),
            description,
            indicator_types: [self.indicator_type.as_str()],
            pattern: indicator_pattern(ip),
            pattern_type: "stix",
            pattern_version: "2.1",
            valid_from: stix_time(valid_from),
            valid_until: stix_time(valid_until),
            kill_chain_phases: self
                .kill_chain_phases
                .iter()
                .map(|p| KillChain {
                    kill_chain_name: "mitre-attack",
                    phase_name: p,
                })
                .collect(),
            confidence: self.confidence.min(100),
            labels: &self.labels,
            external_references: refs,
            created_by_ref: IDENTITY_ID,
            object_marking_refs: [TLP_CLEAR_ID],
        };
        // Serialising plain structs of strings and integers into a Vec cannot fail.
        let _ = serde_json::to_writer(out, &indicator);
    }

    /// The rendered object as a JSON value (convenient for tests and single lookups).
    pub fn render(
        &self,
        created: Timestamp,
        modified: Timestamp,
        valid_for_us: i64,
    ) -> serde_json::Value {
        let mut out = Vec::new();
        self.render_into(created, modified, valid_for_us, &mut out);
        serde_json::from_slice(&out).unwrap_or(serde_json::Value::Null)
    }

    fn description(&self, ip: IpAddr) -> String {
        use std::fmt::Write;
        let mut d = String::with_capacity(256);
        if self.synthetic {
            d.push_str("[synthetic data from `sikker simulate`] ");
        }
        // Writing into a String cannot fail.
        let _ = write!(
            d,
            "{ip} was observed by sikker honeypot sensors in {} session{}",
            self.sessions,
            if self.sessions == 1 { "" } else { "s" }
        );
        for (i, p) in self.protocols.iter().enumerate() {
            d.push_str(if i == 0 { " over " } else { ", " });
            d.push_str(p);
        }
        d.push_str(", first seen ");
        d.push_str(&stix_time(self.first_seen));
        d.push_str(", last seen ");
        d.push_str(&stix_time(self.last_seen));
        d.push('.');
        for (i, l) in self.labels.iter().enumerate() {
            d.push_str(if i == 0 { " Behaviors: " } else { ", " });
            d.push_str(l);
        }
        if !self.labels.is_empty() {
            d.push('.');
        }
        let _ = write!(d, " Confidence {}/100.", self.confidence);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(ip: &str) -> IndicatorInputs {
        IndicatorInputs {
            ip: ip.parse().unwrap(),
            first_seen: Timestamp::parse("2026-01-15T08:30:00.123456Z").unwrap(),
            last_seen: Timestamp::parse("2026-02-07T14:22:00Z").unwrap(),
            confidence: 78,
            indicator_type: IndicatorType::MaliciousActivity,
            labels: vec!["credential-stuffing".into(), "wget-download".into()],
            kill_chain_phases: vec!["credential-access".into(), "execution".into()],
            techniques: vec![Technique {
                id: "T1110.001".into(),
                name: "Password Guessing".into(),
            }],
            protocols: vec!["ssh".into()],
            sessions: 3,
            synthetic: false,
        }
    }

    #[test]
    fn ids_are_deterministic_and_canonical() {
        let a = indicator_id("2001:DB8:0:0::1".parse().unwrap());
        let b = indicator_id("2001:db8::1".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(
            indicator_id("::ffff:192.0.2.1".parse().unwrap()),
            indicator_id("192.0.2.1".parse().unwrap())
        );
        assert_ne!(
            indicator_id("192.0.2.1".parse().unwrap()),
            indicator_id("192.0.2.2".parse().unwrap())
        );
        let uuid = uuid::Uuid::parse_str(a.strip_prefix("indicator--").unwrap()).unwrap();
        assert_eq!(uuid.get_version_num(), 5);
        // Never the STIX SCO namespace.
        let sco = uuid::uuid!("00abedb4-aa42-466c-9c01-fed23315a9b7");
        assert_ne!(uuid, uuid::Uuid::new_v5(&sco, b"2001:db8::1"));
    }

    #[test]
    fn patterns() {
        assert_eq!(
            indicator_pattern("203.0.113.42".parse().unwrap()),
            "[ipv4-addr:value = '203.0.113.42']"
        );
        assert_eq!(
            indicator_pattern("2001:0DB8:0000:0000:0000:0000:0000:0001".parse().unwrap()),
            "[ipv6-addr:value = '2001:db8::1']"
        );
    }

    #[test]
    fn renders_the_field_table() {
        let created = Timestamp::parse("2026-01-15T08:30:00.123999Z").unwrap();
        let modified = Timestamp::parse("2026-02-07T14:22:00.5Z").unwrap();
        let v = inputs("203.0.113.42").render(created, modified, 30 * 86_400_000_000);
        assert_eq!(v["type"], "indicator");
        assert_eq!(v["spec_version"], "2.1");
        assert_eq!(v["created"], "2026-01-15T08:30:00.123Z");
        assert_eq!(v["modified"], "2026-02-07T14:22:00.500Z");
        assert_eq!(v["valid_from"], "2026-01-15T08:30:00.123Z");
        assert_eq!(v["valid_until"], "2026-03-09T14:22:00.000Z");
        assert_eq!(v["pattern"], "[ipv4-addr:value = '203.0.113.42']");
        assert_eq!(v["indicator_types"][0], "malicious-activity");
        assert_eq!(v["confidence"], 78);
        assert_eq!(v["labels"][1], "wget-download");
        assert_eq!(v["kill_chain_phases"][0]["kill_chain_name"], "mitre-attack");
        assert_eq!(v["external_references"][1]["external_id"], "T1110.001");
        assert_eq!(
            v["external_references"][1]["url"],
            "https://attack.mitre.org/techniques/T1110/001/"
        );
        assert_eq!(v["created_by_ref"], IDENTITY_ID);
        assert_eq!(v["object_marking_refs"][0], TLP_CLEAR_ID);
        assert!(v["name"].as_str().unwrap().contains("203.0.113.42"));
    }

    #[test]
    fn empty_lists_are_omitted_and_validity_is_ordered() {
        let mut i = inputs("192.0.2.7");
        i.labels.clear();
        i.kill_chain_phases.clear();
        i.techniques.clear();
        let t = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        i.first_seen = t;
        i.last_seen = t;
        let v = i.render(t, t, 0);
        assert!(v.get("labels").is_none());
        assert!(v.get("kill_chain_phases").is_none());
        assert_eq!(v["external_references"].as_array().unwrap().len(), 1);
        assert!(v["valid_until"].as_str().unwrap() > v["valid_from"].as_str().unwrap());
    }

    #[test]
    fn inputs_round_trip() {
        let i = inputs("2001:db8::7");
        let s = serde_json::to_vec(&i).unwrap();
        assert_eq!(serde_json::from_slice::<IndicatorInputs>(&s).unwrap(), i);
    }
}
