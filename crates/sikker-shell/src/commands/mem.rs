//! `free` (procps-ng 4 layout, `-b -k -m -g -h -t -w`) and `vmstat`.

use super::{bin, getopt, Ctx, Spec};
use crate::vfs::base::mem_figures;

pub(crate) static SPECS: &[Spec] = &[bin("free", free), bin("vmstat", vmstat)];

/// procps `-h`: one decimal under 10, else truncated integer, units B Ki Mi Gi Ti.
pub(crate) fn procps_human(kib: u64) -> String {
    let mut v = kib as f64 * 1024.0;
    let units = ["B", "Ki", "Mi", "Gi", "Ti", "Pi"];
    let mut u = 0;
    while v >= 1024.0 && u < units.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{}B", v as u64)
    } else if v < 10.0 {
        format!("{:.1}{}", (v * 10.0).round() / 10.0, units[u])
    } else {
        format!("{}{}", v as u64, units[u])
    }
}

fn free(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "bkmghltwvV", "sc", &["bytes", "kilo", "mega", "giga", "kibi", "mebi", "gibi", "human", "total", "wide", "help", "version", "si"]) {
        Ok(o) => o,
        Err(e) => {
            ctx.err(format!("free: {}\n\nUsage:\n free [options]\n", e.message()));
            return 1;
        }
    };
    if o.has('V') || o.long("version") {
        ctx.out("free from procps-ng 4.0.2\n");
        return 0;
    }
    let (total, free, avail, buffers, cached, shared) = mem_figures(&ctx.st.sys.persona);
    let used = total.saturating_sub(free + buffers + cached);
    let swap = ctx.st.sys.persona.swap_kb;
    let fmt = |kib: u64| -> String {
        if o.has('h') || o.long("human") {
            procps_human(kib)
        } else if o.has('b') || o.long("bytes") {
            (kib * 1024).to_string()
        } else if o.has('m') || o.long("mebi") || o.long("mega") {
            (kib / 1024).to_string()
        } else if o.has('g') || o.long("gibi") || o.long("giga") {
            (kib / 1024 / 1024).to_string()
        } else {
            kib.to_string()
        }
    };
    let mut out = String::new();
    if o.has('w') || o.long("wide") {
        out.push_str("               total        used        free      shared     buffers       cache   available\n");
        out.push_str(&format!("{:<7}{:>13}{:>12}{:>12}{:>12}{:>12}{:>12}{:>12}\n", "Mem:", fmt(total), fmt(used), fmt(free), fmt(shared), fmt(buffers), fmt(cached), fmt(avail)));
    } else {
        out.push_str("               total        used        free      shared  buff/cache   available\n");
        out.push_str(&format!("{:<7}{:>13}{:>12}{:>12}{:>12}{:>12}{:>12}\n", "Mem:", fmt(total), fmt(used), fmt(free), fmt(shared), fmt(buffers + cached), fmt(avail)));
    }
    out.push_str(&format!("{:<7}{:>13}{:>12}{:>12}\n", "Swap:", fmt(swap), fmt(0), fmt(swap)));
    if o.has('t') || o.long("total") {
        out.push_str(&format!("{:<7}{:>13}{:>12}{:>12}\n", "Total:", fmt(total + swap), fmt(used), fmt(free + swap)));
    }
    ctx.out(out);
    0
}

fn vmstat(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    let (_, free, _, buffers, cached, _) = mem_figures(&ctx.st.sys.persona);
    ctx.out(format!("procs -----------memory---------- ---swap-- -----io---- -system-- ------cpu-----\n r  b   swpd   free   buff  cache   si   so    bi    bo   in   cs us sy id wa st\n 1  0      0 {free:>6} {buffers:>6} {cached:>6}    0    0     3    12   48   95  1  0 99  0  0\n"));
    0
}

#[cfg(test)]
mod tests {
    use super::procps_human;
    use crate::commands::testing::{run, shell};

    #[test]
    fn human_sizes_like_procps() {
        assert_eq!(procps_human(24_684_084), "23Gi");
        assert_eq!(procps_human(1_925_132), "1.8Gi");
        assert_eq!(procps_human(69_524), "67Mi");
        assert_eq!(procps_human(0), "0B");
    }

    #[test]
    fn free_layout() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "free -m");
        let mut l = o.lines();
        assert_eq!(l.next(), Some("               total        used        free      shared  buff/cache   available"));
        assert!(l.next().is_some_and(|m| m.starts_with("Mem:") && m.len() == 80), "{o}");
    }
}
