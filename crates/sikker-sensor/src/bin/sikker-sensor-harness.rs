//! A bare sensor process for tests and benchmarks: `sikker-sensor-harness --config FILE
//! [--generate N]`. It starts the sensor the library describes, prints `LISTEN <proto> <addr>`
//! per listener and `READY`, optionally spools N synthetic-looking command events (as if
//! attackers had typed them) and prints `GENERATED N` once they are durable, then runs until
//! SIGTERM/SIGINT. The real CLI is `sikker sensor`; this exists so tests can SIGKILL a real
//! process.

use sikker_event::{EventData, Protocol};
use sikker_sensor::{Sensor, SensorConfig};
use std::io::Write;
use std::path::PathBuf;
use uuid::Uuid;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut config = None;
    let mut generate = 0usize;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--config" => config = args.next().map(PathBuf::from),
            "--generate" => {
                generate = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| anyhow::anyhow!("--generate needs a number"))?
            }
            other => anyhow::bail!("unknown argument {other:?}"),
        }
    }
    let config = config.ok_or_else(|| anyhow::anyhow!("--config FILE is required"))?;
    let config = SensorConfig::load(&config)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let name = config.name.clone();
        let sensor = Sensor::start(config).await?;
        let mut out = std::io::stdout().lock();
        for l in sensor.listeners() {
            writeln!(out, "LISTEN {} {}", l.protocol, l.addr)?;
        }
        writeln!(out, "READY")?;
        out.flush()?;
        drop(out);
        if generate > 0 {
            let session = Uuid::now_v7();
            for i in 0..generate {
                let event = sikker_event::Event::new(
                    &name,
                    session,
                    Protocol::Ssh,
                    "198.51.100.77".parse()?,
                    40_000,
                    22,
                    EventData::Command {
                        line: format!("echo delivery-{i}"),
                    },
                );
                sensor.spool().enqueue(&event)?;
            }
            sensor.spool().flush().await?;
            println!("GENERATED {generate}");
        }
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        sensor.shutdown().await;
        Ok(())
    })
}
