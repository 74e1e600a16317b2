//! Privilege: `sudo` and `su`. Root runs the command; other users are asked for a password
//! (the sensor cannot supply one mid-line, so the attempt fails like three empty tries).

use super::{bin, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("sudo", sudo), bin("su", su)];

fn sudo(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let mut i = 1;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-V" | "--version" => {
                ctx.out("Sudo version 1.9.13p3\nSudoers policy plugin version 1.9.13p3\nSudoers file grammar version 50\nSudoers I/O plugin version 1.9.13p3\nSudoers audit plugin version 1.9.13p3\n");
                return 0;
            }
            "-l" => {
                let u = ctx.st.user.clone();
                let host = ctx.st.sys.persona.hostname.clone();
                ctx.out(format!("Matching Defaults entries for {u} on {host}:\n    env_reset, mail_badpass, secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin, use_pty\n\nUser {u} may run the following commands on {host}:\n    (ALL : ALL) ALL\n"));
                return 0;
            }
            "-u" | "-g" | "-C" | "-p" => i += 1,
            "-i" | "-s" if i + 1 >= args.len() => return 0,
            _ => {}
        }
        i += 1;
    }
    if i >= args.len() {
        ctx.err("usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABknS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo -l [-ABknS] [-g group] [-h host] [-p prompt] [-U user] [-u user] [command [arg ...]]\nusage: sudo [-ABbEHknPS] [-r role] [-t type] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]\nusage: sudo -e [-ABknS] [-r role] [-t type] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] file ...\n");
        return 1;
    }
    if ctx.uid() != 0 {
        let u = ctx.st.user.clone();
        ctx.err(format!("[sudo] password for {u}: \nsudo: a password is required\n"));
        return 1;
    }
    ctx.run_argv(args[i..].to_vec())
}

fn su(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if let Some(i) = args.iter().position(|a| a == "-c") {
        if ctx.uid() == 0 {
            let cmd = args.get(i + 1).cloned().unwrap_or_default();
            return ctx.run_script(&cmd, Vec::new());
        }
    }
    if ctx.uid() == 0 {
        return 0;
    }
    ctx.err("Password: \nsu: Authentication failure\n");
    1
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn sudo_as_root_runs() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "sudo id -u").0, "0\n");
        assert_eq!(run(&mut sh, "su -c 'echo hi'").0, "hi\n");
    }
}
