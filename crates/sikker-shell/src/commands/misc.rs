//! Process wrappers and system control: `sleep`, `nohup`, `timeout`, `sync`, `reboot`,
//! `shutdown`, `poweroff`, `lsb_release`, `hostnamectl`, `tty`. `sleep` returns at once: a
//! library never blocks its caller (the sensor may add a delay if it wants one).

use super::{bin, sbin, Ctx, Spec};
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[
    bin("sleep", sleep),
    bin("nohup", nohup),
    bin("timeout", timeout),
    bin("sync", |_, _| 0),
    sbin("reboot", reboot),
    sbin("shutdown", reboot),
    sbin("poweroff", reboot),
    sbin("halt", reboot),
    Spec { name: "lsb_release", place: super::Place::Bin, builtin: false, present: super::debian_like, run: lsb_release },
    bin("hostnamectl", hostnamectl),
    bin("tty", tty),
];

/// Parses `1`, `0.5`, `2m`, `1h`, `1d` into seconds.
fn duration(s: &str) -> Option<f64> {
    let (num, mult) = match s.chars().last()? {
        's' => (&s[..s.len() - 1], 1.0),
        'm' => (&s[..s.len() - 1], 60.0),
        'h' => (&s[..s.len() - 1], 3600.0),
        'd' => (&s[..s.len() - 1], 86_400.0),
        _ => (s, 1.0),
    };
    num.parse::<f64>().ok().filter(|v| *v >= 0.0).map(|v| v * mult)
}

fn sleep(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() < 2 {
        ctx.err("sleep: missing operand\nTry 'sleep --help' for more information.\n");
        return 1;
    }
    for a in &args[1..] {
        if duration(a).is_none() {
            ctx.err(format!("sleep: invalid time interval ‘{a}’\nTry 'sleep --help' for more information.\n"));
            return 1;
        }
    }
    0
}

fn nohup(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.len() < 2 {
        ctx.err("nohup: missing operand\nTry 'nohup --help' for more information.\n");
        return 125;
    }
    if ctx.st.tty_out {
        ctx.err("nohup: ignoring input and appending output to 'nohup.out'\n");
        let mut out = crate::interp::Out::new(ctx.limit());
        let argv = args[1..].to_vec();
        let src = argv.iter().map(|a| super::shell_quote(a)).collect::<Vec<_>>().join(" ");
        ctx.st.depth += 1;
        let status = if ctx.st.depth > ctx.st.sys.limits.max_depth { 1 } else { crate::interp::run_source(ctx.st, &src, Vec::new(), &mut out) };
        ctx.st.depth -= 1;
        let bytes = out.into_bytes();
        if !bytes.is_empty() {
            let _ = ctx.write("nohup.out", &bytes, true);
        }
        return status;
    }
    ctx.run_argv(args[1..].to_vec())
}

fn timeout(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut i = 1;
    while i < args.len() && args[i].starts_with('-') {
        if args[i] == "-s" || args[i] == "-k" {
            i += 1;
        }
        i += 1;
    }
    let Some(d) = args.get(i) else {
        ctx.err("timeout: missing operand\nTry 'timeout --help' for more information.\n");
        return 125;
    };
    if duration(d).is_none() {
        ctx.err(format!("timeout: invalid time interval ‘{d}’\nTry 'timeout --help' for more information.\n"));
        return 125;
    }
    if i + 1 >= args.len() {
        ctx.err(format!("timeout: missing operand after '{d}'\nTry 'timeout --help' for more information.\n"));
        return 125;
    }
    ctx.run_argv(args[i + 1..].to_vec())
}

/// systemd 252's `--help` for its power commands (they are all `systemctl`).
fn power_help(name: &str) -> String {
    let common = "Options:\n     --help      Show this help\n";
    let body = "     --halt      Halt the machine\n  -p --poweroff  Switch off the machine\n     --reboot    Reboot the machine\n  -f --force     Force immediate halt/power-off/reboot\n  -w --wtmp-only Don't halt/power-off/reboot, just write wtmp record\n  -d --no-wtmp   Don't write wtmp record\n     --no-wall   Don't send wall message before halt/power-off/reboot\n\nSee the halt(8) man page for details.\n";
    match name {
        "shutdown" => format!("shutdown [OPTIONS...] [TIME] [WALL...]\n\nShut down the system.\n\n{common}  -H --halt      Halt the machine\n  -P --poweroff  Power-off the machine\n  -r --reboot    Reboot the machine\n  -h             Equivalent to --poweroff, overridden by --halt\n  -k             Don't halt/power-off/reboot, just send warnings\n     --no-wall   Don't send wall message before halt/power-off/reboot\n  -c             Cancel a pending shutdown\n     --show      Show pending shutdown\n\nSee the shutdown(8) man page for details.\n"),
        "reboot" => format!("reboot [OPTIONS...] [ARG]\n\nReboot the system.\n\n{common}{body}"),
        "poweroff" => format!("poweroff [OPTIONS...]\n\nPower off the system.\n\n{common}{body}"),
        _ => format!("halt [OPTIONS...]\n\nHalt the system.\n\n{common}{body}"),
    }
}

fn reboot(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().skip(1).any(|a| a == "--help") && !ctx.persona_is_busybox() {
        let name = crate::vfs::base_name(&args[0]).to_owned();
        ctx.out(power_help(&name));
        return 0;
    }
    if ctx.uid() != 0 {
        ctx.err("Call to Reboot failed: Interactive authentication required.\n");
        return 1;
    }
    if args[0].ends_with("shutdown") && !args.iter().any(|a| a == "now" || a == "-h" || a == "-r" || a == "-P") {
        let when = crate::clock::format_date(ctx.now() + 60, "%a %Y-%m-%d %H:%M:%S UTC");
        ctx.err(format!("Shutdown scheduled for {when}, use 'shutdown -c' to cancel.\n"));
        return 0;
    }
    // The connection drops as the machine goes down.
    ctx.st.exit_requested = Some(0);
    0
}

fn lsb_release(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let p = ctx.sys();
    let o = &p.persona().os;
    let id = if o.family == Family::Ubuntu { "Ubuntu" } else { "Debian" };
    let release = if o.family == Family::Ubuntu { o.version.split(' ').next().unwrap_or("").to_owned() } else { o.version_id.clone() };
    let short = args.iter().any(|a| a == "-s" || a.contains('s') && a.starts_with('-'));
    let mut out = String::new();
    let all = args.iter().any(|a| a == "-a" || a == "--all") || args.len() == 1;
    // lsb-release 12.0 (Debian 12's shell rewrite) no longer prints "No LSB modules are available."
    let _ = short;
    let want = |c: char, l: &str| all || args.iter().any(|a| a == l || (a.starts_with('-') && !a.starts_with("--") && a.contains(c)));
    if want('i', "--id") {
        out.push_str(&if short { format!("{id}\n") } else { format!("Distributor ID:\t{id}\n") });
    }
    if want('d', "--description") {
        out.push_str(&if short { format!("{}\n", o.pretty_name) } else { format!("Description:\t{}\n", o.pretty_name) });
    }
    if want('r', "--release") {
        out.push_str(&if short { format!("{release}\n") } else { format!("Release:\t{release}\n") });
    }
    if want('c', "--codename") {
        out.push_str(&if short { format!("{}\n", o.codename) } else { format!("Codename:\t{}\n", o.codename) });
    }
    ctx.out(out);
    0
}

fn hostnamectl(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.get(1).map(String::as_str) == Some("--version") {
        ctx.out(super::services::SYSTEMD_VERSION);
        return 0;
    }
    let p = ctx.sys();
    let p = p.persona();
    let machine_id = format!("{:016x}{:016x}", p.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), p.seed ^ 0xA5A5_5A5A_DEAD_BEEF);
    ctx.out(format!(" Static hostname: {}\n       Icon name: computer-vm\n         Chassis: vm \u{1f5b4}\n      Machine ID: {machine_id}\n         Boot ID: {:032x}\n  Virtualization: {}\nOperating System: {}\n          Kernel: Linux {}\n    Architecture: x86-64\n Hardware Vendor: QEMU\n  Hardware Model: Standard PC _i440FX + PIIX, 1996_\nFirmware Version: 1.16.2-debian-1.16.2-1\n", p.hostname, u128::from(p.seed) * 0x1234_5678_9abc_def1, p.cpu.hypervisor.clone().unwrap_or_else(|| "kvm".into()).to_lowercase(), p.os.pretty_name, p.kernel.release));
    0
}

fn tty(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    if ctx.st.exec_mode {
        ctx.out("not a tty\n");
        return 1;
    }
    ctx.out("/dev/pts/0\n");
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn wrappers() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "sleep 1; sleep x").0, "sleep: invalid time interval ‘x’\nTry 'sleep --help' for more information.\n");
        assert_eq!(run(&mut sh, "timeout 5 echo hi").0, "hi\n");
        assert_eq!(run(&mut sh, "cd /tmp; nohup echo hi; cat nohup.out").0, "nohup: ignoring input and appending output to 'nohup.out'\nhi\n");
        assert!(sh.execute("reboot").close_session);
    }
}
