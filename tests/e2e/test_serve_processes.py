"""`customer-moment serve --processes N`: several server processes on one port, supervised.

The real command runs against the run's PostgreSQL database on a free port. Proven here: every process
answers; `/metrics` counts the requests of all of them, whichever process serves the scrape; a process
that is killed is replaced while the others keep answering; SIGTERM stops them all and exits 0; and the
combinations that cannot work (SQLite, Socket Mode) are refused with one line naming the setting.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from adapters.cli.processes import check
from adapters.settings import Settings, SettingsError
from benchmarks.common import free_port
from tests.integration.faults import eventually
from tests.support.databases import POSTGRES_URL
from tests.support.serving import METRICS_AUTH, METRICS_TOKEN, serve_command, start_serving, wait_ready

EXIT_WITHIN = 15.0
NEEDS_POSTGRES = pytest.mark.skipif(not POSTGRES_URL, reason="needs PostgreSQL (CM_TEST_POSTGRES_URL)")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text()


def requests_counted(exposition: str, route: str) -> float:
    pattern = rf'^customer_moment_http_requests_total\{{[^}}]*route="{re.escape(route)}"[^}}]*\}} ([0-9.e+]+)$'
    return sum(float(m.group(1)) for m in re.finditer(pattern, exposition, re.MULTILINE))


@pytest.fixture
async def server(postgres_url: str, tmp_path: Path) -> AsyncIterator[tuple[asyncio.subprocess.Process, str, Path]]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "MICROSOFT_APP_ID": "",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "METRICS_TOKEN": METRICS_TOKEN,
        "LOG_LEVEL": "INFO",
        "SCHEDULER_INTERVAL_SECONDS": "0.5",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = tmp_path / "serve.log"
    process = await start_serving(["--processes", "2"], env=env, cwd=tmp_path, log=log)
    base_url = f"http://127.0.0.1:{port}/"
    try:
        await wait_ready(process, base_url, log, also=lambda: len(children(process.pid)) == 2)
        yield process, base_url, log
    finally:
        if process.returncode is None:
            for child in children(process.pid):
                os.kill(child, signal.SIGKILL)
            process.kill()
            await process.wait()


async def fresh_get(base_url: str, path: str) -> tuple[int, str]:
    """One request on a new connection (so that the kernel may hand it to either process)."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with (
        aiohttp.ClientSession(connector=connector) as http,
        http.get(base_url + path, headers=METRICS_AUTH) as response,
    ):
        return response.status, await response.text()


@pytest.mark.postgres
@NEEDS_POSTGRES
async def test_metrics_count_the_requests_of_every_process(
    server: tuple[asyncio.subprocess.Process, str, Path],
) -> None:
    process, base_url, _log = server
    assert len(children(process.pid)) == 2
    for _ in range(40):
        status, _ = await fresh_get(base_url, "healthz")
        assert status == 200
    for _ in range(6):  # whichever process answers the scrape reports all 40
        status, exposition = await fresh_get(base_url, "metrics")
        assert status == 200
        assert requests_counted(exposition, "/healthz") == 40
        assert 'customer_moment_db_pool_in_use{pool="requests"}' in exposition
        assert 'customer_moment_db_pool_in_use{pool="scheduler"}' in exposition  # the scheduler's own pool


@pytest.mark.postgres
@NEEDS_POSTGRES
async def test_a_killed_process_is_replaced_and_sigterm_stops_them_all(
    server: tuple[asyncio.subprocess.Process, str, Path],
) -> None:
    process, base_url, log = server
    first, second = children(process.pid)
    os.kill(first, signal.SIGKILL)

    async def replaced() -> bool:
        now = children(process.pid)
        return len(now) == 2 and first not in now and second in now

    assert await eventually(replaced, within=20, every=0.1), log.read_text()
    for _ in range(10):
        status, _ = await fresh_get(base_url, "healthz")
        assert status == 200

    async def both_ready() -> bool:
        return (await fresh_get(base_url, "readyz"))[0] == 200

    assert await eventually(both_ready, within=20)
    pids = children(process.pid)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=EXIT_WITHIN + 5)
    assert code == 0, log.read_text()
    assert time.monotonic() - started < EXIT_WITHIN
    assert not [pid for pid in pids if alive(pid)]
    assert "exited with -9; starting a new one" in log.read_text()


def test_several_processes_need_postgresql(tmp_path: Path) -> None:
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'cm.db'}")
    check(settings, processes=1, socket_mode=False)
    with pytest.raises(SettingsError, match=r"^SERVE_PROCESSES: SQLite serves a single process"):
        check(settings, processes=2, socket_mode=False)
    postgres = Settings(DATABASE_URL="postgresql://db.example/cm")
    with pytest.raises(SettingsError, match=r"^SERVE_PROCESSES: --socket-mode"):
        check(postgres, processes=3, socket_mode=True)
    check(postgres, processes=3, socket_mode=False)


async def test_the_command_refuses_several_processes_on_sqlite_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cm.db'}", "PORT": str(free_port())}
    process = await asyncio.create_subprocess_exec(
        *serve_command("--processes", "2"),
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 2
    assert err.decode().strip().splitlines() == [
        "customer-moment: SERVE_PROCESSES: SQLite serves a single process; "
        "set DATABASE_URL=postgresql://… to run several"
    ]
    assert not out


def established(pid: int, port: int) -> int:
    """Connections to ``port`` that process ``pid`` holds open (its socket inodes, matched in /proc/net)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:  # 01: ESTABLISHED
                count += 1
    return count


@pytest.mark.postgres
@NEEDS_POSTGRES
async def test_connections_opened_together_are_spread_across_the_processes(
    server: tuple[asyncio.subprocess.Process, str, Path],
) -> None:
    """Clients keep their connections open: a burst of them must not all land on the first process to wake."""
    process, base_url, _log = server
    port = int(base_url.rsplit(":", 1)[1].strip("/"))
    sessions = [aiohttp.ClientSession() for _ in range(64)]
    try:

        async def hello(http: aiohttp.ClientSession) -> int:
            async with http.get(base_url + "healthz") as response:
                await response.read()
                return response.status

        assert await asyncio.gather(*(hello(http) for http in sessions)) == [200] * 64
        held = [established(pid, port) for pid in children(process.pid)]
        assert sum(held) == 64, held
        assert all(16 <= n <= 48 for n in held), held
    finally:
        await asyncio.gather(*(http.close() for http in sessions))
