#!/usr/bin/env bash
# Server cost per SSH handshake (kex + `none` + password auth, russh's client, ed25519 host
# key, curve25519-sha256), in the same run, of:
#   sensor  - sikker-sensor-harness: the sensor with its recording and spool (on this crate
#             since 4804d76; on russh 0.65 before)
#   russh   - a bare russh 0.65 server with the sensor's settings (benches/handshake.rs)
#   sikker  - this crate with its tokio driver (benches/handshake.rs)
# Two measures: user-space instructions under callgrind (counted only while the load runs;
# independent of the machine's load, but valgrind hides ADX and SHA-NI, so AWS-LC runs its
# portable code there) and native server CPU time (utime+stime from /proc, noisy).
#
#   crates/sikker-ssh/benches/cost.sh                 # N=1000 handshakes, concurrency 64
#   N=300 MODE=cpu crates/sikker-ssh/benches/cost.sh  # MODE: both (default), callgrind, cpu
#   SERVERS="russh sikker" …                          # leave the sensor out (no harness build)
#
# Needs valgrind (callgrind_control) and ssh-keygen; only 127.0.0.1 is used. SENSOR_BIN skips
# the harness build; KEEP=1 keeps the work dir (callgrind.out.* for callgrind_annotate).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
n="${N:-1000}"
conc="${CONC:-64}"
mode="${MODE:-both}"
servers="${SERVERS:-sensor russh sikker}"
bin="$(cd "$repo" && cargo bench --no-run -q -p sikker-ssh --bench handshake --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)"
[[ -x "$bin" ]] || { echo "could not build the handshake bench" >&2; exit 1; }
if [[ " $servers " == *" sensor "* && -z "${SENSOR_BIN:-}" ]]; then
  target="${CARGO_TARGET_DIR:-$repo/target}"
  (cd "$repo" && cargo build --release -q -p sikker-sensor --bin sikker-sensor-harness)
  SENSOR_BIN="$target/release/sikker-sensor-harness"
fi
work="$(mktemp -d /tmp/sikker-ssh-cost-XXXXXX)"
pid=""
cleanup() {
  exec 3>&- 2>/dev/null || true
  [[ -n "$pid" ]] && { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  [[ -n "${KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

start() { # server, command prefix… -> sets pid and port
  local server="$1"; shift
  rm -f "$work/in" "$work/$server.out" && mkfifo "$work/in"
  if [[ "$server" == sensor ]]; then
    rm -rf "$work/state" && mkdir -p "$work/state"
    cat >"$work/sensor.toml" <<TOML
name = "cost-1"
listen = ["ssh=127.0.0.1:0"]
state_dir = "$work/state"
[limits]
connections_per_ip = 20000
sessions = 20000
preauth_secs = 600
auth_secs = 600
idle_secs = 1800
session_secs = 3600
TOML
    "$@" "$SENSOR_BIN" --config "$work/sensor.toml" <"$work/in" >"$work/$server.out" 2>"$work/$server.err" &
  else
    "$@" "$bin" serve "$server" <"$work/in" >"$work/$server.out" 2>"$work/$server.err" &
  fi
  pid=$!
  exec 3>"$work/in"
  for _ in $(seq 1 1200); do grep -q '^LISTEN' "$work/$server.out" 2>/dev/null && break; sleep 0.1; done
  port="$(awk '$1=="LISTEN" {n=split($NF,a,":"); print a[n]}' "$work/$server.out")"
  [[ -n "$port" ]] || { cat "$work/$server.err" >&2; exit 1; }
}
stop() {
  exec 3>&-
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
load() { "$bin" client-handshakes "$port" "$n" "$conc" | sed -n 's/^OK //p'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'; }

declare -A ir cpu
for server in $servers; do
  if [[ "$mode" == both || "$mode" == callgrind ]]; then
    start "$server" valgrind --tool=callgrind --instr-atstart=no \
      --callgrind-out-file="$work/callgrind.out.$server.%p"
    callgrind_control -i on "$pid" >/dev/null
    ok="$(load)"
    callgrind_control -i off "$pid" >/dev/null
    callgrind_control -d "$pid" >/dev/null
    stop
    total="$(cat "$work"/callgrind.out."$server".* | awk '/^totals:/ {s += $2} END {print s}')"
    ir[$server]="$(per "$total" "$ok")"
    echo "callgrind $server: $ok handshakes, ${ir[$server]} instructions per handshake"
  fi
  if [[ "$mode" == both || "$mode" == cpu ]]; then
    start "$server"
    sleep 0.5
    t0="$(ticks "$pid")"
    ok="$(load)"
    t1="$(ticks "$pid")"
    stop
    hz="$(getconf CLK_TCK)"
    cpu[$server]="$(awk -v t="$((t1 - t0))" -v hz="$hz" -v ok="$ok" 'BEGIN { printf "%.3f", (ok > 0 ? 1000 * t / hz / ok : 0) }')"
    echo "cpu       $server: $ok handshakes, ${cpu[$server]} ms server CPU per handshake"
  fi
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.1fx", a / b; else printf "-" }'; }
echo "sikker-ssh against:"
for base in sensor russh; do
  [[ " $servers " == *" $base "* && " $servers " == *" sikker "* ]] || continue
  echo "  $base: instructions $(ratio "${ir[$base]:-0}" "${ir[sikker]:-0}"), CPU $(ratio "${cpu[$base]:-0}" "${cpu[sikker]:-0}")"
done
