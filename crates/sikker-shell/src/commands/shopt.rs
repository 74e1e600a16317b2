//! `shopt`: bash's optional behaviours, with state. `nullglob` and `dotglob` change globbing
//! (see `interp::glob`); the others are remembered and shown as bash 5.2 shows them.

use super::{builtin, Ctx, Spec};
use crate::interp::Dialect;

pub(crate) static SPECS: &[Spec] = &[builtin("shopt", shopt)];

/// bash 5.2.15's options in the order `shopt` lists them, with their state in `bash -c`.
pub(crate) const OPTIONS: &[(&str, bool)] = &[
    ("autocd", false),
    ("assoc_expand_once", false),
    ("cdable_vars", false),
    ("cdspell", false),
    ("checkhash", false),
    ("checkjobs", false),
    ("checkwinsize", true),
    ("cmdhist", true),
    ("compat31", false),
    ("compat32", false),
    ("compat40", false),
    ("compat41", false),
    ("compat42", false),
    ("compat43", false),
    ("compat44", false),
    ("complete_fullquote", true),
    ("direxpand", false),
    ("dirspell", false),
    ("dotglob", false),
    ("execfail", false),
    ("expand_aliases", false),
    ("extdebug", false),
    ("extglob", false),
    ("extquote", true),
    ("failglob", false),
    ("force_fignore", true),
    ("globasciiranges", true),
    ("globskipdots", true),
    ("globstar", false),
    ("gnu_errfmt", false),
    ("histappend", false),
    ("histreedit", false),
    ("histverify", false),
    ("hostcomplete", true),
    ("huponexit", false),
    ("inherit_errexit", false),
    ("interactive_comments", true),
    ("lastpipe", false),
    ("lithist", false),
    ("localvar_inherit", false),
    ("localvar_unset", false),
    ("login_shell", false),
    ("mailwarn", false),
    ("no_empty_cmd_completion", false),
    ("nocaseglob", false),
    ("nocasematch", false),
    ("noexpand_translation", false),
    ("nullglob", false),
    ("patsub_replacement", true),
    ("progcomp", true),
    ("progcomp_alias", false),
    ("promptvars", true),
    ("restricted_shell", false),
    ("shift_verbose", false),
    ("sourcepath", true),
    ("varredir_close", false),
    ("xpg_echo", false),
];

/// The bit of option `name` in `State::shopt`.
pub(crate) fn bit(name: &str) -> Option<u64> {
    OPTIONS
        .iter()
        .position(|(n, _)| *n == name)
        .map(|i| 1u64 << i)
}

/// The options a new shell starts with: an interactive login shell (an SSH login) also has
/// `expand_aliases` and `login_shell` on.
pub(crate) fn defaults(interactive_login: bool) -> u64 {
    let mut bits = 0;
    for (i, (name, on)) in OPTIONS.iter().enumerate() {
        let on = *on || (interactive_login && matches!(*name, "expand_aliases" | "login_shell"));
        if on {
            bits |= 1u64 << i;
        }
    }
    bits
}

/// `$BASHOPTS`: the options that are on, sorted, joined by `:`.
pub(crate) fn bashopts(bits: u64) -> String {
    let mut on: Vec<&str> = OPTIONS
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1u64 << i) != 0)
        .map(|(_, (n, _))| *n)
        .collect();
    on.sort_unstable();
    on.join(":")
}

fn line(name: &str, on: bool, print: bool) -> String {
    let state = if on { "on" } else { "off" };
    if print {
        let flag = if on { 's' } else { 'u' };
        format!("shopt -{flag} {name}\n")
    } else {
        format!("{name:<15}\t{state}\n")
    }
}

fn shopt(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.st.dialect != Dialect::Bash {
        // dash and ash have no `shopt`.
        let p = ctx.st.err_prefix();
        ctx.err(format!("{p}shopt: not found\n"));
        return 127;
    }
    let (mut set, mut unset, mut print, mut quiet) = (false, false, false, false);
    let mut names: Vec<&str> = Vec::new();
    let mut options_done = false;
    for a in &args[1..] {
        if !options_done && a == "--" {
            options_done = true;
        } else if !options_done && a.len() > 1 && a.starts_with('-') {
            for c in a[1..].chars() {
                match c {
                    's' => set = true,
                    'u' => unset = true,
                    'p' => print = true,
                    'q' => quiet = true,
                    // `-o` names `set -o` options; those are accepted and not modelled.
                    'o' => return 0,
                    _ => {
                        let p = ctx.st.err_prefix();
                        ctx.err(format!(
                            "{p}shopt: -{c}: invalid option\nshopt: usage: shopt [-pqsu] [-o] [optname ...]\n"
                        ));
                        return 2;
                    }
                }
            }
        } else {
            options_done = true;
            names.push(a);
        }
    }
    if set && unset {
        let p = ctx.st.err_prefix();
        ctx.err(format!(
            "{p}shopt: cannot set and unset shell options simultaneously\n"
        ));
        return 1;
    }
    let mut status = 0;
    if names.is_empty() {
        // No names: list all options (only those on with -s, off with -u).
        let mut text = String::new();
        for (i, (name, _)) in OPTIONS.iter().enumerate() {
            let on = ctx.st.shopt & (1u64 << i) != 0;
            if (set && !on) || (unset && on) {
                continue;
            }
            text.push_str(&line(name, on, print));
        }
        if !quiet {
            ctx.out(text);
        }
        return 0;
    }
    for name in names {
        let Some(b) = bit(name) else {
            let p = ctx.st.err_prefix();
            ctx.err(format!("{p}shopt: {name}: invalid shell option name\n"));
            status = 1;
            continue;
        };
        if set {
            ctx.st.shopt |= b;
        } else if unset {
            ctx.st.shopt &= !b;
        } else {
            let on = ctx.st.shopt & b != 0;
            if !on {
                status = 1;
            }
            if !quiet {
                ctx.out(line(name, on, print));
            }
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn options_have_state_and_change_globbing() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "shopt nullglob"), ("nullglob       \toff\n".into(), 1));
        assert_eq!(run(&mut sh, "echo /nonexistent*").0, "/nonexistent*\n");
        assert_eq!(run(&mut sh, "shopt -s nullglob; shopt -p nullglob"), ("shopt -s nullglob\n".into(), 0));
        assert_eq!(run(&mut sh, "echo x /nonexistent*").0, "x\n");
        assert_eq!(run(&mut sh, "shopt -s bogus").1, 1);
        assert_eq!(run(&mut sh, "shopt expand_aliases login_shell").0, "expand_aliases \ton\nlogin_shell    \ton\n");
        assert_eq!(run(&mut sh, "shopt -u nullglob; cd /tmp; touch .h; echo *h; shopt -s dotglob; echo *h").0, "*h\n.h\n");
        assert_eq!(run(&mut sh, "(shopt -u dotglob); shopt -q dotglob; echo $?").0, "0\n");
    }
}
