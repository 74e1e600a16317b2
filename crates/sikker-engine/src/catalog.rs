//! The editorial catalog: its TOML form, the parser and the validator. Input is a list of
//! `(file name, text)` pairs — reading a directory is the caller's job — and every problem is
//! reported as `file:line: message`. See `catalog/README.md` for the format and its idioms.

use crate::expr::Expr;
use crate::field::Field;
use crate::glob::Glob;
use crate::severity::Severity;
use serde::{Deserialize, Serialize};
use sikker_event::Protocol;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use toml::Spanned;

/// Compiled size limit of one `REGEX` primitive, so a hostile catalog cannot exhaust memory.
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Longest `value` accepted for a primitive.
pub const MAX_VALUE_LEN: usize = 4096;
/// The indistinguishability check gives up (silently) on expressions with more minimal terms.
const MAX_TERMS_CHECKED: usize = 4096;
/// The benign-source list lives beside the catalog under this name and is not catalog data.
pub const BENIGN_FILE: &str = "benign.toml";

/// The MITRE ATT&CK Enterprise tactics, by the short names used as kill chain phases.
pub const ATTACK_TACTICS: [&str; 14] = [
    "reconnaissance",
    "resource-development",
    "initial-access",
    "execution",
    "persistence",
    "privilege-escalation",
    "defense-evasion",
    "credential-access",
    "discovery",
    "lateral-movement",
    "collection",
    "command-and-control",
    "exfiltration",
    "impact",
];

/// The `kill_chain_name` for ATT&CK phases in STIX.
pub const KILL_CHAIN_NAME: &str = "mitre-attack";

const BUILTIN_FILES: &[(&str, &str)] = &[
    ("attack.toml", include_str!("../../../catalog/attack.toml")),
    ("scan.toml", include_str!("../../../catalog/scan.toml")),
    ("auth.toml", include_str!("../../../catalog/auth.toml")),
    ("shell.toml", include_str!("../../../catalog/shell.toml")),
    ("web.toml", include_str!("../../../catalog/web.toml")),
    ("data.toml", include_str!("../../../catalog/data.toml")),
    (
        "services.toml",
        include_str!("../../../catalog/services.toml"),
    ),
];

/// The embedded default catalog files, as `(file name, text)`.
pub fn builtin_files() -> Vec<(String, String)> {
    BUILTIN_FILES
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Level {
    #[serde(rename = "error")]
    Error,
    #[serde(rename = "warning")]
    Warning,
}

/// One problem found in a catalog file. Displays as `file:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub file: String,
    /// 1-based.
    pub line: usize,
    pub level: Level,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.level {
            Level::Error => write!(f, "{}:{}: {}", self.file, self.line, self.message),
            Level::Warning => write!(f, "{}:{}: warning: {}", self.file, self.line, self.message),
        }
    }
}

/// Where a catalog item was defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// How a primitive compares its value with a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Op {
    /// The whole field equals the value.
    Equals,
    /// The field contains the value.
    Contains,
    /// The whole field matches a pattern with `*` (any run) and `?` (one character).
    Wildcard,
    /// The field matches a regular expression (Rust `regex` syntax, unanchored).
    Regex,
}

impl FromStr for Op {
    type Err = String;
    fn from_str(s: &str) -> Result<Op, String> {
        match s {
            "EQUALS" => Ok(Op::Equals),
            "CONTAINS" => Ok(Op::Contains),
            "WILDCARD" => Ok(Op::Wildcard),
            "REGEX" => Ok(Op::Regex),
            _ => Err(format!(
                "unknown op {s:?}: expected EQUALS, CONTAINS, WILDCARD or REGEX"
            )),
        }
    }
}

/// An atomic indicator: one field, one operator, one value.
#[derive(Debug, Clone, Serialize)]
pub struct Primitive {
    pub id: String,
    pub description: String,
    /// Protocols whose events this primitive looks at.
    pub protocols: Vec<Protocol>,
    pub field: Field,
    pub op: Op,
    pub value: String,
    /// Default false: ASCII case is ignored (Unicode case folding for `REGEX`).
    pub case_sensitive: bool,
    pub location: Location,
}

/// A named set of primitives: in `when` it means "any of them", in `optional` "all of them".
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: String,
    pub description: String,
    pub members: Vec<String>,
    pub location: Location,
}

/// A MITRE ATT&CK technique or sub-technique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Technique {
    /// `T1110` or `T1110.001`.
    pub id: String,
    pub name: String,
    /// `https://attack.mitre.org/techniques/T1110/001/`
    pub url: String,
}

impl Technique {
    pub fn url_for(id: &str) -> String {
        format!(
            "https://attack.mitre.org/techniques/{}/",
            id.replace('.', "/")
        )
    }
}

/// A classification: which primitives a session must show (`when`) and may show (`optional`).
#[derive(Debug, Clone, Serialize)]
pub struct Behavior {
    pub id: String,
    /// The STIX label, lower-case and hyphenated, e.g. `credential-stuffing`; several
    /// behaviors may share one.
    pub name: String,
    pub description: String,
    pub severity: Severity,
    pub techniques: Vec<Technique>,
    /// ATT&CK tactic short names (kill chain `mitre-attack`).
    pub kill_chain_phases: Vec<String>,
    pub when: Expr,
    /// Primitive or group ids a matching session may also show without changing its class.
    pub optional: Vec<String>,
    /// Every primitive the behavior names (from `when` and `optional`, groups expanded),
    /// in catalog order: exact-set matching allows a session exactly these.
    pub primitives: Vec<String>,
    pub location: Location,
}

/// A validated catalog. Build an [`crate::Engine`] from it to classify sessions.
#[derive(Debug, Clone, Serialize)]
pub struct Catalog {
    pub primitives: Vec<Primitive>,
    pub groups: Vec<Group>,
    pub behaviors: Vec<Behavior>,
    pub techniques: Vec<Technique>,
    /// Problems that do not stop the catalog from working (e.g. unused primitives).
    pub warnings: Vec<Diagnostic>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    primitive: Vec<Spanned<RawPrimitive>>,
    #[serde(default)]
    group: Vec<Spanned<RawGroup>>,
    #[serde(default)]
    behavior: Vec<Spanned<RawBehavior>>,
    #[serde(default)]
    technique: Vec<Spanned<RawTechnique>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrimitive {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    protocols: Spanned<Vec<String>>,
    field: Spanned<String>,
    op: Spanned<String>,
    value: Spanned<String>,
    #[serde(default)]
    case_sensitive: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: Spanned<String>,
    #[serde(default)]
    description: String,
    members: Spanned<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBehavior {
    id: Spanned<String>,
    name: Spanned<String>,
    description: Spanned<String>,
    severity: Spanned<String>,
    #[serde(default)]
    techniques: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    kill_chain: Option<Spanned<Vec<String>>>,
    when: Spanned<String>,
    #[serde(default)]
    optional: Option<Spanned<Vec<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTechnique {
    id: Spanned<String>,
    name: String,
}

struct Diags<'a> {
    files: &'a [(String, String)],
    out: Vec<Diagnostic>,
}

impl Diags<'_> {
    fn line(&self, file: usize, offset: usize) -> usize {
        let text = &self.files[file].1;
        let end = offset.min(text.len());
        text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn loc(&self, file: usize, offset: usize) -> Location {
        Location {
            file: self.files[file].0.clone(),
            line: self.line(file, offset),
        }
    }

    fn push(&mut self, level: Level, file: usize, offset: usize, message: String) {
        let line = self.line(file, offset);
        self.out.push(Diagnostic {
            file: self.files[file].0.clone(),
            line,
            level,
            message,
        });
    }

    fn err(&mut self, file: usize, offset: usize, message: impl Into<String>) {
        self.push(Level::Error, file, offset, message.into());
    }
}

fn valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
        && s != "and"
        && s != "or"
}

fn valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn valid_technique_id(s: &str) -> bool {
    let b = s.as_bytes();
    let base = b.len() >= 5 && b[0] == b'T' && b[1..5].iter().all(u8::is_ascii_digit);
    base && (b.len() == 5
        || (b.len() == 9 && b[5] == b'.' && b[6..].iter().all(u8::is_ascii_digit)))
}

/// Compiles a primitive's value as its operator requires; the error says why not.
pub(crate) fn check_value(op: Op, value: &str, case_sensitive: bool) -> Result<(), String> {
    match op {
        Op::Equals | Op::Contains => Ok(()),
        Op::Wildcard => Glob::new(value, case_sensitive).map(|_| ()),
        Op::Regex => regex::RegexBuilder::new(value)
            .case_insensitive(!case_sensitive)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(|_| ())
            .map_err(|e| format!("invalid regex: {e}")),
    }
}

impl Catalog {
    /// The default catalog embedded in the binary (`catalog/*.toml`).
    pub fn builtin() -> Catalog {
        match Catalog::parse(&builtin_files()) {
            Ok(c) => c,
            // The builtin files are checked by this crate's tests; reaching this is a build bug.
            Err(d) => panic!("the builtin catalog is invalid: {}", d[0]),
        }
    }

    /// Every diagnostic (errors and warnings) for a set of catalog files.
    pub fn check(files: &[(String, String)]) -> Vec<Diagnostic> {
        match Catalog::parse(files) {
            Ok(c) => c.warnings,
            Err(d) => d,
        }
    }

    /// Parses and validates catalog files. Files named [`BENIGN_FILE`] are skipped (they hold
    /// the benign-source list). On error, every diagnostic found (errors and warnings).
    pub fn parse(files: &[(String, String)]) -> Result<Catalog, Vec<Diagnostic>> {
        let mut d = Diags {
            files,
            out: Vec::new(),
        };
        let mut raws: Vec<(usize, RawFile)> = Vec::new();
        for (i, (name, text)) in files.iter().enumerate() {
            let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
            if base == BENIGN_FILE {
                continue;
            }
            match toml::from_str::<RawFile>(text) {
                Ok(raw) => raws.push((i, raw)),
                Err(e) => {
                    let offset = e.span().map_or(0, |s| s.start);
                    let msg = e.message().trim().to_owned();
                    d.err(i, offset, msg);
                }
            }
        }

        // Techniques first: behaviors refer to them.
        let mut techniques: Vec<Technique> = Vec::new();
        let mut technique_at: HashMap<String, Location> = HashMap::new();
        for (f, raw) in &raws {
            for t in &raw.technique {
                let t = t.get_ref();
                let (id, off) = (t.id.get_ref(), t.id.span().start);
                if !valid_technique_id(id) {
                    d.err(
                        *f,
                        off,
                        format!("technique id {id:?} is not of the form T1234 or T1234.001"),
                    );
                } else if t.name.trim().is_empty() {
                    d.err(*f, off, format!("technique {id} has no name"));
                } else if let Some(prev) = technique_at.get(id) {
                    d.err(
                        *f,
                        off,
                        format!("duplicate technique {id} (first defined at {prev})"),
                    );
                } else {
                    technique_at.insert(id.clone(), d.loc(*f, off));
                    techniques.push(Technique {
                        id: id.clone(),
                        name: t.name.trim().to_owned(),
                        url: Technique::url_for(id),
                    });
                }
            }
        }

        // Primitives and groups share one namespace: expressions refer to both.
        let mut names: HashMap<String, Location> = HashMap::new();
        let mut primitives: Vec<Primitive> = Vec::new();
        let mut prim_index: HashMap<String, usize> = HashMap::new();
        for (f, raw) in &raws {
            for p in &raw.primitive {
                let p = p.get_ref();
                let (id, off) = (p.id.get_ref().clone(), p.id.span().start);
                let mut ok = true;
                if !valid_id(&id) {
                    d.err(*f, off, format!("primitive id {id:?} must be 1-64 of a-z 0-9 - _ . and start with a letter or digit"));
                    ok = false;
                } else if let Some(prev) = names.get(&id) {
                    d.err(
                        *f,
                        off,
                        format!("duplicate id {id:?} (first defined at {prev})"),
                    );
                    ok = false;
                }
                let mut protocols = Vec::new();
                if p.protocols.get_ref().is_empty() {
                    d.err(
                        *f,
                        p.protocols.span().start,
                        format!(
                            "primitive {id}: protocols is empty (use [\"any\"] for every protocol)"
                        ),
                    );
                    ok = false;
                }
                for name in p.protocols.get_ref() {
                    if name == "any" {
                        protocols.extend(Protocol::ALL);
                    } else {
                        match name.parse::<Protocol>() {
                            Ok(pr) => protocols.push(pr),
                            Err(e) => {
                                d.err(*f, p.protocols.span().start, format!("primitive {id}: {e}"));
                                ok = false;
                            }
                        }
                    }
                }
                protocols.sort();
                protocols.dedup();
                let field = match p.field.get_ref().parse::<Field>() {
                    Ok(x) => Some(x),
                    Err(e) => {
                        d.err(*f, p.field.span().start, format!("primitive {id}: {e}"));
                        None
                    }
                };
                let op = match p.op.get_ref().parse::<Op>() {
                    Ok(x) => Some(x),
                    Err(e) => {
                        d.err(*f, p.op.span().start, format!("primitive {id}: {e}"));
                        None
                    }
                };
                let value = p.value.get_ref();
                let voff = p.value.span().start;
                if value.is_empty() {
                    d.err(*f, voff, format!("primitive {id}: value is empty"));
                    ok = false;
                } else if value.len() > MAX_VALUE_LEN {
                    d.err(
                        *f,
                        voff,
                        format!("primitive {id}: value is longer than {MAX_VALUE_LEN} bytes"),
                    );
                    ok = false;
                } else if let Some(op) = op {
                    if let Err(e) = check_value(op, value, p.case_sensitive) {
                        d.err(*f, voff, format!("primitive {id}: {e}"));
                        ok = false;
                    }
                }
                if !valid_id(&id) || names.contains_key(&id) {
                    continue;
                }
                names.insert(id.clone(), d.loc(*f, off));
                if let (true, Some(field), Some(op)) = (ok, field, op) {
                    prim_index.insert(id.clone(), primitives.len());
                    primitives.push(Primitive {
                        id,
                        description: p.description.trim().to_owned(),
                        protocols,
                        field,
                        op,
                        value: value.clone(),
                        case_sensitive: p.case_sensitive,
                        location: d.loc(*f, off),
                    });
                }
            }
        }

        let mut groups: Vec<Group> = Vec::new();
        let mut group_index: HashMap<String, usize> = HashMap::new();
        for (f, raw) in &raws {
            for g in &raw.group {
                let g = g.get_ref();
                let (id, off) = (g.id.get_ref().clone(), g.id.span().start);
                if !valid_id(&id) {
                    d.err(*f, off, format!("group id {id:?} must be 1-64 of a-z 0-9 - _ . and start with a letter or digit"));
                    continue;
                }
                if let Some(prev) = names.get(&id) {
                    d.err(
                        *f,
                        off,
                        format!("duplicate id {id:?} (first defined at {prev})"),
                    );
                    continue;
                }
                names.insert(id.clone(), d.loc(*f, off));
                if g.members.get_ref().is_empty() {
                    d.err(
                        *f,
                        g.members.span().start,
                        format!("group {id} has no members"),
                    );
                }
                for m in g.members.get_ref() {
                    if !prim_index.contains_key(m) && !names.contains_key(m) {
                        d.err(
                            *f,
                            g.members.span().start,
                            format!("group {id}: unknown primitive {m:?}"),
                        );
                    } else if !prim_index.contains_key(m) {
                        d.err(
                            *f,
                            g.members.span().start,
                            format!(
                                "group {id}: member {m:?} is not a primitive (groups do not nest)"
                            ),
                        );
                    }
                }
                group_index.insert(id.clone(), groups.len());
                groups.push(Group {
                    id,
                    description: g.description.trim().to_owned(),
                    members: g.members.get_ref().clone(),
                    location: d.loc(*f, off),
                });
            }
        }

        let expand = |id: &str| -> Vec<usize> {
            if let Some(&p) = prim_index.get(id) {
                vec![p]
            } else if let Some(&g) = group_index.get(id) {
                groups[g]
                    .members
                    .iter()
                    .filter_map(|m| prim_index.get(m).copied())
                    .collect()
            } else {
                Vec::new()
            }
        };

        let mut behaviors: Vec<Behavior> = Vec::new();
        let mut behavior_at: HashMap<String, Location> = HashMap::new();
        let mut terms: Vec<Option<BTreeSet<BTreeSet<usize>>>> = Vec::new();
        let technique_by_id: BTreeMap<&str, &Technique> =
            techniques.iter().map(|t| (t.id.as_str(), t)).collect();
        for (f, raw) in &raws {
            for b in &raw.behavior {
                let b = b.get_ref();
                let (id, off) = (b.id.get_ref().clone(), b.id.span().start);
                let errors_before = d.out.len();
                if !valid_id(&id) {
                    d.err(*f, off, format!("behavior id {id:?} must be 1-64 of a-z 0-9 - _ . and start with a letter or digit"));
                } else if let Some(prev) = behavior_at.get(&id) {
                    d.err(
                        *f,
                        off,
                        format!("duplicate behavior {id:?} (first defined at {prev})"),
                    );
                }
                let name = b.name.get_ref();
                if !valid_label(name) {
                    d.err(*f, b.name.span().start, format!("behavior {id}: name {name:?} must be lower-case words joined by '-' (it is the STIX label)"));
                }
                if b.description.get_ref().trim().is_empty() {
                    d.err(
                        *f,
                        b.description.span().start,
                        format!("behavior {id}: description is empty"),
                    );
                }
                let severity = match b.severity.get_ref().parse::<Severity>() {
                    Ok(s) => s,
                    Err(e) => {
                        d.err(*f, b.severity.span().start, format!("behavior {id}: {e}"));
                        Severity::Info
                    }
                };
                let mut techs = Vec::new();
                if let Some(ts) = &b.techniques {
                    for t in ts.get_ref() {
                        match technique_by_id.get(t.as_str()) {
                            Some(t) => techs.push((*t).clone()),
                            None if !valid_technique_id(t) => d.err(*f, ts.span().start, format!("behavior {id}: {t:?} is not an ATT&CK technique id (T1234 or T1234.001)")),
                            None => d.err(*f, ts.span().start, format!("behavior {id}: technique {t} is not defined in any [[technique]] table")),
                        }
                    }
                }
                let mut phases = Vec::new();
                if let Some(ks) = &b.kill_chain {
                    for k in ks.get_ref() {
                        if ATTACK_TACTICS.contains(&k.as_str()) {
                            phases.push(k.clone());
                        } else {
                            d.err(
                                *f,
                                ks.span().start,
                                format!(
                                    "behavior {id}: {k:?} is not an ATT&CK tactic (one of {})",
                                    ATTACK_TACTICS.join(", ")
                                ),
                            );
                        }
                    }
                }
                let when_off = b.when.span().start;
                let when = match Expr::parse(b.when.get_ref()) {
                    Ok(e) => Some(e),
                    Err(e) => {
                        d.err(*f, when_off, format!("behavior {id}: when: {e}"));
                        None
                    }
                };
                let mut named: BTreeSet<usize> = BTreeSet::new();
                if let Some(e) = &when {
                    for r in e.refs() {
                        if !names.contains_key(r) {
                            d.err(
                                *f,
                                when_off,
                                format!("behavior {id}: when: unknown primitive or group {r:?}"),
                            );
                        }
                        named.extend(expand(r));
                    }
                }
                let optional = b
                    .optional
                    .as_ref()
                    .map(|o| o.get_ref().clone())
                    .unwrap_or_default();
                if let Some(o) = &b.optional {
                    for r in o.get_ref() {
                        if !names.contains_key(r) {
                            d.err(
                                *f,
                                o.span().start,
                                format!(
                                    "behavior {id}: optional: unknown primitive or group {r:?}"
                                ),
                            );
                        }
                        named.extend(expand(r));
                    }
                }
                let failed = d.out[errors_before..]
                    .iter()
                    .any(|x| x.level == Level::Error);
                if !valid_id(&id) || behavior_at.contains_key(&id) {
                    continue;
                }
                behavior_at.insert(id.clone(), d.loc(*f, off));
                let Some(when) = when else { continue };
                if failed {
                    continue;
                }
                terms.push(when.minimal_terms(&expand, MAX_TERMS_CHECKED));
                behaviors.push(Behavior {
                    id,
                    name: name.clone(),
                    description: b.description.get_ref().trim().to_owned(),
                    severity,
                    techniques: techs,
                    kill_chain_phases: phases,
                    when,
                    optional,
                    primitives: named.iter().map(|&i| primitives[i].id.clone()).collect(),
                    location: d.loc(*f, off),
                });
            }
        }

        // Two behaviors that name the same primitives and require the same minimal sets accept
        // exactly the same sessions: the tie-break would silently hide one of them forever.
        for i in 0..behaviors.len() {
            for j in 0..i {
                let (a, b) = (&behaviors[j], &behaviors[i]);
                if a.primitives == b.primitives && terms[i].is_some() && terms[i] == terms[j] {
                    let loc = b.location.clone();
                    d.out.push(Diagnostic {
                        file: loc.file,
                        line: loc.line,
                        level: Level::Error,
                        message: format!(
                            "behaviors {} and {} (at {}) can never be told apart: they name the same primitives and require the same ones",
                            b.id, a.id, a.location
                        ),
                    });
                }
            }
        }

        let mut used: BTreeSet<&str> = BTreeSet::new();
        for b in &behaviors {
            used.extend(b.primitives.iter().map(String::as_str));
        }
        for p in &primitives {
            if !used.contains(p.id.as_str()) {
                d.out.push(Diagnostic {
                    file: p.location.file.clone(),
                    line: p.location.line,
                    level: Level::Warning,
                    message: format!(
                        "primitive {} is used by no behavior: every session that matches it will be unclassified",
                        p.id
                    ),
                });
            }
        }
        if behaviors.is_empty() && d.out.iter().all(|x| x.level != Level::Error) {
            if let Some((name, _)) = files.first() {
                d.out.push(Diagnostic {
                    file: name.clone(),
                    line: 1,
                    level: Level::Error,
                    message: "the catalog defines no behavior".into(),
                });
            }
        }

        if d.out.iter().any(|x| x.level == Level::Error) {
            return Err(d.out);
        }
        Ok(Catalog {
            primitives,
            groups,
            behaviors,
            techniques,
            warnings: d.out,
        })
    }

    pub fn primitive(&self, id: &str) -> Option<&Primitive> {
        self.primitives.iter().find(|p| p.id == id)
    }

    pub fn behavior(&self, id: &str) -> Option<&Behavior> {
        self.behaviors.iter().find(|b| b.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TECH: &str = "[[technique]]\nid = \"T1110.001\"\nname = \"Password Guessing\"\n";

    fn files(text: &str) -> Vec<(String, String)> {
        vec![
            ("attack.toml".to_string(), TECH.to_string()),
            ("x.toml".to_string(), text.to_string()),
        ]
    }

    fn errors(text: &str) -> Vec<String> {
        Catalog::check(&files(text))
            .iter()
            .map(|d| d.to_string())
            .collect()
    }

    const GOOD: &str = r#"
[[primitive]]
id = "auth-password"
protocols = ["ssh"]
field = "auth_method"
op = "EQUALS"
value = "password"

[[behavior]]
id = "ssh-password-guessing"
name = "brute-force"
description = "Password guessing"
severity = "high"
techniques = ["T1110.001"]
kill_chain = ["credential-access"]
when = "auth-password"
"#;

    #[test]
    fn good_catalog_parses() {
        let c = Catalog::parse(&files(GOOD)).unwrap();
        assert_eq!(c.behaviors[0].primitives, ["auth-password"]);
        assert_eq!(
            c.behaviors[0].techniques[0].url,
            "https://attack.mitre.org/techniques/T1110/001/"
        );
        assert_eq!(c.behaviors[0].location.to_string(), "x.toml:10");
        assert!(c.warnings.is_empty());
    }

    #[test]
    fn toml_syntax_errors_have_lines() {
        let e = errors("\n\n[[primitive]\nid = 1\n");
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("x.toml:3: "), "{e:?}");
    }

    #[test]
    fn broken_file_yields_file_line_errors() {
        let broken = GOOD
            .replace("value = \"password\"", "value = \"pass(word\"")
            .replace("op = \"EQUALS\"", "op = \"REGEX\"")
            .replace(
                "when = \"auth-password\"",
                "when = \"auth-password AND nope\"",
            )
            .replace("T1110.001", "T9999")
            .replace("credential-access", "pwning");
        let e = errors(&broken);
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.toml:7: primitive auth-password: invalid regex")),
            "{e:?}"
        );
        assert!(e.iter().any(|m| m.starts_with("x.toml:16: behavior ssh-password-guessing: when: unknown primitive or group \"nope\"")), "{e:?}");
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.toml:14: ") && m.contains("T9999")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.toml:15: ") && m.contains("pwning")),
            "{e:?}"
        );
    }

    #[test]
    fn duplicates_unknowns_and_empties() {
        let dup = format!("{GOOD}\n[[primitive]]\nid = \"auth-password\"\nprotocols = [\"ssh\"]\nfield = \"username\"\nop = \"EQUALS\"\nvalue = \"\"\n");
        let e = errors(&dup);
        assert!(
            e.iter().any(|m| m.starts_with(
                "x.toml:19: duplicate id \"auth-password\" (first defined at x.toml:3)"
            )),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.toml:23: ") && m.contains("value is empty")),
            "{e:?}"
        );
        let e = errors(&GOOD.replace("when = \"auth-password\"", "when = \"  \""));
        assert!(e.iter().any(|m| m.contains("empty expression")), "{e:?}");
        let e = errors(
            &GOOD
                .replace("\"auth_method\"", "\"colour\"")
                .replace("[\"ssh\"]", "[\"gopher\"]"),
        );
        assert!(
            e.iter().any(|m| m.contains("unknown field \"colour\"")),
            "{e:?}"
        );
        assert!(e.iter().any(|m| m.contains("unknown protocol")), "{e:?}");
        let e = errors(&GOOD.replace("severity = \"high\"", "severity = \"critical\""));
        assert!(
            e.iter()
                .any(|m| m.starts_with("x.toml:13: ") && m.contains("unknown severity")),
            "{e:?}"
        );
        let e = errors(&GOOD.replace("name = \"brute-force\"", "name = \"Brute Force\""));
        assert!(e.iter().any(|m| m.contains("STIX label")), "{e:?}");
        let e = errors(&format!("{GOOD}\nbogus = 1\n"));
        assert!(e.iter().any(|m| m.contains("bogus")), "{e:?}");
    }

    #[test]
    fn indistinguishable_behaviors_and_unused_primitives() {
        let twin = format!(
            "{GOOD}\n[[behavior]]\nid = \"twin\"\nname = \"brute-force\"\ndescription = \"x\"\nseverity = \"low\"\nwhen = \"(auth-password)\"\n"
        );
        let e = errors(&twin);
        assert!(e.iter().any(|m| m.starts_with("x.toml:19: behaviors twin and ssh-password-guessing (at x.toml:10) can never be told apart")), "{e:?}");
        let unused = format!("{GOOD}\n[[primitive]]\nid = \"lonely\"\nprotocols = [\"any\"]\nfield = \"command\"\nop = \"CONTAINS\"\nvalue = \"x\"\n");
        let c = Catalog::parse(&files(&unused)).unwrap();
        assert_eq!(c.warnings.len(), 1);
        assert_eq!(
            c.warnings[0].to_string(),
            "x.toml:19: warning: primitive lonely is used by no behavior: every session that matches it will be unclassified"
        );
    }

    #[test]
    fn builtin_catalog_is_clean() {
        let all = Catalog::check(&builtin_files());
        assert!(
            all.is_empty(),
            "{}",
            all.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        );
        let c = Catalog::builtin();
        assert!(c.behaviors.len() >= 80, "{} behaviors", c.behaviors.len());
        assert!(
            c.primitives.len() >= 250,
            "{} primitives",
            c.primitives.len()
        );
        // Protocol-specific primitives only: an `any` primitive would cover everything.
        let covered: BTreeSet<Protocol> = c
            .primitives
            .iter()
            .filter(|p| p.protocols.len() <= 4)
            .flat_map(|p| p.protocols.iter().copied())
            .collect();
        assert_eq!(covered.len(), Protocol::ALL.len());
        for b in &c.behaviors {
            assert!(!b.techniques.is_empty(), "{} has no technique", b.id);
            assert!(
                !b.kill_chain_phases.is_empty(),
                "{} has no kill chain phase",
                b.id
            );
        }
    }
}
