//! The persona: who this emulated machine is. Every banner, file and command output reads from
//! it, so one persona is one coherent fingerprint. [`Persona::generate`] draws one from realistic
//! pools by a seed; a sensor keeps it in a TOML file (`--persona FILE`) so it survives restarts.

mod pools;

use serde::{Deserialize, Serialize};

/// The family decides package manager, prompt style and userland (GNU or BusyBox).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Debian,
    Ubuntu,
    Rhel,
    Alpine,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Os {
    pub family: Family,
    /// `ID` in /etc/os-release: `debian`, `ubuntu`, `centos`, `rocky`, `alpine`.
    pub id: String,
    /// `NAME` in /etc/os-release.
    pub name: String,
    pub version_id: String,
    /// `VERSION` in /etc/os-release, e.g. `12 (bookworm)`.
    pub version: String,
    pub pretty_name: String,
    /// e.g. `bookworm`, `jammy`; empty where the distribution has none.
    pub codename: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    /// `uname -r`
    pub release: String,
    /// `uname -v`
    pub version: String,
    /// The builder and compiler part of /proc/version, between the release and the version.
    pub build: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cpu {
    pub vendor: String,
    pub model_name: String,
    pub family: u32,
    pub model: u32,
    pub stepping: u32,
    pub mhz: f64,
    pub cache_kb: u32,
    /// Logical CPUs visible to the machine.
    pub threads: u32,
    pub threads_per_core: u32,
    pub flags: String,
    pub hypervisor: Option<String>,
}

impl Cpu {
    pub fn cores(&self) -> u32 {
        (self.threads / self.threads_per_core.max(1)).max(1)
    }
    pub fn bogomips(&self) -> f64 {
        (self.mhz * 2.0 * 100.0).round() / 100.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disk {
    /// Kernel name: `sda`, `vda`, `nvme0n1`.
    pub name: String,
    pub size_bytes: u64,
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gpu {
    pub model: String,
    pub memory_mib: u32,
    pub driver: String,
    pub cuda: String,
    /// PCI bus, e.g. `00000000:01:00.0`.
    pub bus_id: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Net {
    pub iface: String,
    pub ipv4: String,
    pub prefix: u8,
    pub gateway: String,
    pub mac: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub gecos: String,
    pub home: String,
    pub shell: String,
    /// The crypt(3) hash shown in /etc/shadow.
    pub hash: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    pub arch: String,
    pub summary: String,
}

/// A fingerprint of one emulated machine. Serializable so a sensor can keep and reload it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Persona {
    pub seed: u64,
    pub hostname: String,
    pub os: Os,
    pub kernel: Kernel,
    /// The SSH identification string of the distribution's stock OpenSSH, without CR LF.
    pub ssh_ident: String,
    pub cpu: Cpu,
    pub mem_kb: u64,
    pub swap_kb: u64,
    pub disks: Vec<Disk>,
    pub gpu: Option<Gpu>,
    pub net: Net,
    pub users: Vec<User>,
    pub packages: Vec<Package>,
    /// Unix time the machine booted; uptime grows from it.
    pub boot_time: i64,
    /// Fraction of the root filesystem in use, 0..100.
    pub disk_used_pct: u8,
    pub timezone: String,
}

/// Errors loading a persona from its TOML form.
#[derive(Debug, thiserror::Error)]
pub enum PersonaError {
    #[error("persona TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("persona TOML: {0}")]
    Serialize(#[from] toml::ser::Error),
    #[error("persona is invalid: {0}")]
    Invalid(String),
}

/// splitmix64: tiny, portable, and stable across crate versions, so a seed always gives the
/// same persona.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_5EED)
    }
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next() % (hi - lo + 1)
    }
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() % items.len() as u64) as usize]
    }
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

impl Persona {
    /// Draws a persona from the pools. The same seed always gives the same persona.
    pub fn generate(seed: u64) -> Persona {
        pools::generate(seed)
    }

    pub fn from_toml(text: &str) -> Result<Persona, PersonaError> {
        let p: Persona = toml::from_str(text)?;
        p.validate()?;
        Ok(p)
    }

    pub fn to_toml(&self) -> Result<String, PersonaError> {
        Ok(toml::to_string(self)?)
    }

    fn validate(&self) -> Result<(), PersonaError> {
        let bad = |what: &str| Err(PersonaError::Invalid(what.to_owned()));
        if self.hostname.is_empty() || self.hostname.contains(['/', ' ', '\n']) {
            return bad("hostname must be a single non-empty label");
        }
        if !self.users.iter().any(|u| u.uid == 0) {
            return bad("a root user (uid 0) is required");
        }
        if self.cpu.threads == 0 || self.cpu.threads > 1024 {
            return bad("cpu.threads must be 1..=1024");
        }
        if !self.ssh_ident.starts_with("SSH-2.0-") || self.ssh_ident.contains(['\r', '\n']) {
            return bad("ssh_ident must be an SSH-2.0 identification without line ending");
        }
        for u in &self.users {
            if u.name.is_empty() || u.name.contains([':', '\n', '/']) || !u.home.starts_with('/') {
                return bad("user names must not contain ':' '/' or newlines; homes are absolute");
            }
        }
        Ok(())
    }

    /// `true` when the userland is BusyBox (Alpine): `sh` messages and applet output styles.
    pub fn is_busybox(&self) -> bool {
        self.os.family == Family::Alpine
    }

    pub fn user(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// What the telnet daemon prints before `login:` (and /etc/issue.net holds).
    pub fn issue_net(&self) -> String {
        match self.os.family {
            Family::Debian => format!("Debian GNU/Linux {}\n", self.os.version_id),
            Family::Ubuntu => format!("{}\n", self.os.pretty_name),
            Family::Rhel => "\\S\nKernel \\r on an \\m\n".to_owned(),
            Family::Alpine => "Welcome to Alpine Linux\n".to_owned(),
        }
    }

    /// /etc/issue, with the agetty escapes left in as the real file has them.
    pub fn issue(&self) -> String {
        match self.os.family {
            Family::Debian => format!("Debian GNU/Linux {} \\n \\l\n\n", self.os.version_id),
            Family::Ubuntu => format!("{} \\n \\l\n\n", self.os.pretty_name),
            Family::Rhel => "\\S\nKernel \\r on an \\m\n\n".to_owned(),
            Family::Alpine => {
                "Welcome to Alpine Linux 3.19\nKernel \\r on an \\m (\\l)\n\n".to_owned()
            }
        }
    }

    /// The telnet pre-login banner as a telnetd shows it: issue.net with escapes expanded.
    pub fn telnet_banner(&self) -> String {
        let text = self.issue_net();
        let text = text
            .replace("\\S", &self.os.pretty_name)
            .replace("\\r", &self.kernel.release)
            .replace("\\m", "x86_64");
        format!("{}\n{} login: ", text.trim_end(), self.hostname)
    }

    /// The message of the day printed after login (before the prompt).
    pub fn motd(&self, now: i64) -> String {
        match self.os.family {
            Family::Debian => format!(
                "Linux {} {} {} x86_64\n\nThe programs included with the Debian GNU/Linux system are free software;\nthe exact distribution terms for each program are described in the\nindividual files in /usr/share/doc/*/copyright.\n\nDebian GNU/Linux comes with ABSOLUTELY NO WARRANTY, to the extent\npermitted by applicable law.\n",
                self.hostname, self.kernel.release, self.kernel.version
            ),
            Family::Ubuntu => {
                let load = 0.08 + (self.seed % 40) as f64 / 100.0;
                format!(
                    "Welcome to {} (GNU/Linux {} x86_64)\n\n * Documentation:  https://help.ubuntu.com\n * Management:     https://landscape.canonical.com\n * Support:        https://ubuntu.com/pro\n\n System information as of {}\n\n  System load:  {:.2}               Processes:             {}\n  Usage of /:   {}.{}% of {}GB   Users logged in:       0\n  Memory usage: {}%                 IPv4 address for {}: {}\n  Swap usage:   0%\n\n\nExpanded Security Maintenance for Applications is not enabled.\n\n0 updates can be applied immediately.\n\n",
                    self.os.pretty_name,
                    self.kernel.release,
                    crate::clock::format_date(now, "%a %b %e %H:%M:%S UTC %Y"),
                    load,
                    110 + self.seed % 90,
                    self.disk_used_pct,
                    self.seed % 10,
                    self.root_disk_bytes() / 1_000_000_000,
                    12 + self.seed % 30,
                    self.net.iface,
                    self.net.ipv4
                )
            }
            Family::Rhel => String::new(),
            Family::Alpine => "Welcome to Alpine!\n\nThe Alpine Wiki contains a large amount of how-to guides and general\ninformation about administrating Alpine systems.\nSee <https://wiki.alpinelinux.org/>.\n\nYou can setup the system with the command: setup-alpine\n\nYou may change this message by editing /etc/motd.\n\n".to_owned(),
        }
    }

    /// The prompt shown for `user` in directory `cwd` (already abbreviated with `~`).
    pub fn prompt(&self, user: &str, cwd_display: &str) -> String {
        let sigil = if user == "root" { '#' } else { '$' };
        match self.os.family {
            Family::Debian | Family::Ubuntu => {
                format!("{user}@{}:{cwd_display}{sigil} ", self.hostname)
            }
            Family::Rhel => {
                let base = if cwd_display == "~" || cwd_display == "/" {
                    cwd_display
                } else {
                    cwd_display.rsplit('/').next().unwrap_or(cwd_display)
                };
                format!("[{user}@{} {base}]{sigil} ", self.hostname)
            }
            Family::Alpine => format!("{}:{cwd_display}{sigil} ", self.hostname),
        }
    }

    /// When the machine last booted as seen at `now`: uptime grows from `boot_time` and the
    /// machine "reboots" every few months, so uptime stays plausible however long a sensor runs.
    pub fn boot_at(&self, now: i64) -> i64 {
        let period = (120 + (self.seed % 200) as i64) * 86_400;
        let since = now - self.boot_time;
        if since <= period {
            return self.boot_time.min(now - 600);
        }
        self.boot_time + (since / period) * period - (self.seed % 30) as i64 * 86_400
    }

    pub fn root_disk_bytes(&self) -> u64 {
        self.disks.first().map(|d| d.size_bytes).unwrap_or(20 << 30)
    }

    /// The first partition of the first disk, e.g. `sda1`, `nvme0n1p1`.
    pub fn root_partition(&self) -> String {
        let disk = self.disks.first().map(|d| d.name.as_str()).unwrap_or("sda");
        if disk.starts_with("nvme") {
            format!("{disk}p1")
        } else {
            format!("{disk}1")
        }
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_persona_and_toml_round_trips() {
        let a = Persona::generate(42);
        assert_eq!(a, Persona::generate(42));
        let text = a.to_toml().unwrap();
        let back = Persona::from_toml(&text).unwrap();
        assert_eq!(a, back);
    }

    #[test]
    fn seeds_give_distinct_fingerprints() {
        let mut seen = std::collections::HashSet::new();
        for seed in 0..500u64 {
            let p = Persona::generate(seed);
            let fp = format!(
                "{}|{}|{}|{}|{}|{}",
                p.hostname, p.kernel.release, p.cpu.model_name, p.mem_kb, p.net.mac, p.ssh_ident
            );
            assert!(seen.insert(fp), "seed {seed} repeated a fingerprint");
            assert_ne!(p.hostname, "svr04");
        }
    }

    #[test]
    fn ssh_ident_matches_the_distribution() {
        for seed in 0..200u64 {
            let p = Persona::generate(seed);
            match (p.os.id.as_str(), p.os.version_id.as_str()) {
                ("debian", "12") => assert!(p
                    .ssh_ident
                    .starts_with("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u")),
                ("debian", "11") => assert!(p
                    .ssh_ident
                    .starts_with("SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u")),
                ("ubuntu", "22.04") => assert!(p
                    .ssh_ident
                    .starts_with("SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.")),
                ("ubuntu", "20.04") => assert!(p
                    .ssh_ident
                    .starts_with("SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.")),
                ("ubuntu", "24.04") => assert!(p
                    .ssh_ident
                    .starts_with("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.")),
                ("centos", "7") => assert_eq!(p.ssh_ident, "SSH-2.0-OpenSSH_7.4"),
                ("rocky", _) => assert_eq!(p.ssh_ident, "SSH-2.0-OpenSSH_8.7"),
                ("alpine", _) => assert_eq!(p.ssh_ident, "SSH-2.0-OpenSSH_9.6"),
                other => panic!("unexpected distribution {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_invalid_personas() {
        let mut p = Persona::generate(1);
        p.users.retain(|u| u.uid != 0);
        assert!(Persona::from_toml(&p.to_toml().unwrap()).is_err());
        assert!(Persona::from_toml("hostname = 3").is_err());
    }
}
