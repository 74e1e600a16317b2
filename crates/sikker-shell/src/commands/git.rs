//! `git`: version, and clones that fail to resolve (recorded as download attempts).

use super::{Ctx, Place, Spec};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[Spec { name: "git", place: Place::Bin, builtin: false, present: |p| !p.is_busybox(), run }];

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let version = match ctx.st.sys.persona.os.version_id.as_str() {
        "12" => "2.39.5",
        "11" => "2.30.2",
        "22.04" => "2.34.1",
        "20.04" => "2.25.1",
        "24.04" => "2.43.0",
        "7" => "1.8.3.1",
        _ => "2.43.5",
    };
    match args.get(1).map(String::as_str) {
        Some("--version") | Some("version") => {
            ctx.out(format!("git version {version}\n"));
            0
        }
        Some("clone") => {
            let ops: Vec<&String> = args[2..].iter().filter(|a| !a.starts_with('-')).collect();
            let Some(url) = ops.first().map(|s| s.to_string()) else {
                ctx.err("fatal: You must specify a repository to clone.\n\nusage: git clone [<options>] [--] <repo> [<dir>]\n");
                return 129;
            };
            let dir = ops.get(1).map(|s| s.to_string()).unwrap_or_else(|| crate::vfs::base_name(url.trim_end_matches('/')).trim_end_matches(".git").to_owned());
            let host = url.split("://").nth(1).or_else(|| url.split('@').nth(1)).unwrap_or(&url).split(['/', ':']).next().unwrap_or("").to_owned();
            ctx.effect(Effect::Download { url: url.clone(), tool: "git".into(), saved_path: None, size: 0 });
            ctx.err(format!("Cloning into '{dir}'...\nfatal: unable to access '{url}/': Could not resolve host: {host}\n"));
            128
        }
        Some("status") | Some("log") | Some("pull") | Some("diff") => {
            ctx.err("fatal: not a git repository (or any of the parent directories): .git\n");
            128
        }
        Some("init") => {
            let cwd = ctx.st.cwd.clone();
            ctx.out(format!("Initialized empty Git repository in {}/.git/\n", cwd.trim_end_matches('/')));
            0
        }
        Some(other) if !other.starts_with('-') => {
            ctx.err(format!("git: '{other}' is not a git command. See 'git --help'.\n"));
            1
        }
        _ => {
            ctx.out("usage: git [--version] [--help] [-C <path>] [-c <name>=<value>]\n           [--exec-path[=<path>]] [--html-path] [--man-path] [--info-path]\n           [-p | --paginate | -P | --no-pager] [--no-replace-objects] [--bare]\n           [--git-dir=<path>] [--work-tree=<path>] [--namespace=<name>]\n           <command> [<args>]\n");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn git_clone_records() {
        let mut sh = shell("debian12");
        let o = sh.execute("git clone https://github.com/x/miner");
        assert_eq!(o.exit_code, 128);
        assert_eq!(o.effects.len(), 1);
        assert_eq!(run(&mut sh, "git --version").0, "git version 2.39.5\n");
    }
}
