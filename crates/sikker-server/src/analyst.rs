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
    /// The score's explanation, term by term (kept with the IP, not in the STIX object).
    pub explanation: serde_json::Value,
}

pub trait Analyst: Send + Sync + 'static {
    fn classify(&self, session: &SessionRecord, events: &[Event]) -> SessionVerdict;
    fn assess(&self, ip: &IpRecord) -> Assessment;
}

/// Counts only: no catalog, no score. What central publishes when run without an engine.
#[derive(Debug, Default, Clone, Copy)]
pub struct CountsOnly;

impl Analyst for CountsOnly {
    fn classify(&self, _: &SessionRecord, _: &[Event]) -> SessionVerdict {
        SessionVerdict::default()
    }

    fn assess(&self, ip: &IpRecord) -> Assessment {
        Assessment {
            confidence: 0,
            indicator_type: IndicatorType::Unknown,
            labels: Vec::new(),
            kill_chain_phases: Vec::new(),
            techniques: Vec::new(),
            explanation: serde_json::json!({
                "method": "counts-only",
                "sessions": ip.sessions,
                "events": ip.events,
            }),
        }
    }
}
