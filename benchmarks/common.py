"""Pieces every benchmark needs: a throw-away PostgreSQL database and a free local port."""

from __future__ import annotations

import contextlib
import socket
import uuid
from collections.abc import AsyncIterator

import asyncpg
from sqlalchemy.engine import make_url


async def _admin(server_url: str, sql: str) -> None:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@contextlib.asynccontextmanager
async def throwaway_database(server_url: str, *, prefix: str = "cm_bench") -> AsyncIterator[str]:
    """A fresh database ``<prefix>_<random>`` on the server of ``server_url``, dropped afterwards.

    Yields its async SQLAlchemy URL (``postgresql+asyncpg://…``).
    """
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield (
            make_url(server_url)
            .set(drivername="postgresql+asyncpg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
