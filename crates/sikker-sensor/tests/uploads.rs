//! Uploads end to end with real OpenSSH clients on 127.0.0.1: `sftp` (`put`), `scp` in its
//! default SFTP mode and `scp -O` (legacy). The quarantine must hold each file under its
//! SHA-256, central must hold an `upload` event with that hash and size, and a file over the
//! upload cap must be cut there and recorded as cut.
//! Needs the apt packages openssh-client and sshpass.

mod common;

use common::*;
use sha2::{Digest, Sha256};
use sikker_event::{Event, EventData, Protocol, Transfer};
use sikker_sensor::{Limits, Sensor, SensorConfig, ShipperConfig};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const CAP: u64 = 256 * 1024;

const SSH_OPTS: &[&str] = &[
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=20",
    "-o",
    "PreferredAuthentications=password",
];

/// Runs `sshpass -p x TOOL ARGS…` with `stdin`; returns the exit code and both outputs.
fn client(tool: &str, args: &[String], stdin: &[u8]) -> (i32, String) {
    use std::io::Write;
    let mut child = Command::new("sshpass")
        .args(["-p", "x", tool])
        .args(SSH_OPTS)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("client runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().expect("client finishes");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file of `len` bytes that differs from every other test file.
fn payload(dir: &Path, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let seed = name
        .bytes()
        .fold(7u32, |h, b| h.wrapping_mul(31) ^ u32::from(b));
    let bytes: Vec<u8> = (0..len as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) ^ seed).to_be_bytes()[0])
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).expect("payload written");
    (path, bytes)
}

fn uploads(events: &[Event]) -> Vec<Transfer> {
    events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Upload(t) => Some(t.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sftp_and_scp_uploads_reach_quarantine_and_central() {
    for (bin, pkg) in [
        ("ssh", "openssh-client"),
        ("sftp", "openssh-client"),
        ("scp", "openssh-client"),
        ("sshpass", "sshpass"),
    ] {
        if !require(bin, pkg) {
            return;
        }
    }
    let rig = Rig::start(Limits {
        upload_bytes: CAP,
        ..Limits::default()
    })
    .await;
    let (dir, sensor, state_dir) = (&rig.dir, &rig.sensor, &rig.state_dir);
    let addr = rig.addr;
    let port = addr.port().to_string();
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();

    // sftp reading commands from stdin (`-b` would force BatchMode and refuse passwords): put, then the listing and stat calls a session makes.
    let (sftp_path, sftp_bytes) = payload(&files, "via-sftp.bin", 100_000);
    let script = format!(
        "put {}\nls -l\ncd /tmp\nls\nmkdir drop\nrename /root/via-sftp.bin /tmp/drop/moved.bin\nls -l /tmp/drop\nget /etc/hostname {}\ndf -h\ncd ..\ncd root\npwd\nbye\n",
        sftp_path.display(),
        files.join("hostname").display()
    );
    let args = vec!["-P".into(), port.clone(), "root@127.0.0.1".into()];
    let (code, out) = blocking(move || client("sftp", &args, script.as_bytes())).await;
    assert_eq!(code, 0, "sftp: {out}");
    assert!(
        out.contains("via-sftp.bin"),
        "sftp ls shows the upload: {out}"
    );
    assert!(out.contains("moved.bin"), "sftp sees the rename: {out}");
    assert!(out.contains("Remote working directory: /root"), "{out}");
    assert!(out.contains("Avail"), "df answers from statvfs: {out}");
    let hostname = std::fs::read_to_string(files.join("hostname")).expect("get worked");
    assert_eq!(hostname.trim(), sensor.persona().hostname, "{out}");

    // scp in SFTP mode (OpenSSH ≥ 9 default).
    let (scp_path, scp_bytes) = payload(&files, "via-scp.sh", 40_000);
    let args = vec![
        "-P".into(),
        port.clone(),
        scp_path.display().to_string(),
        "root@127.0.0.1:/tmp/".into(),
    ];
    let (code, out) = blocking(move || client("scp", &args, b"")).await;
    assert_eq!(code, 0, "scp: {out}");

    // Legacy scp.
    let (legacy_path, legacy_bytes) = payload(&files, "via-scp-legacy.sh", 30_000);
    let args = vec![
        "-O".into(),
        "-P".into(),
        port.clone(),
        legacy_path.display().to_string(),
        "root@127.0.0.1:/tmp/".into(),
    ];
    let (code, out) = blocking(move || client("scp", &args, b"")).await;
    assert_eq!(code, 0, "scp -O: {out}");

    // Over the cap: the client sees success, the sensor keeps the first CAP bytes.
    let (big_path, big_bytes) = payload(&files, "too-big.bin", CAP as usize * 3);
    let args = vec![
        "-P".into(),
        port.clone(),
        big_path.display().to_string(),
        "root@127.0.0.1:/tmp/".into(),
    ];
    let (code, out) = blocking(move || client("scp", &args, b"")).await;
    assert_eq!(code, 0, "scp of a big file: {out}");

    // The quarantine holds each file under its hash, mode 0600.
    let quarantine = state_dir.join("quarantine");
    let kept_prefix = &big_bytes[..CAP as usize];
    for (what, bytes) in [
        ("sftp", &sftp_bytes[..]),
        ("scp", &scp_bytes[..]),
        ("scp -O", &legacy_bytes[..]),
        ("cut", kept_prefix),
    ] {
        let path = quarantine.join(sha256(bytes));
        let held = std::fs::read(&path).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(held, bytes, "{what}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{what}");
        }
    }

    // Central has the upload events.
    let events = rig.central_events().await;
    let ups = uploads(&events);
    let find = |name: &str| {
        ups.iter()
            .find(|t| t.name.as_deref() == Some(name))
            .unwrap_or_else(|| panic!("no upload {name} in {ups:?}"))
            .clone()
    };
    for (name, tool, bytes) in [
        ("/root/via-sftp.bin", "sftp", &sftp_bytes),
        ("/tmp/via-scp.sh", "sftp", &scp_bytes),
        ("/tmp/via-scp-legacy.sh", "scp", &legacy_bytes),
    ] {
        let t = find(name);
        assert_eq!(t.tool.as_deref(), Some(tool), "{name}");
        assert_eq!(t.size, Some(bytes.len() as u64), "{name}");
        assert_eq!(t.sha256.as_deref(), Some(sha256(bytes).as_str()), "{name}");
    }
    let big = find("/tmp/too-big.bin");
    assert_eq!(big.size, Some(big_bytes.len() as u64));
    assert_eq!(big.sha256, None, "a cut file's hash is not the file's");
    let cut = events
        .iter()
        .find_map(|e| match &e.data {
            EventData::Request(r) if r.method.as_deref() == Some("upload-truncated") => {
                Some(r.clone())
            }
            _ => None,
        })
        .expect("the cut is recorded");
    assert_eq!(cut.target.as_deref(), Some("/tmp/too-big.bin"));
    assert_eq!(
        cut.fields.get("kept_bytes").map(String::as_str),
        Some(CAP.to_string().as_str())
    );
    assert_eq!(
        cut.fields.get("kept_sha256").map(String::as_str),
        Some(sha256(kept_prefix).as_str())
    );
    let renames = events.iter().any(|e| {
        matches!(&e.data, EventData::Request(r)
            if r.method.as_deref() == Some("sftp-rename")
                && r.fields.get("to").map(String::as_str) == Some("/tmp/drop/moved.bin"))
    });
    assert!(renames, "rename recorded");
    rig.sensor.shutdown().await;
}

/// A session closed by the sensor mid-upload (here: its byte limit) still records what it
/// had of the open file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_cut_by_the_session_limit_is_still_recorded() {
    for (bin, pkg) in [("scp", "openssh-client"), ("sshpass", "sshpass")] {
        if !require(bin, pkg) {
            return;
        }
    }
    // scp (SFTP mode) writes in blocks as large as the server's `limits@openssh.com` allows,
    // 255 KiB as with OpenSSH's sftp-server: the cut comes in the middle of the second one,
    // whose part that arrived fills the cap.
    let rig = Rig::start(Limits {
        upload_bytes: CAP,
        session_bytes: 2 * CAP,
        ..Limits::default()
    })
    .await;
    let files = rig.dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let (path, bytes) = payload(&files, "endless.bin", CAP as usize * 8);
    let args = vec![
        "-P".into(),
        rig.addr.port().to_string(),
        path.display().to_string(),
        "root@127.0.0.1:/tmp/".into(),
    ];
    let (code, out) = blocking(move || client("scp", &args, b"")).await;
    assert_ne!(code, 0, "the sensor hung up mid-transfer: {out}");
    let prefix = &bytes[..CAP as usize];
    let held = rig.state_dir.join("quarantine").join(sha256(prefix));
    let kept = eventually(Duration::from_secs(10), || {
        let held = held.clone();
        async move { held.exists() }
    })
    .await;
    assert!(kept, "the first {CAP} bytes are in quarantine");
    let spooled = eventually(Duration::from_secs(20), || async {
        rig.sensor.spool().flush().await.is_ok()
            && uploads(&spooled_events(&rig.spool_dir))
                .iter()
                .any(|t| t.name.as_deref() == Some("/tmp/endless.bin"))
    })
    .await;
    assert!(spooled, "the upload is recorded");
    let events = rig.central_events().await;
    let t = uploads(&events)
        .into_iter()
        .find(|t| t.name.as_deref() == Some("/tmp/endless.bin"))
        .unwrap();
    assert!(t.size.unwrap_or(0) > CAP, "{t:?}");
    assert_eq!(t.sha256, None);
    rig.sensor.shutdown().await;
}

/// A central and one SSH sensor shipping to it, on 127.0.0.1.
/// Runs a client that reuses an open master connection: no password, one more channel.
fn over_master(tool: &str, socket: &Path, args: &[String], stdin: &[u8]) -> (i32, String) {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(SSH_OPTS)
        .args(["-o", "ControlMaster=no", "-o"])
        .arg(format!("ControlPath={}", socket.display()))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("client runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().expect("client finishes");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_of_one_connection_share_the_filesystem() {
    for (bin, pkg) in [
        ("ssh", "openssh-client"),
        ("sftp", "openssh-client"),
        ("scp", "openssh-client"),
        ("sshpass", "sshpass"),
    ] {
        if !require(bin, pkg) {
            return;
        }
    }
    let rig = Rig::start(Limits::default()).await;
    let port = rig.addr.port().to_string();
    let files = rig.dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let socket = rig.dir.path().join("master.sock");
    // One connection, held open by an OpenSSH master (key login: the honeypot takes any key);
    // every later client is a new channel on it, as when a bot's SSH library uploads over
    // SFTP and then execs the file.
    let key = rig.dir.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen runs");
    assert!(made.success());
    // Not SSH_OPTS: ssh keeps the first value of an option, and those prefer passwords.
    let mut master = Command::new("ssh")
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args(["-o", "LogLevel=ERROR", "-o", "ConnectTimeout=20"])
        .args([
            "-o",
            "PreferredAuthentications=publickey",
            "-o",
            "BatchMode=yes",
            "-i",
        ])
        .arg(&key)
        .args(["-M", "-N", "-S"])
        .arg(&socket)
        .args(["-p", &port, "root@127.0.0.1"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("master runs");
    for _ in 0..200 {
        if socket.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if !socket.exists() {
        let _ = master.kill();
        let out = master.wait_with_output().expect("master ends");
        panic!(
            "the master connection did not come up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let (sftp_path, sftp_bytes) = payload(&files, "kit.sh", 3_000);
    let (scp_path, scp_bytes) = payload(&files, "legacy.bin", 2_000);
    let sock = socket.clone();
    let script = format!("put {} /tmp/kit.sh\nbye\n", sftp_path.display());
    let args = vec!["-P".into(), port.clone(), "root@127.0.0.1".into()];
    let (code, out) = blocking(move || over_master("sftp", &sock, &args, script.as_bytes())).await;
    assert_eq!(code, 0, "sftp: {out}");
    let sock = socket.clone();
    let args = vec![
        "-O".into(),
        "-P".into(),
        port.clone(),
        scp_path.display().to_string(),
        "root@127.0.0.1:/tmp/".into(),
    ];
    let (code, out) = blocking(move || over_master("scp", &sock, &args, b"")).await;
    assert_eq!(code, 0, "scp -O: {out}");
    let sock = socket.clone();
    let args = vec![
        "-p".into(),
        port.clone(),
        "root@127.0.0.1".into(),
        "wc -c /tmp/kit.sh /tmp/legacy.bin; sha256sum /tmp/kit.sh /tmp/legacy.bin".into(),
    ];
    let (code, out) = blocking(move || over_master("ssh", &sock, &args, b"")).await;
    assert_eq!(code, 0, "exec: {out}");
    assert!(out.contains("3000 /tmp/kit.sh"), "{out}");
    assert!(out.contains("2000 /tmp/legacy.bin"), "{out}");
    assert!(
        out.contains(&format!("{}  /tmp/kit.sh", sha256(&sftp_bytes))),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}  /tmp/legacy.bin", sha256(&scp_bytes))),
        "{out}"
    );

    let _ = master.kill();
    let _ = master.wait();
}

struct Rig {
    dir: tempfile::TempDir,
    central: TestCentral,
    sensor: sikker_sensor::SensorHandle,
    state_dir: PathBuf,
    spool_dir: PathBuf,
    addr: SocketAddr,
}

impl Rig {
    async fn start(limits: Limits) -> Rig {
        let dir = tempfile::tempdir().unwrap();
        let (store, token) = store_with_token(&dir.path().join("central")).await;
        let central = serve(store, token, "127.0.0.1:0").await;
        let state_dir = dir.path().join("sensor");
        let config = SensorConfig {
            name: "uploads-1".into(),
            central: Some(central.url.clone()),
            token: Some(central.token.clone()),
            listen: vec!["ssh=127.0.0.1:0".parse().unwrap()],
            state_dir: state_dir.clone(),
            limits,
            shipper: ShipperConfig {
                min_backoff_ms: 50,
                max_backoff_ms: 500,
                ..Default::default()
            },
            ..Default::default()
        };
        let spool_dir = config.spool_dir();
        let sensor = Sensor::start(config).await.expect("sensor starts");
        let addr = sensor.addr(Protocol::Ssh).unwrap();
        Rig {
            dir,
            central,
            sensor,
            state_dir,
            spool_dir,
            addr,
        }
    }

    /// Waits until central holds everything spooled so far, and returns it.
    async fn central_events(&self) -> Vec<Event> {
        self.sensor.spool().flush().await.unwrap();
        let spooled = spooled_events(&self.spool_dir);
        let sessions: Vec<_> = spooled
            .iter()
            .map(|e| e.session)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let want = spooled.len();
        let ok = eventually(Duration::from_secs(30), || {
            let store = self.central.store.clone();
            let sessions = sessions.clone();
            async move { central_events(&store, sessions).await.len() >= want }
        })
        .await;
        assert!(ok, "central did not receive all {want} spooled events");
        central_events(&self.central.store, sessions).await
    }
}
