//! The fields a primitive can look at. Each is filled by [`crate::extract`] from raw events; the
//! table below is the contract between the catalog and the extractor.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

macro_rules! fields {
    ($($variant:ident => $name:literal : $doc:literal,)*) => {
        /// A named part of a session that primitives match against.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Field {
            $(#[doc = $doc] $variant,)*
        }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Field::$variant => $name,)* }
            }

            /// One line saying what the extractor puts in this field.
            pub fn doc(self) -> &'static str {
                match self { $(Field::$variant => $doc,)* }
            }
        }

        impl FromStr for Field {
            type Err = String;
            fn from_str(s: &str) -> Result<Field, String> {
                match s {
                    $($name => Ok(Field::$variant),)*
                    _ => Err(format!("unknown field {s:?}")),
                }
            }
        }
    };
}

fields! {
    Session => "session": "Facts about the whole session: `connect-only` (no auth, input, command, request or transfer; the SSH handshake's records do not count), `auth-only` (logins and nothing after them).",
    Command => "command": "One single command, after splitting lines on ; && || | & newlines, $(…), backticks and sh -c '…' (SSH, Telnet).",
    CommandLine => "command_line": "The command line exactly as typed (SSH, Telnet).",
    DownloadUrl => "download_url": "A URL the attacker wanted fetched: from wget/curl/tftp/ftpget/busybox commands, download events, HTTP targets and bodies.",
    UploadName => "upload_name": "The name of a file the attacker uploaded (SFTP, SCP, FTP STOR …).",
    FileSha256 => "file_sha256": "Lower-case hex SHA-256 of an uploaded or downloaded file.",
    Username => "username": "A login name from an auth event (any protocol).",
    Password => "password": "A password from an auth event (any protocol).",
    Credential => "credential": "`username:password` from an auth event, for well-known default pairs.",
    AuthMethod => "auth_method": "`none`, `password`, `keyboard_interactive` or `publickey`.",
    KeyFingerprint => "key_fingerprint": "`SHA256:…` of a public key offered at login.",
    Input => "input": "Raw bytes from the attacker as text (first 4 KiB of each input event).",
    HttpMethod => "http_method": "The request method (HTTP, Docker, Elasticsearch).",
    HttpPath => "http_path": "The request path, percent-decoded, without the query (HTTP, Docker, Elasticsearch).",
    HttpQuery => "http_query": "The query string, percent-decoded with + as space (HTTP, Docker, Elasticsearch).",
    HttpHeader => "http_header": "Each header as `name: value`, name lower-cased (HTTP, Docker, Elasticsearch, SIP, RTSP).",
    HttpBody => "http_body": "The request body as text, and its percent-decoded form when it differs (HTTP, Docker, Elasticsearch).",
    UserAgent => "user_agent": "The User-Agent header (HTTP, Docker, Elasticsearch, SIP, RTSP).",
    DockerApi => "docker_api": "`METHOD /path` with any `/v1.NN` version prefix removed (Docker).",
    RedisCommand => "redis_command": "The RESP array joined by spaces, command upper-cased: `CONFIG SET dir /root/.ssh` (Redis).",
    Sql => "sql": "The query text (MySQL, PostgreSQL, MSSQL).",
    Database => "database": "The database named by a query or command (MySQL, PostgreSQL, MSSQL, MongoDB).",
    MongoCommand => "mongo_command": "The command name, e.g. `listDatabases`, `dropDatabase` (MongoDB).",
    MongoBody => "mongo_body": "The command document as JSON text (MongoDB).",
    SipMethod => "sip_method": "The SIP request method, e.g. `REGISTER`, `OPTIONS`, `INVITE` (SIP).",
    SipUri => "sip_uri": "The SIP request URI (SIP).",
    RtspMethod => "rtsp_method": "The RTSP method, e.g. `DESCRIBE` (RTSP).",
    RtspUri => "rtsp_uri": "The RTSP request URI (RTSP).",
    SmtpCommand => "smtp_command": "The verb and its arguments, verb upper-cased: `MAIL FROM:<a@b>` (SMTP).",
    SmtpSender => "smtp_sender": "The MAIL FROM address (SMTP).",
    SmtpRecipient => "smtp_recipient": "Each RCPT TO address (SMTP).",
    SmtpSubject => "smtp_subject": "The Subject of a message sent with DATA (SMTP).",
    SmtpBody => "smtp_body": "The message body sent with DATA (SMTP).",
    ImapCommand => "imap_command": "The verb and its arguments, verb upper-cased (IMAP).",
    FtpCommand => "ftp_command": "The verb and its arguments, verb upper-cased: `SITE CPFR /etc/passwd` (FTP).",
    SmbRequest => "smb_request": "The SMB request type as the sensor named it, e.g. `negotiate`, `tree_connect` (SMB).",
    SmbShare => "smb_share": "The share path of a tree connect, e.g. `\\\\host\\IPC$` (SMB).",
    RdpRequest => "rdp_request": "The RDP request type as the sensor named it (RDP).",
    RdpCookie => "rdp_cookie": "The routing cookie of an X.224 connection request, e.g. `mstshash=administrator` (RDP).",
    RequestField => "request_field": "Every parsed request field as `name=value` (any protocol).",
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
