//! `lscpu`: util-linux 2.38's hierarchical layout on a terminal, the flat layout in a pipe.

use super::{bin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("lscpu", run)];

fn size_text(kib: u64, instances: u32) -> String {
    let inst = if instances == 1 { "1 instance".to_owned() } else { format!("{instances} instances") };
    if kib >= 1024 {
        let mib = kib as f64 / 1024.0;
        if mib.fract() == 0.0 { format!("{} MiB ({inst})", mib as u64) } else { format!("{mib:.1} MiB ({inst})") }
    } else {
        format!("{kib} KiB ({inst})")
    }
}

/// (indent level, key, value) rows.
fn rows(ctx: &Ctx<'_>) -> Vec<(usize, String, String)> {
    let p = &ctx.st.sys.persona;
    let c = &p.cpu;
    let cores = c.cores();
    let amd = c.vendor == "AuthenticAMD";
    let list = if c.threads == 1 { "0".to_owned() } else { format!("0-{}", c.threads - 1) };
    let mut v: Vec<(usize, String, String)> = vec![
        (0, "Architecture".into(), "x86_64".into()),
        (1, "CPU op-mode(s)".into(), "32-bit, 64-bit".into()),
        (1, "Address sizes".into(), format!("{} bits physical, 48 bits virtual", if amd { 40 } else { 46 })),
        (1, "Byte Order".into(), "Little Endian".into()),
        (0, "CPU(s)".into(), c.threads.to_string()),
        (1, "On-line CPU(s) list".into(), list.clone()),
        (0, "Vendor ID".into(), c.vendor.clone()),
    ];
    if let Some(h) = &c.hypervisor {
        if h == "KVM" {
            v.push((1, "BIOS Vendor ID".into(), "QEMU".into()));
        }
    }
    v.extend([
        (1, "Model name".into(), c.model_name.clone()),
        (2, "CPU family".into(), c.family.to_string()),
        (2, "Model".into(), c.model.to_string()),
        (2, "Thread(s) per core".into(), c.threads_per_core.to_string()),
        (2, "Core(s) per socket".into(), cores.to_string()),
        (2, "Socket(s)".into(), "1".into()),
        (2, "Stepping".into(), c.stepping.to_string()),
        (2, "BogoMIPS".into(), format!("{:.2}", c.bogomips())),
        (2, "Flags".into(), c.flags.clone()),
    ]);
    if let Some(h) = &c.hypervisor {
        v.push((0, "Virtualization features".into(), String::new()));
        if amd {
            v.push((1, "Virtualization".into(), "AMD-V".into()));
        }
        v.push((1, "Hypervisor vendor".into(), h.clone()));
        v.push((1, "Virtualization type".into(), "full".into()));
    }
    v.push((0, "Caches (sum of all)".into(), String::new()));
    v.push((1, "L1d".into(), size_text(32 * u64::from(cores), cores)));
    v.push((1, "L1i".into(), size_text(32 * u64::from(cores), cores)));
    v.push((1, "L2".into(), size_text(if amd { 512 } else { 1024 } * u64::from(cores), cores)));
    v.push((1, "L3".into(), size_text(u64::from(c.cache_kb.max(1024)), 1)));
    v.push((0, "NUMA".into(), String::new()));
    v.push((1, "NUMA node(s)".into(), "1".into()));
    v.push((1, "NUMA node0 CPU(s)".into(), list));
    v.push((0, "Vulnerabilities".into(), String::new()));
    let vulns: &[(&str, &str)] = if amd {
        &[("Gather data sampling", "Not affected"), ("Itlb multihit", "Not affected"), ("L1tf", "Not affected"), ("Mds", "Not affected"), ("Meltdown", "Not affected"), ("Mmio stale data", "Not affected"), ("Retbleed", "Not affected"), ("Spec rstack overflow", "Mitigation; safe RET"), ("Spec store bypass", "Mitigation; Speculative Store Bypass disabled via prctl"), ("Spectre v1", "Mitigation; usercopy/swapgs barriers and __user pointer sanitization"), ("Spectre v2", "Mitigation; Retpolines; IBPB conditional; IBRS_FW; STIBP disabled; RSB filling; PBRSB-eIBRS Not affected; BHI Not affected"), ("Srbds", "Not affected"), ("Tsx async abort", "Not affected")]
    } else {
        &[("Gather data sampling", "Unknown: Dependent on hypervisor status"), ("Itlb multihit", "KVM: Mitigation: VMX unsupported"), ("L1tf", "Mitigation; PTE Inversion"), ("Mds", "Mitigation; Clear CPU buffers; SMT Host state unknown"), ("Meltdown", "Mitigation; PTI"), ("Mmio stale data", "Mitigation; Clear CPU buffers; SMT Host state unknown"), ("Retbleed", "Mitigation; IBRS"), ("Spec rstack overflow", "Not affected"), ("Spec store bypass", "Mitigation; Speculative Store Bypass disabled via prctl"), ("Spectre v1", "Mitigation; usercopy/swapgs barriers and __user pointer sanitization"), ("Spectre v2", "Mitigation; IBRS; IBPB conditional; STIBP disabled; RSB filling; PBRSB-eIBRS Not affected; BHI SW loop, KVM SW loop"), ("Srbds", "Not affected"), ("Tsx async abort", "Not affected")]
    };
    for (k, val) in vulns {
        v.push((1, (*k).into(), (*val).into()));
    }
    v
}

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if let Some(a) = args.get(1) {
        if a == "-V" || a == "--version" {
            ctx.out("lscpu from util-linux 2.38.1\n");
            return 0;
        }
        if a.starts_with('-') && !matches!(a.as_str(), "-e" | "-p" | "-J" | "-x" | "-y" | "-b" | "-a") {
            ctx.err(format!("lscpu: invalid option -- '{}'\nTry 'lscpu --help' for more information.\n", a.chars().nth(1).unwrap_or('-')));
            return 1;
        }
    }
    let rows = rows(ctx);
    let mut out = String::new();
    if ctx.st.tty_out {
        let width = rows.iter().map(|(i, k, _)| i * 2 + k.len() + 1).max().unwrap_or(20) + 1;
        let room = 80usize.saturating_sub(width).max(20);
        for (indent, k, v) in rows {
            let key = format!("{}{k}:", "  ".repeat(indent));
            let chars: Vec<char> = v.chars().collect();
            let mut chunks = chars.chunks(room);
            let first: String = chunks.next().map(|c| c.iter().collect()).unwrap_or_default();
            out.push_str(&format!("{key:<width$}{first}\n"));
            for c in chunks {
                out.push_str(&format!("{:width$}{}\n", "", c.iter().collect::<String>()));
            }
        }
    } else {
        let flat: Vec<(String, String)> = rows
            .into_iter()
            .filter(|(_, _, v)| !v.is_empty())
            .map(|(i, k, v)| {
                let key = match (i, k.as_str()) {
                    (1, "L1d" | "L1i" | "L2" | "L3") => format!("{k} cache"),
                    (1, _) if ["Gather", "Itlb", "L1tf", "Mds", "Meltdown", "Mmio", "Retbleed", "Spec", "Srbds", "Tsx"].iter().any(|p| k.starts_with(p)) => format!("Vulnerability {k}"),
                    _ => k,
                };
                (key, v)
            })
            .collect();
        let width = flat.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(20) + 1;
        for (k, v) in flat {
            out.push_str(&format!("{:<width$}{v}\n", format!("{k}:")));
        }
    }
    ctx.out(out);
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn lscpu_reads_the_persona() {
        let mut sh = shell("debian12");
        let (o, _) = run(&mut sh, "lscpu");
        assert!(o.starts_with("Architecture:"), "{o}");
        let (o, _) = run(&mut sh, "lscpu | grep 'Model name'");
        assert!(o.starts_with("Model name:"), "{o}");
    }
}
