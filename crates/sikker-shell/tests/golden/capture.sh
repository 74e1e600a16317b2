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
# /proc/modules. Not captured, and why (so not golden-tested):
#   lsmod - the capture host has no /proc/modules (lsmod only prints an error there);
#   nvidia-smi - needs an NVIDIA GPU and driver, which the capture host lacks;
#   yum, dnf, apk, rpm, docker - not on a stock Debian 12, and the emulation only offers them on
#     personas of other families (CentOS/Rocky/Alpine) or with docker, which we cannot capture here;
#   halt, poweroff, reboot, shutdown - never run on the capture host;
#   systemctl status, service NAME status, hostnamectl status - need systemd as PID 1 (so only
#     their --version is captured);
#   who, users, last - depend on the host's logins, which a capture container has none of;
#   python3 -c / perl -e - the emulation deliberately does not execute scripts.
# Captured by hand but not added, because the emulation differs and the fix is not small:
#   local (no function scope: a local leaks out, and no error outside a function), readonly
#   (assignments to a readonly variable are not refused), shopt (no option state: `shopt
#   nullglob` prints nothing and nullglob has no effect), trap handlers (EXIT never runs).
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

run_suite debian exact.tsv bash_c
run_suite busybox busybox.tsv busybox_c
run_suite format format.tsv bash_c
echo "fixtures written to $here/fixtures"
