#!/usr/bin/env bash
# The sikker sensor's cost per SSH handshake in counts that do not depend on what else runs on
# the machine: user-space instructions (callgrind: the harness runs under valgrind and counts
# only while the load runs) and, in a second run without valgrind, system calls and context
# switches (perf software events), with task-clock for reference (that one is noisy).
# A measuring tool for changes to the sensor, not a benchmark against Cowrie (that is run.sh).
#
#   bench/sensor-vs-cowrie/cost.sh                 # N=2000 handshakes, concurrency 64
#   N=500 MODE=perf bench/sensor-vs-cowrie/cost.sh
#
# Environment: N [2000], CONC [64], MODE [both] (callgrind, perf or both), SENSOR_BIN,
# LOADGEN_BIN (built with cargo as run.sh does when unset), CARGO_TARGET_DIR, KEEP=1 keeps
# the work dir (callgrind.out.* for callgrind_annotate). Only 127.0.0.1 is used.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
n="${N:-2000}"
conc="${CONC:-64}"
mode="${MODE:-both}"
target="${CARGO_TARGET_DIR:-$repo/target}"
[[ "$target" = /* ]] || target="$repo/$target"
if [[ -z "${SENSOR_BIN:-}" ]]; then
  (cd "$repo" && CARGO_TARGET_DIR="$target" cargo build --release -q -p sikker-sensor --bin sikker-sensor-harness)
  SENSOR_BIN="$target/release/sikker-sensor-harness"
fi
if [[ -z "${LOADGEN_BIN:-}" ]]; then
  (cd "$here/loadgen-rs" && CARGO_TARGET_DIR="$target" cargo build --release -q --locked)
  LOADGEN_BIN="$target/release/sensor-vs-cowrie-loadgen"
fi
work="$(mktemp -d /tmp/sikker-cost-XXXXXX)"
pid=""
cleanup() {
  if [[ -n "$pid" ]]; then
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  [[ -n "${KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

start() { # command prefix… -> sets pid and port
  rm -rf "$work/state" && mkdir -p "$work/state"
  cat >"$work/sensor.toml" <<EOF
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
EOF
  # The host keys are made once and reused, so every run signs with the same key.
  [[ -d "$work/keys" ]] && cp "$work"/keys/* "$work/state/"
  "$@" "$SENSOR_BIN" --config "$work/sensor.toml" >"$work/stdout" 2>"$work/stderr" &
  pid=$!
  for _ in $(seq 1 1200); do
    grep -q '^READY' "$work/stdout" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || { cat "$work/stderr" >&2; exit 1; }
    sleep 0.1
  done
  port="$(awk '$1=="LISTEN" && $2=="ssh" {n=split($3,a,":"); print a[n]}' "$work/stdout")"
  if [[ ! -d "$work/keys" ]]; then mkdir "$work/keys" && cp "$work"/state/ssh_host_* "$work/keys/"; fi
}
stop() {
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
load() { # -> ok count
  "$LOADGEN_BIN" handshakes --port "$port" --pid "$pid" -n "$n" --concurrency "$conc" \
    --threads 1 --timeout 1200 | tail -1 | tee -a "$work/loadgen.jsonl" |
    sed -n 's/.*"ok": \([0-9]*\).*/\1/p'
}
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? a / b : 0) }'; }

if [[ "$mode" == both || "$mode" == callgrind ]]; then
  start valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/callgrind.out.%p"
  callgrind_control -i on "$pid" >/dev/null
  ok="$(load)"
  callgrind_control -i off "$pid" >/dev/null
  callgrind_control -d "$pid" >/dev/null
  stop
  ir=$(cat "$work"/callgrind.out.* | awk '/^totals:/ {s += $2} END {print s}')
  echo "callgrind: $ok handshakes, $ir instructions (user space) = $(per "$ir" "$ok") per handshake"
fi
if [[ "$mode" == both || "$mode" == perf ]]; then
  start
  perf stat -x, -e task-clock,context-switches,raw_syscalls:sys_enter -p "$pid" \
    -o "$work/perf.csv" &
  perf_pid=$!
  sleep 0.5
  ok="$(load)"
  kill -INT "$perf_pid"
  wait "$perf_pid" 2>/dev/null || true
  stop
  val() { awk -F, -v e="$1" '$3 == e || index($3, e) == 1 {print $1}' "$work/perf.csv"; }
  echo "perf: $ok handshakes; per handshake: $(per "$(val raw_syscalls:sys_enter)" "$ok") syscalls," \
    "$(awk -v a="$(val context-switches)" -v b="$ok" 'BEGIN {printf "%.1f", a / b}') context switches," \
    "$(awk -v a="$(val task-clock)" -v b="$ok" 'BEGIN {printf "%.3f", a / b}') ms task-clock"
fi
