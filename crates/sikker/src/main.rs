//! The `sikker` binary. Subcommands are thin: they parse arguments, open the store and call
//! the library crates.

use anyhow::Context;
use clap::{Parser, Subcommand};
use sikker_server::analyst::EngineAnalyst;
use sikker_server::{Analyst, Central, CentralConfig};
use sikker_store::{KeyRole, SqliteOptions, SqliteStore, Store};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "sikker",
    version,
    about = "Honeypot sensors, attack classification and a STIX 2.1 / TAXII 2.1 threat feed"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const DEFAULT_DATA: &str = "./sikker-data";
const DEFAULT_LISTEN: &str = "127.0.0.1:8470";

#[derive(Subcommand)]
enum Command {
    /// Run everything on this machine: the central service with its embedded store; prints
    /// its URLs and, on first start, an API key.
    Up {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// A catalog directory to use instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Run the central service only (ingest, TAXII).
    Serve {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// A catalog directory to use instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Manage API keys and sensor tokens.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Work with the editorial catalog.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Fill the store with synthetic attackers through the real ingest path.
    Simulate {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        /// How many distinct source IPs.
        #[arg(long)]
        ips: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// A catalog directory to use instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Validate a catalog directory (default: the built-in catalog); errors as file:line.
    Check { dir: Option<PathBuf> },
    /// Classify the sessions of a JSONL file of events and print each one's primitives and behavior.
    Test {
        sessions: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// The editors' queue: the most frequent primitive sets that matched no behavior.
    Unclassified {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Reclassify every stored session with the catalog and rescore; only IPs whose indicator
    /// changed get a new version.
    Apply {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a key and print it (only the key) on stdout.
    Create {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        /// free, tier_1 … tier_4, contributor (API keys only).
        #[arg(long, default_value = "free")]
        tier: String,
        #[arg(long, default_value = "")]
        name: String,
        /// `api` reads the feed; `sensor` ships events to /v1/ingest.
        #[arg(long, default_value = "api")]
        role: String,
    },
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run(cli))
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Up {
            data,
            listen,
            catalog,
        } => serve(&data, listen, catalog.as_deref(), true).await,
        Command::Serve {
            data,
            listen,
            catalog,
        } => serve(&data, listen, catalog.as_deref(), false).await,
        Command::Keys {
            command:
                KeysCommand::Create {
                    data,
                    tier,
                    name,
                    role,
                },
        } => {
            let role = KeyRole::parse(&role)
                .with_context(|| format!("--role must be api or sensor, not {role:?}"))?;
            let store = open_store(&data)?;
            let key = create_key(&store, role, &tier, &name).await?;
            println!("{key}");
            Ok(())
        }
        Command::Catalog { command } => catalog(command).await,
        Command::Simulate {
            data,
            ips,
            seed,
            catalog,
        } => {
            let store = open_store(&data)?;
            let central = start_central(store, catalog.as_deref()).await?;
            let started = std::time::Instant::now();
            let report = sikker_server::simulate::simulate(&central.pipeline, ips, seed, |done| {
                if done % 100_000 == 0 || done == ips {
                    eprintln!("simulated {done}/{ips} IPs");
                }
            })
            .await?;
            eprintln!(
                "simulated {} IPs, {} sessions, {} events ({} new) and published {} indicator versions in {:.1}s",
                report.ips,
                report.sessions,
                report.events,
                report.stored,
                report.versions_published,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

async fn catalog(command: CatalogCommand) -> anyhow::Result<()> {
    match command {
        CatalogCommand::Check { dir } => {
            let files = catalog_files(dir.as_deref())?;
            let (ok, report) = sikker_engine::tools::check_report(&files);
            print!("{report}");
            if !ok {
                std::process::exit(1);
            }
            Ok(())
        }
        CatalogCommand::Test { sessions, catalog } => {
            let analyst = engine_analyst(catalog.as_deref())?;
            let text = std::fs::read_to_string(&sessions)
                .with_context(|| format!("reading {}", sessions.display()))?;
            let name = sessions.display().to_string();
            match sikker_engine::tools::test_sessions(analyst.engine(), &name, &text) {
                Ok(result) => {
                    print!(
                        "{}",
                        sikker_engine::tools::render_sessions(analyst.engine(), &result)
                    );
                    Ok(())
                }
                Err(diagnostics) => {
                    for d in diagnostics {
                        eprintln!("{d}");
                    }
                    std::process::exit(1);
                }
            }
        }
        CatalogCommand::Unclassified {
            data,
            catalog,
            limit,
        } => {
            let analyst = engine_analyst(catalog.as_deref())?;
            let store = open_store(&data)?;
            let sets = store.unclassified_primitive_sets().await?;
            let expanded = sets
                .iter()
                .flat_map(|(set, n)| std::iter::repeat_n(set.clone(), *n as usize));
            let queue = sikker_engine::tools::unclassified_queue(analyst.engine(), expanded, limit);
            if queue.is_empty() {
                println!("no unclassified primitive sets");
            }
            print!("{}", sikker_engine::tools::render_queue(&queue));
            Ok(())
        }
        CatalogCommand::Apply { data, catalog } => {
            let store = open_store(&data)?;
            let central = start_central(store.clone(), catalog.as_deref()).await?;
            let pending = store.reset_classifications().await?;
            let (classified, published) = central.pipeline.process().await?;
            println!(
                "reclassified {classified} of {pending} closed sessions; {published} indicators changed and got a new version"
            );
            Ok(())
        }
    }
}

fn open_store(data: &Path) -> anyhow::Result<SqliteStore> {
    SqliteStore::open(data, SqliteOptions::default())
        .with_context(|| format!("opening the store in {}", data.display()))
}

/// The catalog's files: the built-in ones, or every `*.toml` of `dir` (sorted by name).
fn catalog_files(dir: Option<&Path>) -> anyhow::Result<Vec<(String, String)>> {
    let Some(dir) = dir else {
        return Ok(sikker_engine::catalog::builtin_files());
    };
    let mut files = Vec::new();
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the catalog directory {}", dir.display()))?;
    for entry in entries {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("toml") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            files.push((path.display().to_string(), text));
        }
    }
    files.sort();
    if files.is_empty() {
        anyhow::bail!("{} holds no *.toml catalog files", dir.display());
    }
    Ok(files)
}

/// The engine over the chosen catalog, with the benign list (`benign.toml` in the catalog
/// directory, else the built-in one).
fn engine_analyst(dir: Option<&Path>) -> anyhow::Result<EngineAnalyst> {
    let files = catalog_files(dir)?;
    let catalog = sikker_engine::Catalog::parse(&files).map_err(|diagnostics| {
        let lines: Vec<String> = diagnostics.iter().map(|d| d.to_string()).collect();
        anyhow::anyhow!("the catalog has errors:\n{}", lines.join("\n"))
    })?;
    let engine = sikker_engine::Engine::new(catalog).context("compiling the catalog")?;
    let benign = match files.iter().find(|(name, _)| name.ends_with("benign.toml")) {
        Some((name, text)) if dir.is_some() => {
            sikker_engine::BenignList::parse(text).map_err(|d| {
                anyhow::anyhow!(
                    "{name}: {}",
                    d.iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                )
            })?
        }
        _ => sikker_engine::BenignList::builtin(),
    };
    Ok(EngineAnalyst::new(engine, benign))
}

async fn start_central(store: SqliteStore, catalog: Option<&Path>) -> anyhow::Result<Arc<Central>> {
    let analyst: Arc<dyn Analyst> = Arc::new(engine_analyst(catalog)?);
    Central::start(Arc::new(store), analyst, CentralConfig::default()).await
}

async fn create_key(
    store: &SqliteStore,
    role: KeyRole,
    tier: &str,
    name: &str,
) -> anyhow::Result<String> {
    let (key, record) =
        sikker_server::keys::generate(role, tier, name).map_err(anyhow::Error::msg)?;
    store.insert_key(record).await?;
    Ok(key)
}

async fn serve(
    data: &Path,
    listen: SocketAddr,
    catalog: Option<&Path>,
    up: bool,
) -> anyhow::Result<()> {
    let store = open_store(data)?;
    let first_key = if up && store.count_keys(KeyRole::Api).await? == 0 {
        Some(create_key(&store, KeyRole::Api, "free", "created by sikker up").await?)
    } else {
        None
    };
    let central = start_central(store, catalog).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let base = format!("http://{}", listener.local_addr()?);
    println!("sikker central is listening on {base}");
    println!("  data:            {}", data.display());
    println!("  TAXII 2.1:       {base}/taxii2/  (discovery and API root)");
    println!(
        "  collection:      {base}/taxii2/collections/{}/  (id {})",
        sikker_stix::taxii::COLLECTION_ALIAS,
        sikker_stix::taxii::COLLECTION_ID
    );
    println!("  sensor ingest:   {base}/v1/ingest");
    if let Some(key) = first_key {
        println!("  API key (shown once, keep it): {key}");
        println!("  try: curl -H 'Authorization: Bearer {key}' {base}/taxii2/collections/sikker-threat-intel/objects/?limit=5");
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    sikker_server::serve(listener, central, shutdown_signal()).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
