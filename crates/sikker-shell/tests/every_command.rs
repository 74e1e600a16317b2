//! Every emulated command, on every distribution family, with no arguments, `--help`-like and
//! bogus options and a missing operand: it must answer (or fail) without panicking and within
//! the output bound. Catches the commands no other test reaches.

use sikker_shell::{Limits, Persona, Shell, System};

#[test]
fn every_command_answers_on_every_family() {
    let families = ["debian", "ubuntu", "centos", "rocky", "alpine"];
    let names = System::command_names();
    assert!(names.len() >= 105, "only {} commands", names.len());
    for fam in families {
        let p = (0..20_000u64)
            .map(Persona::generate)
            .find(|p| p.os.id == fam)
            .expect("persona of each family");
        let sys = System::new(p);
        for user in ["root", "guest"] {
            let mut sh = Shell::new(&sys, user);
            for name in &names {
                for args in [
                    "",
                    " --version",
                    " -z",
                    " /nonexistent/path",
                    " -- -",
                    " a b c d e f",
                ] {
                    let line = format!("{name}{args} < /dev/null");
                    let o = sh.execute(&line);
                    assert!(
                        o.output.len() <= Limits::default().max_output,
                        "{fam}: {line}"
                    );
                    if o.close_session {
                        sh = Shell::new(&sys, user);
                    }
                }
            }
        }
    }
}
