#!/usr/bin/env bash
# Captures the golden fixtures the sikker-shell golden tests compare against.
#
# Run on a stock Debian 12 (bookworm) host with busybox installed (`apt-get install busybox`),
# as root, from this directory:  ./capture.sh [NAME...]   (with names: re-capture only those cases)
#
# The later cases (from `colon_args` in exact.tsv, and ping_lo/lspci in format.tsv) also need
#   apt-get install cron sudo iptables git rpm netcat-openbsd ufw fdisk telnet pciutils iputils-ping kmod
# and no python-is-python3 (stock Debian 12 has no `python`). They were captured with
# `./capture.sh NAME...` on such a host, in a container without systemd as PID 1 and without
# /proc/modules.
#
# The cases from `local_outside` on in exact.tsv (and the bb_local/bb_readonly/bb_trap ones in
# busybox.tsv) were captured the same way with bash 5.2.15, dash 0.5.12 and busybox 1.35.0; those
# from `reboot_help` on, family.tsv, and rpm_version, docker_version, who_utmp, users_utmp and
# last_wtmp in format.tsv, on a Debian 12 container that also had
#   apt-get install systemd-sysv kmod rpm dnf
# (systemd 252's reboot/halt/poweroff/shutdown, kmod 30, rpm 4.18, dnf 4.14) and the Docker CLI
# 28.2.2 that came with the host (no Docker daemon: only `docker --version` is captured). The
# login records for who/users/last are made inside the case by `utmpdump -r` from fixed text, so
# their content is known; the emulation is checked against their format (format.tsv).
# family.tsv runs each command with bash -c like exact.tsv, after defining `yum` as `dnf` (on
# Rocky 9 /usr/bin/yum is a link to dnf-3); the test compares it with a persona of that family.
#
# Not captured, and why (so not golden-tested as such):
#   lsmod without arguments - no /proc/modules in the container (only `lsmod x`, the usage error,
#     is captured);
#   nvidia-smi with a GPU - no NVIDIA GPU, driver or package (Debian ships nvidia-smi in
#     non-free, which the host's apt sources do not list); only the stock Debian answer (command not
#     found, as on a persona without a GPU) is captured;
#   apk - apk-tools is not packaged for Debian 12;
#   yum of CentOS 7 (yum 3) - not packaged for Debian 12;
#   docker ps, docker images - need a Docker daemon, which the host does not run;
#   halt, poweroff, reboot, shutdown themselves - never run on the capture host (only --help);
#   systemctl status, service NAME status, hostnamectl status - need systemd as PID 1 (so only
#     their --version is captured);
#   python3 -c / perl -e - the emulation deliberately does not execute scripts.
#
# What it runs: only the commands listed in exact.tsv, busybox.tsv and format.tsv, each in a
# fresh temporary directory holding copies of inputs/ (fixed, harmless files), with LANG=C.UTF-8
# and TZ=UTC. The only network use is a Python http.server bound to 127.0.0.1 serving one
# fixed 1234-byte file, for the wget/curl transcripts.
#
# Output: fixtures/<suite>/<name>.out (stdout and stderr interleaved as a terminal shows them)
# and fixtures/<suite>/<name>.rc (the exit status). "@tty" commands run under script(1) so
# they see a terminal of 80 columns; carriage returns that script adds are removed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
only=("$@")
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC COLUMNS=80
unset LS_COLORS GREP_COLORS

srv="$(mktemp -d)"
head -c 1234 /dev/zero | tr '\0' 'a' > "$srv/x.sh"
(cd "$srv" && exec python3 -m http.server 18765 --bind 127.0.0.1 >/dev/null 2>&1) &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$srv"' EXIT
sleep 1

run_suite() {
    local suite="$1" table="$2" runner="$3"
    mkdir -p "$here/fixtures/$suite"
    while IFS=$'\t' read -r name cmd; do
        [[ -z "$name" || "$name" == \#* ]] && continue
        if ((${#only[@]})) && [[ " ${only[*]} " != *" $name "* ]]; then continue; fi
        # family.tsv has a persona column between name and command; the capture ignores it.
        if [[ "$table" == family.tsv ]]; then cmd="${cmd#*$'\t'}"; fi
        local dir
        dir="$(mktemp -d)"
        cp "$here"/inputs/* "$dir"/
        local rc=0
        if [[ "$cmd" == @tty\ * ]]; then
            (cd "$dir" && script -qec "stty cols 80 2>/dev/null; ${cmd#@tty }" /dev/null) < /dev/null \
                | tr -d '\r' > "$here/fixtures/$suite/$name.out" 2>&1 || rc=$?
        else
            (cd "$dir" && $runner "$cmd") < /dev/null > "$here/fixtures/$suite/$name.out" 2>&1 || rc=$?
        fi
        echo "$rc" > "$here/fixtures/$suite/$name.rc"
        rm -rf "$dir"
    done < "$here/$table"
}

bash_c() { bash -c "$1"; }
busybox_c() { busybox sh -c "$1"; }
# On Rocky 9, yum is dnf.
family_c() { bash -c "yum() { dnf \"\$@\"; }; $1"; }

run_suite debian exact.tsv bash_c
run_suite busybox busybox.tsv busybox_c
run_suite format format.tsv bash_c
run_suite family family.tsv family_c
echo "fixtures written to $here/fixtures"
