//! Ingest: `POST /v1/ingest` and the pipeline behind it.
//!
//! The path of an event: the store appends it (deduplicated by id) and updates the session
//! and the IP; a `disconnect` closes the session, which the analyst classifies; every IP that
//! changed is reassessed and, if its indicator's inputs differ, a new version is published.
//! Each step leaves its mark in the store before the next starts, so a crash anywhere is
//! finished by the next [`Pipeline::process`] (which also runs at start-up).

mod http;

pub use http::router;

use crate::analyst::Analyst;
use sikker_event::Event;
use sikker_stix::{identity_object, tlp_clear_marking, IndicatorInputs, Timestamp};
use sikker_store::{Classified, IpPublication, IpRecord, Publication, Renderer, Store};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// How many sessions or IPs one store round trip handles.
const CHUNK: usize = 2_000;

/// What an ingest call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub stored: Vec<Uuid>,
    pub known: Vec<Uuid>,
    pub sessions_classified: usize,
    pub versions_published: usize,
}

pub struct Pipeline {
    store: Arc<dyn Store>,
    analyst: Arc<dyn Analyst>,
    /// `valid_until` = last seen + this, fixed into each version when it is published.
    valid_for_us: i64,
    /// One pass at a time: passes are idempotent, but two at once would do the work twice.
    pass: tokio::sync::Mutex<()>,
    /// Events of sessions that closed in accepted batches, kept for the worker's next pass so
    /// it need not read them back. Bounded by [`FRESH_MAX_EVENTS`]; beyond it the worker reads
    /// the store, which holds them all anyway.
    fresh: std::sync::Mutex<Fresh>,
    /// Wakes the worker: a batch was accepted, or the pipeline is going away.
    wake: Arc<tokio::sync::Notify>,
    /// Batches accepted so far, and (watched) how many of them a finished pass has covered.
    accepted: std::sync::atomic::AtomicU64,
    covered: tokio::sync::watch::Sender<u64>,
}

/// Most event bytes held for the worker between passes.
const FRESH_MAX_BYTES: usize = 64 * 1024 * 1024;

/// How long the worker waits after a failed pass before it tries again.
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

impl Drop for Pipeline {
    fn drop(&mut self) {
        // Lets a waiting worker find the pipeline gone and stop.
        self.wake.notify_one();
    }
}

#[derive(Default)]
struct Fresh {
    by_session: HashMap<Uuid, Vec<Event>>,
    /// Roughly what the events hold ([`approx_bytes`]).
    bytes: usize,
}

/// Counts an accepted batch and wakes the worker when dropped.
struct WakeOnDrop<'a>(&'a Pipeline);

impl Drop for WakeOnDrop<'_> {
    fn drop(&mut self) {
        self.0
            .accepted
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.0.wake.notify_one();
    }
}

/// About how much memory an event holds: its variable-length parts plus a fixed overhead.
fn approx_bytes(e: &Event) -> usize {
    use sikker_event::EventData as D;
    let data = match &e.data {
        D::Connect | D::Disconnect(_) => 0,
        D::Auth(a) => a.username.len() + a.password.as_ref().map_or(0, String::len),
        D::Input { data } | D::Output { data } => data.0.len(),
        D::Command { line } => line.len(),
        D::Request(r) => {
            r.method.as_ref().map_or(0, String::len)
                + r.target.as_ref().map_or(0, String::len)
                + r.headers
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
                + r.args.iter().map(String::len).sum::<usize>()
                + r.body.as_ref().map_or(0, |b| b.0.len())
                + r.fields
                    .iter()
                    .map(|(k, v)| k.len() + v.len())
                    .sum::<usize>()
        }
        D::Upload(t) | D::Download(t) => {
            t.url.as_ref().map_or(0, String::len) + t.name.as_ref().map_or(0, String::len)
        }
    };
    256 + e.sensor.len() + data
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        analyst: Arc<dyn Analyst>,
        indicator_validity: std::time::Duration,
    ) -> Pipeline {
        Pipeline {
            store,
            analyst,
            valid_for_us: i64::try_from(indicator_validity.as_micros()).unwrap_or(i64::MAX),
            pass: tokio::sync::Mutex::new(()),
            fresh: std::sync::Mutex::new(Fresh::default()),
            wake: Arc::new(tokio::sync::Notify::new()),
            accepted: std::sync::atomic::AtomicU64::new(0),
            covered: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Stores a batch of valid events and carries it through to the feed before returning.
    /// For callers that want the whole effect at once (`simulate`, tools, tests); the HTTP
    /// ingest uses [`Pipeline::accept`].
    pub async fn ingest(&self, events: Vec<Event>) -> anyhow::Result<IngestReport> {
        let (outcome, by_session) = self.store_batch(events).await?;
        // The events are stored: that is what the sensor's acknowledgement means. A failed
        // pass is retried by the next batch and at start-up, so it must not make the sensor
        // send the batch again.
        let (classified, published) = match self.process_with(by_session).await {
            Ok(done) => done,
            Err(e) => {
                tracing::error!("classification and publication pass failed, will retry: {e:#}");
                (0, 0)
            }
        };
        Ok(IngestReport {
            stored: outcome.stored,
            known: outcome.known,
            sessions_classified: classified,
            versions_published: published,
        })
    }

    /// Stores a batch of valid events and leaves classification and publication to the
    /// worker ([`Pipeline::run_worker`]), which starts on it at once. Returns when the events
    /// are durable, which is what a sensor's acknowledgement means.
    pub async fn accept(&self, events: Vec<Event>) -> anyhow::Result<IngestReport> {
        // Wakes the worker however this ends, even if the request is dropped right after the
        // store committed: stored events must not wait for the next batch.
        let _wake = WakeOnDrop(self);
        let (outcome, by_session) = self.store_batch(events).await?;
        if !by_session.is_empty() {
            if let Ok(mut fresh) = self.fresh.lock() {
                let bytes: usize = by_session.values().flatten().map(approx_bytes).sum();
                if fresh.bytes + bytes <= FRESH_MAX_BYTES {
                    fresh.bytes += bytes;
                    for (id, events) in by_session {
                        fresh.by_session.entry(id).or_default().extend(events);
                    }
                }
            }
        }
        Ok(IngestReport {
            stored: outcome.stored,
            known: outcome.known,
            ..IngestReport::default()
        })
    }

    /// Waits until every batch accepted before this call has been carried to the feed.
    pub async fn settle(&self) {
        let target = self.accepted.load(std::sync::atomic::Ordering::SeqCst);
        let mut covered = self.covered.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we borrow it.
        let _ = covered.wait_for(|done| *done >= target).await;
    }

    /// The worker: one pass after every wake-up, and every `sweep_every` a sweep closing
    /// the sessions for which no event has arrived for `close_idle_after`. Runs until the
    /// pipeline is dropped. A failed or panicking pass is retried after [`RETRY_AFTER`].
    pub fn spawn_worker(
        self: &Arc<Self>,
        close_idle_after: std::time::Duration,
        sweep_every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let pipeline = Arc::downgrade(self);
        let wake = self.wake.clone();
        let sweep_every = sweep_every.max(std::time::Duration::from_millis(1));
        tokio::spawn(async move {
            let mut sweep = tokio::time::interval(sweep_every);
            sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let sweeping = tokio::select! {
                    _ = wake.notified() => false,
                    _ = sweep.tick() => true,
                };
                let Some(p) = pipeline.upgrade() else { return };
                if sweeping {
                    match p.store.close_idle_sessions(close_idle_after).await {
                        Ok(0) => continue,
                        Ok(n) => tracing::info!(
                            "closed {n} sessions with no event for {}s",
                            close_idle_after.as_secs()
                        ),
                        Err(e) => tracing::error!("closing idle sessions failed: {e:#}"),
                    }
                }
                let target = p.accepted.load(std::sync::atomic::Ordering::SeqCst);
                let fresh = p
                    .fresh
                    .lock()
                    .map(|mut f| std::mem::take(&mut *f).by_session)
                    .unwrap_or_default();
                // In a task of its own, so that a panic fails this pass, not the worker.
                let pass = p.clone();
                let outcome = tokio::spawn(async move { pass.process_with(fresh).await })
                    .await
                    .unwrap_or_else(|e| Err(anyhow::anyhow!("the pass panicked: {e}")));
                match outcome {
                    Ok(_) => {
                        p.covered.send_if_modified(|done| {
                            let moved = *done < target;
                            *done = (*done).max(target);
                            moved
                        });
                    }
                    Err(e) => {
                        tracing::error!("classification and publication pass failed: {e:#}");
                        drop(p);
                        tokio::time::sleep(RETRY_AFTER).await;
                        wake.notify_one();
                    }
                }
            }
        })
    }

    /// Appends the batch; returns what the store did and the stored events of sessions that
    /// closed in it, by session.
    async fn store_batch(
        &self,
        events: Vec<Event>,
    ) -> anyhow::Result<(sikker_store::AppendOutcome, HashMap<Uuid, Vec<Event>>)> {
        // Keep, for classification right after, only sessions that close in this batch: the
        // others cannot be classified yet, so copying their events would be wasted work.
        let closing: std::collections::HashSet<Uuid> = events
            .iter()
            .filter(|e| matches!(e.data, sikker_event::EventData::Disconnect(_)))
            .map(|e| e.session)
            .collect();
        let kept: Vec<Event> = events
            .iter()
            .filter(|e| closing.contains(&e.session))
            .cloned()
            .collect();
        let outcome = self.store.append_events(events).await?;
        let mut by_session: HashMap<Uuid, Vec<Event>> = HashMap::new();
        if !outcome.closed_sessions.is_empty() {
            // Each stored id once: a batch may repeat an event, and a copy counted twice would
            // make a partial session look complete.
            let mut stored: std::collections::HashSet<Uuid> =
                outcome.stored.iter().copied().collect();
            for e in kept.into_iter().filter(|e| stored.remove(&e.id)) {
                by_session.entry(e.session).or_default().push(e);
            }
        }
        Ok((outcome, by_session))
    }

    /// Classifies every pending session and publishes every touched IP.
    pub async fn process(&self) -> anyhow::Result<(usize, usize)> {
        self.process_with(HashMap::new()).await
    }

    /// `fresh` holds events just stored, by session: a session whose events are all there
    /// needs no trip to the store.
    async fn process_with(
        &self,
        mut fresh: HashMap<Uuid, Vec<Event>>,
    ) -> anyhow::Result<(usize, usize)> {
        let _pass = self.pass.lock().await;
        let mut classified = 0;
        loop {
            let pending = self.store.pending_sessions(CHUNK).await?;
            if pending.is_empty() {
                break;
            }
            let mut missing = Vec::new();
            for s in &pending {
                let complete = fresh
                    .get(&s.id)
                    .is_some_and(|events| events.len() as u64 == s.events);
                if !complete {
                    missing.push(s.id);
                }
            }
            for (id, mut events) in self.store.session_events(missing).await? {
                events.sort_by_key(|e| e.ts);
                fresh.insert(id, events);
            }
            let mut verdicts = Vec::with_capacity(pending.len());
            for s in &pending {
                let mut events = fresh.remove(&s.id).unwrap_or_default();
                events.sort_by_key(|e| e.ts);
                // A session that makes the analyst panic is recorded with no verdict rather
                // than retried forever ahead of every other session.
                let v = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.analyst.classify(s, &events)
                }))
                .unwrap_or_else(|_| {
                    tracing::error!(session = %s.id, ip = %s.ip, "classifying this session panicked; it is recorded without a behavior");
                    crate::SessionVerdict::default()
                });
                verdicts.push(Classified {
                    session: s.id,
                    ip: s.ip,
                    behavior: v.behavior,
                    primitives: v.primitives,
                    events: events.len() as u64,
                });
            }
            let recorded = self.store.record_classifications(verdicts).await?;
            classified += recorded;
            if recorded == 0 {
                // Every verdict of the chunk was stale (events arrived meanwhile): the
                // batch that brought them wakes the worker again.
                break;
            }
        }
        let mut published = 0;
        loop {
            let dirty = self.store.dirty_ips(CHUNK).await?;
            if dirty.is_empty() {
                break;
            }
            let items: Vec<Publication> =
                dirty.iter().filter_map(|ip| self.publication(ip)).collect();
            if items.is_empty() {
                // Only IPs the analyst cannot assess are left; they stay dirty for the next
                // pass (after a fix and restart) instead of spinning this one.
                break;
            }
            published += self.store.publish(items).await?;
        }
        Ok((classified, published))
    }

    /// The IP's next indicator version, or `None` (logged) if the analyst panics on it.
    fn publication(&self, ip: &IpRecord) -> Option<Publication> {
        let a = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.analyst.assess(ip)))
            .map_err(|_| {
                tracing::error!(ip = %ip.ip, "assessing this IP panicked; its indicator is not published");
            })
            .ok()?;
        let inputs = IndicatorInputs {
            ip: ip.ip,
            first_seen: ip.first_seen,
            last_seen: ip.last_seen,
            confidence: a.confidence,
            indicator_type: a.indicator_type,
            labels: a.labels,
            kill_chain_phases: a.kill_chain_phases,
            techniques: a.techniques,
            protocols: ip.protocols.iter().map(|p| p.protocol.clone()).collect(),
            sessions: ip.sessions,
            synthetic: ip.synthetic,
        };
        let object_id = inputs.id();
        // Serialising a struct of strings and numbers cannot fail.
        let serialized = serde_json::to_vec(&inputs).unwrap_or_default();
        let valid_for_us = self.valid_for_us;
        let id = object_id.clone();
        Some(Publication {
            object_id,
            kind: "indicator".into(),
            inputs: serialized,
            ip: Some(IpPublication {
                ip: ip.ip,
                confidence: a.confidence,
                generation: ip.generation,
            }),
            fixed_times: None,
            render: Some(Renderer::new(move |created, modified| {
                let mut out = Vec::with_capacity(1_400);
                inputs.render_with_id(id.clone(), created, modified, valid_for_us, &mut out);
                out
            })),
        })
    }

    /// The producer identity and the TLP marking: the collection's first objects.
    pub async fn publish_fixed_objects(&self) -> anyhow::Result<()> {
        let mut items = Vec::new();
        for object in [identity_object(), tlp_clear_marking()] {
            let created = object["created"].as_str().unwrap_or_default();
            let created = Timestamp::parse(created).map_err(anyhow::Error::msg)?;
            let modified = object["modified"]
                .as_str()
                .map(Timestamp::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?
                .unwrap_or(created);
            items.push(Publication {
                object_id: object["id"].as_str().unwrap_or_default().to_owned(),
                kind: object["type"].as_str().unwrap_or_default().to_owned(),
                inputs: serde_json::to_vec(&object)?,
                ip: None,
                fixed_times: Some((created, modified)),
                render: None,
            });
        }
        self.store.publish(items).await?;
        Ok(())
    }
}
