"""Running the real `customer-moment serve` command in tests: the command line and waiting until it is ready."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.integration.faults import eventually

METRICS_TOKEN = "metrics-token-for-tests-0123456789"  # METRICS_TOKEN of the servers tests start
METRICS_AUTH = {"Authorization": f"Bearer {METRICS_TOKEN}"}  # what a scrape of their /metrics sends


def serve_command(*args: str) -> list[str]:
    """``customer-moment serve …`` of this virtualenv (or the module, when the script is not installed)."""
    script = Path(sys.executable).with_name("customer-moment")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli.main"]
    return [*command, "serve", *args]


def _read(log: Path) -> str:
    return log.read_text(errors="replace")


async def start_serving(args: list[str], *, env: dict[str, str], cwd: Path, log: Path) -> asyncio.subprocess.Process:
    """Start ``serve`` with its output in ``log``."""
    with log.open("w") as output:
        return await asyncio.create_subprocess_exec(
            *serve_command(*args), env=env, cwd=cwd, stdout=output, stderr=output
        )


async def wait_ready(
    process: asyncio.subprocess.Process,
    base_url: str,
    log: Path,
    *,
    also: Callable[[], bool] = lambda: True,
    within: float = 60,
) -> None:
    """Until ``/readyz`` answers 200 (and ``also`` holds); fails with the server's log if it exits first."""
    async with aiohttp.ClientSession() as http:

        async def ready() -> bool:
            if process.returncode is not None:
                raise AssertionError(f"serve exited {process.returncode}:\n{_read(log)}")
            try:
                async with http.get(base_url + "readyz") as response:
                    return response.status == 200 and also()
            except aiohttp.ClientError:
                return False

        assert await eventually(ready, within=within, every=0.1), _read(log)


def answer_times(exposition: str, *, surface: str, kind: str) -> tuple[float, float]:
    """How many answers ``customer_moment_answer_seconds{surface,kind}`` has timed in ``exposition`` (a
    scrape of ``/metrics``), and their seconds in all."""
    found = {"_count": 0.0, "_sum": 0.0}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            suffix = sample.name.removeprefix("customer_moment_answer_seconds")
            if suffix in found and sample.labels == {"surface": surface, "kind": kind}:
                found[suffix] = float(sample.value)
    return found["_count"], found["_sum"]
