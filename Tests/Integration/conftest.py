"""Fixtures that run a real `lookout serve` for the Python integration tests.

Each server gets a free port on 127.0.0.1 and a fresh data directory, is ready once
GET /health answers 200, and on teardown is sent SIGTERM and must exit with code 0
within 10 seconds (a non-zero exit or a hang is reported as a test error).

The binary is $LOOKOUT_BIN, by default <repo>/.build/debug/lookout, where <repo> is
computed from this file's location (Tests/Integration/conftest.py).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO_ROOT / ".build" / "debug" / "lookout"

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0


def lookout_binary() -> Path:
    return Path(os.environ.get("LOOKOUT_BIN", str(DEFAULT_BIN))).resolve()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LookoutServer:
    """One `lookout serve` process: start(), url, alive(), log_tail(), stop()."""

    def __init__(self, binary: Path, workdir: Path, extra_args: list[str] | None = None):
        self.binary = binary
        self.extra_args = list(extra_args or [])
        self.workdir = workdir
        self.data_dir = workdir / "data"
        self.log_path = workdir / "lookout.log"
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.exit_code: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LookoutServer":
        self.data_dir.mkdir(parents=True, exist_ok=True)
        last_error = ""
        # A free port can be taken between our probe and the server's bind: retry a few times.
        for _attempt in range(3):
            self.port = _free_port()
            log = open(self.log_path, "ab")
            try:
                self.proc = subprocess.Popen(
                    [str(self.binary), "serve", "--listen", f"127.0.0.1:{self.port}",
                     "--data-dir", str(self.data_dir), *self.extra_args],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=str(self.workdir),
                )
            finally:
                log.close()
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while time.monotonic() < deadline:
                code = self.proc.poll()
                if code is not None:
                    last_error = f"lookout serve exited with code {code} during startup"
                    break
                try:
                    r = requests.get(f"{self.url}/health", timeout=2)
                    if r.status_code == 200:
                        return self
                    last_error = f"GET /health answered {r.status_code}: {r.text[:200]!r}"
                except requests.RequestException as e:
                    last_error = f"GET /health failed: {e}"
                time.sleep(0.1)
            else:
                self._kill()
                raise RuntimeError(
                    f"lookout serve did not answer GET /health with 200 within {STARTUP_TIMEOUT_S}s "
                    f"({last_error})\n--- server log ---\n{self.log_tail()}")
            if "address already in use" not in self.log_tail().lower():
                break
        raise RuntimeError(f"{last_error}\n--- server log ---\n{self.log_tail()}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, limit: int = 6000) -> str:
        try:
            data = self.log_path.read_bytes()
        except FileNotFoundError:
            return "(no log)"
        return data[-limit:].decode("utf-8", "replace")

    def stop(self) -> int:
        """SIGTERM, then wait up to 10 s. Returns the exit code; kills and raises on a hang."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(
                    f"lookout serve did not exit within {SHUTDOWN_TIMEOUT_S}s of SIGTERM "
                    f"(killed)\n--- server log ---\n{self.log_tail()}")
        self.exit_code = self.proc.returncode
        return self.exit_code

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Expose each phase's report on the item so fixtures can tell whether the test failed.
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _run_server(tmp_dir: Path, request) -> Iterator[LookoutServer]:
    binary = lookout_binary()
    if not binary.is_file():
        pytest.fail(f"lookout binary not found at {binary} (build it with `swift build`, "
                    f"or point LOOKOUT_BIN at it)", pytrace=False)
    server = LookoutServer(binary, tmp_dir).start()
    try:
        yield server
    finally:
        alive_at_end = server.alive()
        code = server.stop()
        failed = any(getattr(getattr(request.node, f"rep_{w}", None), "failed", False)
                     for w in ("setup", "call"))
        if failed or code != 0 or not alive_at_end:
            print(f"--- lookout serve log ({server.log_path}) ---\n{server.log_tail()}")
        assert alive_at_end, f"lookout serve died during the test (exit code {code})"
        assert code == 0, f"lookout serve exited with code {code} after SIGTERM (expected 0)"


@pytest.fixture
def lookout_server(tmp_path, request):
    """A fresh `lookout serve` for one test (own port, own data dir)."""
    yield from _run_server(tmp_path, request)


@pytest.fixture
def lookout_url(lookout_server) -> str:
    """Base URL (http://127.0.0.1:PORT) of a fresh `lookout serve` for one test."""
    return lookout_server.url


@pytest.fixture(scope="module")
def module_lookout_server(tmp_path_factory, request):
    """One `lookout serve` shared by every test of a module."""
    yield from _run_server(tmp_path_factory.mktemp("lookout"), request)
