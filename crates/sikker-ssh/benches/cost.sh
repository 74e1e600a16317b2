#!/usr/bin/env bash
# User-space instructions per SSH handshake (kex + `none` + password auth) of the sikker-ssh
# server and of a russh 0.65 server configured as the sensor configures it, in the same run:
# each server runs under callgrind (counting only while the load runs), the russh client
# natively in another process. Counts do not depend on the machine's load, unlike CPU time.
#
#   crates/sikker-ssh/benches/cost.sh            # N=1000 handshakes, concurrency 64
#   N=300 crates/sikker-ssh/benches/cost.sh
#
# Needs valgrind (callgrind_control) and ssh-keygen. Only 127.0.0.1 is used. KEEP=1 keeps the
# work dir with the callgrind.out files for callgrind_annotate.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
n="${N:-1000}"
conc="${CONC:-64}"
bin="$(cd "$repo" && cargo bench --no-run -q -p sikker-ssh --bench handshake --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[[ -x "$bin" ]] || { echo "could not build the handshake bench" >&2; exit 1; }
work="$(mktemp -d /tmp/sikker-ssh-cost-XXXXXX)"
pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [[ -n "${KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

declare -A per
for server in russh sikker; do
  rm -f "$work/in" && mkfifo "$work/in"
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out.$server" \
    "$bin" serve "$server" <"$work/in" >"$work/$server.out" 2>"$work/$server.err" &
  pid=$!
  exec 3>"$work/in"
  for _ in $(seq 1 600); do grep -q '^LISTEN' "$work/$server.out" 2>/dev/null && break; sleep 0.1; done
  port="$(awk '$1=="LISTEN" {print $2}' "$work/$server.out")"
  [[ -n "$port" ]] || { cat "$work/$server.err" >&2; exit 1; }
  callgrind_control -i on "$pid" >/dev/null
  ok="$("$bin" client-handshakes "$port" "$n" "$conc" | sed -n 's/^OK //p')"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$pid" >/dev/null
  exec 3>&-
  wait "$pid" 2>/dev/null || true
  pid=""
  ir="$(cat "$work"/callgrind.out."$server"* | awk '/^totals:/ {s += $2} END {print s}')"
  per[$server]="$(awk -v a="$ir" -v b="$ok" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }')"
  echo "$server: $ok handshakes, $ir instructions = ${per[$server]} per handshake"
done
awk -v r="${per[russh]}" -v s="${per[sikker]}" \
  'BEGIN { printf "instructions per handshake: russh %d, sikker-ssh %d, ratio %.1fx\n", r, s, (s > 0 ? r / s : 0) }'
