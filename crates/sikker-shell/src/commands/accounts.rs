//! Accounts: `passwd`, `chpasswd`, `useradd`, `adduser`, `usermod`, `userdel`. Password changes
//! become [`Effect::PasswordChange`]; new accounts are written into /etc/passwd and /etc/shadow.

use super::{bin, sbin, Ctx, Spec};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[
    bin("passwd", passwd),
    sbin("chpasswd", chpasswd),
    sbin("useradd", useradd),
    sbin("adduser", adduser),
    sbin("usermod", usermod),
    sbin("userdel", userdel),
];

fn user_exists(ctx: &Ctx<'_>, name: &str) -> bool {
    ctx.read("/etc/passwd").map(|d| String::from_utf8_lossy(&d).lines().any(|l| l.split(':').next() == Some(name))).unwrap_or(false)
}

fn next_uid(ctx: &Ctx<'_>) -> u32 {
    let text = ctx.st.vfs.read("/etc/passwd", 0, 1 << 20, 0, 0).map(|d| String::from_utf8_lossy(&d).into_owned()).unwrap_or_default();
    text.lines().filter_map(|l| l.split(':').nth(2)?.parse::<u32>().ok()).filter(|u| (1000..60000).contains(u)).max().map(|u| u + 1).unwrap_or(1000)
}

fn add_account(ctx: &mut Ctx<'_>, name: &str, home: bool, shell: &str) -> Result<u32, String> {
    let uid = next_uid(ctx);
    let now = ctx.now();
    let days = now / 86_400;
    let line = format!("{name}:x:{uid}:{uid}::/home/{name}:{shell}\n");
    for (path, text) in [("/etc/passwd", line), ("/etc/shadow", format!("{name}:!:{days}:0:99999:7:::\n")), ("/etc/group", format!("{name}:x:{uid}:\n"))] {
        ctx.st.vfs.write(path, text.as_bytes(), true, 0, now).map_err(|e| e.message().to_owned())?;
    }
    if home {
        let node = crate::vfs::Node { kind: crate::vfs::Kind::Dir, mode: 0o755, uid, gid: uid, mtime: now, attrs: 0 };
        let _ = ctx.st.vfs.create(&format!("/home/{name}"), node);
    }
    Ok(uid)
}

fn passwd(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let user = args[1..].iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_else(|| ctx.st.user.clone());
    if user != ctx.st.user && ctx.uid() != 0 {
        ctx.err(format!("passwd: You may not view or modify password information for {user}.\n"));
        return 1;
    }
    if !user_exists(ctx, &user) && user != ctx.st.user {
        ctx.err(format!("passwd: user '{user}' does not exist\n"));
        return 1;
    }
    // `--stdin` (EL) or piped input: take the first line as the new password.
    let input = String::from_utf8_lossy(&ctx.io.stdin).into_owned();
    let password = input.lines().next().map(str::to_owned).filter(|p| !p.is_empty());
    if args.iter().any(|a| a == "--stdin") {
        ctx.effect(Effect::PasswordChange { user: user.clone(), password });
        ctx.out(format!("Changing password for user {user}.\npasswd: all authentication tokens updated successfully.\n"));
        return 0;
    }
    ctx.effect(Effect::PasswordChange { user, password });
    ctx.err("New password: \nRetype new password: \npasswd: password updated successfully\n");
    0
}

fn chpasswd(ctx: &mut Ctx<'_>, _args: &[String]) -> i32 {
    if ctx.uid() != 0 {
        ctx.err("chpasswd: Permission denied.\nchpasswd: cannot lock /etc/passwd; try again later.\n");
        return 1;
    }
    let input = String::from_utf8_lossy(&ctx.io.stdin).into_owned();
    let mut status = 0;
    for (i, line) in input.lines().enumerate().take(64) {
        match line.split_once(':') {
            Some((u, p)) if user_exists(ctx, u) => ctx.effect(Effect::PasswordChange { user: u.to_owned(), password: Some(p.to_owned()) }),
            Some((u, _)) => {
                ctx.err(format!("chpasswd: (user {u}) pam_chauthtok() failed, error:\nAuthentication token manipulation error\nchpasswd: (line {}, user {u}) password not changed\n", i + 1));
                status = 1;
            }
            None => {
                ctx.err(format!("chpasswd: line {}: missing new password\n", i + 1));
                status = 1;
            }
        }
    }
    status
}

fn useradd(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.uid() != 0 {
        ctx.err("useradd: Permission denied.\nuseradd: cannot lock /etc/passwd; try again later.\n");
        return 1;
    }
    let mut name = None;
    let mut home = false;
    let mut shell = "/bin/sh".to_owned();
    let mut password = None;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-m" | "--create-home" => home = true,
            "-s" | "--shell" => {
                shell = args.get(i + 1).cloned().unwrap_or(shell);
                i += 1;
            }
            "-p" | "--password" => {
                password = args.get(i + 1).cloned();
                i += 1;
            }
            "-g" | "-G" | "-d" | "-c" | "-u" | "-e" | "-k" => i += 1,
            a if a.starts_with('-') => {}
            a => name = Some(a.to_owned()),
        }
        i += 1;
    }
    let Some(name) = name else {
        ctx.err(USERADD_USAGE);
        return 2;
    };
    if user_exists(ctx, &name) {
        ctx.err(format!("useradd: user '{name}' already exists\n"));
        return 9;
    }
    if let Err(e) = add_account(ctx, &name, home, &shell) {
        ctx.err(format!("useradd: {e}\n"));
        return 1;
    }
    if password.is_some() {
        ctx.effect(Effect::PasswordChange { user: name, password });
    }
    0
}

fn adduser(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.uid() != 0 {
        ctx.err("adduser: Only root may add a user or group to the system.\n");
        return 1;
    }
    let ops: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let Some(name) = ops.first().map(|s| s.to_string()) else {
        ctx.err("adduser: Only one or two names allowed.\n");
        return 1;
    };
    if ops.len() == 2 {
        return 0;
    }
    if user_exists(ctx, &name) {
        ctx.err(format!("fatal: The user `{name}' already exists.\n"));
        return 1;
    }
    let uid = match add_account(ctx, &name, true, "/bin/bash") {
        Ok(u) => u,
        Err(e) => {
            ctx.err(format!("fatal: {e}\n"));
            return 1;
        }
    };
    ctx.out(format!("Adding user `{name}' ...\nAdding new group `{name}' ({uid}) ...\nAdding new user `{name}' ({uid}) with group `{name} ({uid})' ...\nCreating home directory `/home/{name}' ...\nCopying files from `/etc/skel' ...\n"));
    let input = String::from_utf8_lossy(&ctx.io.stdin).into_owned();
    let password = input.lines().next().map(str::to_owned).filter(|p| !p.is_empty());
    ctx.effect(Effect::PasswordChange { user: name.clone(), password });
    ctx.out(format!("New password: \nRetype new password: \npasswd: password updated successfully\nChanging the user information for {name}\nEnter the new value, or press ENTER for the default\n\tFull Name []: \tRoom Number []: \tWork Phone []: \tHome Phone []: \tOther []: \nIs the information correct? [Y/n] \nAdding new user `{name}' to supplemental / extra groups `users' ...\nAdding user `{name}' to group `users' ...\n"));
    0
}

fn usermod(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if ctx.uid() != 0 {
        ctx.err("usermod: Permission denied.\nusermod: cannot lock /etc/passwd; try again later.\n");
        return 1;
    }
    let name = args.last().cloned().unwrap_or_default();
    if args.len() < 2 || name.starts_with('-') {
        ctx.err("Usage: usermod [options] LOGIN\n");
        return 2;
    }
    if !user_exists(ctx, &name) {
        ctx.err(format!("usermod: user '{name}' does not exist\n"));
        return 6;
    }
    if let Some(i) = args.iter().position(|a| a == "-p" || a == "--password") {
        ctx.effect(Effect::PasswordChange { user: name, password: args.get(i + 1).cloned() });
    }
    0
}

fn userdel(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let Some(name) = args[1..].iter().find(|a| !a.starts_with('-')).cloned() else {
        ctx.err("Usage: userdel [options] LOGIN\n");
        return 2;
    };
    if ctx.uid() != 0 {
        ctx.err("userdel: Permission denied.\nuserdel: cannot lock /etc/passwd; try again later.\n");
        return 1;
    }
    if !user_exists(ctx, &name) {
        ctx.err(format!("userdel: user '{name}' does not exist\n"));
        return 6;
    }
    for path in ["/etc/passwd", "/etc/shadow", "/etc/group"] {
        if let Ok(d) = ctx.read(path) {
            let kept: String = String::from_utf8_lossy(&d).lines().filter(|l| l.split(':').next() != Some(name.as_str())).map(|l| format!("{l}\n")).collect();
            let now = ctx.now();
            let _ = ctx.st.vfs.write(path, kept.as_bytes(), false, 0, now);
        }
    }
    0
}

/// `useradd` without a login: the full usage (shadow 4.13 on Debian 12), on stderr.
const USERADD_USAGE: &str = r#"Usage: useradd [options] LOGIN
       useradd -D
       useradd -D [options]

Options:
      --badname                 do not check for bad names
  -b, --base-dir BASE_DIR       base directory for the home directory of the
                                new account
      --btrfs-subvolume-home    use BTRFS subvolume for home directory
  -c, --comment COMMENT         GECOS field of the new account
  -d, --home-dir HOME_DIR       home directory of the new account
  -D, --defaults                print or change default useradd configuration
  -e, --expiredate EXPIRE_DATE  expiration date of the new account
  -f, --inactive INACTIVE       password inactivity period of the new account
  -F, --add-subids-for-system   add entries to sub[ud]id even when adding a system user
  -g, --gid GROUP               name or ID of the primary group of the new
                                account
  -G, --groups GROUPS           list of supplementary groups of the new
                                account
  -h, --help                    display this help message and exit
  -k, --skel SKEL_DIR           use this alternative skeleton directory
  -K, --key KEY=VALUE           override /etc/login.defs defaults
  -l, --no-log-init             do not add the user to the lastlog and
                                faillog databases
  -m, --create-home             create the user's home directory
  -M, --no-create-home          do not create the user's home directory
  -N, --no-user-group           do not create a group with the same name as
                                the user
  -o, --non-unique              allow to create users with duplicate
                                (non-unique) UID
  -p, --password PASSWORD       encrypted password of the new account
  -r, --system                  create a system account
  -R, --root CHROOT_DIR         directory to chroot into
  -P, --prefix PREFIX_DIR       prefix directory where are located the /etc/* files
  -s, --shell SHELL             login shell of the new account
  -u, --uid UID                 user ID of the new account
  -U, --user-group              create a group with the same name as the user
  -Z, --selinux-user SEUSER     use a specific SEUSER for the SELinux user mapping

"#;

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};
    use crate::Effect;

    #[test]
    fn accounts_and_passwords() {
        let mut sh = shell("debian12");
        let o = sh.execute("echo 'root:Passw0rd!' | chpasswd");
        assert_eq!(o.effects.first(), Some(&Effect::PasswordChange { user: "root".into(), password: Some("Passw0rd!".into()) }));
        assert_eq!(run(&mut sh, "useradd -m -p x sysd && grep ^sysd: /etc/passwd | cut -d: -f1,6").0, "sysd:/home/sysd\n");
        assert_eq!(run(&mut sh, "useradd sysd").0, "useradd: user 'sysd' already exists\n");
        assert_eq!(run(&mut sh, "ls -d /home/sysd").0, "/home/sysd\n");
    }
}
