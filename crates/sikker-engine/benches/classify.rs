//! Classification throughput: sessions of one login and 20 command lines against the default
//! catalog — the compiled matcher cold (`classify_uncached`: every line split and matched
//! afresh, the acceptance figure), the same with the per-thread line cache (`classify`), and
//! the naive one-primitive-at-a-time baseline (`classify_naive`), all in the same run.
//!
//! `cargo bench -p sikker-engine --bench classify` (add `-- --quick` for a shorter run).
//! The corpus (`corpus/mod.rs`) is seeded and written from real tradecraft with varied hosts,
//! names and keys; the summary after Criterion's report says how many sessions classified,
//! into what, and how many lines are distinct, then sessions/s per wall second and per CPU
//! second of the (single) benchmark thread, and the ratios to naive.
//! Figures and the machine they came from: `crates/sikker-engine/README.md`.

mod corpus;

use criterion::{criterion_group, Criterion, SamplingMode, Throughput};
use sikker_engine::{Engine, Outcome};
use sikker_event::{Event, EventData};
use std::collections::{BTreeMap, HashSet};
use std::hint::black_box;
use std::time::{Duration, Instant};

const SESSIONS: usize = 2048;
const SEED: u64 = 0x5EED_2024;

fn corpus() -> Vec<Vec<Event>> {
    corpus::sessions(SEED, SESSIONS)
        .into_iter()
        .map(|(_, s)| s)
        .collect()
}

fn bench(c: &mut Criterion) {
    let engine = Engine::builtin();
    let corpus = corpus();
    let mut group = c.benchmark_group("classify");
    group
        .throughput(Throughput::Elements(corpus.len() as u64))
        .sampling_mode(SamplingMode::Flat);
    group.bench_function("cold", |b| {
        b.iter(|| {
            for s in &corpus {
                black_box(engine.classify_uncached(black_box(s)));
            }
        })
    });
    group.bench_function("line_cache", |b| {
        b.iter(|| {
            for s in &corpus {
                black_box(engine.classify(black_box(s)));
            }
        })
    });
    group.bench_function("naive", |b| {
        b.iter(|| {
            for s in &corpus {
                black_box(engine.classify_naive(black_box(s)));
            }
        })
    });
    group.finish();
}

/// CPU time of the calling thread, from the scheduler's nanosecond account; `None` off Linux.
/// On a shared machine wall time undercounts what one core does, so both are printed.
fn thread_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Sessions per wall-clock second and per CPU second over at least `budget` of wall time.
fn rate(budget: Duration, corpus: &[Vec<Event>], f: &dyn Fn(&[Event])) -> (f64, Option<f64>) {
    let cpu0 = thread_cpu();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < budget {
        for s in corpus {
            f(s);
        }
        done += corpus.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, thread_cpu()) {
        (Some(a), Some(b)) if b > a => Some(done as f64 / (b - a).as_secs_f64()),
        _ => None,
    };
    (done as f64 / wall, cpu)
}

/// What the corpus is made of, so a reader can judge it: outcomes, behaviors, distinct lines.
fn describe(engine: &Engine, corpus: &[Vec<Event>]) {
    let mut behaviors: BTreeMap<String, usize> = BTreeMap::new();
    let (mut unclassified, mut nothing, mut disagree) = (0, 0, 0);
    for s in corpus {
        let c = engine.classify_uncached(s);
        if c != engine.classify_naive(s) || c != engine.classify(s) {
            disagree += 1;
        }
        match c.outcome {
            Outcome::Behavior(b) => *behaviors.entry(b.to_string()).or_default() += 1,
            Outcome::Unclassified => unclassified += 1,
            Outcome::Nothing => nothing += 1,
        }
    }
    let lines: Vec<&str> = corpus
        .iter()
        .flatten()
        .filter_map(|e| match &e.data {
            EventData::Command { line } => Some(line.as_str()),
            _ => None,
        })
        .collect();
    let distinct: HashSet<&str> = lines.iter().copied().collect();
    let classified: usize = behaviors.values().sum();
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    let cat = engine.catalog();
    println!();
    println!(
        "catalog: {} primitives, {} behaviors",
        cat.primitives.len(),
        cat.behaviors.len()
    );
    println!(
        "corpus: {} sessions x (1 login + {} command lines), seed {SEED:#x}; {} lines, {} distinct ({:.0}%), {:.0} bytes per line",
        corpus.len(),
        corpus::COMMANDS_PER_SESSION,
        lines.len(),
        distinct.len(),
        pct(distinct.len(), lines.len()),
        lines.iter().map(|l| l.len()).sum::<usize>() as f64 / lines.len().max(1) as f64,
    );
    println!(
        "outcomes: {classified} classified to a behavior ({:.1}%), {unclassified} unclassified, {nothing} nothing; cold, cached and naive disagree on {disagree} sessions",
        pct(classified, corpus.len())
    );
    let mut by_count: Vec<(&String, &usize)> = behaviors.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    for (b, n) in by_count {
        println!("  {n:>5}  {:>5.1}%  {b}", pct(*n, corpus.len()));
    }
}

fn summary() {
    let engine = Engine::builtin();
    let corpus = corpus();
    describe(&engine, &corpus);
    let budget = Duration::from_secs(3);
    let cold = rate(budget, &corpus, &|s| {
        black_box(engine.classify_uncached(black_box(s)));
    });
    let cached = rate(budget, &corpus, &|s| {
        black_box(engine.classify(black_box(s)));
    });
    let naive = rate(budget, &corpus, &|s| {
        black_box(engine.classify_naive(black_box(s)));
    });
    let show = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{r:.0}"));
    let ratio = |a: (f64, Option<f64>)| {
        let cpu = match (a.1, naive.1) {
            (Some(c), Some(n)) => format!("{:.1}x", c / n),
            _ => "n/a".into(),
        };
        format!("{:>8.1}x {:>12}", a.0 / naive.0, cpu)
    };
    println!();
    println!("                           sessions/s        vs naive");
    println!("                       wall   per CPU s    wall   per CPU s");
    println!(
        "cold (acceptance): {:>9} {:>10}  {}   classify_uncached: no line cache, every line split and matched afresh",
        format!("{:.0}", cold.0),
        show(cold.1),
        ratio(cold)
    );
    println!(
        "line cache:        {:>9} {:>10}  {}   classify: per-thread cache of each line's matches",
        format!("{:.0}", cached.0),
        show(cached.1),
        ratio(cached)
    );
    println!(
        "naive baseline:    {:>9} {:>10}  {}   classify_naive: one primitive at a time",
        format!("{:.0}", naive.0),
        show(naive.1),
        ratio(naive)
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}

/// `CLASSIFY_PROFILE=N`: one warm-up pass, then N cold passes over the corpus in this
/// function alone, for `valgrind --tool=callgrind --toggle-collect='*profile_passes*'`.
#[inline(never)]
fn profile_passes(engine: &Engine, corpus: &[Vec<Event>], passes: usize) {
    for _ in 0..passes {
        for s in corpus {
            black_box(engine.classify_uncached(black_box(s)));
        }
    }
}

fn main() {
    if let Some(passes) = std::env::var("CLASSIFY_PROFILE")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        let engine = Engine::builtin();
        let corpus = corpus();
        profile_passes(&engine, &corpus[..0], 0);
        for s in &corpus {
            black_box(engine.classify_uncached(s));
        }
        profile_passes(&engine, &corpus, passes);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    // A profiling run (`-- --profile-time N`) wants the benchmark loop alone.
    if !std::env::args().any(|a| a == "--profile-time") {
        summary();
    }
}
