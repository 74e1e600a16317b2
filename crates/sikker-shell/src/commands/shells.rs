//! Shells: `sh`, `bash`, `ash`, `dash` with `-c`, script files and piped scripts (`curl … | sh`).
//! They interpret in the emulator; nothing runs on the host.

use super::{bin, Ctx, Spec};
use crate::interp::Dialect;
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[
    Spec { name: "sh", place: super::Place::Bin, builtin: false, present: super::always, run: sh },
    bin("bash", sh),
    Spec { name: "ash", place: super::Place::Bin, builtin: false, present: |p| p.is_busybox(), run: sh },
    Spec { name: "dash", place: super::Place::Bin, builtin: false, present: super::debian_like, run: sh },
];

fn dialect_for(ctx: &Ctx<'_>, name: &str) -> Dialect {
    let family = ctx.st.sys.persona.os.family;
    match (name, family) {
        (_, Family::Alpine) | ("ash", _) => Dialect::Ash,
        ("bash", _) => Dialect::Bash,
        ("sh" | "dash", Family::Debian | Family::Ubuntu) => Dialect::Dash,
        _ => Dialect::Bash,
    }
}

fn sh(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let name = crate::vfs::base_name(&args[0]).to_owned();
    let dialect = dialect_for(ctx, &name);
    let mut i = 1;
    let mut command = None;
    while i < args.len() {
        let a = &args[i];
        if a == "--version" && dialect == Dialect::Bash {
            let v = crate::interp::bash_version(ctx.st);
            ctx.out(format!("GNU bash, version {v} (x86_64-pc-linux-gnu)\nCopyright (C) 2022 Free Software Foundation, Inc.\nLicense GPLv3+: GNU GPL version 3 or later <http://gnu.org/licenses/gpl.html>\n\nThis is free software; you are free to change and redistribute it.\nThere is NO WARRANTY, to the extent permitted by law.\n"));
            return 0;
        }
        if a == "-c" {
            command = args.get(i + 1).cloned();
            if command.is_none() {
                ctx.err(format!("{name}: -c: option requires an argument\n"));
                return 2;
            }
            i += 2;
            break;
        }
        if a.starts_with('-') || a.starts_with('+') {
            if a.contains('c') && !a.starts_with("--") {
                command = args.get(i + 1).cloned();
                i += 2;
                break;
            }
            i += 1;
            continue;
        }
        break;
    }
    let saved = ctx.st.dialect;
    ctx.st.dialect = dialect;
    let status = match command {
        Some(src) => {
            let mut positional: Vec<String> = args[i.min(args.len())..].to_vec();
            if positional.is_empty() {
                positional.push(name.clone());
            }
            ctx.run_script(&src, positional)
        }
        None => match args.get(i) {
            Some(file) => match ctx.read(file) {
                Ok(data) => {
                    let text = String::from_utf8_lossy(&data).into_owned();
                    ctx.run_script(&text, args[i..].to_vec())
                }
                Err(e) => {
                    let msg = match dialect {
                        Dialect::Dash => format!("{name}: 0: cannot open {file}: {}\n", if e == crate::vfs::FsError::NotFound { "No such file" } else { e.message() }),
                        Dialect::Ash => format!("{name}: can't open '{file}': {}\n", e.message()),
                        Dialect::Bash => format!("{name}: {file}: {}\n", e.message()),
                    };
                    ctx.err(msg);
                    if dialect == Dialect::Bash { 127 } else { 2 }
                }
            },
            None => {
                // A script on stdin (`curl … | sh`); an interactive subshell reads nothing here.
                let text = String::from_utf8_lossy(&ctx.io.stdin).into_owned();
                ctx.io.stdin.clear();
                ctx.run_script(&text, vec![name.clone()])
            }
        },
    };
    ctx.st.dialect = saved;
    status
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn nested_shells_speak_their_dialect() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "sh -c 'nosuch'").0, "sh: 1: nosuch: not found\n");
        assert_eq!(run(&mut sh, "bash -c 'nosuch; echo $0 $1' x y").0, "bash: line 1: nosuch: command not found\nx y\n");
        assert_eq!(run(&mut sh, "echo 'echo from $0' > /tmp/s.sh; sh /tmp/s.sh").0, "from /tmp/s.sh\n");
        assert_eq!(run(&mut sh, "echo 'echo piped' | sh").0, "piped\n");
        assert_eq!(run(&mut sh, "system; shell").0, "-bash: system: command not found\n-bash: shell: command not found\n");
    }
}
