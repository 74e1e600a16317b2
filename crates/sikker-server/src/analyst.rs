//! The seam between central and whatever decides what a session was and what an IP is worth.
//! The engine implements it; the pipeline only calls it.

use sikker_event::Event;
use sikker_stix::{IndicatorType, Technique};
use sikker_store::{IpRecord, SessionRecord};

/// What one closed session was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionVerdict {
    /// The one behavior the session is classified as; `None` when unclassified.
    pub behavior: Option<String>,
    /// Ids of the primitives it matched, sorted.
    pub primitives: Vec<String>,
}

/// What one IP is, as published in its indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub confidence: u8,
    pub indicator_type: IndicatorType,
    /// Behavior names (STIX labels), sorted, unique.
    pub labels: Vec<String>,
    /// ATT&CK tactic short names, sorted, unique.
    pub kill_chain_phases: Vec<String>,
    /// ATT&CK techniques, sorted by id, unique.
    pub techniques: Vec<Technique>,
}

pub trait Analyst: Send + Sync + 'static {
    fn classify(&self, session: &SessionRecord, events: &[Event]) -> SessionVerdict;
    /// What the IP's indicator says; called for every publication, so only what is published.
    fn assess(&self, ip: &IpRecord) -> Assessment;
    /// How the IP's score came about, term by term, for a person asking (the check API).
    /// Not stored: recomputed when asked for, so it always matches the catalog in use.
    fn explain(&self, ip: &IpRecord) -> serde_json::Value;
}

/// Counts only: no catalog, no score. What central publishes when run without an engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountsOnly;

impl Analyst for CountsOnly {
    fn classify(&self, _: &SessionRecord, _: &[Event]) -> SessionVerdict {
        SessionVerdict::default()
    }

    fn assess(&self, _: &IpRecord) -> Assessment {
        Assessment {
            confidence: 0,
            indicator_type: IndicatorType::Unknown,
            labels: Vec::new(),
            kill_chain_phases: Vec::new(),
            techniques: Vec::new(),
        }
    }

    fn explain(&self, ip: &IpRecord) -> serde_json::Value {
        serde_json::json!({
            "method": "counts-only",
            "sessions": ip.sessions,
            "events": ip.events,
        })
    }
}

/// The editorial engine: catalog classification, confidence scoring, benign discount.
pub struct EngineAnalyst {
    engine: sikker_engine::Engine,
    benign: sikker_engine::BenignList,
}

impl EngineAnalyst {
    pub fn new(engine: sikker_engine::Engine, benign: sikker_engine::BenignList) -> EngineAnalyst {
        EngineAnalyst { engine, benign }
    }

    pub fn engine(&self) -> &sikker_engine::Engine {
        &self.engine
    }

    /// The evidence an IP record holds, in the engine's terms. Behaviors the current catalog
    /// no longer knows are left out (reclassification removes them from the store too).
    pub fn evidence(&self, ip: &IpRecord) -> sikker_engine::Evidence {
        use sikker_engine::{BehaviorCount, Evidence, PrimitiveCount};
        Evidence {
            behaviors: ip
                .behaviors
                .iter()
                .filter_map(|(id, count)| {
                    self.engine.behavior(id).map(|b| BehaviorCount {
                        id: id.clone(),
                        severity: b.severity,
                        count: *count,
                    })
                })
                .collect(),
            primitives: ip
                .primitives
                .iter()
                .map(|(id, count)| PrimitiveCount {
                    id: id.clone(),
                    count: *count,
                })
                .collect(),
            protocols: ip
                .protocols
                .iter()
                .filter_map(|p| p.protocol.parse().ok())
                .collect(),
            sessions: ip.sessions,
            events: ip.events,
            community: Default::default(),
        }
    }
}

impl Analyst for EngineAnalyst {
    fn classify(&self, _: &SessionRecord, events: &[Event]) -> SessionVerdict {
        let c = self.engine.classify(events);
        SessionVerdict {
            behavior: c.outcome.behavior().map(str::to_owned),
            primitives: c.primitives.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn assess(&self, ip: &IpRecord) -> Assessment {
        use std::collections::BTreeSet;
        let evidence = self.evidence(ip);
        // No DNS or ASN data yet: the discount applies to CIDR-listed sources.
        let benign = self.benign.lookup(ip.ip, None, None);
        let score = sikker_engine::score(&evidence, benign);
        let mut labels = BTreeSet::new();
        let mut phases = BTreeSet::new();
        let mut techniques = BTreeSet::new();
        let mut severities = Vec::new();
        for id in ip.behaviors.keys() {
            if let Some(b) = self.engine.behavior(id) {
                labels.insert(b.name.clone());
                phases.extend(b.kill_chain_phases.iter().cloned());
                techniques.extend(b.techniques.iter().map(|t| Technique {
                    id: t.id.clone(),
                    name: t.name.clone(),
                }));
                severities.push(b.severity);
            }
        }
        let kind = sikker_engine::indicator_types(severities, benign.is_some());
        let indicator_type = match kind.first().copied() {
            Some("malicious-activity") => IndicatorType::MaliciousActivity,
            Some("anomalous-activity") => IndicatorType::AnomalousActivity,
            Some("benign") => IndicatorType::Benign,
            _ => IndicatorType::Unknown,
        };
        Assessment {
            confidence: score.confidence,
            indicator_type,
            labels: labels.into_iter().collect(),
            kill_chain_phases: phases.into_iter().collect(),
            techniques: techniques.into_iter().collect(),
        }
    }

    fn explain(&self, ip: &IpRecord) -> serde_json::Value {
        let benign = self.benign.lookup(ip.ip, None, None);
        let score = sikker_engine::score(&self.evidence(ip), benign);
        // A struct of numbers and strings always serialises.
        serde_json::to_value(&score).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_event::Timestamp;
    use sikker_store::ProtocolCount;

    #[test]
    fn the_explanation_is_the_published_score_term_by_term() {
        let analyst = EngineAnalyst::new(
            sikker_engine::Engine::builtin(),
            sikker_engine::BenignList::builtin(),
        );
        let engine = analyst.engine();
        // Any two behaviors of the default catalog, seen a few times.
        let behaviors: Vec<String> = ["malware-loader", "system-discovery"]
            .into_iter()
            .filter(|id| engine.behavior(id).is_some())
            .map(str::to_owned)
            .collect();
        assert!(
            !behaviors.is_empty(),
            "the default catalog names these behaviors"
        );
        let ip = IpRecord {
            ip: "203.0.113.5".parse().expect("literal"),
            first_seen: Timestamp(1_790_000_000_000_000),
            last_seen: Timestamp(1_790_000_100_000_000),
            sessions: 5,
            events: 40,
            unclassified: 0,
            synthetic: false,
            protocols: vec![ProtocolCount {
                protocol: "ssh".into(),
                sessions: 5,
                events: 40,
            }],
            behaviors: behaviors.iter().map(|b| (b.clone(), 2)).collect(),
            primitives: Default::default(),
            confidence: None,
            generation: 1,
        };
        let assessment = analyst.assess(&ip);
        let explanation = analyst.explain(&ip);
        assert!(assessment.confidence > 0);
        assert_eq!(
            explanation["confidence"].as_u64(),
            Some(u64::from(assessment.confidence)),
            "{explanation}"
        );
        let terms = explanation["terms"].as_array().expect("terms");
        assert!(!terms.is_empty());
        assert!(terms
            .iter()
            .all(|t| t["name"].is_string() && t["value"].is_number()));
    }
}
