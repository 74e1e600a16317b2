//! What scanners and floods see. `nmap -sV` must name OpenSSH and a Linux telnetd (never a
//! honeypot); 2,000 concurrent connections plus slow-drip clients must leave the sensor
//! process under its memory cap, and a new ssh login must still succeed.
//! Needs the apt packages nmap, openssh-client, sshpass.

mod common;

use common::*;
use sikker_shell::{Family, Persona};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A sensor process with a pinned non-BusyBox persona; returns it and its listeners.
fn sensor_process(
    dir: &std::path::Path,
    limits: &str,
) -> (
    std::process::Child,
    std::net::SocketAddr,
    std::net::SocketAddr,
) {
    let state = dir.join("state");
    std::fs::create_dir_all(&state).unwrap();
    let persona = (1u64..)
        .map(Persona::generate)
        .find(|p| p.os.family == Family::Debian)
        .unwrap();
    std::fs::write(state.join("persona.toml"), persona.to_toml().unwrap()).unwrap();
    let config = dir.join("sensor.toml");
    std::fs::write(
        &config,
        format!(
            "name = \"fp-1\"\nlisten = [\"ssh=127.0.0.1:0\", \"telnet=127.0.0.1:0\"]\n\
             state_dir = \"{}\"\n[limits]\n{limits}\n",
            state.display()
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sikker-sensor-harness"))
        .arg("--config")
        .arg(&config)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (mut ssh, mut telnet) = (None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["LISTEN", "ssh", a] => ssh = a.parse().ok(),
            ["LISTEN", "telnet", a] => telnet = a.parse().ok(),
            ["READY"] => break,
            _ => {}
        }
    }
    (child, ssh.unwrap(), telnet.unwrap())
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn ssh_login(addr: std::net::SocketAddr) -> (bool, String) {
    let out = Command::new("sshpass")
        .args(["-p", "x", "ssh", "-o", "StrictHostKeyChecking=no"])
        .args(["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"])
        .args(["-o", "ConnectTimeout=20", "-p", &addr.port().to_string()])
        .args(["root@127.0.0.1", "id"])
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
fn nmap_sees_openssh_and_linux_telnetd() {
    if !require("nmap", "nmap") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut child, ssh, telnet) = sensor_process(dir.path(), "");
    let out = Command::new("nmap")
        .args(["-sV", "-Pn", "-n", "-p"])
        .arg(format!("{},{}", ssh.port(), telnet.port()))
        .arg("127.0.0.1")
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    println!("{text}");
    let line = |port: u16| {
        text.lines()
            .find(|l| l.starts_with(&format!("{port}/tcp")))
            .unwrap_or_default()
            .to_owned()
    };
    assert!(line(ssh.port()).contains("OpenSSH"), "{text}");
    assert!(line(telnet.port()).contains("Linux telnetd"), "{text}");
    let lower = text.to_lowercase();
    for word in ["honeypot", "cowrie", "kippo", "russh", "sikker"] {
        assert!(!lower.contains(word), "nmap says {word}: {text}");
    }
}

/// The memory cap the flood must stay under (RSS of the sensor process).
const MEMORY_CAP_KIB: u64 = 256 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_leaves_memory_bounded_and_logins_working() {
    if !require("sshpass", "sshpass") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // One source address plays the whole flood here, so the per-IP bound is raised to let
    // 2,000 connections in; the total-session bound still applies.
    let (mut child, ssh, telnet) = sensor_process(
        dir.path(),
        "connections_per_ip = 2500\nsessions = 3000\npreauth_secs = 60",
    );
    let pid = child.id();
    let idle_rss = rss_kib(pid);
    let mut held = Vec::new();
    for i in 0..2000 {
        let target = if i % 4 == 0 { telnet } else { ssh };
        match tokio::net::TcpStream::connect(target).await {
            Ok(mut s) => {
                if target == ssh {
                    let _ = s.write_all(b"SSH-2.0-flood_0.1\r\n").await;
                }
                held.push(s);
            }
            Err(e) => panic!("connection {i} refused: {e}"),
        }
    }
    // Slow drip: one byte every 100 ms, never finishing the identification.
    let mut drips = Vec::new();
    for _ in 0..50 {
        drips.push(tokio::spawn(async move {
            let Ok(mut s) = tokio::net::TcpStream::connect(ssh).await else {
                return;
            };
            for b in b"SSH-2.0-".iter().cycle().take(200) {
                if s.write_all(&[*b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let flood_rss = rss_kib(pid);
    let (ok, out) = tokio::task::spawn_blocking(move || ssh_login(ssh))
        .await
        .unwrap();
    let after_rss = rss_kib(pid);
    println!(
        "sensor RSS: idle {idle_rss} KiB, 2,050 connections {flood_rss} KiB, after login {after_rss} KiB \
         ({} KiB per connection)",
        flood_rss.saturating_sub(idle_rss) / 2050
    );
    drop(held);
    for d in drips {
        d.abort();
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "ssh login during the flood failed: {out}");
    assert!(out.contains("uid=0(root)"), "{out}");
    assert!(
        flood_rss < MEMORY_CAP_KIB,
        "RSS {flood_rss} KiB over the cap"
    );
}
