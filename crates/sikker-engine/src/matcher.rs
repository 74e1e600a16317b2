//! All primitives compiled into one matcher per field: a single case-insensitive Aho-Corasick
//! automaton holds every literal (EQUALS and CONTAINS values, and the longest literal of each
//! WILDCARD pattern as a prefilter), and one `RegexSet` holds the REGEX primitives. A value is
//! scanned once per field, whatever the number of primitives. The naive matcher beside it tries
//! one primitive at a time: it is the reference the compiled one is tested against and the
//! baseline the benchmark compares with.

use crate::catalog::{Catalog, Op, REGEX_SIZE_LIMIT};
use crate::field::Field;
use crate::glob::Glob;
use aho_corasick::{AhoCorasick, MatchKind};
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
        self.words
            .iter()
            .zip(other.words.iter().chain(std::iter::repeat(&0)))
            .all(|(a, b)| a & !b == 0)
    }
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64u32)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| wi as u32 * 64 + b)
        })
    }
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
}

enum Check {
    Contains { prim: u32, exact: Option<Box<str>> },
    Equals { prim: u32, exact: Option<Box<str>> },
    Glob { prim: u32 },
}

#[derive(Default)]
struct FieldMatcher {
    literals: Option<AhoCorasick>,
    checks: Vec<Vec<Check>>,
    globs_without_literal: Vec<u32>,
    regexes: Option<RegexSet>,
    regex_prims: Vec<u32>,
}

pub struct Matcher {
    prims: Vec<Compiled>,
    fields: Vec<FieldMatcher>,
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
            prims.push(Compiled {
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
        let mut fields = Vec::with_capacity(Field::ALL.len());
        for &field in Field::ALL {
            fields.push(Self::compile_field(field, &prims)?);
        }
        Ok(Matcher { prims, fields })
    }

    fn compile_field(field: Field, prims: &[Compiled]) -> Result<FieldMatcher, CompileError> {
        let mut fm = FieldMatcher::default();
        let mut needles: Vec<String> = Vec::new();
        let mut needle_index: HashMap<String, usize> = HashMap::new();
        let mut add = |needle: String, check: Check, fm: &mut FieldMatcher| {
            let key = needle.to_ascii_lowercase();
            let i = *needle_index.entry(key.clone()).or_insert_with(|| {
                needles.push(key);
                fm.checks.push(Vec::new());
                needles.len() - 1
            });
            fm.checks[i].push(check);
        };
        let mut regex_patterns = Vec::new();
        for (i, p) in prims.iter().enumerate().filter(|(_, p)| p.field == field) {
            let prim = i as u32;
            let exact = p.case_sensitive.then(|| p.value.clone().into_boxed_str());
            match p.op {
                Op::Contains => add(p.value.clone(), Check::Contains { prim, exact }, &mut fm),
                Op::Equals => add(p.value.clone(), Check::Equals { prim, exact }, &mut fm),
                Op::Wildcard => match p.glob.as_ref().and_then(Glob::required_literal) {
                    Some(lit) => add(lit, Check::Glob { prim }, &mut fm),
                    None => fm.globs_without_literal.push(prim),
                },
                Op::Regex => {
                    let flags = if p.case_sensitive { "" } else { "i" };
                    regex_patterns.push(format!("(?{flags}:{})", p.value));
                    fm.regex_prims.push(prim);
                }
            }
        }
        if !needles.is_empty() {
            fm.literals = Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::Standard)
                    .build(&needles)
                    .map_err(|e| CompileError::Literals {
                        field,
                        reason: e.to_string(),
                    })?,
            );
        }
        if !regex_patterns.is_empty() {
            fm.regexes = Some(
                RegexSetBuilder::new(&regex_patterns)
                    .size_limit(REGEX_SET_SIZE_LIMIT)
                    .build()
                    .map_err(|e| CompileError::RegexSet {
                        field,
                        reason: e.to_string(),
                    })?,
            );
        }
        Ok(fm)
    }

    pub fn len(&self) -> usize {
        self.prims.len()
    }

    /// Adds to `hits` every primitive that matches `value` in `field` for protocol `proto`.
    #[inline]
    pub fn match_value(&self, field: Field, value: &str, proto: u32, hits: &mut PrimSet) {
        let Some(fm) = self.fields.get(field as usize) else {
            return;
        };
        let wanted = |prim: u32, hits: &PrimSet| {
            !hits.contains(prim) && self.prims[prim as usize].protocols & proto != 0
        };
        if let Some(ac) = &fm.literals {
            for m in ac.find_overlapping_iter(value) {
                for check in &fm.checks[m.pattern().as_usize()] {
                    let (prim, ok) = match check {
                        Check::Contains { prim, exact } => (
                            *prim,
                            exact
                                .as_deref()
                                .is_none_or(|e| &value[m.start()..m.end()] == e),
                        ),
                        Check::Equals { prim, exact } => (
                            *prim,
                            m.start() == 0
                                && m.end() == value.len()
                                && exact.as_deref().is_none_or(|e| value == e),
                        ),
                        Check::Glob { prim } => (*prim, true),
                    };
                    if !ok || !wanted(prim, hits) {
                        continue;
                    }
                    if let Check::Glob { .. } = check {
                        let matched = self.prims[prim as usize]
                            .glob
                            .as_ref()
                            .is_some_and(|g| g.matches(value));
                        if !matched {
                            continue;
                        }
                    }
                    hits.insert(prim);
                }
            }
        }
        for &prim in &fm.globs_without_literal {
            if wanted(prim, hits)
                && self.prims[prim as usize]
                    .glob
                    .as_ref()
                    .is_some_and(|g| g.matches(value))
            {
                hits.insert(prim);
            }
        }
        if let Some(set) = &fm.regexes {
            for i in set.matches(value).iter() {
                let prim = fm.regex_prims[i];
                if wanted(prim, hits) {
                    hits.insert(prim);
                }
            }
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
