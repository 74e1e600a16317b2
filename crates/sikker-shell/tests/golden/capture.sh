#!/usr/bin/env bash
# Captures the golden fixtures the sikker-shell golden tests compare against.
#
# Run on a stock Debian 12 (bookworm) host with busybox installed (`apt-get install busybox`),
# as root, from this directory:  ./capture.sh
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
