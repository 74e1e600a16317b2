//! Firewall: `iptables` (nf_tables backend) and `ufw`. Rules are accepted and forgotten.

use super::{sbin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[sbin("iptables", iptables), sbin("ip6tables", iptables), sbin("ufw", ufw)];

fn iptables(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.iter().any(|a| a == "--version" || a == "-V") {
        ctx.out(format!("{} v1.8.9 (nf_tables)\n", crate::vfs::base_name(&args[0])));
        return 0;
    }
    if ctx.uid() != 0 {
        ctx.err("iptables v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n\n");
        return 4;
    }
    if args.iter().any(|a| a == "-L" || a == "--list" || a.starts_with("-L")) {
        ctx.out("Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination         \n\nChain FORWARD (policy ACCEPT)\ntarget     prot opt source               destination         \n\nChain OUTPUT (policy ACCEPT)\ntarget     prot opt source               destination         \n");
        return 0;
    }
    if args.iter().any(|a| a == "-S") {
        ctx.out("-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
        return 0;
    }
    if args.len() == 1 {
        ctx.err("iptables v1.8.9 (nf_tables): no command specified\nTry `iptables -h' or 'iptables --help' for more information.\n");
        return 2;
    }
    0
}

fn ufw(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if args.get(1).map(String::as_str) == Some("--version") {
        ctx.out("ufw 0.36.2\nCopyright 2008-2023 Canonical Ltd.\n");
        return 0;
    }
    if ctx.uid() != 0 {
        ctx.err("ERROR: You need to be root to run this script\n");
        return 1;
    }
    match args.get(1).map(String::as_str) {
        Some("status") => ctx.out("Status: inactive\n"),
        Some("disable") => ctx.out("Firewall stopped and disabled on system startup\n"),
        Some("enable") => ctx.out("Firewall is active and enabled on system startup\n"),
        Some("allow") | Some("deny") => ctx.out("Rules updated\nRules updated (v6)\n"),
        _ => {
            ctx.err("ERROR: Invalid syntax\n");
            return 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn iptables_lists_empty_chains() {
        let mut sh = shell("debian12");
        assert!(run(&mut sh, "iptables -L -n").0.starts_with("Chain INPUT (policy ACCEPT)\n"));
        assert_eq!(run(&mut sh, "iptables -F").1, 0);
    }
}
