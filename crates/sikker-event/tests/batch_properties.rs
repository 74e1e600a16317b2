//! Properties of batch parsing, the first thing central does with bytes from the network:
//! every event survives both wire forms unchanged, and no input (random, truncated or
//! corrupted) makes the parser panic or answer with an index outside the batch.

use proptest::prelude::*;
use sikker_event::*;
use std::net::IpAddr;
use uuid::Uuid;

fn text() -> impl Strategy<Value = String> {
    // Quotes, backslashes, newlines, control and non-ASCII characters: what JSON must escape.
    prop::collection::vec(
        prop_oneof![
            Just('"'),
            Just('\\'),
            Just('\n'),
            Just('\u{0}'),
            Just('é'),
            Just('🦀'),
            any::<char>(),
            prop::char::range('a', 'z'),
        ],
        0..40,
    )
    .prop_map(|c| c.into_iter().collect())
}

fn protocol() -> impl Strategy<Value = Protocol> {
    prop::sample::select(vec![
        Protocol::Ssh,
        Protocol::Telnet,
        Protocol::Http,
        Protocol::Redis,
        Protocol::Sip,
        Protocol::Smb,
    ])
}

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(IpAddr::from),
        any::<[u8; 16]>().prop_map(IpAddr::from),
    ]
}

fn data() -> impl Strategy<Value = EventData> {
    prop_oneof![
        Just(EventData::Connect),
        (text(), prop::option::of(text()), any::<bool>()).prop_map(|(u, p, success)| {
            EventData::Auth(Auth {
                method: AuthMethod::Password,
                username: u,
                password: p,
                key_type: None,
                key_fingerprint: None,
                success,
            })
        }),
        text().prop_map(|line| EventData::Command { line }),
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| EventData::Input { data: RawBytes(b) }),
        (
            prop::option::of(text()),
            prop::collection::vec(text(), 0..4)
        )
            .prop_map(|(method, args)| EventData::Request(Request {
                method,
                args,
                ..Request::default()
            })),
        (prop::option::of(text()), any::<u64>()).prop_map(|(url, size)| {
            EventData::Download(Transfer {
                url,
                size: Some(size),
                tool: Some("wget".into()),
                ..Transfer::default()
            })
        }),
        (text(), any::<u64>()).prop_map(|(reason, n)| {
            EventData::Disconnect(Disconnect {
                reason,
                duration_ms: n,
                bytes_in: n / 2,
                bytes_out: n / 3,
            })
        }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        protocol(),
        ip(),
        any::<u16>(),
        any::<u16>(),
        946_684_800_000_000i64..4_102_444_800_000_000,
        any::<bool>(),
        data(),
    )
        .prop_map(
            |(protocol, src_ip, src_port, dst_port, ts, synthetic, data)| {
                let mut e = Event::new(
                    "sensor-1",
                    Uuid::now_v7(),
                    protocol,
                    src_ip,
                    src_port,
                    dst_port,
                    data,
                );
                e.ts = Timestamp(ts);
                e.synthetic = synthetic;
                e
            },
        )
}

fn as_array(events: &[Event]) -> Vec<u8> {
    serde_json::to_vec(events).expect("events serialise")
}

fn as_ndjson(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in events {
        out.extend(serde_json::to_vec(e).expect("an event serialises"));
        out.push(b'\n');
    }
    out
}

/// Every answer names positions inside the batch and never more items than it could hold.
fn well_formed(body: &[u8], parsed: &Result<Vec<BatchItem>, String>) {
    if let Ok(items) = parsed {
        let lines = body.split(|b| *b == b'\n').count();
        assert!(items.len() <= lines.max(body.len()));
        for item in items {
            if let Err(e) = item {
                assert!(
                    e.index < lines.max(body.len()),
                    "index {} out of range",
                    e.index
                );
                assert!(!e.reason.is_empty());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn events_survive_both_wire_forms(events in prop::collection::vec(event(), 1..8)) {
        // Timestamps travel as RFC 3339 with microseconds; sub-microsecond parts do not exist.
        for body in [as_array(&events), as_ndjson(&events)] {
            let items = parse_batch(&body, &Limits::default()).expect("a valid batch parses");
            prop_assert_eq!(items.len(), events.len());
            for (item, original) in items.iter().zip(&events) {
                prop_assert_eq!(item.as_ref().expect("a valid event is accepted"), original);
            }
        }
    }

    #[test]
    fn random_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let parsed = parse_batch(&body, &Limits::default());
        well_formed(&body, &parsed);
    }

    #[test]
    fn truncated_batches_are_refused_or_lose_only_the_cut_event(
        events in prop::collection::vec(event(), 1..5),
        cut in any::<prop::sample::Index>(),
        ndjson in any::<bool>(),
    ) {
        let body = if ndjson { as_ndjson(&events) } else { as_array(&events) };
        let at = cut.index(body.len());
        let short = &body[..at];
        let parsed = parse_batch(short, &Limits::default());
        well_formed(short, &parsed);
        if !ndjson {
            // An array cut anywhere before its closing bracket is not an array.
            prop_assert!(parsed.is_err());
        } else if let Ok(items) = parsed {
            // Every complete line is still accepted; at most the cut one is rejected.
            let rejected = items.iter().filter(|i| i.is_err()).count();
            prop_assert!(rejected <= 1);
            for (item, original) in items.iter().zip(&events) {
                if let Ok(e) = item {
                    prop_assert_eq!(e, original);
                }
            }
        }
    }

    #[test]
    fn corrupted_batches_never_panic(
        events in prop::collection::vec(event(), 1..5),
        at in any::<prop::sample::Index>(),
        junk in prop::collection::vec(any::<u8>(), 1..8),
        ndjson in any::<bool>(),
    ) {
        let mut body = if ndjson { as_ndjson(&events) } else { as_array(&events) };
        let i = at.index(body.len());
        let end = (i + junk.len()).min(body.len());
        body.splice(i..end, junk);
        let parsed = parse_batch(&body, &Limits::default());
        well_formed(&body, &parsed);
    }
}

#[test]
fn limits_are_enforced_with_reasons() {
    let limits = Limits {
        max_events: 3,
        max_event_bytes: 400,
        max_text: 16,
        max_sensor_name: 8,
    };
    let ip: IpAddr = "203.0.113.1".parse().expect("literal");
    let make = |line: &str| {
        Event::new(
            "s",
            Uuid::now_v7(),
            Protocol::Ssh,
            ip,
            1,
            22,
            EventData::Command { line: line.into() },
        )
    };
    let too_many: Vec<Event> = (0..4).map(|_| make("id")).collect();
    for body in [as_array(&too_many), as_ndjson(&too_many)] {
        let err = parse_batch(&body, &limits).expect_err("four events over a limit of three");
        assert!(err.contains("3"), "{err}");
    }
    let items = parse_batch(&as_array(&[make("id"), make(&"x".repeat(17))]), &limits)
        .expect("the batch itself is readable");
    assert!(items[0].is_ok());
    let reason = &items[1].as_ref().expect_err("line over max_text").reason;
    assert!(reason.contains("line is 17 bytes"), "{reason}");
    let items = parse_batch(&as_array(&[make(&"y".repeat(500))]), &limits).expect("readable batch");
    let reason = &items[0]
        .as_ref()
        .expect_err("event over max_event_bytes")
        .reason;
    assert!(reason.contains("the limit is 400"), "{reason}");
}
