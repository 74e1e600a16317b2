//! `taxii-sync`: walks a TAXII 2.1 collection's `objects/` endpoint over HTTP the way a SIEM's
//! full sync does — `limit` per page, following `next` until `more` is false — parses every
//! page's JSON, counts indicators and prints indicators/s and MB/s.
//!
//! One connection, one request at a time (as the OASIS client, OpenCTI and Elastic poll), so the
//! figure is the server's sequential page rate plus the client's parse cost, reported apart.
//! The last line is machine-readable: `RESULT key=value …`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: taxii-sync --url OBJECTS_URL [--limit N] [--bearer KEY | --basic USER:PASS]
                  [--max-objects N] [--label NAME] [--accept MEDIA_TYPE] [--timeout-secs S]";

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    objects: Vec<StixObject>,
}

/// What a SIEM keeps of each object; the rest of the object is still parsed (and skipped).
#[derive(Deserialize)]
struct StixObject {
    #[serde(rename = "type")]
    kind: String,
    id: String,
    #[serde(default)]
    pattern: Option<String>,
}

struct Options {
    url: String,
    limit: u32,
    auth: Option<String>,
    max_objects: Option<u64>,
    label: String,
    accept: String,
    timeout: Duration,
}

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        url: String::new(),
        limit: 1000,
        auth: None,
        max_objects: None,
        label: "server".into(),
        accept: "application/taxii+json;version=2.1".into(),
        timeout: Duration::from_secs(3600),
    };
    while let Some(flag) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--url" => o.url = value()?,
            "--limit" => o.limit = value()?.parse().map_err(|e| format!("--limit: {e}"))?,
            "--bearer" => o.auth = Some(format!("Bearer {}", value()?)),
            "--basic" => o.auth = Some(format!("Basic {}", STANDARD.encode(value()?))),
            "--max-objects" => {
                o.max_objects = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--max-objects: {e}"))?,
                )
            }
            "--label" => o.label = value()?,
            "--accept" => o.accept = value()?,
            "--timeout-secs" => {
                o.timeout = Duration::from_secs(
                    value()?
                        .parse()
                        .map_err(|e| format!("--timeout-secs: {e}"))?,
                )
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if o.url.is_empty() {
        return Err(format!("--url is required\n{USAGE}"));
    }
    Ok(o)
}

/// Percent-encodes a query value (the `next` token is opaque and may hold any character).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Default)]
struct Totals {
    pages: u64,
    objects: u64,
    indicators: u64,
    duplicates: u64,
    bytes: u64,
    fetch: Duration,
    parse: Duration,
    first_page: Duration,
    slowest_page: Duration,
}

fn fetch(agent: &ureq::Agent, o: &Options, url: &str) -> Result<Vec<u8>, String> {
    let mut req = agent.get(url).set("Accept", &o.accept);
    if let Some(auth) = &o.auth {
        req = req.set("Authorization", auth);
    }
    let resp = match req.call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            return Err(format!(
                "GET {url} -> {code}: {}",
                body.chars().take(500).collect::<String>()
            ));
        }
        Err(e) => return Err(format!("GET {url}: {e}")),
    };
    let mut body = Vec::with_capacity(1 << 20);
    resp.into_reader()
        .read_to_end(&mut body)
        .map_err(|e| format!("GET {url}: reading the body: {e}"))?;
    Ok(body)
}

fn walk(o: &Options) -> Result<Totals, String> {
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(10))
        .timeout_read(o.timeout)
        .max_idle_connections(1)
        .build();
    let sep = if o.url.contains('?') { '&' } else { '?' };
    // With --max-objects, the last page asks only for what is still wanted.
    let page_limit = |objects: u64| match o.max_objects {
        Some(m) => u64::from(o.limit).min(m.saturating_sub(objects)).max(1),
        None => u64::from(o.limit),
    };
    let mut url = format!("{}{sep}limit={}", o.url, page_limit(0));
    let mut seen: HashSet<u64> = HashSet::new();
    let mut t = Totals::default();
    loop {
        let started = Instant::now();
        let body = fetch(&agent, o, &url)?;
        let fetched = started.elapsed();
        let parse_started = Instant::now();
        let page: Envelope = serde_json::from_slice(&body)
            .map_err(|e| format!("page {}: bad JSON: {e}", t.pages + 1))?;
        for obj in &page.objects {
            let mut h = DefaultHasher::new();
            obj.id.hash(&mut h);
            if !seen.insert(h.finish()) {
                t.duplicates += 1;
            }
            if obj.kind == "indicator" && obj.pattern.is_some() {
                t.indicators += 1;
            }
        }
        let parsed = parse_started.elapsed();
        if t.pages == 0 {
            t.first_page = fetched;
        }
        t.slowest_page = t.slowest_page.max(fetched);
        t.pages += 1;
        t.objects += page.objects.len() as u64;
        t.bytes += body.len() as u64;
        t.fetch += fetched;
        t.parse += parsed;
        if t.pages % 100 == 0 {
            eprintln!("  {}: {} pages, {} objects", o.label, t.pages, t.objects);
        }
        if o.max_objects.is_some_and(|m| t.objects >= m) || !page.more {
            return Ok(t);
        }
        let next = page.next.filter(|n| !n.is_empty()).ok_or_else(|| {
            format!(
                "page {}: more=true without a next token (a client cannot continue)",
                t.pages
            )
        })?;
        url = format!(
            "{}{sep}limit={}&next={}",
            o.url,
            page_limit(t.objects),
            encode(&next)
        );
    }
}

fn main() -> ExitCode {
    let o = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let t = match walk(&o) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("taxii-sync {}: {e}", o.label);
            return ExitCode::FAILURE;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let mb = t.bytes as f64 / 1e6;
    println!(
        "{}: {} indicators ({} objects) in {} pages of limit {} in {:.2} s: {:.0} indicators/s, {:.1} MB/s \
         ({:.1} MB); waiting on the server {:.2} s, parsing {:.2} s; first page {:.3} s, slowest page {:.3} s",
        o.label,
        t.indicators,
        t.objects,
        t.pages,
        o.limit,
        secs,
        t.indicators as f64 / secs,
        mb / secs,
        mb,
        t.fetch.as_secs_f64(),
        t.parse.as_secs_f64(),
        t.first_page.as_secs_f64(),
        t.slowest_page.as_secs_f64()
    );
    println!(
        "RESULT label={} pages={} objects={} indicators={} duplicates={} bytes={} seconds={:.6} fetch_seconds={:.6} \
         parse_seconds={:.6} first_page_seconds={:.6} indicators_per_s={:.1} mb_per_s={:.3}",
        o.label,
        t.pages,
        t.objects,
        t.indicators,
        t.duplicates,
        t.bytes,
        secs,
        t.fetch.as_secs_f64(),
        t.parse.as_secs_f64(),
        t.first_page.as_secs_f64(),
        t.indicators as f64 / secs,
        mb / secs
    );
    if t.duplicates > 0 {
        eprintln!(
            "taxii-sync {}: {} objects came more than once: the walk is wrong",
            o.label, t.duplicates
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
