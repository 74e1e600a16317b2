//! `docker`, present when the persona has docker installed. No container runs; pulls fail on
//! name resolution like an egress-filtered host.

use super::{Ctx, Place, Spec};
use crate::Effect;

pub(crate) static SPECS: &[Spec] = &[Spec { name: "docker", place: Place::Bin, builtin: false, present: |p| p.package("docker-ce").is_some() || p.package("docker.io").is_some(), run }];

fn run(ctx: &mut Ctx<'_>, args: &[String]) -> i32 {
    let sub = args[1..].iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
    if ctx.uid() != 0 && !sub.is_empty() {
        ctx.err(format!("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock: Get \"http://%2Fvar%2Frun%2Fdocker.sock/v1.47/{}\": dial unix /var/run/docker.sock: connect: permission denied\n", if sub == "ps" { "containers/json" } else { "info" }));
        return 1;
    }
    let version = if ctx.st.sys.persona.package("docker-ce").is_some() { "27.3.1" } else { "20.10.24+dfsg1" };
    match sub.as_str() {
        "ps" => ctx.out("CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n"),
        "images" => ctx.out("REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n"),
        "version" | "" if args.iter().any(|a| a == "--version" || a == "-v") || sub == "version" => {
            ctx.out(format!("Docker version {version}, build ce12230\n"));
        }
        "info" => ctx.out(format!("Client: Docker Engine - Community\n Version:    {version}\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: 0\n  Running: 0\n  Paused: 0\n  Stopped: 0\n Images: 0\n Server Version: {version}\n Storage Driver: overlay2\n Cgroup Driver: systemd\n Cgroup Version: 2\n Kernel Version: {}\n Operating System: {}\n OSType: linux\n Architecture: x86_64\n CPUs: {}\n Total Memory: {:.2}GiB\n Name: {}\n Docker Root Dir: /var/lib/docker\n", ctx.st.sys.persona.kernel.release, ctx.st.sys.persona.os.pretty_name, ctx.st.sys.persona.cpu.threads, ctx.st.sys.persona.mem_kb as f64 / 1_048_576.0, ctx.st.sys.persona.hostname)),
        "run" | "pull" | "create" => {
            let image = args[1..].iter().skip_while(|a| **a != sub).skip(1).find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            ctx.effect(Effect::Outbound { tool: "docker".into(), target: format!("registry-1.docker.io/{image}") });
            let tagged = if image.contains(':') { image.clone() } else { format!("{image}:latest") };
            if sub != "pull" {
                ctx.err(format!("Unable to find image '{tagged}' locally\n"));
            }
            ctx.err(format!("{}Error response from daemon: Get \"https://registry-1.docker.io/v2/\": dial tcp: lookup registry-1.docker.io on 127.0.0.53:53: server misbehaving\n{}", if sub == "pull" { "" } else { "docker: " }, if sub == "pull" { "" } else { "See 'docker run --help'.\n" }));
            return if sub == "pull" { 1 } else { 125 };
        }
        "exec" | "logs" | "stop" | "rm" | "start" | "kill" | "inspect" => {
            let id = args.last().cloned().unwrap_or_default();
            ctx.err(format!("Error response from daemon: No such container: {id}\n"));
            return 1;
        }
        "" => {
            ctx.out("\nUsage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n\nCommon Commands:\n  run         Create and run a new container from an image\n  exec        Execute a command in a running container\n  ps          List containers\n  build       Build an image from a Dockerfile\n  pull        Download an image from a registry\n  push        Upload an image to a registry\n  images      List images\n  login       Log in to a registry\n  logout      Log out from a registry\n  search      Search Docker Hub for images\n  version     Show the Docker version information\n  info        Display system-wide information\n");
        }
        other => {
            ctx.err(format!("docker: '{other}' is not a docker command.\nSee 'docker --help'\n"));
            return 1;
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use crate::commands::testing::run;
    use crate::{Persona, Shell, System};

    #[test]
    fn docker_when_installed() {
        let p = (0..5000u64).map(Persona::generate).find(|p| p.package("docker-ce").is_some()).expect("a docker persona");
        let sys = System::new(p);
        let mut sh = Shell::new(&sys, "root");
        assert_eq!(run(&mut sh, "docker ps").0, "CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES\n");
        assert_eq!(run(&mut sh, "docker run -d xmrig/xmrig").1, 125);
    }
}
