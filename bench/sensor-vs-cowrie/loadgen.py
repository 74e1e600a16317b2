#!/usr/bin/env python3
"""SSH load generator for bench/sensor-vs-cowrie (asyncssh, several worker processes).

Two modes, both print one JSON object on the last line of stdout:

  handshakes  N full handshakes (TCP connect, version exchange, key exchange with the host key
              type forced, password auth, disconnect) at a fixed total concurrency. Reports
              wall-clock rate plus the server's and the client's CPU seconds over the phase,
              so a reader can tell whether the client was the bottleneck.

  idle        K authenticated sessions, each with a PTY shell whose first output (the prompt)
              has arrived, held open and silent. Measures the server's RSS (VmRSS, summed over
              the process and its descendants) before opening them and after they have all
              settled, then closes them.

Only 127.0.0.1 is ever contacted. Each worker process gets an equal share of N (or K) and
of the concurrency.
"""

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import sys
import time

import asyncssh

CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- /proc helpers


def descendants(pid):
    """pid and every process below it (Cowrie is a single twistd process, but be safe)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kib(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_secs(pid):
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / CLK_TCK


# ---------------------------------------------------------------- one connection


def conn_options(a):
    return dict(
        host="127.0.0.1",
        port=a.port,
        username=a.user,
        password=a.password,
        known_hosts=None,
        server_host_key_algs=[a.hostkey],
        preferred_auth="password",
        client_keys=None,
        agent_path=None,
        connect_timeout=a.connect_timeout,
        login_timeout=a.connect_timeout,
        keepalive_interval=0,
    )


async def one_handshake(opts, seen):
    conn = await asyncssh.connect(**opts)
    key = conn.get_server_host_key()
    if key is not None:
        alg = key.get_algorithm()
        seen.add(alg.decode() if isinstance(alg, bytes) else alg)
    conn.close()
    await conn.wait_closed()


async def one_idle(opts, prompt_timeout, shell=True):
    """An authenticated connection with a PTY shell that has printed something (its prompt);
    without `shell`, just the authenticated connection."""
    conn = await asyncssh.connect(**opts)
    if not shell:
        return conn, None
    proc = await conn.create_process(term_type="xterm", term_size=(80, 24), encoding=None)
    first = await asyncio.wait_for(proc.stdout.read(256), prompt_timeout)
    if not first:
        raise RuntimeError("shell closed before printing a prompt")
    return conn, proc


# ---------------------------------------------------------------- workers


def worker_handshakes(a, n, conc, start_evt, out_q):
    async def run():
        opts = conn_options(a)
        seen, errors, ok = set(), {}, 0
        sem = asyncio.Semaphore(conc)

        async def task():
            nonlocal ok
            async with sem:
                try:
                    await one_handshake(opts, seen)
                    ok += 1
                except Exception as e:  # noqa: BLE001 - every failure is counted, not fatal
                    k = f"{type(e).__name__}: {e}"[:160]
                    errors[k] = errors.get(k, 0) + 1

        start_evt.wait()
        await asyncio.gather(*(task() for _ in range(n)))
        return ok, errors, sorted(seen)

    ok, errors, seen = asyncio.run(run())
    out_q.put({"ok": ok, "errors": errors, "seen": seen})


def worker_idle(a, k, conc, ready_q, release_evt):
    async def run():
        opts = conn_options(a)
        held, errors = [], {}
        sem = asyncio.Semaphore(conc)

        async def task():
            async with sem:
                try:
                    held.append(await one_idle(opts, a.connect_timeout, not a.no_shell))
                except Exception as e:  # noqa: BLE001
                    k_ = f"{type(e).__name__}: {e}"[:160]
                    errors[k_] = errors.get(k_, 0) + 1

        await asyncio.gather(*(task() for _ in range(k)))
        ready_q.put({"held": len(held), "errors": errors})
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, release_evt.wait)
        for conn, _proc in held:
            conn.close()
        await asyncio.gather(*(c.wait_closed() for c, _ in held), return_exceptions=True)

    asyncio.run(run())


def split(total, parts):
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# ---------------------------------------------------------------- modes


def mode_handshakes(a):
    ctx = mp.get_context("fork")
    start_evt, out_q = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=worker_handshakes, args=(a, n, c, start_evt, out_q))
        for n, c in zip(split(a.n, a.procs), split(a.concurrency, a.procs))
    ]
    for p in procs:
        p.start()
    time.sleep(0.5)  # let the workers import and reach the start line
    srv_cpu0 = cpu_secs(a.pid)
    t0 = time.monotonic()
    start_evt.set()
    results = []
    deadline = t0 + a.timeout
    while len(results) < len(procs):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            results.append(out_q.get(timeout=left))
        except Exception:  # noqa: BLE001 - queue.Empty
            break
    elapsed = time.monotonic() - t0
    srv_cpu = cpu_secs(a.pid) - srv_cpu0
    timed_out = len(results) < len(procs)
    for p in procs:
        if timed_out:
            p.kill()
        p.join(5)
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    ok = sum(r["ok"] for r in results)
    errors = {}
    for r in results:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    seen = sorted({s for r in results for s in r["seen"]})
    print(
        json.dumps(
            {
                "mode": "handshakes",
                "n": a.n,
                "concurrency": a.concurrency,
                "procs": a.procs,
                "ok": ok,
                "failed": a.n - ok,
                "errors": errors,
                "timed_out": timed_out,
                "elapsed_s": round(elapsed, 3),
                "rate": round(ok / elapsed, 1) if elapsed > 0 else 0,
                "server_cpu_s": round(srv_cpu, 2),
                "client_cpu_s": round(ru.ru_utime + ru.ru_stime, 2),
                "hostkey_seen": seen,
            }
        )
    )


def mode_idle(a):
    raise_nofile()
    ctx = mp.get_context("fork")
    ready_q, release_evt = ctx.Queue(), ctx.Event()
    rss0 = rss_kib(a.pid)
    t0 = time.monotonic()
    procs = [
        ctx.Process(target=worker_idle, args=(a, k, c, ready_q, release_evt))
        for k, c in zip(split(a.n, a.procs), split(a.concurrency, a.procs))
    ]
    for p in procs:
        p.start()
    reports = []
    deadline = t0 + a.timeout
    while len(reports) < len(procs):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            reports.append(ready_q.get(timeout=left))
        except Exception:  # noqa: BLE001
            break
    open_s = time.monotonic() - t0
    time.sleep(a.settle)
    rss1 = rss_kib(a.pid)
    release_evt.set()
    for p in procs:
        p.join(30)
        if p.is_alive():
            p.kill()
            p.join()
    held = sum(r["held"] for r in reports)
    errors = {}
    for r in reports:
        for k, v in r["errors"].items():
            errors[k] = errors.get(k, 0) + v
    print(
        json.dumps(
            {
                "mode": "idle",
                "k": a.n,
                "shell": not a.no_shell,
                "held": held,
                "errors": errors,
                "timed_out": len(reports) < len(procs),
                "open_s": round(open_s, 1),
                "rss_before_kib": rss0,
                "rss_after_kib": rss1,
                "per_session_kib": round((rss1 - rss0) / held, 1) if held else None,
            }
        )
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("mode", choices=["handshakes", "idle"])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pid", type=int, required=True, help="server process to measure")
    p.add_argument("-n", type=int, required=True, help="handshakes, or idle sessions")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--procs", type=int, default=2, help="client worker processes")
    p.add_argument("--hostkey", default="ssh-ed25519")
    p.add_argument("--user", default="root")
    p.add_argument("--password", default="x")
    p.add_argument("--connect-timeout", type=float, default=60)
    p.add_argument("--timeout", type=float, default=300, help="bound on the whole phase (s)")
    p.add_argument("--no-shell", action="store_true", help="idle: authenticate, open no channel")
    p.add_argument("--settle", type=float, default=3, help="idle: wait before measuring (s)")
    a = p.parse_args()
    {"handshakes": mode_handshakes, "idle": mode_idle}[a.mode](a)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
