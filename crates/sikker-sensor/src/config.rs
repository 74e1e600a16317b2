//! What a sensor is told: where central is, what to listen on, where to keep state, and the
//! limits every listener enforces. Read from `sensor.toml`; the binary overlays its flags.

use serde::{Deserialize, Serialize};
use sikker_event::Protocol;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Errors in a sensor's configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Toml {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("listener {0:?}: expected PROTO=ADDR, e.g. ssh=127.0.0.1:2222")]
    Listener(String),
    #[error("listener {spec:?}: {reason}")]
    ListenerProtocol { spec: String, reason: String },
    #[error("{0}")]
    Invalid(String),
}

/// One listener: a protocol on an address (port 0 picks a free port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSpec {
    pub protocol: Protocol,
    pub addr: SocketAddr,
}

impl FromStr for ListenerSpec {
    type Err = ConfigError;
    /// `ssh=127.0.0.1:2222`, `telnet=[::1]:2323`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (proto, addr) = s
            .split_once('=')
            .ok_or_else(|| ConfigError::Listener(s.to_owned()))?;
        let protocol =
            proto
                .trim()
                .parse::<Protocol>()
                .map_err(|reason| ConfigError::ListenerProtocol {
                    spec: s.to_owned(),
                    reason,
                })?;
        let addr = addr
            .trim()
            .parse::<SocketAddr>()
            .map_err(|_| ConfigError::Listener(s.to_owned()))?;
        Ok(ListenerSpec { protocol, addr })
    }
}

impl std::fmt::Display for ListenerSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.protocol, self.addr)
    }
}

impl Serialize for ListenerSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ListenerSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Bounds on what attackers can make a sensor hold. Every one has a default that a small VM
/// survives under a flood; all are settable in `[limits]` of sensor.toml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Concurrent connections from one source address; more are recorded and closed.
    pub connections_per_ip: usize,
    /// Concurrent sessions over all listeners.
    pub sessions: usize,
    /// Seconds from connect until the client reaches authentication (SSH: identification and
    /// key exchange; Telnet: a login name).
    pub preauth_secs: u64,
    /// Seconds from connect until the client is logged in (OpenSSH's LoginGraceTime is 120).
    pub auth_secs: u64,
    /// Seconds without a byte in either direction.
    pub idle_secs: u64,
    /// Hard cap on a session's length.
    pub session_secs: u64,
    /// Longest input line a shell keeps; the rest of the line is dropped.
    pub line_bytes: usize,
    /// Bytes one session may receive before it is closed.
    pub session_bytes: u64,
    /// Largest single upload kept in quarantine; bigger ones are recorded and cut.
    pub upload_bytes: u64,
    /// Total bytes the quarantine keeps; the oldest files go first.
    pub quarantine_bytes: u64,
    /// Total bytes the spool keeps on disk; when full, the oldest segments go first.
    pub spool_bytes: u64,
    /// Largest `input`/`output` event payload; longer reads are split into several events.
    pub record_chunk_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            connections_per_ip: 32,
            sessions: 4096,
            preauth_secs: 30,
            auth_secs: 120,
            idle_secs: 300,
            session_secs: 3600,
            line_bytes: 8 * 1024,
            session_bytes: 16 * 1024 * 1024,
            upload_bytes: 16 * 1024 * 1024,
            quarantine_bytes: 512 * 1024 * 1024,
            spool_bytes: 1024 * 1024 * 1024,
            record_chunk_bytes: 64 * 1024,
        }
    }
}

impl Limits {
    pub fn preauth(&self) -> Duration {
        Duration::from_secs(self.preauth_secs)
    }
    pub fn auth(&self) -> Duration {
        Duration::from_secs(self.auth_secs)
    }
    pub fn idle(&self) -> Duration {
        Duration::from_secs(self.idle_secs)
    }
    pub fn session(&self) -> Duration {
        Duration::from_secs(self.session_secs)
    }
}

/// How the shipper talks to central.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShipperConfig {
    /// Most events in one `POST /v1/ingest`.
    pub batch_events: usize,
    /// Most bytes (before gzip) in one batch.
    pub batch_bytes: usize,
    /// First retry delay; doubles per failure up to `max_backoff_ms`, with jitter.
    pub min_backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Per-request timeout.
    pub request_timeout_ms: u64,
}

impl Default for ShipperConfig {
    fn default() -> ShipperConfig {
        ShipperConfig {
            batch_events: 2_000,
            batch_bytes: 4 * 1024 * 1024,
            min_backoff_ms: 250,
            max_backoff_ms: 60_000,
            request_timeout_ms: 30_000,
        }
    }
}

/// Everything a sensor needs to run. `sensor.toml` is this struct in TOML:
///
/// ```toml
/// name = "edge-1"
/// central = "https://central.example:8443"
/// token = "sks_…"
/// listen = ["ssh=0.0.0.0:22", "telnet=0.0.0.0:23"]
/// state_dir = "/var/lib/sikker-sensor"
/// [limits]
/// connections_per_ip = 32
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SensorConfig {
    /// Written into every event's `sensor` field.
    pub name: String,
    /// Base URL of central, e.g. `http://127.0.0.1:8080`; without it events only spool.
    pub central: Option<String>,
    /// The sensor token (`sikker keys create --role sensor`).
    pub token: Option<String>,
    pub listen: Vec<ListenerSpec>,
    /// Host keys, the generated persona and the quarantine live here.
    pub state_dir: PathBuf,
    /// Defaults to `<state_dir>/spool`.
    pub spool_dir: Option<PathBuf>,
    /// A persona TOML file; created from a random seed when it does not exist.
    /// Defaults to `<state_dir>/persona.toml`.
    pub persona: Option<PathBuf>,
    pub limits: Limits,
    pub shipper: ShipperConfig,
}

impl Default for SensorConfig {
    fn default() -> SensorConfig {
        SensorConfig {
            name: "sensor".to_owned(),
            central: None,
            token: None,
            listen: Vec::new(),
            state_dir: PathBuf::from("sikker-sensor"),
            spool_dir: None,
            persona: None,
            limits: Limits::default(),
            shipper: ShipperConfig::default(),
        }
    }
}

impl SensorConfig {
    /// Parses `sensor.toml`; fields it leaves out keep their defaults.
    pub fn from_toml_str(text: &str, path: &Path) -> Result<SensorConfig, ConfigError> {
        toml::from_str(text).map_err(|source| ConfigError::Toml {
            path: path.to_owned(),
            source,
        })
    }

    pub fn load(path: &Path) -> Result<SensorConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        SensorConfig::from_toml_str(&text, path)
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.spool_dir
            .clone()
            .unwrap_or_else(|| self.state_dir.join("spool"))
    }

    pub fn persona_path(&self) -> PathBuf {
        self.persona
            .clone()
            .unwrap_or_else(|| self.state_dir.join("persona.toml"))
    }

    /// Checks what can be checked before binding anything.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_owned()));
        if self.name.is_empty() || self.name.len() > 128 {
            return bad("name must be 1..=128 characters");
        }
        if self.central.is_some() != self.token.is_some() {
            return bad("central and token go together: give both or neither");
        }
        if let Some(url) = &self.central {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return bad("central must be an http:// or https:// URL");
            }
        }
        if self.limits.connections_per_ip == 0 || self.limits.sessions == 0 {
            return bad("limits.connections_per_ip and limits.sessions must be at least 1");
        }
        if self.shipper.batch_events == 0 {
            return bad("shipper.batch_events must be at least 1");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listeners_and_defaults() {
        let spec: ListenerSpec = "ssh=127.0.0.1:2222".parse().unwrap();
        assert_eq!(spec.protocol, Protocol::Ssh);
        assert_eq!(spec.addr.port(), 2222);
        assert!("ssh:2222".parse::<ListenerSpec>().is_err());
        assert!("gopher=127.0.0.1:70".parse::<ListenerSpec>().is_err());
        let cfg = SensorConfig::from_toml_str(
            "name = \"e1\"\nlisten = [\"telnet=[::1]:2323\"]\n[limits]\nsessions = 10\n",
            Path::new("sensor.toml"),
        )
        .unwrap();
        assert_eq!(cfg.listen[0].protocol, Protocol::Telnet);
        assert_eq!(cfg.limits.sessions, 10);
        assert_eq!(cfg.limits.idle_secs, Limits::default().idle_secs);
        assert!(SensorConfig::from_toml_str("bogus = 1", Path::new("x")).is_err());
    }
}
