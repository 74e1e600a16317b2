//! Script interpreters: `python3`, `python`, `perl`. Nothing is executed: versions and
//! banners are answered, scripts and `-c`/`-e` code are accepted silently (the line itself is
//! already recorded by the sensor).

use super::{Ctx, Place, Spec};
use crate::persona::Family;

pub(crate) static SPECS: &[Spec] = &[
    Spec { name: "python3", place: Place::Bin, builtin: false, present: |p| p.os.family != Family::Alpine && p.os.id != "centos", run: python },
    Spec { name: "python", place: Place::Bin, builtin: false, present: |p| p.os.id == "centos", run: python },
    Spec { name: "perl", place: Place::Bin, builtin: false, present: |p| p.os.family != Family::Alpine, run: perl },
];

fn python_version(ctx: &Ctx<'_>, argv0: &str) -> (&'static str, &'static str) {
    let p = &ctx.st.sys.persona;
    if argv0 == "python" && p.os.id == "centos" {
        return ("2.7.5", "GCC 4.8.5 20150623 (Red Hat 4.8.5-44)");
    }
    match (p.os.id.as_str(), p.os.version_id.as_str()) {
        ("debian", "12") => ("3.11.2", "GCC 12.2.0"),
        ("debian", _) => ("3.9.2", "GCC 10.2.1 20210110"),
        ("ubuntu", "24.04") => ("3.12.3", "GCC 13.2.0"),
        ("ubuntu", "22.04") => ("3.10.12", "GCC 11.4.0"),
        ("ubuntu", _) => ("3.8.10", "GCC 9.4.0"),
        _ => ("3.9.18", "GCC 11.4.1 20231218 (Red Hat 11.4.1-3)"),
    }
}

fn python(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let argv0 = crate::vfs::base_name(&args[0]).to_owned();
    let (v, cc) = python_version(ctx, &argv0);
    let py2 = v.starts_with('2');
    match args.get(1).map(String::as_str) {
        Some("-V") | Some("--version") => {
            // Python 2 printed its version on stderr.
            if py2 {
                ctx.err(format!("Python {v}\n"));
            } else {
                ctx.out(format!("Python {v}\n"));
            }
            0
        }
        Some("-c") | Some("-m") => 0,
        Some(file) if !file.starts_with('-') => {
            if ctx.read(file).is_err() {
                let abs = ctx.abs(file);
                if py2 {
                    ctx.err(format!("{argv0}: can't open file '{file}': [Errno 2] No such file or directory\n"));
                } else {
                    ctx.err(format!("{argv0}: can't open file '{abs}': [Errno 2] No such file or directory\n"));
                }
                return 2;
            }
            0
        }
        _ => {
            if !ctx.io.stdin.is_empty() {
                return 0;
            }
            // The interactive banner, then end of input as if the terminal closed.
            ctx.out(format!("Python {v} (main, Mar 13 2023, 12:18:29) [{cc}] on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n>>> \n"));
            0
        }
    }
}

fn perl(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let v = match ctx.st.sys.persona.os.version_id.as_str() {
        "12" => (36, 0),
        "11" => (32, 1),
        "22.04" => (34, 0),
        "24.04" => (38, 2),
        "20.04" => (30, 0),
        "7" => (16, 3),
        _ => (32, 1),
    };
    match args.get(1).map(String::as_str) {
        Some("-v") => {
            ctx.out(format!("\nThis is perl 5, version {}, subversion {} (v5.{}.{}) built for x86_64-linux-gnu-thread-multi\n\nCopyright 1987-2022, Larry Wall\n\nPerl may be copied only under the terms of either the Artistic License or the\nGNU General Public License, which may be found in the Perl 5 source kit.\n\nComplete documentation for Perl, including FAQ lists, should be found on\nthis system using \"man perl\" or \"perldoc perl\".  If you have access to the\nInternet, point your browser at https://www.perl.org/, the Perl Home Page.\n\n", v.0, v.1, v.0, v.1));
            0
        }
        Some("-e") | Some("-E") => 0,
        Some(file) if !file.starts_with('-') => {
            if ctx.read(file).is_err() {
                ctx.err(format!("Can't open perl script \"{file}\": No such file or directory\n"));
                return 2;
            }
            0
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn interpreters_answer_without_running() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "python3 -V").0, "Python 3.11.2\n");
        assert_eq!(run(&mut sh, "python3 -c 'import os; os.system(\"id\")'").0, "");
        assert_eq!(run(&mut sh, "python3 /tmp/x.py").1, 2);
        assert_eq!(run(&mut sh, "python -V").0, "-bash: python: command not found\n");
        assert!(run(&mut sh, "perl -v").0.contains("v5.36.0"));
    }
}
