#!/usr/bin/env bash
# SSH sensor benchmark (issue 4): the sikker sensor against Cowrie on this machine, in one run,
# both serving an ssh-ed25519 host key, driven by the same clients: handshakes by loadgen-rs/'s
# bare client (only what a handshake needs, so the client takes little of the shared CPUs), by
# a russh client (loadgen-rs/ too) and by asyncssh (loadgen.py), idle sessions by asyncssh.
# A benchmark, not a test: it prints figures, ratios and goals; it fails only when a server
# cannot be started (Cowrie failing is reported and sikker's figures are still printed).
#
#   sudo bench/sensor-vs-cowrie/run.sh            # must run as root (useradd, setpriv, ulimit)
#   HS_N=1000 IDLE_K=500 BIG_K=2000 bench/sensor-vs-cowrie/run.sh   # quicker
#
# Environment (defaults in brackets):
#   HS_N [6000] handshakes per server and round, HS_CONC [256] concurrent handshakes,
#   HS_ROUNDS [3] rounds per client (sikker, Cowrie, sikker, Cowrie, …), CLIENT_PROCS [2]
#   IDLE_K [1000] idle sessions per server for RSS/session, BIG_K [10000] sikker-only sessions
#   HOSTKEY [ssh-ed25519] host key algorithm forced on the client for both servers
#   BENCH_VENV [/var/tmp/sikker-bench-cowrie-venv] venv with cowrie + asyncssh (made if missing;
#     outside /root so the unprivileged user can read it), BENCH_PYTHON [/usr/bin/python3]
#   COWRIE_USER [sikkerbench] made with useradd if missing, SKIP_COWRIE=1
#   HS_CLIENTS ["bare russh asyncssh"] handshake clients, each run against both servers
#   SENSOR_BIN (a release sikker-sensor-harness; skips building), LOADGEN_BIN (a release
#   sensor-vs-cowrie-loadgen; skips building), CARGO_TARGET_DIR
#   PHASE_TIMEOUT [600] seconds any one phase may take, BENCH_DIR (kept), BENCH_KEEP=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
hs_n="${HS_N:-6000}"
hs_conc="${HS_CONC:-256}"
hs_rounds="${HS_ROUNDS:-3}"
hs_clients="${HS_CLIENTS:-bare russh asyncssh}"
client_procs="${CLIENT_PROCS:-2}"
idle_k="${IDLE_K:-1000}"
big_k="${BIG_K:-10000}"
hostkey="${HOSTKEY:-ssh-ed25519}"
venv="${BENCH_VENV:-/var/tmp/sikker-bench-cowrie-venv}"
bench_python="${BENCH_PYTHON:-/usr/bin/python3}"
[[ -x "$bench_python" ]] || bench_python="$(command -v python3)"
cowrie_user="${COWRIE_USER:-sikkerbench}"
phase_timeout="${PHASE_TIMEOUT:-600}"
target="${CARGO_TARGET_DIR:-$repo/target}"
[[ "$target" = /* ]] || target="$repo/$target"
work="${BENCH_DIR:-$(mktemp -d /tmp/sikker-bench-ssh-XXXXXX)}"
mkdir -p "$work"
chmod 755 "$work"

case "$hostkey" in
  ssh-ed25519) cowrie_keys=ssh-ed25519 ;;
  ecdsa-sha2-nistp256) cowrie_keys=ecdsa-sha2-nistp256 ;;
  rsa-sha2-256 | rsa-sha2-512 | ssh-rsa) cowrie_keys=ssh-rsa ;;
  *) echo "HOSTKEY must be ssh-ed25519, ecdsa-sha2-nistp256 or rsa-sha2-256/512" >&2; exit 2 ;;
esac

if [[ $(id -u) -ne 0 ]]; then
  echo "run as root: it creates the user Cowrie runs as and raises the open-file limit" >&2
  exit 2
fi

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ -z "${BENCH_KEEP:-}" && -z "${BENCH_DIR:-}" ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
free_port() { "$bench_python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { # port pid seconds
  for _ in $(seq 1 $(($3 * 10))); do
    kill -0 "$2" 2>/dev/null || return 1
    "$bench_python" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1).close()" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
jget() { "$bench_python" -c "import json,sys; d=json.loads(sys.stdin.read().strip().splitlines()[-1]); v=d$1; print(v if v is not None else '')"; }
ratio() { "$bench_python" -c "a,b=float('$1' or 0),float('$2' or 0); print(f'{a/b:.1f}' if b else 'n/a')"; }

# Open files: 10,000 sessions means 10,000+ sockets in the sensor and as many in the clients.
ulimit -Hn 1048576 2>/dev/null || true
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
log "open-file limit $(ulimit -n); work dir $work"

# ---------------------------------------------------------------- 0. client + Cowrie venv
if [[ ! -x "$venv/bin/cowrie" || ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import asyncssh' 2>/dev/null; then
  log "creating $venv (cowrie, asyncssh from PyPI)"
  "$bench_python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip >/dev/null
  "$venv/bin/pip" install -q cowrie asyncssh
fi
chmod -R a+rX "$venv"
py="$venv/bin/python"
client_ver="asyncssh $("$py" -c 'import asyncssh; print(asyncssh.__version__)')"
cowrie_ver="$("$venv/bin/pip" show cowrie 2>/dev/null | awk '/^Version:/{print $2}')"
loadgen=("$py" "$here/loadgen.py" --hostkey "$hostkey" --procs "$client_procs" --timeout "$phase_timeout")

# ---------------------------------------------------------------- 1. the sikker sensor
if [[ -z "${SENSOR_BIN:-}" ]]; then
  log "building sikker-sensor-harness (release)"
  (cd "$repo" && CARGO_TARGET_DIR="$target" timeout "$phase_timeout" \
    cargo build --release -q -p sikker-sensor --bin sikker-sensor-harness)
  SENSOR_BIN="$target/release/sikker-sensor-harness"
fi
if [[ " $hs_clients " == *" russh "* && -z "${LOADGEN_BIN:-}" ]]; then
  log "building the russh load generator (release; its own Cargo.lock)"
  (cd "$here/loadgen-rs" && CARGO_TARGET_DIR="$target" timeout "$phase_timeout" \
    cargo build --release -q --locked)
  LOADGEN_BIN="$target/release/sensor-vs-cowrie-loadgen"
fi
mkdir -p "$work/sensor/state"
cat >"$work/sensor/sensor.toml" <<EOF
name = "bench-1"
listen = ["ssh=127.0.0.1:0"]
state_dir = "$work/sensor/state"
[limits]
connections_per_ip = 20000
sessions = 20000
preauth_secs = 120
auth_secs = 120
idle_secs = 1800
session_secs = 3600
EOF
"$SENSOR_BIN" --config "$work/sensor/sensor.toml" >"$work/sensor/stdout" 2>"$work/sensor/stderr" &
sensor_pid=$!
pids+=("$sensor_pid")
for _ in $(seq 1 600); do
  grep -q '^READY' "$work/sensor/stdout" 2>/dev/null && break
  kill -0 "$sensor_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q '^READY' "$work/sensor/stdout" 2>/dev/null; then
  echo "sikker sensor did not start:" >&2; cat "$work/sensor/stderr" >&2; exit 1
fi
sensor_port="$(awk '$1=="LISTEN" && $2=="ssh" {n=split($3,a,":"); print a[n]}' "$work/sensor/stdout")"
log "sikker sensor pid $sensor_pid on 127.0.0.1:$sensor_port"

# ---------------------------------------------------------------- 2. Cowrie, unprivileged
cowrie_ok=""
cowrie_err=""
cowrie_pid=""
start_cowrie() {
  if ! id -u "$cowrie_user" >/dev/null 2>&1; then
    log "useradd $cowrie_user"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$cowrie_user" || { cowrie_err="useradd $cowrie_user failed"; return 1; }
  fi
  cowrie_port="$(free_port)"
  local home="$work/cowrie"
  mkdir -p "$home/etc" "$home/var/log/cowrie" "$home/var/lib/cowrie/downloads" "$home/var/lib/cowrie/tty" "$home/var/run"
  # [ssh] public_key_auth is, despite its name, the list of host key types Cowrie loads (and
  # generates at first start): only the type under test, so it cannot offer another.
  cat >"$home/etc/cowrie.cfg" <<EOF
[honeypot]
log_path = var/log/cowrie
state_path = var/lib/cowrie
idle_timeout = 1800
authentication_timeout = 120
[ssh]
enabled = true
listen_endpoints = tcp:$cowrie_port:interface=127.0.0.1
public_key_auth = $cowrie_keys
[telnet]
enabled = false
[output_jsonlog]
enabled = true
logfile = \${honeypot:log_path}/cowrie.json
EOF
  printf 'root:x:*\n' >"$home/etc/userdb.txt"
  chown -R "$cowrie_user:" "$home"
  (cd "$home" && exec setpriv --reuid "$cowrie_user" --regid "$cowrie_user" --clear-groups \
    env HOME="$home" COWRIE_STDOUT=yes PATH="$venv/bin:/usr/bin:/bin" "$venv/bin/cowrie" start) \
    >"$work/cowrie.out" 2>&1 &
  cowrie_pid=$!
  pids+=("$cowrie_pid")
  if ! wait_port "$cowrie_port" "$cowrie_pid" 120; then
    cowrie_err="Cowrie did not listen on 127.0.0.1:$cowrie_port within 120 s: $(tail -5 "$work/cowrie.out" | tr '\n' ' ')"
    return 1
  fi
  log "Cowrie $cowrie_ver pid $cowrie_pid (user $cowrie_user) on 127.0.0.1:$cowrie_port"
}
if [[ -n "${SKIP_COWRIE:-}" ]]; then
  cowrie_err="skipped (SKIP_COWRIE set)"
elif start_cowrie; then
  cowrie_ok=1
else
  log "Cowrie unavailable: $cowrie_err"
fi

# Waits (at most 60 s) until the given processes use under 5% of a CPU over half a second: a
# server still closing the last phase's sessions (Cowrie takes seconds for a thousand) would
# otherwise take CPU from the next phase's server.
wait_quiet() { # pid…
  "$bench_python" - "$@" <<'PY'
import os, sys, time
tck = os.sysconf("SC_CLK_TCK")
def cpu():
    total = 0
    for pid in sys.argv[1:]:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tck
end = time.monotonic() + 60
before = cpu()
while time.monotonic() < end:
    time.sleep(0.5)
    now = cpu()
    if now - before < 0.025:
        break
    before = now
PY
}
quiet_servers() { wait_quiet "$sensor_pid" ${cowrie_pid:+"$cowrie_pid"}; }

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
run_phase() { # name, loadgen args… -> JSON line on stdout; the whole phase is bounded
  local name="$1"; shift
  quiet_servers
  log "$name"
  timeout -k 10 $((phase_timeout + 60)) "${loadgen[@]}" "$@" 2>>"$work/loadgen.err" | tail -1 | tee -a "$work/results.jsonl" || true
}

# ---------------------------------------------------------------- 3. RSS per idle session
# First, on fresh processes, so the delta is not flattered by memory that earlier phases freed
# and the allocator kept.
sk_idle="$(run_phase "sikker: $idle_k idle sessions" idle --port "$sensor_port" --pid "$sensor_pid" -n "$idle_k" --concurrency 64)"
co_idle=""
[[ -n "$cowrie_ok" ]] && co_idle="$(run_phase "Cowrie: $idle_k idle sessions" idle --port "$cowrie_port" --pid "$cowrie_pid" -n "$idle_k" --concurrency 64)"
# ---------------------------------------------------------------- 4. handshakes/s
# Each client against sikker, then against Cowrie, one after the other, HS_ROUNDS times: on a
# small shared machine one run of either moves by ±20% with whatever else runs, so the summary
# takes the median of alternated rounds.
run_rust_phase() { # client, name, loadgen-rs args… -> JSON line on stdout
  local client="$1" name="$2"; shift 2
  quiet_servers
  log "$name"
  timeout -k 10 $((phase_timeout + 60)) "$LOADGEN_BIN" "$@" --client "$client" --hostkey "$hostkey" \
    --threads "$client_procs" --timeout "$phase_timeout" 2>>"$work/loadgen.err" \
    | tail -1 | tee -a "$work/results.jsonl" || true
}
declare -A sk_hs co_hs
for client in $hs_clients; do
  case "$client" in
    bare|russh) phase="run_rust_phase $client" ;;
    asyncssh) phase="run_phase" ;;
    *) echo "HS_CLIENTS: unknown client $client (bare, russh, asyncssh)" >&2; exit 2 ;;
  esac
  sk_hs[$client]=""
  co_hs[$client]=""
  for round in $(seq 1 "$hs_rounds"); do
    sk_hs[$client]+="$($phase "sikker ($client) round $round: $hs_n handshakes, concurrency $hs_conc" handshakes --port "$sensor_port" --pid "$sensor_pid" -n "$hs_n" --concurrency "$hs_conc")"$'\n'
    [[ -n "$cowrie_ok" ]] && co_hs[$client]+="$($phase "Cowrie ($client) round $round: $hs_n handshakes, concurrency $hs_conc" handshakes --port "$cowrie_port" --pid "$cowrie_pid" -n "$hs_n" --concurrency "$hs_conc")"$'\n'
  done
done

sleep 2
sk_big="$(run_phase "sikker: $big_k idle sessions" idle --port "$sensor_port" --pid "$sensor_pid" -n "$big_k" --concurrency 128 --procs "$((client_procs > 4 ? client_procs : 4))")"

# ---------------------------------------------------------------- 5. summary
field() { [[ -n "$1" ]] && jget "$2" <<<"$1" || echo ""; }
sk_per="$(field "$sk_idle" '["per_session_kib"]')"; co_per="$(field "$co_idle" '["per_session_kib"]')"
sk_held="$(field "$sk_idle" '["held"]')";          co_held="$(field "$co_idle" '["held"]')"
sk_r0="$(field "$sk_idle" '["rss_before_kib"]')";  co_r0="$(field "$co_idle" '["rss_before_kib"]')"
sk_r1="$(field "$sk_idle" '["rss_after_kib"]')";   co_r1="$(field "$co_idle" '["rss_after_kib"]')"
big_held="$(field "$sk_big" '["held"]')"; big_rss="$(field "$sk_big" '["rss_after_kib"]')"
big_per="$(field "$sk_big" '["per_session_kib"]')"; big_open="$(field "$sk_big" '["open_s"]')"
mem_ratio="$(ratio "$co_per" "$sk_per")"
verdict() { "$bench_python" -c "import sys; v='$1'; print('n/a' if v in ('','n/a') else ('MET' if float(v) $2 else 'NOT MET'))"; }
big_mib="$("$bench_python" -c "print(f'{int(\"$big_rss\" or 0)/1024:.0f}')")"
hs_block() { # client, sikker JSON lines, Cowrie JSON lines (one per round)
  CLIENT="$1" SK="$2" CO="$3" HS_N="$hs_n" HS_CONC="$hs_conc" "$bench_python" - <<'PY'
import json, os, statistics
def runs(name):
    out = []
    for line in os.environ[name].splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return [r for r in out if r.get("ok")]
def describe(rs):
    if not rs:
        return None
    rates = [r["rate"] for r in rs]
    ok = sum(r["ok"] for r in rs)
    return {
        "rate": statistics.median(rates),
        "rates": ", ".join(f"{x:.0f}" for x in rates),
        "cpu": 1000 * sum(r["server_cpu_s"] for r in rs) / ok,
        "ccpu": 1000 * sum(r["client_cpu_s"] for r in rs) / ok,
        "ok": ok,
        "failed": sum(r.get("failed", 0) for r in rs),
        "keys": sorted({k for r in rs for k in r.get("hostkey_seen", [])}),
    }
sk, co = runs("SK"), runs("CO")
s, c = describe(sk), describe(co)
print(f"Handshakes with the {os.environ['CLIENT']} client (TCP + kex + none/password auth + close), "
      f"N={os.environ['HS_N']} per round, concurrency={os.environ['HS_CONC']}, {len(sk)} rounds")
for name, d in (("sikker", s), ("Cowrie", c)):
    if d is None:
        print(f"  {name} : n/a")
        continue
    print(f"  {name} : {d['rate']:.0f} /s median (rounds: {d['rates']}; {d['ok']} ok, {d['failed']} failed); "
          f"server CPU {d['cpu']:.3f} ms/handshake; client CPU {d['ccpu']:.3f} ms/handshake; "
          f"host key seen {d['keys']}")
if s and c:
    wall = s["rate"] / c["rate"]
    per_round = ", ".join(f"{a['rate'] / b['rate']:.1f}" for a, b in zip(sk, co))
    cpu = c["cpu"] / s["cpu"] if s["cpu"] else float("nan")
    verdict = "MET" if wall >= 10 else "NOT MET"
    print(f"  ratio  : {wall:.1f}x wall-clock (median rates; rounds {per_round}), "
          f"{cpu:.1f}x per server CPU-second   goal >= 10x: {verdict}")
else:
    print("  ratio  : n/a")
print()
PY
}

cat <<EOF

================ sensor-vs-cowrie ($(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r)) ================
load average before the load phases: $load_before
clients: handshakes by $hs_clients (bare, russh: $client_procs threads; $client_ver: $client_procs processes), idle sessions by $client_ver; host key forced: $hostkey
sikker: sikker-sensor-harness (release), pid $sensor_pid; Cowrie: ${cowrie_ver:-not installed} ${cowrie_ok:+pid $cowrie_pid}${cowrie_err:+-- $cowrie_err}

$(for c in $hs_clients; do hs_block "$c" "${sk_hs[$c]}" "${co_hs[$c]}"; done)

RSS per idle session (authenticated, PTY shell at its prompt), K=$idle_k
  sikker : ${sk_per:-?} KiB  ($sk_held held; RSS ${sk_r0} -> ${sk_r1} KiB)
  Cowrie : ${co_per:-n/a} KiB  ${co_held:+($co_held held; RSS ${co_r0} -> ${co_r1} KiB)}
  ratio  : Cowrie/sikker ${mem_ratio}x   goal >= 10x (sikker <= 1/10): $(verdict "$mem_ratio" '>= 10')

sikker with $big_k concurrent idle sessions
  held ${big_held:-?} in ${big_open}s; total RSS ${big_rss:-?} KiB (${big_mib} MiB; ${big_per} KiB/session)   goal < 1 GiB: $(verdict "$big_rss" "< 1048576 and ${big_held:-0} >= $big_k")
==========================================================================================
EOF
while IFS= read -r r; do
  [[ -n "$r" ]] && jget '.get("errors") or None' <<<"$r" | sed -n '/./s/^/errors: /p'
done < <(printf '%s\n' "${sk_hs[@]}" "${co_hs[@]}" "$sk_idle" "$co_idle" "$sk_big")
exit 0
