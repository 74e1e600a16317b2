#!/usr/bin/env bash
# TAXII full-sync benchmark (issue 2): sikker with BENCH_IPS simulated IPs vs OASIS medallion with
# MEDALLION_OBJECTS of the same indicators, walked by the same client at limit 1000.
# A benchmark, not a test: it prints figures and a ratio and fails only if a walk breaks.
#
#   bench/taxii-sync/run.sh                     # 1,000,000 IPs, medallion on 10,000
#   BENCH_IPS=100000 bench/taxii-sync/run.sh    # smaller and quicker
#
# Environment: BENCH_IPS (1000000), MEDALLION_OBJECTS (10000), BENCH_DIR (a fresh temp dir),
# BENCH_KEEP=1 keeps it, SIKKER_BIN (a release binary; skips building it), MEDALLION_VENV ($HOME/.cache/sikker-bench-medallion), SKIP_MEDALLION=1,
# MEDALLION_TIMEOUT seconds for medallion's walk (3600), BENCH_REPEAT full walks of sikker (2),
# CARGO_TARGET_DIR.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
ips="${BENCH_IPS:-1000000}"
medallion_objects="${MEDALLION_OBJECTS:-10000}"
medallion_venv="${MEDALLION_VENV:-$HOME/.cache/sikker-bench-medallion}"
target="${CARGO_TARGET_DIR:-$repo/target}"
[[ "$target" = /* ]] || target="$repo/$target"
work="${BENCH_DIR:-$(mktemp -d /tmp/sikker-bench-XXXXXX)}"
mkdir -p "$work"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -z "${BENCH_KEEP:-}" && -z "${BENCH_DIR:-}" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
wait_ready() { # url, pid, extra curl args…
  local url="$1" pid="$2"; shift 2
  for _ in $(seq 1 600); do
    if ! kill -0 "$pid" 2>/dev/null; then echo "server $pid exited before it was ready" >&2; return 1; fi
    if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$@" "$url")" == 200 ]]; then return 0; fi
    sleep 0.2
  done
  echo "server at $url not ready after 120 s" >&2
  return 1
}
result_field() { sed -n "s/.*RESULT .*\b$2=\([^ ]*\).*/\1/p" <<<"$1"; }

echo "== building (release)"
if [[ -z "${SIKKER_BIN:-}" ]]; then
  (cd "$repo" && cargo build --quiet --release -p sikker)
fi
(cd "$here" && cargo build --quiet --release)
sikker="${SIKKER_BIN:-$target/release/sikker}"
client="$target/release/taxii-sync"

echo "== simulate $ips IPs into $work/data"
t0="$(now)"
"$sikker" simulate --data "$work/data" --ips "$ips" --seed 1 >"$work/simulate.log" 2>&1
simulate_s="$(elapsed "$t0")"
echo "simulate: $simulate_s s"
key="$("$sikker" keys create --data "$work/data" --name bench)"

port="$(free_port)"
"$sikker" serve --data "$work/data" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
wait_ready "http://127.0.0.1:$port/taxii2/" "$server_pid"
rss_idle_kb="$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")"

# Two walks: the first may read the store from disk, the second mostly from the page cache.
# The summary uses the faster; both are printed.
sikker_out=""
for run in $(seq 1 "${BENCH_REPEAT:-2}"); do
  echo "== sikker: full sync at limit 1000 (walk $run)"
  out="$("$client" --label "sikker-walk-$run" --limit 1000 --bearer "$key" \
    --url "http://127.0.0.1:$port/taxii2/collections/sikker-threat-intel/objects/")"
  echo "$out"
  if [[ -z "$sikker_out" ]] || python3 -c "import sys; sys.exit(not $(result_field "$out" seconds) < $(result_field "$sikker_out" seconds))"; then
    sikker_out="$out"
  fi
done
echo "== sikker: the first $medallion_objects objects (what medallion gets)"
sikker_small="$("$client" --label sikker-first-$medallion_objects --limit 1000 --bearer "$key" \
  --max-objects "$medallion_objects" --url "http://127.0.0.1:$port/taxii2/collections/sikker-threat-intel/objects/")"
echo "$sikker_small"
peak_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$server_pid/status")"
echo "sikker serve RSS: idle $((rss_idle_kb / 1024)) MB, peak (VmHWM) $((peak_kb / 1024)) MB"

medallion_out=""
if [[ -z "${SKIP_MEDALLION:-}" ]]; then
  echo "== medallion (memory backend) with $medallion_objects of the same indicators"
  if [[ ! -x "$medallion_venv/bin/medallion" ]]; then
    rm -rf "$medallion_venv"
    python3 -m venv "$medallion_venv"
    "$medallion_venv/bin/pip" install --quiet "medallion==3.0.0"
  fi
  mport="$(free_port)"
  medallion_url="$("$medallion_venv/bin/python" "$here/medallion_data.py" \
    "http://127.0.0.1:$port" "$key" "$medallion_objects" "$mport" "$work")"
  "$medallion_venv/bin/medallion" --host 127.0.0.1 --port "$mport" "$work/medallion-config.json" \
    >"$work/medallion.log" 2>&1 &
  medallion_pid=$!
  pids+=("$medallion_pid")
  wait_ready "http://127.0.0.1:$mport/taxii2/" "$medallion_pid" -u bench:bench-password \
    -H "Accept: application/taxii+json;version=2.1"
  medallion_out="$("$client" --label medallion --limit 1000 --basic bench:bench-password \
    --timeout-secs "${MEDALLION_TIMEOUT:-3600}" --url "$medallion_url")"
  echo "$medallion_out"
  medallion_peak_kb="$(awk '/^VmHWM/ {print $2}' "/proc/$medallion_pid/status")"
  echo "medallion RSS peak (VmHWM) $((medallion_peak_kb / 1024)) MB"
fi

echo
echo "== summary"
s_rate="$(result_field "$sikker_out" indicators_per_s)"
s_secs="$(result_field "$sikker_out" seconds)"
s_mbs="$(result_field "$sikker_out" mb_per_s)"
s_n="$(result_field "$sikker_out" indicators)"
small_rate="$(result_field "$sikker_small" indicators_per_s)"
printf 'simulate %s IPs: %s s\n' "$ips" "$simulate_s"
printf 'sikker   full sync (best of %s walks): %s indicators in %.2f s = %.0f indicators/s, %.1f MB/s (goal: 1M in < 10 s, >= 100000/s)\n' \
  "${BENCH_REPEAT:-2}" "$s_n" "$s_secs" "$s_rate" "$s_mbs"
printf 'sikker   peak RSS: %d MB (goal < 300 MB)\n' "$((peak_kb / 1024))"
printf 'sikker   first %s objects: %.0f indicators/s\n' "$medallion_objects" "$small_rate"
if [[ -n "$medallion_out" ]]; then
  m_rate="$(result_field "$medallion_out" indicators_per_s)"
  m_first="$(result_field "$medallion_out" first_page_seconds)"
  printf 'medallion %s objects: %.0f indicators/s (first page %.1f s)\n' \
    "$(result_field "$medallion_out" indicators)" "$m_rate" "$m_first"
  python3 -c "print(f'ratio sikker/medallion (indicators/s): {$s_rate / $m_rate:.1f}x full sync vs medallion; {$small_rate / $m_rate:.1f}x on the same {$medallion_objects} objects')"
fi
