//! `sikker-engine`: the editorial catalog, session classification and confidence scoring.
//!
//! Pure functions over values: no I/O, no clock, no network. Reading catalog files, DNS and
//! storage are the caller's job; the engine takes their contents as values.
//!
//! # Public API
//!
//! Catalog (`catalog/*.toml`, format in `catalog/README.md`):
//! - [`Catalog::builtin()`] `-> Catalog` — the embedded default catalog.
//! - [`Catalog::parse`]`(&[(String, String)]) -> Result<Catalog, Vec<Diagnostic>>` — files as
//!   `(name, text)`; a [`Diagnostic`] displays as `file:line: message`. `benign.toml` is skipped.
//! - [`Catalog::check`]`(&[(String, String)]) -> Vec<Diagnostic>` — errors and warnings.
//! - [`catalog::builtin_files()`] — the embedded files, e.g. to write them out for editing.
//!
//! Classification:
//! - [`Engine::new`]`(Catalog) -> Result<Engine, CompileError>`, [`Engine::builtin()`].
//! - [`Engine::classify`]`(&[Event]) -> Classification { primitives, outcome }` for one closed
//!   session; [`Primitives`] iterates the matched ids (`&str`, catalog order) and serializes
//!   as their list; [`Outcome`] is `Behavior(id)`, `Unclassified` or `Nothing`. Keeps a
//!   bounded per-thread cache of what each command line matched (lines recur across
//!   sessions).
//! - [`Engine::classify_uncached`]`(&[Event]) -> Classification` — the same without that cache.
//! - [`Engine::classify_events`]`(&[Event]) -> Vec<SessionClassification>` — groups by session:
//!   the reclassification entry point.
//! - [`Engine::resolve`]`(&[id]) -> Outcome` — re-resolve a stored primitive set.
//! - [`Engine::behavior`]`(id) -> Option<&Behavior>` (name = STIX label, severity, description,
//!   techniques with ATT&CK URLs, kill chain phases), [`Engine::catalog`].
//! - [`extract::fields`]`(&[Event])` — what the matcher sees, for tools and debugging.
//!
//! Scoring:
//! - [`score()`]`(&Evidence, Option<&BenignSource>) -> Score { confidence, raw_confidence, band,
//!   terms, … }`; [`Evidence::add_session`] accumulates classified sessions.
//! - [`BenignList::builtin()`], [`BenignList::parse`]`(text)`,
//!   [`BenignList::lookup`]`(ip, asn, confirmed_rdns) -> Option<&BenignSource>`.
//! - [`Category`] — community report categories 1–16.
//! - [`indicator_types`]`(severities, known_benign) -> Vec<&str>` — STIX `indicator_types`.
//!
//! Catalog tools (`sikker catalog check|test|unclassified`): [`tools`].
//!
//! **Architecture invariant:** this crate knows nothing of storage, HTTP or the sensor; it
//! depends only on `sikker-event`.

pub mod benign;
pub mod catalog;
pub mod category;
pub mod engine;
pub mod expr;
pub mod extract;
pub mod field;
mod flat_dfa;
mod glob;
mod line_scan;
pub mod matcher;
mod needles;
pub mod score;
pub mod severity;
pub mod shell;
pub mod tools;

pub use benign::{BenignList, BenignSource, Cidr};
pub use catalog::{
    Behavior, Catalog, Diagnostic, Group, Level, Location, Op, Primitive, Technique,
    ATTACK_TACTICS, KILL_CHAIN_NAME,
};
pub use category::Category;
pub use engine::{
    Classification, Engine, Outcome, PrimitiveIds, Primitives, SessionClassification,
};
pub use expr::Expr;
pub use field::Field;
pub use matcher::CompileError;
pub use score::{
    score, Band, BehaviorCount, CommunityEvidence, Discount, Evidence, PrimitiveCount, Score, Term,
};
pub use severity::{indicator_types, Severity};
