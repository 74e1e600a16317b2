//! Processes: `ps` (default, `aux`, `-ef`, `-A`), `top -b`, `pgrep`, `pidof`. The process table
//! comes from the persona's distribution plus this session's own shell.

use super::sysinfo::{load, up_text, uptime_secs};
use super::{bin, Ctx, Spec};
use crate::clock::format_date;
use crate::persona::Family;
use crate::vfs::base::mem_figures;

pub(crate) static SPECS: &[Spec] = &[bin("ps", ps), bin("top", top), bin("pgrep", pgrep), bin("pidof", pidof)];

#[derive(Clone)]
pub(crate) struct Proc {
    pub pid: u32,
    pub ppid: u32,
    pub user: String,
    pub vsz: u32,
    pub rss: u32,
    pub tty: String,
    pub stat: &'static str,
    pub start: i64,
    pub cpu_secs: u32,
    pub cmd: String,
}

impl Proc {
    pub fn comm(&self) -> String {
        let first = self.cmd.split_whitespace().next().unwrap_or("");
        let c = first.trim_start_matches('[').trim_end_matches(']').trim_end_matches(':');
        let c = crate::vfs::base_name(c);
        c.trim_start_matches('-').chars().take(15).collect()
    }
}

/// Every process on the emulated machine, in pid order, minus the ones the session killed.
pub(crate) fn table(ctx: &Ctx<'_>) -> Vec<Proc> {
    let p = &ctx.st.sys.persona;
    let boot = p.boot_at(ctx.now());
    let seed = p.seed;
    let mut v: Vec<Proc> = Vec::new();
    let mut add = |pid: u32, ppid: u32, user: &str, vsz: u32, rss: u32, stat: &'static str, cmd: &str, offset: i64, cpu: u32| {
        v.push(Proc { pid, ppid, user: user.into(), vsz, rss, tty: "?".into(), stat, start: boot + offset, cpu_secs: cpu, cmd: cmd.into() });
    };
    let kernel = ["[kthreadd]", "[rcu_gp]", "[rcu_par_gp]", "[slub_flushwq]", "[netns]", "[kworker/0:0H-events_highpri]", "[mm_percpu_wq]", "[rcu_tasks_kthread]", "[ksoftirqd/0]", "[rcu_preempt]", "[migration/0]", "[cpuhp/0]", "[kdevtmpfs]", "[inet_frag_wq]", "[kauditd]", "[khungtaskd]", "[oom_reaper]", "[writeback]", "[kcompactd0]", "[ksmd]", "[khugepaged]", "[kintegrityd]", "[kblockd]", "[blkcg_punt_bio]", "[watchdogd]", "[kswapd0]", "[kthrotld]", "[ipv6_addrconf]", "[jbd2/vda1-8]", "[ext4-rsv-conver]"];
    let alpine = p.os.family == Family::Alpine;
    add(1, 0, "root", if alpine { 1_628 } else { 167_744 }, if alpine { 952 } else { 12_840 }, "Ss", "/sbin/init", 0, 9 + (seed % 50) as u32);
    for (i, k) in kernel.iter().enumerate() {
        add(2 + i as u32, if i == 0 { 0 } else { 2 }, "root", 0, 0, if k.contains("kworker") || k.contains("_wq") || k.contains("gp]") { "I<" } else { "S" }, k, 0, 0);
    }
    let services: Vec<(&str, &str, u32, u32, &'static str)> = match p.os.family {
        Family::Alpine => vec![
            ("root", "/sbin/syslogd -t -n", 1_636, 884, "S"),
            ("root", "/usr/sbin/crond -c /etc/crontabs -f", 1_632, 836, "S"),
            ("root", "sshd: /usr/sbin/sshd [listener] 0 of 10-100 startups", 4_280, 2_900, "S"),
            ("root", "/sbin/getty 38400 tty1", 1_616, 792, "S"),
        ],
        Family::Rhel => vec![
            ("root", "/usr/lib/systemd/systemd-journald", 39_072, 14_388, "Ss"),
            ("root", "/usr/lib/systemd/systemd-udevd", 48_724, 6_040, "Ss"),
            ("root", "/sbin/auditd", 25_244, 2_212, "S<sl"),
            ("dbus", "/usr/bin/dbus-broker-launch --scope system --audit", 6_772, 3_412, "Ss"),
            ("root", "/usr/sbin/NetworkManager --no-daemon", 385_012, 18_020, "Ssl"),
            ("chrony", "/usr/sbin/chronyd -F 2", 84_404, 3_468, "S"),
            ("root", "/usr/lib/systemd/systemd-logind", 17_392, 7_804, "Ss"),
            ("root", "/usr/bin/python3 -s /usr/sbin/firewalld --nofork --nopid", 423_188, 41_772, "Ssl"),
            ("root", "/usr/sbin/crond -n", 221_468, 3_540, "Ss"),
            ("root", "/usr/sbin/rsyslogd -n", 160_124, 4_904, "Ssl"),
            ("root", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 16_068, 8_996, "Ss"),
            ("root", "/sbin/agetty -o -p -- \\u --noclear - linux", 5_684, 1_976, "Ss+"),
        ],
        _ => {
            let mut s = vec![
                ("root", "/lib/systemd/systemd-journald", 57_628, 20_416, "Ss"),
                ("root", "/lib/systemd/systemd-udevd", 26_328, 7_352, "Ss"),
                ("systemd-timesync", "/lib/systemd/systemd-timesyncd", 90_084, 6_600, "Ssl"),
                ("root", "/usr/sbin/cron -f", 6_608, 2_740, "Ss"),
                ("messagebus", "/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only", 9_124, 4_760, "Ss"),
                ("root", "/usr/sbin/rsyslogd -n -iNONE", 222_132, 4_572, "Ssl"),
                ("root", "/lib/systemd/systemd-logind", 25_372, 7_916, "Ss"),
                ("root", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups", 15_424, 9_284, "Ss"),
                ("root", "/sbin/agetty -o -p -- \\u --keep-baud 115200,57600,38400,9600 - vt220", 5_880, 1_892, "Ss+"),
                ("root", "/sbin/agetty -o -p -- \\u --noclear - linux", 5_880, 1_904, "Ss+"),
            ];
            if p.os.family == Family::Ubuntu {
                s.push(("systemd-network", "/lib/systemd/systemd-networkd", 16_120, 8_140, "Ss"));
                s.push(("systemd-resolve", "/lib/systemd/systemd-resolved", 25_532, 12_768, "Ss"));
                s.push(("root", "/sbin/multipathd -d -s", 280_200, 27_168, "SLsl"));
                s.push(("root", "/usr/lib/snapd/snapd", 1_317_432, 31_428, "Ssl"));
                s.push(("root", "/usr/bin/python3 /usr/share/unattended-upgrades/unattended-upgrade-shutdown --wait-for-signal", 109_748, 21_232, "Ssl"));
            }
            s
        }
    };
    let mut pid = 300 + (seed % 200) as u32;
    for (user, cmd, vsz, rss, stat) in services {
        pid += 1 + (seed.wrapping_add(pid as u64) % 40) as u32;
        add(pid, 1, user, vsz, rss, stat, cmd, 3 + (pid % 7) as i64, (pid % 23) + 1);
    }
    if p.package("docker-ce").is_some() || p.package("docker.io").is_some() {
        pid += 31;
        add(pid, 1, "root", 1_873_120, 44_312, "Ssl", "/usr/bin/containerd", 5, 310);
        pid += 9;
        add(pid, 1, "root", 2_135_840, 78_524, "Ssl", "/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock", 6, 420);
    }
    if p.gpu.is_some() {
        pid += 17;
        add(pid, 1, "root", 5_200, 1_800, "Ss", "/usr/bin/nvidia-persistenced --user nvidia-persistenced --no-persistence-mode --verbose", 4, 0);
    }
    // This session: sshd child, the login shell, and whatever is running now.
    let sess = 2000 + (seed % 20_000) as u32;
    let tty = "pts/0".to_owned();
    let started = ctx.st.started;
    let user = ctx.st.user.clone();
    v.push(Proc { pid: sess - 12, ppid: pid.min(sess - 13), user: "root".into(), vsz: 17_988, rss: 11_012, tty: "?".into(), stat: "Ss", start: started, cpu_secs: 0, cmd: format!("sshd: {user}@{tty}") });
    let shell = if alpine { "-ash" } else { "-bash" };
    v.push(Proc { pid: sess - 4, ppid: sess - 12, user: user.clone(), vsz: if alpine { 1_680 } else { 7_236 }, rss: if alpine { 1_024 } else { 4_064 }, tty: tty.clone(), stat: "Ss", start: started, cpu_secs: 0, cmd: shell.into() });
    v.retain(|pr| !ctx.st.killed.contains(&pr.pid));
    v
}

fn self_proc(ctx: &Ctx<'_>, cmd: &str) -> Proc {
    let sess = 2000 + (ctx.st.sys.persona.seed % 20_000) as u32;
    Proc { pid: ctx.st.next_pid.max(sess + 1), ppid: sess - 4, user: ctx.st.user.clone(), vsz: 8_800, rss: 3_900, tty: "pts/0".into(), stat: "R+", start: ctx.now(), cpu_secs: 0, cmd: cmd.into() }
}

fn tty_time(secs: u32) -> String {
    format!("{:02}:{:02}:{:02}", secs / 3600, (secs / 60) % 60, secs % 60)
}

fn start_text(ts: i64, now: i64) -> String {
    if now - ts < 86_400 {
        format_date(ts, "%H:%M")
    } else if now - ts < 365 * 86_400 {
        format_date(ts, "%b%d")
    } else {
        format_date(ts, "%Y")
    }
}

fn ps(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let opts: String = args[1..].concat();
    let bsd_all = args[1..].iter().any(|a| !a.starts_with('-') && (a.contains('a') || a.contains('x')));
    let full = opts.contains('f');
    let every = opts.contains('e') || opts.contains('A') || bsd_all;
    if args[1..].iter().any(|a| a == "--version" || a == "-V") {
        ctx.out("ps from procps-ng 4.0.2\n");
        return 0;
    }
    if args[1..].iter().any(|a| a.starts_with('-') && a.chars().skip(1).any(|c| !"efAaulxwHjo-".contains(c))) {
        ctx.err("error: unsupported SysV option\n\nUsage:\n ps [options]\n\n Try 'ps --help <simple|list|output|threads|misc|all>'\n  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\nFor more details see ps(1).\n");
        return 1;
    }
    let mut procs = table(ctx);
    procs.push(self_proc(ctx, format!("ps {}", args[1..].join(" ")).trim_end()));
    let now = ctx.now();
    let (total_kb, ..) = mem_figures(&ctx.st.sys.persona);
    let busybox = ctx.persona_is_busybox();
    let mut out = String::new();
    if busybox {
        out.push_str("PID   USER     TIME  COMMAND\n");
        for p in &procs {
            out.push_str(&format!("{:>5} {:<8} {:>2}:{:02} {}\n", p.pid, p.user.chars().take(8).collect::<String>(), p.cpu_secs / 60, p.cpu_secs % 60, p.cmd));
        }
    } else if bsd_all && (opts.contains('u') || opts.contains('a')) && !opts.contains('-') {
        out.push_str("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n");
        for p in &procs {
            let mem = f64::from(p.rss) * 100.0 / total_kb.max(1) as f64;
            let user: String = if p.user.len() > 8 { format!("{}+", &p.user[..7]) } else { p.user.clone() };
            out.push_str(&format!("{:<8} {:>7} {:>4.1} {:>4.1} {:>6} {:>5} {:<8} {:<4} {:>5} {:>3}:{:02} {}\n", user, p.pid, 0.0, mem, p.vsz, p.rss, p.tty, p.stat, start_text(p.start, now), p.cpu_secs / 60, p.cpu_secs % 60, p.cmd));
        }
    } else if full || every {
        if full {
            out.push_str("UID          PID    PPID  C STIME TTY          TIME CMD\n");
        } else {
            out.push_str("    PID TTY          TIME CMD\n");
        }
        for p in procs.iter().filter(|p| every || p.tty != "?") {
            if full {
                let user: String = if p.user.len() > 8 { format!("{}+", &p.user[..7]) } else { p.user.clone() };
                out.push_str(&format!("{:<8} {:>7} {:>7}  0 {:<5} {:<8} {} {}\n", user, p.pid, p.ppid, start_text(p.start, now), p.tty, tty_time(p.cpu_secs), p.cmd));
            } else {
                out.push_str(&format!("{:>7} {:<8} {} {}\n", p.pid, p.tty, tty_time(p.cpu_secs), p.comm()));
            }
        }
    } else {
        out.push_str("    PID TTY          TIME CMD\n");
        for p in procs.iter().filter(|p| p.tty == "pts/0") {
            out.push_str(&format!("{:>7} {:<8} {} {}\n", p.pid, p.tty, tty_time(p.cpu_secs), p.comm()));
        }
    }
    ctx.out(out);
    0
}

fn top(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "-v" || a == "-V") {
        ctx.out("procps-ng 4.0.2\n");
        return 0;
    }
    let mut procs = table(ctx);
    procs.push(self_proc(ctx, "top"));
    let (total, free, avail, buffers, cached, _) = mem_figures(&ctx.st.sys.persona);
    let used = total.saturating_sub(free + buffers + cached);
    let swap = ctx.st.sys.persona.swap_kb;
    let (a, b, c) = load(ctx);
    let running = 1;
    let mut out = format!(
        "top - {} {} 1 user,  load average: {a:.2}, {b:.2}, {c:.2}\nTasks: {:>3} total,{:>4} running,{:>4} sleeping,   0 stopped,   0 zombie\n%Cpu(s):  0.3 us,  0.2 sy,  0.0 ni, 99.5 id,  0.0 wa,  0.0 hi,  0.0 si,  0.0 st \nMiB Mem : {:>8.1} total, {:>8.1} free, {:>8.1} used, {:>8.1} buff/cache     \nMiB Swap: {:>8.1} total, {:>8.1} free, {:>8.1} used. {:>8.1} avail Mem \n\n    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n",
        format_date(ctx.now(), "%H:%M:%S"),
        up_text(uptime_secs(ctx)),
        procs.len(),
        running,
        procs.len() - running,
        total as f64 / 1024.0,
        free as f64 / 1024.0,
        used as f64 / 1024.0,
        (buffers + cached) as f64 / 1024.0,
        swap as f64 / 1024.0,
        swap as f64 / 1024.0,
        0.0,
        avail as f64 / 1024.0,
    );
    let mut sorted = procs.clone();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.cpu_secs));
    for p in sorted.iter().take(40) {
        let mem = f64::from(p.rss) * 100.0 / total.max(1) as f64;
        let state = p.stat.chars().next().unwrap_or('S');
        let user: String = if p.user.len() > 8 { format!("{}+", &p.user[..7]) } else { p.user.clone() };
        out.push_str(&format!("{:>7} {:<8}  20   0 {:>7} {:>6} {:>6} {} {:>5.1} {:>5.1} {:>6}:{:02}.{:02} {}\n", p.pid, user, p.vsz, p.rss, p.rss / 2, state, 0.0, mem, p.cpu_secs / 60, p.cpu_secs % 60, p.pid % 100, p.comm()));
    }
    ctx.out(out);
    0
}

fn pgrep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let list = args.iter().any(|a| a == "-l" || a == "-a");
    let full = args.iter().any(|a| a == "-f");
    let Some(pat) = args[1..].iter().find(|a| !a.starts_with('-')) else {
        ctx.err("pgrep: no matching criteria specified\nTry `pgrep --help' for more information.\n");
        return 2;
    };
    let re = match regex::Regex::new(pat) {
        Ok(r) => r,
        Err(_) => {
            ctx.err(format!("pgrep: cannot compile regular expression '{pat}'\n"));
            return 2;
        }
    };
    let mut out = String::new();
    for p in table(ctx) {
        let hay = if full { p.cmd.clone() } else { p.comm() };
        if re.is_match(&hay) {
            out.push_str(&if list { format!("{} {}\n", p.pid, if full { p.cmd.clone() } else { p.comm() }) } else { format!("{}\n", p.pid) });
        }
    }
    let found = !out.is_empty();
    ctx.out(out);
    i32::from(!found)
}

fn pidof(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut pids = Vec::new();
    for name in args[1..].iter().filter(|a| !a.starts_with('-')) {
        for p in table(ctx).into_iter().rev() {
            if p.comm() == *name || crate::vfs::base_name(p.cmd.split_whitespace().next().unwrap_or("")) == name {
                pids.push(p.pid.to_string());
            }
        }
    }
    if pids.is_empty() {
        return 1;
    }
    ctx.out(format!("{}\n", pids.join(" ")));
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn ps_layouts() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "ps aux");
        assert!(o.starts_with("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\nroot           1  0.0  "), "{o}");
        assert!(o.contains("sshd: root@pts/0"));
        let (o, _) = run(&mut sh, "ps");
        assert!(o.starts_with("    PID TTY          TIME CMD\n"), "{o}");
        assert!(o.contains(" bash\n") && o.contains(" ps\n"), "{o}");
        let (o, _) = run(&mut sh, "top -bn1 | head -1");
        assert!(o.starts_with("top - 07:31:37 up "), "{o}");
    }
}
