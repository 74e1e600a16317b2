//! Confidence scoring: an IP's evidence in, a 0–100 confidence out, with every term explained.
//! The method and the reasons for each constant are in `docs/scoring.md`; keep them in step.
//!
//! Pure: no clock, no I/O. The same evidence always gives the same score (no time decay).

use crate::benign::BenignSource;
use crate::category::Category;
use crate::severity::Severity;
use serde::{Deserialize, Serialize};
use sikker_event::Protocol;
use std::collections::{BTreeMap, BTreeSet};

/// Behavior weight per severity (SikkerAPI's published table).
pub const WEIGHT_VERY_HIGH: f64 = 55.0;
pub const WEIGHT_HIGH: f64 = 35.0;
pub const WEIGHT_MEDIUM: f64 = 20.0;
pub const WEIGHT_LOW: f64 = 8.0;
pub const WEIGHT_INFO: f64 = 3.0;
/// A behavior counts `weight × min(√sessions, BEHAVIOR_REPEAT_CAP)`.
pub const BEHAVIOR_REPEAT_CAP: f64 = 6.0;
/// Points per distinct behavior beyond the first.
pub const DISTINCT_BEHAVIOR_BONUS: f64 = 6.0;
/// Primitive term: `PRIMITIVE_WEIGHT × √(distinct primitives)`, at most `PRIMITIVE_CAP`.
pub const PRIMITIVE_WEIGHT: f64 = 3.0;
pub const PRIMITIVE_CAP: f64 = 24.0;
/// Volume term: `SESSION_WEIGHT × ln(1 + sessions) + EVENT_WEIGHT × ln(1 + events)`, at most
/// `VOLUME_CAP`.
pub const SESSION_WEIGHT: f64 = 4.0;
pub const EVENT_WEIGHT: f64 = 1.0;
pub const VOLUME_CAP: f64 = 30.0;
/// Protocol diversity: `PROTOCOL_WEIGHT × √(distinct protocols − 1)`.
pub const PROTOCOL_WEIGHT: f64 = 6.0;
/// Community: `REPORTER_WEIGHT × √(distinct reporters)`, at most `REPORTER_CAP` …
pub const REPORTER_WEIGHT: f64 = 12.0;
pub const REPORTER_CAP: f64 = 72.0;
/// … plus `REPORT_VOLUME_WEIGHT × ln(1 + reports)`, at most `REPORT_VOLUME_CAP` …
pub const REPORT_VOLUME_WEIGHT: f64 = 3.0;
pub const REPORT_VOLUME_CAP: f64 = 15.0;
/// … plus, per category, `category weight × min(√reports of it, CATEGORY_REPEAT_CAP)`.
pub const CATEGORY_REPEAT_CAP: f64 = 2.0;
/// Corroboration multiplier `1 + CORROBORATION_MAX × (1 − e^(−min(sensor, community) / CORROBORATION_SCALE))`.
pub const CORROBORATION_MAX: f64 = 0.5;
pub const CORROBORATION_SCALE: f64 = 40.0;
/// Saturation `100 × (1 − e^(−raw / SATURATION))`.
pub const SATURATION: f64 = 70.0;
/// An IP with a very_high behavior scores at least this (before the benign discount).
pub const VERY_HIGH_FLOOR: u8 = 70;
/// Band lower bounds.
pub const BAND_VERY_HIGH: u8 = 90;
pub const BAND_HIGH: u8 = 70;
pub const BAND_MEDIUM: u8 = 40;
pub const BAND_LOW: u8 = 10;

impl Severity {
    /// The behavior weight of this severity in the confidence score.
    pub fn weight(self) -> f64 {
        match self {
            Severity::VeryHigh => WEIGHT_VERY_HIGH,
            Severity::High => WEIGHT_HIGH,
            Severity::Medium => WEIGHT_MEDIUM,
            Severity::Low => WEIGHT_LOW,
            Severity::Info => WEIGHT_INFO,
        }
    }
}

/// How many sessions of one behavior an IP showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BehaviorCount {
    pub id: String,
    pub severity: Severity,
    pub count: u64,
}

/// How many sessions matched one primitive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrimitiveCount {
    pub id: String,
    pub count: u64,
}

/// Community reports about an IP.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CommunityEvidence {
    /// All reports (no de-duplication: repeats count).
    pub reports: u64,
    /// Distinct reporters (API keys). Counted at most once per report.
    pub reporters: u64,
    /// Reports per category.
    pub categories: Vec<(Category, u64)>,
}

/// Everything known about one IP that the score uses. Counts only; no timestamps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub behaviors: Vec<BehaviorCount>,
    pub primitives: Vec<PrimitiveCount>,
    pub protocols: Vec<Protocol>,
    pub sessions: u64,
    pub events: u64,
    pub community: CommunityEvidence,
}

impl Evidence {
    /// Adds one classified session: its behavior (when it has one), its primitives, its
    /// protocol, one session and `events` events.
    pub fn add_session(
        &mut self,
        protocol: Protocol,
        events: u64,
        classification: &crate::Classification,
        engine: &crate::Engine,
    ) {
        self.sessions += 1;
        self.events += events;
        if !self.protocols.contains(&protocol) {
            self.protocols.push(protocol);
        }
        for p in &classification.primitives {
            match self.primitives.iter_mut().find(|x| x.id == p) {
                Some(x) => x.count += 1,
                None => self.primitives.push(PrimitiveCount {
                    id: p.to_string(),
                    count: 1,
                }),
            }
        }
        if let Some(b) = classification.outcome.behavior() {
            let severity = engine.behavior(b).map_or(Severity::Info, |x| x.severity);
            match self.behaviors.iter_mut().find(|x| x.id == b) {
                Some(x) => x.count += 1,
                None => self.behaviors.push(BehaviorCount {
                    id: b.to_owned(),
                    severity,
                    count: 1,
                }),
            }
        }
    }
}

/// Score bands (guidelines for readers, not thresholds the engine acts on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Band {
    None,
    Low,
    Medium,
    High,
    VeryHigh,
}

impl Band {
    pub fn of(confidence: u8) -> Band {
        match confidence {
            c if c >= BAND_VERY_HIGH => Band::VeryHigh,
            c if c >= BAND_HIGH => Band::High,
            c if c >= BAND_MEDIUM => Band::Medium,
            c if c >= BAND_LOW => Band::Low,
            _ => Band::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Band::VeryHigh => "Very High",
            Band::High => "High",
            Band::Medium => "Medium",
            Band::Low => "Low",
            Band::None => "None",
        }
    }
}

/// One line of a score's explanation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Term {
    /// e.g. `behavior:mirai-busybox-loader`, `volume`, `corroboration`.
    pub name: String,
    /// The numbers the term was computed from.
    pub inputs: BTreeMap<String, f64>,
    /// Its contribution: points for additive terms, the factor for multiplicative ones.
    pub value: f64,
    /// The formula, in words a reader can check.
    pub formula: String,
}

/// The benign discount that was applied, if any.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discount {
    pub source: String,
    pub name: String,
    pub factor: f64,
}

/// A confidence score and how it was reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// The published score: after the benign discount.
    pub confidence: u8,
    /// Before the benign discount (`ignoreWhitelist=true`).
    pub raw_confidence: u8,
    /// Band of `confidence`.
    pub band: Band,
    pub sensor_points: f64,
    pub community_points: f64,
    /// Evidence strength after corroboration, before saturation.
    pub raw: f64,
    pub discount: Option<Discount>,
    pub terms: Vec<Term>,
}

fn term(name: impl Into<String>, inputs: &[(&str, f64)], value: f64, formula: &str) -> Term {
    Term {
        name: name.into(),
        inputs: inputs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
        value,
        formula: formula.to_owned(),
    }
}

/// Scores an IP. `benign` is the entry of the benign list the IP matched, if any.
pub fn score(evidence: &Evidence, benign: Option<&BenignSource>) -> Score {
    let mut terms = Vec::new();

    // Sensor evidence. Same-id entries are merged so callers need not de-duplicate.
    let mut behaviors: BTreeMap<&str, (Severity, u64)> = BTreeMap::new();
    for b in evidence.behaviors.iter().filter(|b| b.count > 0) {
        let e = behaviors.entry(&b.id).or_insert((b.severity, 0));
        e.0 = e.0.max(b.severity);
        e.1 = e.1.saturating_add(b.count);
    }
    let mut sensor = 0.0;
    for (id, (sev, count)) in &behaviors {
        let factor = (*count as f64).sqrt().min(BEHAVIOR_REPEAT_CAP);
        let points = sev.weight() * factor;
        sensor += points;
        terms.push(term(
            format!("behavior:{id}"),
            &[
                ("weight", sev.weight()),
                ("count", *count as f64),
                ("factor", factor),
            ],
            points,
            "severity weight × min(√count, 6)",
        ));
    }
    if behaviors.len() > 1 {
        let extra = (behaviors.len() - 1) as f64;
        let points = DISTINCT_BEHAVIOR_BONUS * extra;
        sensor += points;
        terms.push(term(
            "behavior_diversity",
            &[("distinct_behaviors", behaviors.len() as f64)],
            points,
            "6 × (distinct behaviors − 1)",
        ));
    }
    let distinct_prims: BTreeSet<&str> = evidence
        .primitives
        .iter()
        .filter(|p| p.count > 0)
        .map(|p| p.id.as_str())
        .collect();
    if !distinct_prims.is_empty() {
        let n = distinct_prims.len() as f64;
        let points = (PRIMITIVE_WEIGHT * n.sqrt()).min(PRIMITIVE_CAP);
        sensor += points;
        terms.push(term(
            "primitives",
            &[("distinct_primitives", n)],
            points,
            "min(3 × √distinct primitives, 24)",
        ));
    }
    if evidence.sessions > 0 || evidence.events > 0 {
        let s = evidence.sessions as f64;
        let e = evidence.events as f64;
        let points = (SESSION_WEIGHT * s.ln_1p() + EVENT_WEIGHT * e.ln_1p()).min(VOLUME_CAP);
        sensor += points;
        terms.push(term(
            "volume",
            &[("sessions", s), ("events", e)],
            points,
            "min(4 × ln(1 + sessions) + ln(1 + events), 30)",
        ));
    }
    let protocols: BTreeSet<Protocol> = evidence.protocols.iter().copied().collect();
    if protocols.len() > 1 {
        let n = protocols.len() as f64;
        let points = PROTOCOL_WEIGHT * (n - 1.0).sqrt();
        sensor += points;
        terms.push(term(
            "protocol_diversity",
            &[("distinct_protocols", n)],
            points,
            "6 × √(distinct protocols − 1)",
        ));
    }

    // Community evidence: reporters count for more than repeats.
    let c = &evidence.community;
    let mut community = 0.0;
    if c.reports > 0 {
        let reporters = c.reporters.clamp(1, c.reports) as f64;
        let reports = c.reports as f64;
        let rp = (REPORTER_WEIGHT * reporters.sqrt()).min(REPORTER_CAP);
        let vp = (REPORT_VOLUME_WEIGHT * reports.ln_1p()).min(REPORT_VOLUME_CAP);
        community += rp + vp;
        terms.push(term(
            "reporters",
            &[("distinct_reporters", reporters)],
            rp,
            "min(12 × √distinct reporters, 72)",
        ));
        terms.push(term(
            "report_volume",
            &[("reports", reports)],
            vp,
            "min(3 × ln(1 + reports), 15)",
        ));
        let mut cats: BTreeMap<Category, u64> = BTreeMap::new();
        for (cat, n) in &c.categories {
            *cats.entry(*cat).or_default() += n;
        }
        for (cat, n) in cats.into_iter().filter(|(_, n)| *n > 0) {
            let factor = (n as f64).sqrt().min(CATEGORY_REPEAT_CAP);
            let points = cat.weight() * factor;
            community += points;
            terms.push(term(
                format!("category:{}", cat.name()),
                &[
                    ("weight", cat.weight()),
                    ("reports", n as f64),
                    ("factor", factor),
                ],
                points,
                "category weight × min(√reports, 2)",
            ));
        }
    }

    let mut raw = sensor + community;
    if sensor > 0.0 && community > 0.0 {
        let weaker = sensor.min(community);
        let m = 1.0 + CORROBORATION_MAX * (1.0 - (-weaker / CORROBORATION_SCALE).exp());
        raw *= m;
        terms.push(term(
            "corroboration",
            &[
                ("sensor", sensor),
                ("community", community),
                ("weaker", weaker),
            ],
            m,
            "× (1 + 0.5 × (1 − e^(−min(sensor, community)/40)))",
        ));
    }
    let saturated = 100.0 * (1.0 - (-raw / SATURATION).exp());
    let mut raw_confidence = saturated.round().clamp(0.0, 100.0) as u8;
    terms.push(term(
        "saturation",
        &[("raw", raw)],
        raw_confidence as f64,
        "100 × (1 − e^(−raw/70)), rounded",
    ));
    if behaviors.values().any(|(s, _)| *s == Severity::VeryHigh) && raw_confidence < VERY_HIGH_FLOOR
    {
        terms.push(term(
            "very_high_floor",
            &[("before", raw_confidence as f64)],
            VERY_HIGH_FLOOR as f64,
            "an IP with a very_high behavior scores at least 70",
        ));
        raw_confidence = VERY_HIGH_FLOOR;
    }
    let (confidence, discount) = match benign {
        Some(src) => {
            let factor = src.factor.clamp(0.0, 1.0);
            let c = (raw_confidence as f64 * factor)
                .round()
                .clamp(0.0, raw_confidence as f64) as u8;
            terms.push(term(
                format!("benign:{}", src.id),
                &[("factor", factor), ("before", raw_confidence as f64)],
                c as f64,
                "known-benign source: confidence × factor, rounded",
            ));
            (
                c,
                Some(Discount {
                    source: src.id.clone(),
                    name: src.name.clone(),
                    factor,
                }),
            )
        }
        None => (raw_confidence, None),
    };
    Score {
        confidence,
        raw_confidence,
        band: Band::of(confidence),
        sensor_points: sensor,
        community_points: community,
        raw,
        discount,
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_behavior(sev: Severity, count: u64) -> Evidence {
        Evidence {
            behaviors: vec![BehaviorCount {
                id: "b".into(),
                severity: sev,
                count,
            }],
            sessions: count,
            events: count * 5,
            protocols: vec![Protocol::Ssh],
            primitives: vec![PrimitiveCount {
                id: "p".into(),
                count,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn nothing_scores_zero() {
        let s = score(&Evidence::default(), None);
        assert_eq!((s.confidence, s.raw_confidence, s.band), (0, 0, Band::None));
    }

    #[test]
    fn saturation_checkpoints_match_the_published_curve() {
        for (raw, expect) in [
            (35.0, 39.0),
            (70.0, 63.0),
            (140.0, 86.0),
            (200.0, 94.0),
            (300.0, 99.0),
        ] {
            let got = (100.0 * (1.0 - (-raw / SATURATION).exp())).round();
            assert!(
                (got - expect).abs() <= 1.0,
                "{raw} → {got}, expected ~{expect}"
            );
        }
    }

    #[test]
    fn behavior_term_is_weight_times_capped_root() {
        let s = score(&with_behavior(Severity::High, 4), None);
        let t = s.terms.iter().find(|t| t.name == "behavior:b").unwrap();
        assert_eq!(t.value, 70.0);
        let s = score(&with_behavior(Severity::High, 100), None);
        let t = s.terms.iter().find(|t| t.name == "behavior:b").unwrap();
        assert_eq!(t.value, 35.0 * 6.0);
    }

    #[test]
    fn very_high_floor_applies() {
        let s = score(&with_behavior(Severity::VeryHigh, 1), None);
        assert!(s.raw_confidence >= VERY_HIGH_FLOOR);
        assert!(s.terms.iter().any(|t| t.name == "very_high_floor"));
        let low = score(&with_behavior(Severity::Low, 1), None);
        assert!(low.raw_confidence < BAND_MEDIUM, "{}", low.raw_confidence);
    }

    #[test]
    fn distinct_reporters_outweigh_volume() {
        let one_loud = Evidence {
            community: CommunityEvidence {
                reports: 50,
                reporters: 1,
                categories: vec![(Category::BruteForce, 50)],
            },
            ..Default::default()
        };
        let many = Evidence {
            community: CommunityEvidence {
                reports: 10,
                reporters: 10,
                categories: vec![(Category::BruteForce, 10)],
            },
            ..Default::default()
        };
        assert!(score(&many, None).confidence > score(&one_loud, None).confidence);
    }

    #[test]
    fn discount_keeps_raw_and_explains() {
        let src = BenignSource {
            id: "googlebot".into(),
            name: "Googlebot".into(),
            factor: 0.25,
            ..Default::default()
        };
        let s = score(&with_behavior(Severity::High, 9), Some(&src));
        assert!(s.confidence < s.raw_confidence);
        assert_eq!(s.confidence, (s.raw_confidence as f64 * 0.25).round() as u8);
        assert_eq!(s.discount.as_ref().unwrap().source, "googlebot");
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["terms"].as_array().unwrap().len() >= 4);
    }

    #[test]
    fn bands() {
        assert_eq!(Band::of(95), Band::VeryHigh);
        assert_eq!(Band::of(90), Band::VeryHigh);
        assert_eq!(Band::of(89), Band::High);
        assert_eq!(Band::of(40), Band::Medium);
        assert_eq!(Band::of(39), Band::Low);
        assert_eq!(Band::of(9), Band::None);
        assert_eq!(Band::VeryHigh.label(), "Very High");
    }
}
