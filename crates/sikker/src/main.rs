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
    /// Run everything on this machine: the central service with its embedded store and one
    /// sensor in-process (SSH on 127.0.0.1:2222, Telnet on 127.0.0.1:2323); prints the URLs,
    /// the sensor's ports and, on first start, an API key.
    Up {
        #[arg(long, default_value = DEFAULT_DATA)]
        data: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN)]
        listen: SocketAddr,
        /// The in-process sensor's listeners, `PROTO=ADDR`; repeat for several.
        #[arg(long = "sensor-listen", default_values_t = [
            "ssh=127.0.0.1:2222".to_owned(),
            "telnet=127.0.0.1:2323".to_owned()
        ])]
        sensor_listen: Vec<String>,
        /// Run the central service alone.
        #[arg(long)]
        no_sensor: bool,
        /// A catalog directory to use instead of the built-in one.
        #[arg(long)]
        catalog: Option<PathBuf>,
    },
    /// Run a honeypot sensor that ships to a central service.
    Sensor {
        /// Central's base URL, e.g. http://127.0.0.1:8470
        #[arg(long)]
        central: Option<String>,
        /// A sensor token (`sikker keys create --role sensor`).
        #[arg(long)]
        token: Option<String>,
        /// A listener, `PROTO=ADDR`, e.g. ssh=127.0.0.1:2222; repeat for several.
        #[arg(long)]
        listen: Vec<String>,
        /// Where events wait until central has them.
        #[arg(long)]
        spool: Option<PathBuf>,
        /// A persona TOML file (made on first start when missing).
        #[arg(long)]
        persona: Option<PathBuf>,
        /// sensor.toml; flags given here override it.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Host keys, persona and quarantine (default ./sikker-sensor).
        #[arg(long)]
        state: Option<PathBuf>,
        /// The name written into every event.
        #[arg(long)]
        name: Option<String>,
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
            sensor_listen,
            no_sensor,
        } => {
            let sensor = (!no_sensor).then_some(sensor_listen);
            serve(&data, listen, catalog.as_deref(), Some(sensor)).await
        }
        Command::Sensor {
            central,
            token,
            listen,
            spool,
            persona,
            config,
            state,
            name,
        } => {
            let mut c = match &config {
                Some(path) => sikker_sensor::SensorConfig::load(path)
                    .with_context(|| format!("loading {}", path.display()))?,
                None => sikker_sensor::SensorConfig::default(),
            };
            if central.is_some() {
                c.central = central;
            }
            if token.is_some() {
                c.token = token;
            }
            if !listen.is_empty() {
                c.listen = parse_listeners(&listen)?;
            }
            if spool.is_some() {
                c.spool_dir = spool;
            }
            if persona.is_some() {
                c.persona = persona;
            }
            if let Some(state) = state {
                c.state_dir = state;
            }
            if let Some(name) = name {
                c.name = name;
            }
            run_sensor(c).await
        }
        Command::Serve {
            data,
            listen,
            catalog,
        } => serve(&data, listen, catalog.as_deref(), None).await,
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
            let counted = sets
                .into_iter()
                .map(|(set, n)| (set, usize::try_from(n).unwrap_or(usize::MAX)));
            let queue = sikker_engine::tools::unclassified_queue(analyst.engine(), counted, limit);
            if queue.is_empty() {
                println!("no unclassified primitive sets");
            }
            print!("{}", sikker_engine::tools::render_queue(&queue));
            Ok(())
        }
        CatalogCommand::Apply { data, catalog } => {
            let store = open_store(&data)?;
            // Forget first, then start: starting runs the one pass that reclassifies.
            let pending = store.reset_classifications().await?;
            let analyst: Arc<dyn Analyst> = Arc::new(engine_analyst(catalog.as_deref())?);
            let pipeline = sikker_server::Pipeline::new(
                Arc::new(store),
                analyst,
                CentralConfig::default().indicator_validity,
            );
            let (classified, published) = pipeline.process().await?;
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

fn parse_listeners(specs: &[String]) -> anyhow::Result<Vec<sikker_sensor::ListenerSpec>> {
    specs
        .iter()
        .map(|s| s.parse().with_context(|| format!("--listen {s:?}")))
        .collect()
}

async fn run_sensor(config: sikker_sensor::SensorConfig) -> anyhow::Result<()> {
    let sensor = sikker_sensor::Sensor::start(config)
        .await
        .context("starting the sensor")?;
    for l in sensor.listeners() {
        println!("sikker sensor: {} on {}", l.protocol, l.addr);
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    shutdown_signal().await;
    sensor.shutdown().await;
    Ok(())
}

/// The in-process sensor of `sikker up`: its state lives in DATA/sensor, its token in
/// DATA/sensor/token (made on first start, mode 0600).
async fn in_process_sensor(
    data: &Path,
    store: &SqliteStore,
    base: &str,
    listen: &[String],
) -> anyhow::Result<sikker_sensor::SensorHandle> {
    let state = data.join("sensor");
    std::fs::create_dir_all(&state).with_context(|| format!("creating {}", state.display()))?;
    let token_file = state.join("token");
    let token = match std::fs::read_to_string(&token_file) {
        Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
        _ => {
            let t = create_key(
                store,
                KeyRole::Sensor,
                "free",
                "sikker up in-process sensor",
            )
            .await?;
            write_private(&token_file, &t)?;
            t
        }
    };
    let config = sikker_sensor::SensorConfig {
        name: "local".to_owned(),
        central: Some(base.to_owned()),
        token: Some(token),
        listen: parse_listeners(listen)?,
        state_dir: state,
        ..sikker_sensor::SensorConfig::default()
    };
    sikker_sensor::Sensor::start(config)
        .await
        .context("starting the in-process sensor")
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    Ok(())
}

/// Runs central; with `sensor` (the listeners of `sikker up`) also a sensor in-process.
async fn serve(
    data: &Path,
    listen: SocketAddr,
    catalog: Option<&Path>,
    sensor: Option<Option<Vec<String>>>,
) -> anyhow::Result<()> {
    let up = sensor.is_some();
    let store = open_store(data)?;
    let first_key = if up && store.count_keys(KeyRole::Api).await? == 0 {
        Some(create_key(&store, KeyRole::Api, "free", "created by sikker up").await?)
    } else {
        None
    };
    let central = start_central(store.clone(), catalog).await?;
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
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(sikker_server::serve(listener, central, async {
        let _ = stop_rx.await;
    }));
    let sensor = match sensor.flatten() {
        Some(listeners) => Some(in_process_sensor(data, &store, &base, &listeners).await?),
        None => None,
    };
    if let Some(s) = &sensor {
        for l in s.listeners() {
            println!("  sensor {:<9} {}", format!("{}:", l.protocol), l.addr);
        }
    }
    use std::io::Write;
    std::io::stdout().flush().ok();
    shutdown_signal().await;
    if let Some(s) = sensor {
        s.shutdown().await;
    }
    let _ = stop_tx.send(());
    server.await.context("the server task")?
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
