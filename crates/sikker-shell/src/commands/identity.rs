//! Who am I: `id`, `whoami`, `groups`.

use super::{bin, getopt, lookup_user, Ctx, Spec};

pub(crate) static SPECS: &[Spec] = &[bin("id", id), bin("whoami", whoami), bin("groups", groups)];

/// (gid, name) of every group the user is in, primary first.
fn membership(ctx: &Ctx<'_>, name: &str, uid: u32, gid: u32) -> Vec<(u32, String)> {
    let primary = if uid == 0 { "root".to_owned() } else { name.to_owned() };
    let mut v = vec![(gid, primary)];
    if uid >= 1000 && ctx.st.sys.persona.user(name).is_some() {
        let sudo = if ctx.st.sys.persona.is_busybox() || super::rhel_like(&ctx.st.sys.persona) { (10, "wheel") } else { (27, "sudo") };
        v.push((sudo.0, sudo.1.to_owned()));
    }
    v
}

fn id(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let o = match getopt(args, "ugGnrza", "", &["user", "group", "groups", "name", "real", "help", "version"]) {
        Ok(o) => o,
        Err(e) => return ctx.bad_option("id", &e, 1),
    };
    let (name, uid, gid) = match o.args.first() {
        Some(u) => match lookup_user(&ctx.st.sys.persona, u) {
            Some(x) => x,
            None if *u == ctx.st.user => (ctx.st.user.clone(), ctx.st.uid, ctx.st.gid),
            None => {
                ctx.err(format!("id: '{u}': no such user\n"));
                return 1;
            }
        },
        None => (ctx.st.user.clone(), ctx.st.uid, ctx.st.gid),
    };
    let groups = membership(ctx, &name, uid, gid);
    let names = o.has('n') || o.long("name");
    if o.has('u') || o.long("user") {
        ctx.out(if names { format!("{name}\n") } else { format!("{uid}\n") });
    } else if o.has('g') || o.long("group") {
        ctx.out(if names { format!("{}\n", groups[0].1) } else { format!("{gid}\n") });
    } else if o.has('G') || o.long("groups") {
        let v: Vec<String> = groups.iter().map(|(g, n)| if names { n.clone() } else { g.to_string() }).collect();
        ctx.out(format!("{}\n", v.join(" ")));
    } else {
        let list: Vec<String> = groups.iter().map(|(g, n)| format!("{g}({n})")).collect();
        ctx.out(format!("uid={uid}({name}) gid={gid}({}) groups={}\n", groups[0].1, list.join(",")));
    }
    0
}

fn whoami(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    if let Some(extra) = args.get(1) {
        if extra == "--version" {
            ctx.out("whoami (GNU coreutils) 9.1\n");
            return 0;
        }
        ctx.err(format!("whoami: extra operand '{extra}'\nTry 'whoami --help' for more information.\n"));
        return 1;
    }
    let u = ctx.st.user.clone();
    ctx.out(format!("{u}\n"));
    0
}

fn groups(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let (name, uid, gid) = match args.get(1) {
        Some(u) => match lookup_user(&ctx.st.sys.persona, u) {
            Some(x) => x,
            None => {
                ctx.err(format!("groups: '{u}': no such user\n"));
                return 1;
            }
        },
        None => (ctx.st.user.clone(), ctx.st.uid, ctx.st.gid),
    };
    let g: Vec<String> = membership(ctx, &name, uid, gid).into_iter().map(|(_, n)| n).collect();
    if args.len() > 1 {
        ctx.out(format!("{name} : {}\n", g.join(" ")));
    } else {
        ctx.out(format!("{}\n", g.join(" ")));
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::{run, shell};

    #[test]
    fn id_for_root() {
        let mut sh = shell("debian12");
        assert_eq!(run(&mut sh, "id").0, "uid=0(root) gid=0(root) groups=0(root)\n");
        assert_eq!(run(&mut sh, "id -u; whoami").0, "0\nroot\n");
        assert_eq!(run(&mut sh, "id nosuchuser").1, 1);
    }
}
