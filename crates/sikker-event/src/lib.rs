//! The event model: what a sikker sensor records and ships to central.
//!
//! An [`Event`] is one thing that happened in one honeypot session, recorded raw. The sensor
//! assigns every event a UUIDv7 `id`; central deduplicates by it, so delivery can be
//! at-least-once. Events are interpreted only centrally (the engine extracts fields from them),
//! so a new catalog can reclassify history.
//!
//! Wire form: one JSON object per event, the kind-specific fields next to the common ones:
//!
//! ```json
//! {"id":"0190c7b4-...","sensor":"edge-1","session":"5d0e...","ts":"2026-11-24T07:31:37.123456Z",
//!  "protocol":"ssh","src_ip":"203.0.113.9","src_port":51234,"dst_port":22,
//!  "kind":"command","line":"uname -a"}
//! ```
//!
//! A batch is a JSON array of such objects or NDJSON (one per line); see [`parse_batch`].
//! Invariant: this crate knows nothing of storage, HTTP or classification.

mod bytes;
mod timestamp;
mod validate;

pub use bytes::RawBytes;
pub use timestamp::Timestamp;
pub use validate::{parse_batch, BatchItem, EventError, Limits};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use uuid::Uuid;

/// The 17 protocols a sensor emulates. The wire name is the lower-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Ssh,
    Telnet,
    Http,
    Ftp,
    Smtp,
    Imap,
    Mysql,
    Postgresql,
    Mongodb,
    Redis,
    Docker,
    Elasticsearch,
    Mssql,
    Smb,
    Rtsp,
    Sip,
    Rdp,
}

impl Protocol {
    pub const ALL: [Protocol; 17] = [
        Protocol::Ssh,
        Protocol::Telnet,
        Protocol::Http,
        Protocol::Ftp,
        Protocol::Smtp,
        Protocol::Imap,
        Protocol::Mysql,
        Protocol::Postgresql,
        Protocol::Mongodb,
        Protocol::Redis,
        Protocol::Docker,
        Protocol::Elasticsearch,
        Protocol::Mssql,
        Protocol::Smb,
        Protocol::Rtsp,
        Protocol::Sip,
        Protocol::Rdp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Ssh => "ssh",
            Protocol::Telnet => "telnet",
            Protocol::Http => "http",
            Protocol::Ftp => "ftp",
            Protocol::Smtp => "smtp",
            Protocol::Imap => "imap",
            Protocol::Mysql => "mysql",
            Protocol::Postgresql => "postgresql",
            Protocol::Mongodb => "mongodb",
            Protocol::Redis => "redis",
            Protocol::Docker => "docker",
            Protocol::Elasticsearch => "elasticsearch",
            Protocol::Mssql => "mssql",
            Protocol::Smb => "smb",
            Protocol::Rtsp => "rtsp",
            Protocol::Sip => "sip",
            Protocol::Rdp => "rdp",
        }
    }

    /// The port a real service of this kind listens on; sensors may listen elsewhere.
    pub fn standard_port(self) -> u16 {
        match self {
            Protocol::Ssh => 22,
            Protocol::Telnet => 23,
            Protocol::Http => 80,
            Protocol::Ftp => 21,
            Protocol::Smtp => 25,
            Protocol::Imap => 143,
            Protocol::Mysql => 3306,
            Protocol::Postgresql => 5432,
            Protocol::Mongodb => 27017,
            Protocol::Redis => 6379,
            Protocol::Docker => 2375,
            Protocol::Elasticsearch => 9200,
            Protocol::Mssql => 1433,
            Protocol::Smb => 445,
            Protocol::Rtsp => 554,
            Protocol::Sip => 5060,
            Protocol::Rdp => 3389,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Protocol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str() == lower || (lower == "postgres" && *p == Protocol::Postgresql))
            .ok_or_else(|| format!("unknown protocol {s:?}"))
    }
}

/// One recorded event. See the crate docs for the wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// UUIDv7 assigned by the sensor: the deduplication key.
    pub id: Uuid,
    /// The sensor's name (its token names it too; central records both).
    pub sensor: String,
    /// The session this event belongs to; a session is one connection.
    pub session: Uuid,
    pub ts: Timestamp,
    pub protocol: Protocol,
    pub src_ip: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    /// Made by `sikker simulate`, never by an attacker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub synthetic: bool,
    #[serde(flatten)]
    pub data: EventData,
}

/// What happened. The wire field `kind` names the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    /// A connection was accepted.
    Connect,
    /// A login attempt (every one is accepted by the honeypot; `success` says what it answered).
    Auth(Auth),
    /// Raw bytes from the attacker, as received.
    Input { data: RawBytes },
    /// Raw bytes sent to the attacker.
    Output { data: RawBytes },
    /// A command line as typed into a shell (SSH exec or PTY, Telnet).
    Command { line: String },
    /// A protocol request (HTTP request, SQL query, RESP array, SIP message, SMTP command …).
    Request(Request),
    /// A file the attacker put on the sensor (SFTP, SCP, FTP STOR …), kept in quarantine.
    Upload(Transfer),
    /// A URL the attacker tried to fetch (wget, curl, tftp …); the sensor never connects out.
    Download(Transfer),
    /// The session ended.
    Disconnect(Disconnect),
}

impl EventData {
    pub fn kind(&self) -> &'static str {
        match self {
            EventData::Connect => "connect",
            EventData::Auth(_) => "auth",
            EventData::Input { .. } => "input",
            EventData::Output { .. } => "output",
            EventData::Command { .. } => "command",
            EventData::Request(_) => "request",
            EventData::Upload(_) => "upload",
            EventData::Download(_) => "download",
            EventData::Disconnect(_) => "disconnect",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    None,
    Password,
    KeyboardInteractive,
    Publickey,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Auth {
    pub method: AuthMethod,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// For public keys: the key algorithm, e.g. `ssh-ed25519`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// For public keys: `SHA256:` + unpadded base64, as OpenSSH prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
    pub success: bool,
}

/// A protocol request. Which fields a protocol fills:
/// - HTTP, Docker, Elasticsearch: `method`, `target` (path and query), `headers`, `body`.
/// - Redis: `args` (the RESP array, first element the command).
/// - MySQL, PostgreSQL, MSSQL: `fields.sql` (the query text), `fields.database`.
/// - MongoDB: `method` (the command name), `fields.database`, `body` (the BSON as JSON text).
/// - SIP, RTSP: `method`, `target` (the request URI), `headers`.
/// - SMTP, IMAP, FTP: `method` (the verb), `args`; SMTP adds `fields.mail_from`,
///   `fields.rcpt_to` (comma-separated), `fields.subject` and `body` for DATA.
/// - SMB, RDP: `method` (the request type), `fields` for what was parsed (e.g. `fields.share`).
/// - SSH: the handshake, `method` `identification` (`target` the client's version line) and
///   `kexinit` (`target` its HASSH, `fields.hassh_algorithms` what was hashed); forwarding,
///   `method` `tcpip-forward` or `direct-tcpip` with `target` `host:port`; `subsystem`;
///   `sftp-<operation>` with `target` the path.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Request {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<RawBytes>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub fields: std::collections::BTreeMap<String, String>,
}

impl Request {
    /// The first header with this name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A file moved in (upload) or asked for (download).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transfer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Lower-case hex SHA-256 of the content, when the sensor has the content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The tool that asked (`wget`, `curl`, `tftp`, `sftp`, `scp` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disconnect {
    /// e.g. `closed`, `idle`, `deadline`, `limit`.
    pub reason: String,
    pub duration_ms: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
}

impl Event {
    /// A new event with a fresh UUIDv7 id, stamped now.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        sensor: &str,
        session: Uuid,
        protocol: Protocol,
        src_ip: IpAddr,
        src_port: u16,
        dst_port: u16,
        data: EventData,
    ) -> Event {
        Event {
            id: Uuid::now_v7(),
            sensor: sensor.to_owned(),
            session,
            ts: Timestamp::now(),
            protocol,
            src_ip,
            src_port,
            dst_port,
            synthetic: false,
            data,
        }
    }

    /// The source address in canonical form: IPv4-mapped IPv6 addresses become IPv4.
    pub fn canonical_src_ip(&self) -> IpAddr {
        canonical_ip(self.src_ip)
    }
}

/// Canonical form of an address for keys and patterns: `::ffff:a.b.c.d` becomes `a.b.c.d`.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_kind() {
        let session = Uuid::now_v7();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let kinds = vec![
            EventData::Connect,
            EventData::Auth(Auth {
                method: AuthMethod::Password,
                username: "root".into(),
                password: Some("admin".into()),
                key_type: None,
                key_fingerprint: None,
                success: true,
            }),
            EventData::Input {
                data: RawBytes(vec![0, 159, 146, 150, b'\n']),
            },
            EventData::Command {
                line: "uname -a".into(),
            },
            EventData::Request(Request {
                method: Some("GET".into()),
                target: Some("/.env".into()),
                headers: vec![("User-Agent".into(), "curl/8".into())],
                ..Default::default()
            }),
            EventData::Download(Transfer {
                url: Some("http://198.51.100.1/x.sh".into()),
                tool: Some("wget".into()),
                ..Default::default()
            }),
            EventData::Disconnect(Disconnect {
                reason: "closed".into(),
                duration_ms: 1200,
                bytes_in: 10,
                bytes_out: 20,
            }),
        ];
        for data in kinds {
            let e = Event::new("edge-1", session, Protocol::Ssh, ip, 40000, 22, data);
            let json = serde_json::to_string(&e).unwrap();
            let back: Event = serde_json::from_str(&json).unwrap();
            assert_eq!(e, back, "{json}");
        }
    }

    #[test]
    fn protocol_names() {
        for p in Protocol::ALL {
            assert_eq!(p.as_str().parse::<Protocol>().unwrap(), p);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        }
        assert!("gopher".parse::<Protocol>().is_err());
    }

    #[test]
    fn mapped_addresses_are_canonicalised() {
        let ip: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(canonical_ip(ip).to_string(), "192.0.2.1");
    }
}
