"""`customer-moment serve --processes N`: one listening socket, N server processes, one supervisor.

Python runs one event loop on one core, so a single ``serve`` process cannot use a second core. This
supervisor migrates the database once, binds the port, and forks ``N`` copies of the ordinary server
(HTTP surfaces and scheduler). On Linux each process listens on a socket of its own on that port
(``SO_REUSEPORT``) and the kernel spreads new connections evenly across them; with one shared socket,
the first process to wake takes every connection waiting, and since clients keep their connections
open, one process would go on serving most of the traffic while the other sat idle. Elsewhere the
processes share the supervisor's socket. They coordinate through PostgreSQL exactly as replicas on
separate machines do (claims, leases, deduplication in the database), which is why several processes
need PostgreSQL.

A process that dies is replaced. On SIGTERM (or SIGINT) every process gets SIGTERM, finishes its
in-flight work within the usual grace period, and the supervisor exits 0 once all are gone.
Prometheus metrics are collected from every process (``PROMETHEUS_MULTIPROC_DIR``), so ``/metrics``
shows the whole server whichever process answers the scrape.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess

from adapters.settings import Settings, SettingsError
from bot.runtime import is_sqlite

logger = logging.getLogger(__name__)

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
STOP_WITHIN = 12.0  # seconds: each process's own grace period plus a little; then it is killed
RESTART_PAUSE = 1.0  # seconds before replacing a process that died
QUICK_DEATHS = 5  # this many deaths in a row, each within STARTUP seconds of its start, ends the server
STARTUP = 10.0

Child = Callable[[Settings, socket.socket], int]


def check(settings: Settings, *, processes: int, socket_mode: bool) -> None:
    """Refuse combinations several processes cannot serve, naming what to change."""
    if processes < 1:
        raise SettingsError("SERVE_PROCESSES: must be at least 1")
    if processes == 1:
        return
    if is_sqlite(settings.database_url):
        raise SettingsError(
            "SERVE_PROCESSES: SQLite serves a single process; set DATABASE_URL=postgresql://… to run several"
        )
    if socket_mode:
        raise SettingsError("SERVE_PROCESSES: --socket-mode runs in one process; leave SERVE_PROCESSES at 1")


BALANCED = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")  # where the kernel balances reused ports
# Connections the kernel queues for a listening socket before they are accepted (aiohttp's own default is
# 128): a burst beyond that waits for the client's SYN retry, a second or more. Each server process asks
# for it again when it starts listening (adapters/cli/serve.py).
BACKLOG = 1024


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on the server's port."""
    try:
        sock = socket.create_server((host, port), backlog=BACKLOG, reuse_port=False)
    except OSError as exc:
        raise SettingsError(f"PORT: cannot listen on {host}:{port} ({exc.strerror or exc})") from exc
    sock.setblocking(False)
    return sock


def port_socket(host: str, port: int) -> socket.socket:
    """The port the server processes listen on, bound here: shared by all of them, or (``BALANCED``) only held
    for them, bound but not listening, so that it stays the server's while processes come and go."""
    probe = listening_socket(host, port)  # the port must be free: nothing else may share it unnoticed
    if not BALANCED:
        return probe
    address = probe.getsockname()[:2]  # the actual port, when 0 asked for any free one
    probe.close()
    try:
        return _reused_port(probe.family, address)
    except OSError as exc:
        raise SettingsError(f"PORT: cannot listen on {host}:{port} ({exc.strerror or exc})") from exc


def process_socket(port: socket.socket) -> socket.socket:
    """What one server process listens on: the shared socket, or (``BALANCED``) a socket of its own on the
    held port, bound but not listening yet: the server listens once it is built and can answer, so that
    no connection waits in the queue of a process still starting (or reset, should it fail to start)."""
    if not BALANCED:
        return port
    own = _reused_port(port.family, port.getsockname()[:2])
    port.close()  # the supervisor keeps holding it; this process needs only its own
    return own


def _reused_port(family: socket.AddressFamily, address: tuple[str, int]) -> socket.socket:
    """A socket bound to ``address`` that other sockets of this user may bind too (``SO_REUSEPORT``)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class Supervisor:
    """Keeps ``count`` server processes running on one socket until told to stop."""

    def __init__(self, *, settings: Settings, sock: socket.socket, count: int, child: Child) -> None:
        self._settings = settings
        self._sock = sock
        self._count = count
        self._child = child
        self._context = multiprocessing.get_context("fork")
        self._processes: dict[int, tuple[BaseProcess, float]] = {}  # slot → process, start time
        self._stopping = threading.Event()
        self._quick_deaths = 0

    def stop(self) -> None:
        self._stopping.set()

    def _start(self, slot: int) -> None:
        process = self._context.Process(
            target=_run_child, args=(self._child, self._settings, self._sock), name=f"customer-moment-{slot}"
        )
        process.start()
        self._processes[slot] = (process, time.monotonic())
        logger.info("server process %s started (pid %s)", slot, process.pid)

    def run(self) -> int:
        """Start the processes, replace any that die, stop them all on :meth:`stop`; the exit status."""
        for slot in range(self._count):
            self._start(slot)
        try:
            while not self._stopping.is_set():
                sentinels = [process.sentinel for process, _ in self._processes.values()]
                wait(sentinels, timeout=0.5)
                for slot, (process, started) in list(self._processes.items()):
                    if process.is_alive() or self._stopping.is_set():
                        continue
                    _forget_metrics(process.pid)
                    logger.error(
                        "server process %s (pid %s) exited with %s; starting a new one",
                        slot,
                        process.pid,
                        process.exitcode,
                    )
                    self._quick_deaths = self._quick_deaths + 1 if time.monotonic() - started < STARTUP else 0
                    if self._quick_deaths >= QUICK_DEATHS:
                        logger.error("server processes keep dying at start-up; giving up")
                        return 1
                    if self._stopping.wait(RESTART_PAUSE):
                        break
                    self._start(slot)
        finally:
            self._stop_all()
        return 0

    def _stop_all(self) -> None:
        processes = [process for process, _ in self._processes.values()]
        for process in processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_WITHIN
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.warning("server process pid %s did not stop in time; killing it", process.pid)
                process.kill()
                process.join(1.0)
            _forget_metrics(process.pid)
        logger.info("all %s server processes stopped", len(processes))


def _run_child(child: Child, settings: Settings, sock: socket.socket) -> None:
    # The supervisor's handlers were inherited; the server installs its own on its event loop.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    raise SystemExit(child(settings, process_socket(sock)))


def _forget_metrics(pid: int | None) -> None:
    """A process that is gone no longer counts towards live gauges."""
    if pid is None or not os.environ.get(METRICS_DIR):
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def supervise(settings: Settings, *, count: int, child: Child, migrate: Callable[[Settings], None]) -> int:
    """Run ``count`` server processes until SIGTERM/SIGINT; returns the exit status."""
    own_metrics_dir = not os.environ.get(METRICS_DIR)
    if own_metrics_dir:
        # Set before any process imports prometheus_client: it picks its storage at import time.
        os.environ[METRICS_DIR] = tempfile.mkdtemp(prefix="customer-moment-metrics-")
    try:
        migrate(settings)
        sock = port_socket(settings.host, settings.port)
        supervisor = Supervisor(settings=settings, sock=sock, count=count, child=child)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda _sig, _frame: supervisor.stop())
        logger.info("serving on %s:%s with %s processes", settings.host, sock.getsockname()[1], count)
        try:
            return supervisor.run()
        finally:
            sock.close()
    finally:
        if own_metrics_dir:
            shutil.rmtree(os.environ.pop(METRICS_DIR), ignore_errors=True)
