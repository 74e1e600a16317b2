"""Black-box acceptance suite for sikker's TAXII 2.1 feed (issue 2).

The suite starts one `sikker serve` on a free 127.0.0.1 port over a fresh data dir filled by
`sikker simulate`, talks to it only over HTTP (taxii2-client and requests), and stops it with
SIGTERM at the end. Tests that change the collection (ingest of new sessions) are marked
`mutates` and always run last, after the read-only tests have seen the pristine collection.

Environment:
  SIKKER_BIN        the binary (default: ${CARGO_TARGET_DIR:-<repo>/target}/debug/sikker)
  TAXII_TEST_IPS    how many IPs to simulate (default 5000, the number the issue asks for)
  TAXII_TEST_SEED   simulate's seed (default 2)
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

import taxii_helpers as th  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 90
STOP_TIMEOUT_S = 15


def sikker_binary() -> Path:
    if os.environ.get("SIKKER_BIN"):
        return Path(os.environ["SIKKER_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / "sikker"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(binary, *args, timeout=1800) -> str:
    proc = subprocess.run(
        [str(binary), *args], capture_output=True, text=True, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"`sikker {' '.join(args)}` exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


class SikkerServer:
    """One running `sikker serve` and the credentials made for it."""

    def __init__(self, binary: Path, workdir: Path, ips: int, seed: int):
        self.binary = binary
        self.workdir = workdir
        self.data = workdir / "data"
        self.ips = ips
        self.log_path = workdir / "serve.log"
        self.proc = None
        self.port = None

        started = time.monotonic()
        run_cli(binary, "simulate", "--data", str(self.data), "--ips", str(ips), "--seed", str(seed))
        self.simulate_seconds = time.monotonic() - started

        self.api_key = run_cli(binary, "keys", "create", "--data", str(self.data), "--name", "taxii-suite").strip()
        self.sensor_token = run_cli(
            binary, "keys", "create", "--role", "sensor", "--data", str(self.data), "--name", "taxii-suite-sensor"
        ).strip()
        if not self.api_key or "\n" in self.api_key:
            raise RuntimeError(f"`sikker keys create` must print only the key, got {self.api_key!r}")
        if not self.sensor_token or "\n" in self.sensor_token:
            raise RuntimeError(f"`sikker keys create --role sensor` must print only the token, got {self.sensor_token!r}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        last_error = None
        for _ in range(3):  # the port may be taken between choosing and binding it
            self.port = free_port()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(
                [str(self.binary), "serve", "--data", str(self.data), "--listen", f"127.0.0.1:{self.port}"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            log.close()
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_error = f"`sikker serve` exited {self.proc.returncode} before it was ready"
                    break
                try:
                    r = requests.get(self.base + "/taxii2/", timeout=2)
                    if r.status_code == 200:
                        return
                    last_error = f"GET /taxii2/ answered {r.status_code}"
                except requests.RequestException as e:
                    last_error = str(e)
                time.sleep(0.2)
            else:
                last_error = f"not ready after {READY_TIMEOUT_S}s: {last_error}"
            self.stop()
        raise RuntimeError(f"could not start `sikker serve`: {last_error}\n{self.log_tail()}")

    def stop(self):
        """SIGTERM, as the contract says; returns the exit code or None if it had to be killed."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def log_tail(self, n=4000) -> str:
        try:
            return "server log (tail):\n" + self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return "(no server log)"


def pytest_configure(config):
    config.addinivalue_line("markers", "mutates: changes the collection; runs after every read-only test")


def pytest_collection_modifyitems(session, config, items):
    # Stable partition: read-only tests first, then the ones that ingest new versions.
    items.sort(key=lambda item: item.get_closest_marker("mutates") is not None)


@pytest.fixture(scope="session")
def server():
    binary = sikker_binary()
    if not binary.exists():
        pytest.fail(f"no sikker binary at {binary}: run `cargo build -p sikker` or set SIKKER_BIN")
    workdir = Path(tempfile.mkdtemp(prefix="sikker-taxii-suite-"))
    ips = int(os.environ.get("TAXII_TEST_IPS", "5000"))
    seed = int(os.environ.get("TAXII_TEST_SEED", "2"))
    srv = SikkerServer(binary, workdir, ips, seed)
    th.REPORT.append(f"simulate --ips {ips}: {srv.simulate_seconds:.1f}s")
    srv.start()
    yield srv
    alive = srv.proc.poll() is None
    code = srv.stop()
    if os.environ.get("TAXII_KEEP_DATA"):
        th.REPORT.append(f"data dir kept at {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    assert alive, f"`sikker serve` died during the run (exit {srv.proc.returncode})\n{srv.log_tail()}"
    assert code is not None, f"`sikker serve` did not stop within {STOP_TIMEOUT_S}s of SIGTERM"


@pytest.fixture(scope="session")
def taxii(server):
    """A requests-based TAXII client bound to the server and the suite's API key."""
    return th.Taxii(server.base, server.api_key)


@pytest.fixture(scope="session")
def snapshot(taxii, server):
    """The pristine collection, walked once: manifest and objects at limit 1000 (raw HTTP)."""
    return th.Snapshot.take(taxii, server.ips)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if th.REPORT:
        terminalreporter.section("sikker TAXII suite notes")
        for line in th.REPORT:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session, exitstatus):
    # Never report success for a run in which no test actually passed (e.g. everything skipped).
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != 0:
        return
    if not reporter.stats.get("passed"):
        session.exitstatus = 1
