//! The SQLite backend against the Store contract: idempotent appends, sessions and IP
//! aggregates, classification replays, version publication and keyset paging.

use sikker_event::{Auth, AuthMethod, Disconnect, Event, EventData, Protocol, Timestamp};
use sikker_store::*;
use std::net::IpAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

fn open(dir: &std::path::Path, policy: DateAddedPolicy, clock: Arc<AtomicI64>) -> SqliteStore {
    SqliteStore::open(
        dir,
        SqliteOptions {
            date_added: policy,
            clock: Arc::new(move || clock.load(Ordering::SeqCst)),
            durable: false,
            readers: 2,
        },
    )
    .unwrap()
}

fn session(ip: &str, t0: i64, closed: bool) -> Vec<Event> {
    let ip: IpAddr = ip.parse().unwrap();
    let s = Uuid::now_v7();
    let mut kinds = vec![
        EventData::Connect,
        EventData::Auth(Auth {
            method: AuthMethod::Password,
            username: "root".into(),
            password: Some("1234".into()),
            key_type: None,
            key_fingerprint: None,
            success: true,
        }),
        EventData::Command {
            line: "uname -a".into(),
        },
    ];
    if closed {
        kinds.push(EventData::Disconnect(Disconnect {
            reason: "closed".into(),
            duration_ms: 5,
            bytes_in: 1,
            bytes_out: 2,
        }));
    }
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, data)| {
            let mut e = Event::new("t", s, Protocol::Ssh, ip, 40000, 22, data);
            e.ts = Timestamp(t0 + i as i64);
            e
        })
        .collect()
}

fn publication(ip: &str, content: &str) -> Publication {
    Publication {
        object_id: format!(
            "indicator--{}",
            Uuid::new_v5(&Uuid::NAMESPACE_OID, ip.as_bytes())
        ),
        kind: "indicator".into(),
        inputs: content.as_bytes().to_vec(),
        ip: None,
        fixed_times: None,
        render: None,
    }
}

const T0: i64 = 1_790_000_000_000_000;

/// A query over every object, with these versions, from `after`, `limit` rows.
fn query(versions: VersionFilter, after: Option<(i64, String)>, limit: usize) -> FeedQuery {
    FeedQuery {
        after,
        added_after: None,
        ids: vec![],
        types: vec![],
        versions,
        limit,
        with_objects: true,
    }
}

#[tokio::test]
async fn same_batch_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        DateAddedPolicy::StrictMillis,
        Arc::new(AtomicI64::new(T0)),
    );
    let mut batch = session("203.0.113.5", T0, true);
    batch.extend(session("2001:db8::5", T0, false));
    let first = store.append_events(batch.clone()).await.unwrap();
    assert_eq!(first.stored.len(), 7);
    assert_eq!(first.closed_sessions.len(), 1);
    assert_eq!(first.new_ips.len(), 2);
    let before = store.stats().await.unwrap();
    let again = store.append_events(batch.clone()).await.unwrap();
    assert!(again.stored.is_empty());
    assert_eq!(again.known.len(), 7);
    assert!(again.new_ips.is_empty() && again.closed_sessions.is_empty());
    assert_eq!(store.stats().await.unwrap(), before);
    let ip = store
        .ip_record("203.0.113.5".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ip.sessions, ip.events), (1, 4));
    assert_eq!(ip.protocols[0].protocol, "ssh");
    // Duplicates inside one batch count once too.
    let dup = session("198.51.100.1", T0, true);
    let mut doubled = dup.clone();
    doubled.extend(dup);
    let out = store.append_events(doubled).await.unwrap();
    assert_eq!((out.stored.len(), out.known.len()), (4, 4));
}

#[tokio::test]
async fn sessions_close_classify_once_and_mark_ips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(
        dir.path(),
        DateAddedPolicy::StrictMillis,
        Arc::new(AtomicI64::new(T0)),
    );
    let events = session("203.0.113.9", T0, true);
    let (head, tail) = events.split_at(2);
    store.append_events(head.to_vec()).await.unwrap();
    assert!(store.pending_sessions(10).await.unwrap().is_empty());
    store.append_events(tail.to_vec()).await.unwrap();
    let pending = store.pending_sessions(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].events, 4);
    let loaded = store.session_events(vec![pending[0].id]).await.unwrap();
    assert_eq!(loaded[0].1, events);
    let c = Classified {
        session: pending[0].id,
        ip: pending[0].ip,
        behavior: Some("recon".into()),
        primitives: vec!["p-uname".into()],
        events: 4,
    };
    store.record_classifications(vec![c.clone()]).await.unwrap();
    store.record_classifications(vec![c]).await.unwrap();
    let ip = store.ip_record(pending[0].ip).await.unwrap().unwrap();
    assert_eq!(ip.behaviors.get("recon"), Some(&1));
    assert_eq!(ip.primitives.get("p-uname"), Some(&1));
    assert!(store.pending_sessions(10).await.unwrap().is_empty());
    assert_eq!(store.dirty_ips(10).await.unwrap().len(), 1);
    assert!(store
        .unclassified_primitive_sets()
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.reset_classifications().await.unwrap(), 1);
    let again = Classified {
        session: pending[0].id,
        ip: pending[0].ip,
        behavior: None,
        primitives: vec!["p-a".into(), "p-b".into()],
        events: 4,
    };
    store.record_classifications(vec![again]).await.unwrap();
    assert_eq!(
        store.unclassified_primitive_sets().await.unwrap(),
        vec![(vec!["p-a".to_owned(), "p-b".to_owned()], 1)]
    );
    assert_eq!(
        store
            .ip_record(pending[0].ip)
            .await
            .unwrap()
            .unwrap()
            .unclassified,
        1
    );
    assert_eq!(store.reset_classifications().await.unwrap(), 1);
    assert_eq!(store.pending_sessions(10).await.unwrap().len(), 1);
    let ip = store.ip_record(pending[0].ip).await.unwrap().unwrap();
    assert!(ip.behaviors.is_empty());
}

#[tokio::test]
async fn idle_sessions_close_and_late_events_reopen_them() {
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let store = open(dir.path(), DateAddedPolicy::StrictMillis, clock.clone());
    // The events' own times are a day old (a spool backlog): idleness is by arrival only.
    let events = session("203.0.113.10", T0 - 86_400_000_000, true);
    let id = events[0].session;
    let ip = events[0].src_ip;
    store.append_events(events[..2].to_vec()).await.unwrap();
    assert_eq!(
        store
            .close_idle_sessions(Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
    clock.store(T0 + 60_000_000, Ordering::SeqCst);
    assert_eq!(
        store
            .close_idle_sessions(Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
    clock.store(T0 + 60_000_001, Ordering::SeqCst);
    assert_eq!(
        store
            .close_idle_sessions(Duration::from_secs(60))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .close_idle_sessions(Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
    let pending = store.pending_sessions(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        pending[0].ended,
        Some(events[1].ts),
        "closed at its last event"
    );
    let verdict = |behavior: &str, primitive: &str, events: u64| Classified {
        session: id,
        ip,
        behavior: Some(behavior.into()),
        primitives: vec![primitive.into()],
        events,
    };
    let recorded = store
        .record_classifications(vec![verdict("recon", "p-uname", 2)])
        .await
        .unwrap();
    assert_eq!(recorded, 1);
    assert!(store.pending_sessions(10).await.unwrap().is_empty());
    let before = store.ip_record(ip).await.unwrap().unwrap();
    assert_eq!(before.behaviors.get("recon"), Some(&1));

    // The session was alive after all: a command arrives. The verdict is taken back and the
    // session is open again, not pending, so it is not reclassified on every batch.
    store.append_events(events[2..3].to_vec()).await.unwrap();
    let after = store.ip_record(ip).await.unwrap().unwrap();
    assert!(after.behaviors.is_empty(), "{:?}", after.behaviors);
    assert!(after.primitives.is_empty(), "{:?}", after.primitives);
    assert!(after.generation > before.generation);
    assert!(store.pending_sessions(10).await.unwrap().is_empty());

    // Then its disconnect: pending, ending at the real disconnect, with all four events.
    store.append_events(events[3..].to_vec()).await.unwrap();
    let pending = store.pending_sessions(10).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].ended, Some(events[3].ts));
    assert_eq!(pending[0].events, 4);

    // A verdict made from fewer events than are stored is stale and is not recorded.
    let stale = store
        .record_classifications(vec![verdict("recon", "p-uname", 3)])
        .await
        .unwrap();
    assert_eq!(stale, 0);
    assert_eq!(store.pending_sessions(10).await.unwrap().len(), 1);
    store
        .record_classifications(vec![verdict("loader", "p-wget", 4)])
        .await
        .unwrap();
    assert!(store.pending_sessions(10).await.unwrap().is_empty());
    let last = store.ip_record(ip).await.unwrap().unwrap();
    assert_eq!(last.behaviors.len(), 1);
    assert_eq!(last.behaviors.get("loader"), Some(&1));
    assert_eq!(last.primitives.get("p-wget"), Some(&1));
    assert_eq!(last.sessions, 1);
    // Closed by its disconnect, it is not closed again by the sweep.
    clock.store(T0 + 10 * 86_400_000_000, Ordering::SeqCst);
    assert_eq!(
        store
            .close_idle_sessions(Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn versions_only_when_inputs_change_and_times_are_ordered() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0 + 123)); // sub-millisecond digits must vanish
    let store = open(dir.path(), DateAddedPolicy::StrictMillis, clock.clone());
    assert_eq!(
        store
            .publish(vec![publication("a", "v1"), publication("b", "v1")])
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.publish(vec![publication("a", "v1")]).await.unwrap(),
        0
    );
    assert_eq!(
        store.publish(vec![publication("a", "v2")]).await.unwrap(),
        1
    );
    let all = VersionFilter {
        all: true,
        ..Default::default()
    };
    let page = store.feed_page(query(all, None, 100)).await.unwrap();
    assert_eq!(page.rows.len(), 3);
    for w in page.rows.windows(2) {
        assert!(w[0].date_added < w[1].date_added, "strictly increasing");
    }
    for r in &page.rows {
        assert_eq!(r.date_added.0 % 1000, 0, "whole milliseconds");
        assert!(r.modified >= r.created);
    }
    let (v1, v2) = (&page.rows[0], &page.rows[2]);
    assert_eq!(v1.object_id, v2.object_id);
    assert_eq!(v1.created, v2.created);
    assert!(v2.modified > v1.modified);
    let last = store
        .feed_page(query(VersionFilter::last(), None, 100))
        .await
        .unwrap();
    assert_eq!(last.rows.len(), 2);
    assert_eq!(last.rows[1].inputs, b"v2");
    let first = store
        .feed_page(FeedQuery {
            after: None,
            added_after: None,
            ids: vec![v1.object_id.clone()],
            types: vec![],
            versions: VersionFilter {
                first: true,
                ..Default::default()
            },
            limit: 100,
            with_objects: true,
        })
        .await
        .unwrap();
    assert_eq!(first.rows.len(), 1);
    assert_eq!(first.rows[0].inputs, b"v1");
}

#[tokio::test]
async fn equal_timestamps_are_never_split_at_a_page_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let store = open(dir.path(), DateAddedPolicy::WallClockMillis, clock.clone());
    // Three at T0, then four sharing T0+1ms, then two at T0+2ms.
    store
        .publish((0..3).map(|i| publication(&format!("a{i}"), "x")).collect())
        .await
        .unwrap();
    clock.store(T0 + 1_000, Ordering::SeqCst);
    store
        .publish((0..4).map(|i| publication(&format!("b{i}"), "x")).collect())
        .await
        .unwrap();
    clock.store(T0 + 2_000, Ordering::SeqCst);
    store
        .publish((0..2).map(|i| publication(&format!("c{i}"), "x")).collect())
        .await
        .unwrap();

    let mut after = None;
    let mut pages = Vec::new();
    loop {
        let page = store
            .feed_page(query(VersionFilter::last(), after.clone(), 5))
            .await
            .unwrap();
        let last = page.rows.last().unwrap();
        after = Some((last.date_added.0, last.object_id.clone()));
        pages.push(page.rows.iter().map(|r| r.date_added.0).collect::<Vec<_>>());
        if !page.more {
            break;
        }
    }
    // A page of 5 would end inside the T0+1ms group, so the first page stops after T0's three.
    assert_eq!(pages[0], vec![T0; 3]);
    assert_eq!(pages[1], vec![T0 + 1_000; 4]);
    assert_eq!(pages[2], vec![T0 + 2_000; 2]);

    // A group larger than the page is split by the keyset, losing nothing.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .feed_page(query(VersionFilter::last(), after.clone(), 2))
            .await
            .unwrap();
        for r in &page.rows {
            seen.push(r.object_id.clone());
        }
        let last = page.rows.last().unwrap();
        after = Some((last.date_added.0, last.object_id.clone()));
        if !page.more {
            break;
        }
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (9, 9));
}

#[tokio::test]
async fn keys_and_reopen_keep_state() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let secret;
    {
        let store = open(dir.path(), DateAddedPolicy::StrictMillis, clock.clone());
        secret = store.cursor_secret().await.unwrap();
        store
            .insert_key(KeyRecord {
                hash: [1; 32],
                prefix: "sk_free_ab".into(),
                name: "n".into(),
                tier: "free".into(),
                role: KeyRole::Api,
                created: Timestamp(T0),
                disabled: false,
            })
            .await
            .unwrap();
        store.publish(vec![publication("a", "1")]).await.unwrap();
    }
    // The wall clock went backwards; date_added must not.
    clock.store(T0 - 10_000_000, Ordering::SeqCst);
    let store = open(dir.path(), DateAddedPolicy::StrictMillis, clock);
    assert_eq!(store.cursor_secret().await.unwrap(), secret);
    assert_eq!(
        store.key_by_hash([1; 32]).await.unwrap().unwrap().role,
        KeyRole::Api
    );
    assert!(store.key_by_hash([2; 32]).await.unwrap().is_none());
    assert_eq!(store.count_keys(KeyRole::Api).await.unwrap(), 1);
    store.publish(vec![publication("b", "1")]).await.unwrap();
    let page = store
        .feed_page(query(VersionFilter::last(), None, 10))
        .await
        .unwrap();
    assert!(page.rows[1].date_added > page.rows[0].date_added);
}

#[tokio::test]
async fn rendered_objects_are_kept_and_served_as_published() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0 + 7_654));
    let store = open(dir.path(), DateAddedPolicy::StrictMillis, clock);
    let mut p = publication("r", "inputs-1");
    p.render = Some(Renderer::new(|created, modified| {
        format!("{{\"created\":{},\"modified\":{}}}", created.0, modified.0).into_bytes()
    }));
    assert_eq!(store.publish(vec![p]).await.unwrap(), 1);
    let page = store
        .feed_page(query(VersionFilter::last(), None, 10))
        .await
        .unwrap();
    let row = &page.rows[0];
    let want = format!(
        "{{\"created\":{},\"modified\":{}}}",
        row.created.0, row.modified.0
    );
    assert_eq!(row.object.as_deref(), Some(want.as_bytes()));
    assert!(
        row.inputs.is_empty(),
        "inputs are not read when an object is kept"
    );
    // Unchanged inputs: no new version, so the render is not called again.
    let mut same = publication("r", "inputs-1");
    same.render = Some(Renderer::new(|_, _| {
        panic!("rendered for an unchanged version")
    }));
    assert_eq!(store.publish(vec![same]).await.unwrap(), 0);
}

#[tokio::test]
async fn two_writers_on_one_file_keep_date_added_increasing() {
    // `serve` and `catalog apply` (or `simulate`) may write one data directory at once.
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let a = open(dir.path(), DateAddedPolicy::StrictMillis, clock.clone());
    let b = open(dir.path(), DateAddedPolicy::StrictMillis, clock);
    for (i, store) in [&a, &b, &a, &b].into_iter().enumerate() {
        let batch = (0..3)
            .map(|j| publication(&format!("{i}-{j}"), "x"))
            .collect();
        store.publish(batch).await.unwrap();
    }
    let all = a
        .feed_page(query(VersionFilter::last(), None, 100))
        .await
        .unwrap();
    assert_eq!(all.rows.len(), 12);
    for w in all.rows.windows(2) {
        assert!(
            w[0].date_added < w[1].date_added,
            "{:?} then {:?}",
            w[0].date_added,
            w[1].date_added
        );
    }
}
