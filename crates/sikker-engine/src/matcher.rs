//! All primitives compiled into one matcher per field. Every literal a match needs — anchored
//! ones (EQUALS values, the leading literal of a WILDCARD, the prefixes of a `^` REGEX) and
//! floating ones (CONTAINS values, a wildcard's longest literal, a regex's prefix or suffix
//! literals) — sits in one case-insensitive automaton per field ([`crate::needles`]), so a
//! value is scanned once. A hit is verified by its primitive (exact case, whole-value glob,
//! the regex itself) at most once per value, and not at all when the hit proves the match
//! (`word*`, `*word*`, CONTAINS). Regexes with no usable literal share one `RegexSet`. The
//! naive matcher beside it tries one primitive at a time: it is the oracle the compiled one
//! is tested against and the baseline the benchmark compares with.

use crate::catalog::{Catalog, Op, REGEX_SIZE_LIMIT};
use crate::field::Field;
use crate::flat_dfa::FlatDfa;
use crate::glob::{Glob, Shape};
use crate::needles::{Needle, Needles};
use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use sikker_event::Protocol;
use std::collections::HashMap;

/// Compiled size limit of the per-field `RegexSet`.
pub const REGEX_SET_SIZE_LIMIT: usize = 32 << 20;

/// Why a catalog could not be compiled (validation already ran, so this means a size limit).
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("field {field}: the combined regexes are too large: {reason}")]
    RegexSet { field: Field, reason: String },
    #[error("field {field}: the literal automaton could not be built: {reason}")]
    Literals { field: Field, reason: String },
    #[error("primitive {id}: {reason}")]
    Primitive { id: String, reason: String },
}

/// A set of primitive indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimSet {
    words: Vec<u64>,
}

impl PrimSet {
    pub fn new(capacity: usize) -> PrimSet {
        PrimSet {
            words: vec![0; capacity.div_ceil(64).max(1)],
        }
    }
    #[inline]
    pub fn insert(&mut self, i: u32) {
        if let Some(w) = self.words.get_mut(i as usize / 64) {
            *w |= 1 << (i % 64);
        }
    }
    #[inline]
    pub fn contains(&self, i: u32) -> bool {
        self.words
            .get(i as usize / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    pub fn is_subset(&self, other: &PrimSet) -> bool {
        // Pairs of words first (no lookup per word), then any words `other` lacks.
        let (common, rest) = self.words.split_at(self.words.len().min(other.words.len()));
        common.iter().zip(&other.words).all(|(a, b)| a & !b == 0) && rest.iter().all(|a| *a == 0)
    }
    /// Whether the two sets have a member in common.
    pub fn intersects(&self, other: &PrimSet) -> bool {
        self.words.iter().zip(&other.words).any(|(a, b)| a & b != 0)
    }
    /// Adds every member of `other`.
    pub fn union_with(&mut self, other: &PrimSet) {
        for (a, b) in self.words.iter_mut().zip(other.words.iter()) {
            *a |= b;
        }
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn iter(&self) -> PrimIter<'_> {
        PrimIter {
            words: &self.words,
            base: 0,
            next_base: 0,
            rest: 0,
        }
    }
}

/// The members of a [`PrimSet`], lowest first: set bits only, one word at a time.
pub struct PrimIter<'a> {
    /// The words not yet loaded.
    words: &'a [u64],
    /// The index of the first bit of `rest`, and of the next word's.
    base: u32,
    next_base: u32,
    /// The bits of the current word not yet visited.
    rest: u64,
}

impl Iterator for PrimIter<'_> {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        while self.rest == 0 {
            let (&w, tail) = self.words.split_first()?;
            self.words = tail;
            self.base = self.next_base;
            self.next_base = self.next_base.wrapping_add(64);
            self.rest = w;
        }
        let b = self.rest.trailing_zeros();
        self.rest &= self.rest - 1;
        Some(self.base + b)
    }
}

/// Literals one of which every match of `pattern` contains — its prefixes or its suffixes,
/// whichever set has the longer shortest literal (longer needles mean fewer false hits),
/// extracted as if case mattered (the automaton folds ASCII case itself), and whether they
/// are prefixes. `None` when neither set is usable: the pattern can match the empty string,
/// has too many, or a non-ASCII one (Unicode case folding could then match text the ASCII
/// automaton does not see).
fn regex_literals(pattern: &str) -> Option<(Vec<String>, bool)> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let usable = |kind: ExtractKind| usable_literals(&Extractor::new().kind(kind).extract(&hir));
    let prefixes = usable(ExtractKind::Prefix);
    let suffixes = usable(ExtractKind::Suffix);
    if shortest(suffixes.as_deref()) > shortest(prefixes.as_deref()) {
        suffixes.map(|v| (minimal(v, false), false))
    } else {
        prefixes.map(|v| (minimal(v, true), true))
    }
}

/// A literal set a prefilter can use: finite, at most 64, none empty, all ASCII.
fn usable_literals(seq: &regex_syntax::hir::literal::Seq) -> Option<Vec<String>> {
    let lits = seq.literals()?;
    if lits.is_empty() || lits.len() > 64 {
        return None;
    }
    lits.iter()
        .map(|l| {
            let b = l.as_bytes();
            (!b.is_empty() && b.is_ascii())
                .then(|| String::from_utf8(b.to_vec()).ok())
                .flatten()
        })
        .collect()
}

fn shortest(lits: Option<&[String]>) -> usize {
    lits.and_then(|v| v.iter().map(String::len).min())
        .unwrap_or(0)
}

/// A second literal set one of which every match of `pattern` contains, besides its prefixes
/// `main`: the
/// prefixes of one part of its top-level concatenation (`ssh-rsa|ssh-ed25519…` in
/// `^echo\s+(ssh-rsa|ssh-ed25519…) `). The regex then runs only when a literal of each set
/// occurs, not on every `echo`; when `main` is anchored at the start, on this set's hits
/// alone. The part with the longest shortest literal wins; none shorter than two bytes.
fn required_literals(pattern: &str, main: &[String]) -> Option<Vec<String>> {
    use regex_syntax::hir::{literal::Extractor, HirKind};
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    let HirKind::Concat(parts) = hir.kind() else {
        return None;
    };
    // A set some literal of which every main literal contains adds nothing.
    let redundant = |lits: &[String]| {
        main.iter().all(|m| {
            lits.iter()
                .any(|l| m.to_ascii_lowercase().contains(&l.to_ascii_lowercase()))
        })
    };
    parts
        .iter()
        .filter_map(|part| usable_literals(&Extractor::new().extract(part)))
        .filter(|lits| shortest(Some(lits)) >= 3 && !redundant(lits))
        .max_by_key(|lits| shortest(Some(lits)))
        .map(|lits| minimal(lits, false))
}

/// `lits` without those that contain another (start with another, for `prefixes`): whenever
/// the longer one occurs, so does the shorter, and one hit is enough.
fn minimal(mut lits: Vec<String>, prefixes: bool) -> Vec<String> {
    lits.sort_by_key(String::len);
    let mut kept: Vec<String> = Vec::with_capacity(lits.len());
    for l in lits {
        let lower = l.to_ascii_lowercase();
        let covered = kept.iter().any(|k| {
            let k = k.to_ascii_lowercase();
            if prefixes {
                lower.starts_with(&k)
            } else {
                lower.contains(&k)
            }
        });
        if !covered {
            kept.push(l);
        }
    }
    kept
}

/// Whether every match of `pattern` starts at the start of the haystack (`^…`).
fn anchored_at_start(pattern: &str) -> bool {
    regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .is_ok_and(|hir| {
            hir.properties()
                .look_set_prefix()
                .contains(regex_syntax::hir::Look::Start)
        })
}

pub fn protocol_bit(p: Protocol) -> u32 {
    1 << (p as u32)
}

struct Compiled {
    protocols: u32,
    field: Field,
    op: Op,
    case_sensitive: bool,
    value: String,
    lower: String,
    glob: Option<Glob>,
    regex: Option<Regex>,
    /// The same regex as a DFA over bytes with ASCII-only classes, copied flat, for ASCII
    /// values: see [`ascii_dfa`].
    ascii_dfa: Option<FlatDfa>,
}

/// Bytes one regex's dense DFA may take before it is copied into a [`FlatDfa`]; a pattern
/// whose DFA would be larger keeps the `regex` crate's engine.
const ASCII_DFA_SIZE_LIMIT: usize = 256 << 10;

/// `pattern` as a dense DFA that gives `regex`'s answer on ASCII values, or `None` when it
/// cannot be built small. On an ASCII value the Unicode and the ASCII meaning of every class
/// (`\w`, `\s`, `\d`, `.`, `[^…]`, `\b`) and of case folding agree: they differ only on
/// characters the value does not hold. So the pattern is compiled with Unicode off (over
/// bytes), which keeps the DFA small; a non-ASCII pattern is left alone. A search costs a
/// table step per byte and no set-up, where the general engine spends several hundred
/// instructions setting up each search of a 20–40-byte command.
fn ascii_dfa(pattern: &str, case_sensitive: bool) -> Option<FlatDfa> {
    use regex_automata::dfa::{dense, Automaton, StartKind};
    use regex_automata::util::{start, syntax};
    use regex_automata::Anchored;
    if !pattern.is_ascii() {
        return None;
    }
    let dfa = dense::Builder::new()
        .syntax(
            syntax::Config::new()
                .unicode(false)
                .utf8(false)
                .case_insensitive(!case_sensitive),
        )
        .thompson(regex_automata::nfa::thompson::Config::new().utf8(false))
        .configure(
            dense::Config::new()
                .start_kind(StartKind::Unanchored)
                .dfa_size_limit(Some(ASCII_DFA_SIZE_LIMIT))
                .determinize_size_limit(Some(4 * ASCII_DFA_SIZE_LIMIT)),
        )
        .build(pattern)
        .ok()?;
    // A search of a whole value starts at the start of the text, with nothing behind it.
    let start = dfa
        .start_state(&start::Config::new().anchored(Anchored::No))
        .ok()?;
    FlatDfa::new(&dfa, start).ok()
}

impl Compiled {
    /// Whether the primitive's regex matches `value`, which is ASCII.
    #[inline]
    fn regex_matches_ascii(&self, value: &str) -> bool {
        if let Some(dfa) = &self.ascii_dfa {
            return dfa.is_match(value.as_bytes());
        }
        self.regex.as_ref().is_some_and(|r| r.is_match(value))
    }
}

enum Check {
    Contains {
        prim: u32,
        exact: Option<Box<str>>,
    },
    Equals {
        prim: u32,
        exact: Option<Box<str>>,
    },
    /// `proof`: which hits of the needle prove the match without walking the pattern.
    Glob {
        prim: u32,
        proof: Proof,
    },
    /// `group`: a second literal set that must also occur before the regex is worth running.
    Regex {
        prim: u32,
        group: Option<u8>,
    },
    /// A literal of required set `group` occurs.
    Requires {
        group: u8,
    },
    /// A `command_line` literal occurs in a command: the line is worth scanning (see
    /// [`Matcher::folds_command_line`]).
    LineHint,
}

/// Required literal sets per field are numbered in a 128-bit mask.
const MAX_GROUPS: usize = 128;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Proof {
    None,
    /// Any hit (`word*` from the start, `*word*` anywhere).
    Hit,
    /// A hit that ends the value (`word`, `*word`).
    HitAtEnd,
}

impl Proof {
    fn of(shape: Shape) -> Proof {
        match shape {
            Shape::Prefix | Shape::Infix => Proof::Hit,
            Shape::Exact | Shape::Suffix => Proof::HitAtEnd,
            Shape::All | Shape::Other => Proof::None,
        }
    }
}

/// Globs and regexes already walked (and failed) on one value: a needle can occur many times,
/// the verdict does not change. Past its capacity it forgets, which only costs a re-check.
#[derive(Default)]
struct Tried {
    prims: [u32; 8],
    len: usize,
}

impl Tried {
    fn first_time(&mut self, prim: u32) -> bool {
        if self.prims[..self.len].contains(&prim) {
            return false;
        }
        if let Some(slot) = self.prims.get_mut(self.len) {
            *slot = prim;
            self.len += 1;
        }
        true
    }
}

/// What the scan of one value has seen so far besides primitive hits.
#[derive(Default)]
struct Seen {
    tried: Tried,
    /// Required literal sets (by group) that occurred.
    groups: u128,
    /// Regexes whose main literal occurred, waiting for the end of the scan to know whether
    /// their required set did too: (primitive, group). The group is held as a `u32` so the
    /// pairs have no padding: with it, setting up a `Seen` wrote the array in pieces and read
    /// it back whole, and the read waited on the stores (a store-forwarding stall).
    pending: [(u32, u32); 8],
    n_pending: usize,
    /// A [`Check::LineHint`] needle occurred.
    line_hint: bool,
}

impl Seen {
    /// Queues `prim` to run after the scan if `group` occurs; false when the queue is full
    /// (the caller then runs it now: the second literal is only a prefilter).
    fn wait(&mut self, prim: u32, group: u8) -> bool {
        let entry = (prim, u32::from(group));
        if self.pending[..self.n_pending].contains(&entry) {
            return true;
        }
        match self.pending.get_mut(self.n_pending) {
            Some(slot) => {
                *slot = entry;
                self.n_pending += 1;
                true
            }
            None => false,
        }
    }
}

/// A field's needles while the catalog is compiled: each distinct (needle, anchored) once,
/// with everything to verify when it is found.
#[derive(Default)]
struct NeedleSet {
    needles: Vec<Needle>,
    checks: Vec<Vec<Check>>,
    index: HashMap<(Vec<u8>, bool), usize>,
}

impl NeedleSet {
    fn add(&mut self, needle: &str, anchored: bool, check: Check) {
        let bytes = needle.to_ascii_lowercase().into_bytes();
        // Validation rejects empty values; a hand-built catalog's empty needle matches nothing.
        if bytes.is_empty() {
            return;
        }
        let i = *self
            .index
            .entry((bytes.clone(), anchored))
            .or_insert_with(|| {
                self.needles.push(Needle { bytes, anchored });
                self.checks.push(Vec::new());
                self.needles.len() - 1
            });
        self.checks[i].push(check);
    }
}

/// A needle's length and its checks' range in [`FieldMatcher::checks`].
struct NeedleInfo {
    len: u32,
    checks: std::ops::Range<u32>,
    /// When the needle's only check can be settled without the general verification and its
    /// scratch state: see [`Direct`]. Most hits are of this kind.
    direct: Option<Direct>,
}

/// A needle's one check, settled on the spot.
#[derive(Clone, Copy)]
struct Direct {
    prim: u32,
    kind: DirectKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DirectKind {
    /// A hit proves the primitive (`CONTAINS` without exact case, `word*`, `*word*`).
    Hit,
    /// A hit that ends the value proves it (`EQUALS` without exact case, `*word`).
    HitAtEnd,
    /// A hit runs the regex: a start-of-value needle hits once per value at most, so no
    /// record of regexes already tried is needed.
    AnchoredRegex,
}

impl Direct {
    fn of(checks: &[Check], anchored: bool) -> Option<Direct> {
        let [check] = checks else {
            return None;
        };
        let (prim, kind) = match check {
            Check::Contains { prim, exact: None } => (*prim, DirectKind::Hit),
            Check::Equals { prim, exact: None } => (*prim, DirectKind::HitAtEnd),
            Check::Glob { prim, proof } => match proof {
                Proof::Hit => (*prim, DirectKind::Hit),
                Proof::HitAtEnd => (*prim, DirectKind::HitAtEnd),
                Proof::None => return None,
            },
            Check::Regex { prim, group: None } if anchored => (*prim, DirectKind::AnchoredRegex),
            _ => return None,
        };
        Some(Direct { prim, kind })
    }
}

#[derive(Default)]
struct FieldMatcher {
    /// Every literal needle of the field in one automaton, anchored ones included: a value is
    /// scanned once.
    needles: Option<Needles>,
    /// Per needle id: its length and what to verify when it is found (all needles' checks in
    /// one list).
    needle_info: Vec<NeedleInfo>,
    /// Per match of the automaton ([`Needles::match_number`]): its one needle's [`Direct`]
    /// check, when it ends one needle only and that needle has one; most matches do.
    match_direct: Vec<Option<Direct>>,
    checks: Vec<Check>,
    /// Wildcards without a literal, and whether they are `*` (which matches everything).
    globs_without_literal: Vec<(u32, bool)>,
    /// Every REGEX primitive of the field: used for non-ASCII values, where the ASCII-folding
    /// literal prefilter could miss a Unicode case variant.
    regexes: Option<RegexSet>,
    regex_prims: Vec<u32>,
    /// The REGEX primitives without a usable literal prefilter: run on every ASCII value,
    /// each by itself (see [`Matcher::match_unfiltered`]).
    unfiltered_prims: Vec<u32>,
}

/// The `command` field's automaton and what its matches mean, for [`crate::line_scan`].
pub(crate) struct CommandField<'m> {
    matcher: &'m Matcher,
    fm: &'m FieldMatcher,
    pub needles: &'m Needles,
    pub classes: &'m crate::line_scan::Classes,
    /// Every primitive of the field has a literal (no bare wildcard or unfiltered regex).
    literals_only: bool,
}

impl<'m> CommandField<'m> {
    pub(crate) fn matcher(&self) -> &'m Matcher {
        self.matcher
    }

    /// [`Matcher::match_command_found`]: what the gathered matches `found` of an ASCII
    /// command add; whether a `command_line` hint turned up. Matches that each settle their
    /// one check on the spot (nearly all) are taken here, inlined into the caller's loop;
    /// with any other, the command goes through the general walk (which takes the ones
    /// settled here again, to the same effect).
    #[inline(always)]
    pub(crate) fn add(
        &self,
        value: &str,
        found: &[(u32, u32)],
        proto: u32,
        hits: &mut PrimSet,
    ) -> bool {
        if self.literals_only {
            let mut settled = true;
            for &(state, end) in found {
                match self.fm.match_direct.get(self.needles.match_number(state)) {
                    Some(&Some(d)) => {
                        self.matcher
                            .direct_hit(d, end as usize, value, true, proto, hits)
                    }
                    _ => {
                        settled = false;
                        break;
                    }
                }
            }
            if settled {
                return false;
            }
        }
        self.matcher.match_command_found(value, found, proto, hits)
    }
}

pub struct Matcher {
    prims: Vec<Compiled>,
    fields: Vec<FieldMatcher>,
    /// Per field, the protocols at least one primitive of that field applies to: a value whose
    /// field and protocol no primitive looks at is not matched at all.
    field_protocols: Vec<u32>,
    /// Whether every `command_line` literal is also in the `command` automaton as a hint:
    /// see [`Matcher::folds_command_line`].
    command_line_folded: bool,
    /// The `command` automaton's byte classes with the splitter's special bytes marked, for
    /// [`crate::line_scan`].
    command_classes: Option<Box<crate::line_scan::Classes>>,
}

/// Bytes the splitter cuts at or trims (`shell::split_into`): a literal holding none of
/// them, not starting with `(` or `{` and not ending in whitespace, lies inside one of the
/// commands whenever it lies in the line.
fn survives_splitting(needle: &[u8]) -> bool {
    let cut = |b: &u8| matches!(b, b';' | b'\n' | b'\r' | b')' | b'&' | b'|');
    // What the splitter trims: `str::trim`'s ASCII white space, vertical tab included.
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    match (needle.first(), needle.last()) {
        (Some(f), Some(l)) => {
            !needle.iter().any(cut)
                && !matches!(f, b'(' | b'{')
                && !space(f)
                && !space(l)
                && needle.len() >= 2
        }
        _ => false,
    }
}

impl Matcher {
    pub fn new(catalog: &Catalog) -> Result<Matcher, CompileError> {
        let mut prims = Vec::with_capacity(catalog.primitives.len());
        for p in &catalog.primitives {
            let glob = match p.op {
                Op::Wildcard => Some(Glob::new(&p.value, p.case_sensitive).map_err(|reason| {
                    CompileError::Primitive {
                        id: p.id.clone(),
                        reason,
                    }
                })?),
                _ => None,
            };
            let regex = match p.op {
                Op::Regex => Some(
                    RegexBuilder::new(&p.value)
                        .case_insensitive(!p.case_sensitive)
                        .size_limit(REGEX_SIZE_LIMIT)
                        .build()
                        .map_err(|e| CompileError::Primitive {
                            id: p.id.clone(),
                            reason: e.to_string(),
                        })?,
                ),
                _ => None,
            };
            let ascii_dfa = match p.op {
                Op::Regex => ascii_dfa(&p.value, p.case_sensitive),
                _ => None,
            };
            prims.push(Compiled {
                ascii_dfa,
                protocols: p.protocols.iter().fold(0, |m, pr| m | protocol_bit(*pr)),
                field: p.field,
                op: p.op,
                case_sensitive: p.case_sensitive,
                value: p.value.clone(),
                lower: p.value.to_ascii_lowercase(),
                glob,
                regex,
            });
        }
        // `command_line` first: its literals, when they all survive splitting, go into the
        // `command` automaton as hints, and a line is scanned only when a command held one.
        let (line_fm, line_needles) = Self::compile_field(Field::CommandLine, &prims, &[])?;
        let command_line_folded = !line_needles.is_empty()
            && line_needles
                .iter()
                .all(|n| !n.anchored && survives_splitting(&n.bytes))
            && line_fm.globs_without_literal.is_empty()
            && line_fm.unfiltered_prims.is_empty();
        let hints: &[Needle] = if command_line_folded {
            &line_needles
        } else {
            &[]
        };
        let mut fields = Vec::with_capacity(Field::ALL.len());
        let mut line_fm = Some(line_fm);
        for &field in Field::ALL {
            let fm = match field {
                Field::CommandLine => line_fm.take().unwrap_or_default(),
                Field::Command => Self::compile_field(field, &prims, hints)?.0,
                _ => Self::compile_field(field, &prims, &[])?.0,
            };
            fields.push(fm);
        }
        let mut field_protocols = vec![0u32; Field::ALL.len()];
        for p in &prims {
            if let Some(m) = field_protocols.get_mut(p.field as usize) {
                *m |= p.protocols;
            }
        }
        let command_classes = fields
            .get(Field::Command as usize)
            .and_then(|fm| fm.needles.as_ref())
            .map(|n| Box::new(crate::line_scan::Classes::new(n)));
        Ok(Matcher {
            prims,
            fields,
            field_protocols,
            command_line_folded,
            command_classes,
        })
    }

    /// Compiles the primitives of `field`, with `hints` (unanchored literals of a field
    /// derived from this one) as [`Check::LineHint`]s; also returns the field's own needles.
    fn compile_field(
        field: Field,
        prims: &[Compiled],
        hints: &[Needle],
    ) -> Result<(FieldMatcher, Vec<Needle>), CompileError> {
        let mut fm = FieldMatcher::default();
        let mut set = NeedleSet::default();
        let mut regex_patterns = Vec::new();
        let mut groups = 0usize;
        for (i, p) in prims.iter().enumerate().filter(|(_, p)| p.field == field) {
            let prim = i as u32;
            let exact = p.case_sensitive.then(|| p.value.clone().into_boxed_str());
            match p.op {
                Op::Contains => set.add(&p.value, false, Check::Contains { prim, exact }),
                Op::Equals => set.add(&p.value, true, Check::Equals { prim, exact }),
                Op::Wildcard => {
                    let glob = p.glob.as_ref();
                    let proof = glob.map_or(Proof::None, |g| Proof::of(g.shape()));
                    if let Some(lead) = glob.and_then(Glob::leading_literal) {
                        set.add(&lead, true, Check::Glob { prim, proof });
                    } else if let Some(lit) = glob.and_then(Glob::required_literal) {
                        set.add(&lit, false, Check::Glob { prim, proof });
                    } else {
                        let all = glob.is_some_and(|g| g.shape() == Shape::All);
                        fm.globs_without_literal.push((prim, all));
                    }
                }
                Op::Regex => {
                    let flags = if p.case_sensitive { "" } else { "i" };
                    let pattern = format!("(?{flags}:{})", p.value);
                    match regex_literals(&p.value) {
                        Some((lits, prefixes)) => {
                            let anchored = prefixes && anchored_at_start(&p.value);
                            // A suffix set is most often the distinctive tail already.
                            let required = prefixes
                                .then(|| required_literals(&p.value, &lits))
                                .flatten();
                            match required {
                                // An anchored start is mostly a common program (`grep`,
                                // `mkdir`): the rarer inner literals alone call the regex,
                                // whose walk ends within a few bytes on any other start.
                                Some(required) if anchored => {
                                    for lit in required {
                                        set.add(&lit, false, Check::Regex { prim, group: None });
                                    }
                                }
                                Some(required) if groups < MAX_GROUPS => {
                                    let group = groups as u8;
                                    groups += 1;
                                    for lit in required {
                                        set.add(&lit, false, Check::Requires { group });
                                    }
                                    for lit in lits {
                                        let group = Some(group);
                                        set.add(&lit, anchored, Check::Regex { prim, group });
                                    }
                                }
                                _ => {
                                    for lit in lits {
                                        set.add(&lit, anchored, Check::Regex { prim, group: None });
                                    }
                                }
                            }
                        }
                        None => {
                            fm.unfiltered_prims.push(prim);
                        }
                    }
                    regex_patterns.push(pattern);
                    fm.regex_prims.push(prim);
                }
            }
        }
        let own = set.needles.clone();
        for h in hints {
            // The bytes are folded already; `add` folds again, which changes nothing.
            if let Ok(text) = std::str::from_utf8(&h.bytes) {
                set.add(text, false, Check::LineHint);
            }
        }
        if !set.needles.is_empty() {
            let needles = Needles::new(&set.needles).map_err(|e| CompileError::Literals {
                field,
                reason: format!(
                    "{} needles need a {} MiB table (limit {} MiB)",
                    set.needles.len(),
                    e.bytes >> 20,
                    Needles::MAX_TABLE_BYTES >> 20
                ),
            })?;
            for (n, checks) in set.needles.iter().zip(set.checks) {
                let from = fm.checks.len() as u32;
                let direct = Direct::of(&checks, n.anchored);
                fm.checks.extend(checks);
                fm.needle_info.push(NeedleInfo {
                    len: n.bytes.len() as u32,
                    checks: from..fm.checks.len() as u32,
                    direct,
                });
            }
            fm.match_direct = (0..needles.match_count())
                .map(|k| match needles.needles_at(k) {
                    [id] => fm.needle_info.get(*id as usize).and_then(|i| i.direct),
                    _ => None,
                })
                .collect();
            fm.needles = Some(needles);
        }
        let regex_set = |patterns: &[String]| -> Result<Option<RegexSet>, CompileError> {
            if patterns.is_empty() {
                return Ok(None);
            }
            RegexSetBuilder::new(patterns)
                .size_limit(REGEX_SET_SIZE_LIMIT)
                .build()
                .map(Some)
                .map_err(|e| CompileError::RegexSet {
                    field,
                    reason: e.to_string(),
                })
        };
        fm.regexes = regex_set(&regex_patterns)?;
        Ok((fm, own))
    }

    pub fn primitive_count(&self) -> usize {
        self.prims.len()
    }

    /// Whether any primitive looks at `field` for protocol bit `proto`.
    #[inline]
    pub fn wants(&self, field: Field, proto: u32) -> bool {
        self.field_protocols
            .get(field as usize)
            .is_some_and(|m| m & proto != 0)
    }

    /// Adds to `hits` every primitive that matches `value` in `field` for protocol `proto`.
    /// For a `command`, says whether it holds a literal of a `command_line` primitive (only
    /// when [`Matcher::folds_command_line`]); otherwise false.
    #[inline]
    pub fn match_value(&self, field: Field, value: &str, proto: u32, hits: &mut PrimSet) -> bool {
        self.match_text(field, value, value.is_ascii(), proto, hits)
    }

    /// [`Matcher::match_value`] for a value whose caller knows whether it is ASCII (a command
    /// of an ASCII line is): `ascii` must be `value.is_ascii()`.
    #[inline]
    pub(crate) fn match_text(
        &self,
        field: Field,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
    ) -> bool {
        debug_assert_eq!(ascii, value.is_ascii());
        let Some(fm) = self.fields.get(field as usize) else {
            return false;
        };
        let Some(needles) = &fm.needles else {
            return self.finish(fm, None, value, ascii, proto, hits);
        };
        // The matches gathered first and walked, without a call per hit; a value with more
        // of them than the array holds is scanned again with a callback.
        let mut found = [(0u32, 0u32); crate::needles::GATHERED];
        if let Some(n) = needles.gather(value.as_bytes(), &mut found) {
            let found = found.get(..n).unwrap_or(&[]);
            return self.walk_found(fm, needles, found, value, ascii, proto, hits);
        }
        // Set up on the first hit only, as in `walk_found`.
        let mut seen: Option<Seen> = None;
        needles.scan(value.as_bytes(), &mut |id, end| {
            self.on_hit(fm, id, end, value, ascii, proto, hits, &mut seen)
        });
        self.finish(fm, seen.as_mut(), value, ascii, proto, hits)
    }

    /// The `command` field, for a caller that walks its automaton over commands itself
    /// ([`crate::line_scan`]); `None` when that field has no literals.
    pub(crate) fn command_field(&self) -> Option<CommandField<'_>> {
        let fm = self.fields.get(Field::Command as usize)?;
        Some(CommandField {
            matcher: self,
            fm,
            needles: fm.needles.as_ref()?,
            classes: self.command_classes.as_deref()?,
            literals_only: fm.globs_without_literal.is_empty() && fm.unfiltered_prims.is_empty(),
        })
    }

    /// [`Matcher::match_text`] on an ASCII `command` whose automaton matches the caller found
    /// itself: `found` is what [`Needles::gather`] gives for `value` with the automaton of
    /// [`Matcher::command_needles`].
    pub(crate) fn match_command_found(
        &self,
        value: &str,
        found: &[(u32, u32)],
        proto: u32,
        hits: &mut PrimSet,
    ) -> bool {
        debug_assert!(value.is_ascii());
        let Some(fm) = self.fields.get(Field::Command as usize) else {
            return false;
        };
        let Some(needles) = &fm.needles else {
            return self.finish(fm, None, value, true, proto, hits);
        };
        self.walk_found(fm, needles, found, value, true, proto, hits)
    }

    /// What the gathered matches `found` of `value` add, then [`Matcher::finish`].
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn walk_found(
        &self,
        fm: &FieldMatcher,
        needles: &Needles,
        found: &[(u32, u32)],
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
    ) -> bool {
        // Set up on the first hit that needs it only: most values have none, and zeroing
        // the scratch state costs more than scanning a short value.
        let mut seen: Option<Seen> = None;
        for &(state, end) in found {
            let (k, end) = (needles.match_number(state), end as usize);
            if let Some(d) = fm.match_direct.get(k).copied().flatten() {
                self.direct_hit(d, end, value, ascii, proto, hits);
                continue;
            }
            for &id in needles.needles_at(k) {
                self.on_hit(fm, id, end, value, ascii, proto, hits, &mut seen);
            }
        }
        self.finish(fm, seen.as_mut(), value, ascii, proto, hits)
    }

    /// After the literals of `value`: the regexes waiting for a second literal, and the
    /// primitives without a literal. Returns whether a `command_line` hint turned up.
    #[inline(always)]
    fn finish(
        &self,
        fm: &FieldMatcher,
        seen: Option<&mut Seen>,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
    ) -> bool {
        let mut line_hint = false;
        // Regexes waiting for a second literal: run those whose literal turned up.
        if let Some(seen) = seen {
            line_hint = seen.line_hint;
            for k in 0..seen.n_pending.min(seen.pending.len()) {
                let (prim, group) = seen.pending[k];
                // Queued only for ASCII values (see `verify_hit`).
                if seen.groups & (1 << group) != 0
                    && !hits.contains(prim)
                    && seen.tried.first_time(prim)
                    && self.prims[prim as usize].regex_matches_ascii(value)
                {
                    hits.insert(prim);
                }
            }
        }
        // Most fields have neither wildcards without a literal nor unfiltered regexes.
        if !fm.globs_without_literal.is_empty()
            || !fm.unfiltered_prims.is_empty()
            || (!ascii && fm.regexes.is_some())
        {
            self.match_unfiltered(fm, value, ascii, proto, hits);
        }
        line_hint
    }

    /// Whether a command line needs no scan of its own when none of its commands held a
    /// hint ([`Matcher::match_value`] on `command`): every `command_line` literal survives
    /// splitting, so each occurrence in a line is inside one of its commands. Holds for ASCII
    /// lines whose every command was matched (none cut off by the splitter's budget), and
    /// for protocols whose commands are matched at all.
    pub fn folds_command_line(&self, proto: u32) -> bool {
        self.command_line_folded && self.wants(Field::Command, proto)
    }

    /// The primitives of `fm` without a literal: bare wildcards, and regexes without a
    /// prefilter (every regex for non-ASCII values).
    #[inline]
    fn match_unfiltered(
        &self,
        fm: &FieldMatcher,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
    ) {
        let wanted = |prim: u32, hits: &PrimSet| {
            !hits.contains(prim) && self.prims[prim as usize].protocols & proto != 0
        };
        for &(prim, all) in &fm.globs_without_literal {
            if wanted(prim, hits)
                && (all
                    || self.prims[prim as usize]
                        .glob
                        .as_ref()
                        .is_some_and(|g| g.matches(value)))
            {
                hits.insert(prim);
            }
        }
        if ascii {
            // Each by its ASCII DFA: the set's general engine spends more setting up a search
            // than a DFA takes to walk a URL, and the catalog keeps these regexes few.
            for &prim in &fm.unfiltered_prims {
                if wanted(prim, hits) && self.prims[prim as usize].regex_matches_ascii(value) {
                    hits.insert(prim);
                }
            }
        } else if let Some(set) = &fm.regexes {
            for i in set.matches(value).iter() {
                let prim = fm.regex_prims[i];
                if wanted(prim, hits) {
                    hits.insert(prim);
                }
            }
        }
    }

    /// What a hit of needle `id` ending at `end` adds: a hit that settles its one check on the
    /// spot ([`Direct`]) does so here; any other is verified, with the value's scratch state
    /// set up on the first such hit (most values have none, and zeroing it costs more than
    /// scanning a short value).
    #[inline]
    #[allow(clippy::too_many_arguments)]
    fn on_hit(
        &self,
        fm: &FieldMatcher,
        id: u32,
        end: usize,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
        seen: &mut Option<Seen>,
    ) {
        if let Some(d) = fm.needle_info.get(id as usize).and_then(|i| i.direct) {
            self.direct_hit(d, end, value, ascii, proto, hits);
            return;
        }
        let seen = seen.get_or_insert_with(Seen::default);
        self.verify_hit(fm, id, end, value, ascii, proto, hits, seen)
    }

    /// Settles a [`Direct`] check of a hit ending at `end`.
    #[inline]
    fn direct_hit(
        &self,
        d: Direct,
        end: usize,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
    ) {
        let Some(p) = self.prims.get(d.prim as usize) else {
            return;
        };
        if p.protocols & proto == 0 {
            return;
        }
        let proven = match d.kind {
            DirectKind::Hit => true,
            DirectKind::HitAtEnd => end == value.len(),
            // A regex check holds only for ASCII values (see `verify_hit`).
            DirectKind::AnchoredRegex => {
                ascii && !hits.contains(d.prim) && p.regex_matches_ascii(value)
            }
        };
        if proven {
            hits.insert(d.prim);
        }
    }

    /// Verifies what a hit of needle `id` ending at `end` means for `value`. Kept out of line:
    /// hits are rare next to the bytes scanned, and the scan loop stays small.
    #[inline(never)]
    #[allow(clippy::too_many_arguments)]
    fn verify_hit(
        &self,
        fm: &FieldMatcher,
        id: u32,
        end: usize,
        value: &str,
        ascii: bool,
        proto: u32,
        hits: &mut PrimSet,
        seen: &mut Seen,
    ) {
        let id = id as usize;
        let Some(info) = fm.needle_info.get(id) else {
            return;
        };
        let checks = fm
            .checks
            .get(info.checks.start as usize..info.checks.end as usize)
            .unwrap_or(&[]);
        let start = end.saturating_sub(info.len as usize);
        for check in checks {
            let (prim, ok, proven) = match check {
                Check::Contains { prim, exact } => (
                    *prim,
                    exact
                        .as_deref()
                        .is_none_or(|e| value.get(start..end) == Some(e)),
                    true,
                ),
                Check::Equals { prim, exact } => (
                    *prim,
                    end == value.len() && exact.as_deref().is_none_or(|e| value == e),
                    true,
                ),
                Check::Glob { prim, proof } => (
                    *prim,
                    true,
                    match proof {
                        Proof::Hit => true,
                        Proof::HitAtEnd => end == value.len(),
                        Proof::None => false,
                    },
                ),
                Check::Regex { prim, .. } => (*prim, ascii, false),
                Check::Requires { group } => {
                    seen.groups |= 1 << group;
                    continue;
                }
                Check::LineHint => {
                    seen.line_hint = true;
                    continue;
                }
            };
            if !ok || hits.contains(prim) || self.prims[prim as usize].protocols & proto == 0 {
                continue;
            }
            if let Check::Regex {
                group: Some(group), ..
            } = check
            {
                if seen.wait(prim, *group) {
                    continue;
                }
            }
            if !proven {
                if !seen.tried.first_time(prim) {
                    continue;
                }
                let p = &self.prims[prim as usize];
                let matched = match check {
                    Check::Glob { .. } => p.glob.as_ref().is_some_and(|g| g.matches(value)),
                    // A regex check passes `ok` only for ASCII values.
                    _ => p.regex_matches_ascii(value),
                };
                if !matched {
                    continue;
                }
            }
            hits.insert(prim);
        }
    }

    /// Whether one primitive matches one value, tested on its own.
    pub fn naive_match(&self, prim: u32, field: Field, value: &str, proto: u32) -> bool {
        let p = &self.prims[prim as usize];
        if p.field != field || p.protocols & proto == 0 {
            return false;
        }
        match p.op {
            Op::Equals if p.case_sensitive => value == p.value,
            Op::Equals => value.eq_ignore_ascii_case(&p.value),
            Op::Contains if p.case_sensitive => value.contains(p.value.as_str()),
            Op::Contains => value.to_ascii_lowercase().contains(p.lower.as_str()),
            Op::Wildcard => p.glob.as_ref().is_some_and(|g| g.matches(value)),
            Op::Regex => p.regex.as_ref().is_some_and(|r| r.is_match(value)),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subsets_of_sets_of_any_capacity() {
        use super::PrimSet;
        let set = |cap: usize, xs: &[u32]| {
            let mut p = PrimSet::new(cap);
            xs.iter().for_each(|&x| p.insert(x));
            p
        };
        assert!(set(64, &[]).is_subset(&set(64, &[])));
        assert!(set(200, &[3, 130]).is_subset(&set(200, &[3, 4, 130])));
        assert!(!set(200, &[3, 131]).is_subset(&set(200, &[3, 130])));
        // Words the other set lacks must be empty.
        assert!(set(200, &[3]).is_subset(&set(64, &[3])));
        assert!(!set(200, &[3, 130]).is_subset(&set(64, &[3])));
        assert!(set(64, &[3]).is_subset(&set(200, &[3, 199])));
    }

    #[test]
    fn builtin_regexes_mostly_have_a_literal_prefilter() {
        let c = crate::Catalog::builtin();
        let regexes: Vec<_> = c
            .primitives
            .iter()
            .filter(|p| p.op == crate::Op::Regex)
            .collect();
        let unfiltered: Vec<&str> = regexes
            .iter()
            .filter(|p| super::regex_literals(&p.value).is_none())
            .map(|p| p.id.as_str())
            .collect();
        // Every regex without a prefilter runs on every value of its field: keep them rare.
        assert!(unfiltered.len() * 10 <= regexes.len(), "{unfiltered:?}");
        assert!(super::anchored_at_start("^ls( .*)?$"));
        assert!(!super::anchored_at_start("ls|^x"));
        assert_eq!(
            super::regex_literals("(ab|cd)e").unwrap(),
            (vec!["abe".to_string(), "cde".to_string()], true)
        );
        assert_eq!(
            super::regex_literals("(rm|>).*x_history").unwrap(),
            (vec!["x_history".to_string()], false)
        );
        assert!(super::regex_literals("a*").is_none());
        let main = vec!["echo".to_string()];
        assert_eq!(
            super::required_literals(r"^echo\s+(ssh-rsa|ssh-dss) ", &main).unwrap(),
            ["ssh-rsa", "ssh-dss"]
        );
        assert_eq!(super::required_literals(r"^echo\s+\S{1,12}$", &main), None);
        assert_eq!(super::required_literals("a|echo", &main), None);
    }

    #[test]
    fn builtin_command_line_literals_ride_on_the_commands() {
        let m = super::Matcher::new(&crate::Catalog::builtin()).unwrap();
        assert!(m.command_line_folded);
        assert!(super::survives_splitting(b"curl"));
        for cut in [
            &b"a;b"[..],
            b"x|",
            b"(ab",
            b"{ab",
            b"\x0Bab",
            b"ab ",
            b" ab",
            b"a",
            b"",
            b"a)b",
        ] {
            assert!(!super::survives_splitting(cut), "{cut:?}");
        }
    }

    /// The ASCII DFAs give the `regex` crate's answer on ASCII values: checked on every
    /// catalog value and example, as typed, upper-cased and inside a command.
    #[test]
    fn builtin_ascii_dfas_agree_with_the_regexes() {
        let c = crate::Catalog::builtin();
        let m = super::Matcher::new(&c).unwrap();
        let mut hay: Vec<String> = Vec::new();
        for p in &c.primitives {
            for v in [p.value.clone(), p.description.clone()] {
                hay.push(v.to_ascii_uppercase());
                hay.push(format!("cd /tmp; {v} && echo ok"));
                hay.push(v);
            }
        }
        hay.extend(
            [
                "sh x.sh", "bash /tmp/a.sh -x", "rm -rf ~/.ssh", "echo root:pw|chpasswd",
                "busybox ABCD", "/bin/busybox ECCHI", "crontab -", "crontab /tmp/c",
                "history -c", "kill -9 1", "pkill xmrig", "echo \"ssh-rsa AAAA x\" >> f",
                "http://1.2.3.4/x.arm7", "ftp://h.example/a.mips", "HTTP://1.2.3.4:80/",
                "", " ", "\t", "é", "xmrig -u 4AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ]
            .map(str::to_string),
        );
        let mut with_dfa = 0;
        for p in &m.prims {
            let (Some(r), Some(_)) = (&p.regex, &p.ascii_dfa) else {
                continue;
            };
            with_dfa += 1;
            for h in hay.iter().filter(|h| h.is_ascii()) {
                assert_eq!(
                    p.regex_matches_ascii(h),
                    r.is_match(h),
                    "{:?} on {h:?}",
                    p.value
                );
            }
        }
        let regexes = m.prims.iter().filter(|p| p.regex.is_some()).count();
        // Nearly every regex gets one; those without keep the general engine.
        assert!(with_dfa * 10 >= regexes * 9, "{with_dfa} of {regexes}");
    }

    #[test]
    fn builtin_automata_stay_small() {
        let m = super::Matcher::new(&crate::Catalog::builtin()).unwrap();
        let bytes: usize = m
            .fields
            .iter()
            .filter_map(|f| f.needles.as_ref())
            .map(|n| n.table_bytes())
            .sum();
        // The whole catalog's needles: well under the per-field limit, and cache-friendly.
        assert!(bytes < 4 << 20, "{bytes} bytes");
    }
}
