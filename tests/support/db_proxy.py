"""A TCP proxy in front of PostgreSQL that tests can cut and restore, to simulate a database outage.

The shared PostgreSQL server must never be stopped (other test runs use it), so an outage is made
here instead: point the application's ``DATABASE_URL`` at the proxy (:meth:`DbProxy.url_for`), then

* :meth:`DbProxy.cut` closes every proxied connection at once (the peer sees its socket drop, as when
  the database restarts) and stops listening, so new connections are refused;
* :meth:`DbProxy.stall` holds every byte instead (a network partition: nothing is refused, nothing answers);
* :meth:`DbProxy.restore` listens again on the same port; pooled connections that died meanwhile are
  replaced by the engine's checkout check.

It can also run in a separate process for a script (``python -m tests.support.db_proxy``), driven
through standard input: one line ``cut``, ``stall`` or ``restore`` at a time; it prints ``PORT <n>`` once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import AsyncIterator

from sqlalchemy.engine import make_url

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024


class DbProxy:
    """Forwards ``host:port`` (a free port unless given) to ``upstream_host:upstream_port``."""

    def __init__(
        self,
        *,
        upstream_host: str = "127.0.0.1",
        upstream_port: int = 5432,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.accepted = 0  # connections accepted since start (a reconnect shows up here)
        self._flowing = asyncio.Event()  # cleared by :meth:`stall`: bytes are held, nothing is refused
        self._flowing.set()

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> DbProxy:
        """Listen (on a free port the first time; the same port after :meth:`restore`)."""
        if self._port == 0:
            self._port = _free_port(self.host)
        self._server = await asyncio.start_server(self._accept, self.host, self._port, reuse_address=True)
        return self

    async def close(self) -> None:
        await self.cut()

    async def __aenter__(self) -> DbProxy:
        return await self.start()

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        return self._port

    @property
    def is_cut(self) -> bool:
        return self._server is None

    @property
    def open_connections(self) -> int:
        return len(self._links)

    def url_for(self, database_url: str) -> str:
        """``database_url`` with its host and port swapped for the proxy's."""
        return make_url(database_url).set(host=self.host, port=self.port).render_as_string(hide_password=False)

    # -- the outage -------------------------------------------------------------------------------

    async def cut(self) -> None:
        """Refuse new connections and drop every open one (both directions, at once)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()
        for writer in list(self._writers):
            writer.transport.abort()
        links = list(self._links)
        for link in links:
            link.cancel()
        await asyncio.gather(*links, return_exceptions=True)
        self._writers.clear()

    def stall(self) -> None:
        """A network partition: connections stay open and new ones are accepted, but no byte gets through."""
        self._flowing.clear()

    async def restore(self) -> None:
        """Accept connections again, on the same port, and let held bytes flow."""
        self._flowing.set()
        if self._server is None:
            await self.start()

    # -- forwarding -------------------------------------------------------------------------------

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._server is None:  # cut while this connection was being accepted
            client_writer.transport.abort()
            return
        self.accepted += 1
        task = asyncio.current_task()
        assert task is not None
        self._links.add(task)
        self._writers.add(client_writer)
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            await self._flowing.wait()
            upstream_reader, upstream_writer = await asyncio.open_connection(self.upstream_host, self.upstream_port)
            self._writers.add(upstream_writer)
            await asyncio.gather(
                _pump(client_reader, upstream_writer, self._flowing),
                _pump(upstream_reader, client_writer, self._flowing),
            )
        except (OSError, asyncio.IncompleteReadError) as exc:
            logger.debug("proxied connection ended: %s", exc)
        except asyncio.CancelledError:
            # Cut: this task is the top of its stack, and asyncio (3.11) would log a cancelled callback task.
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.transport.abort()
            self._links.discard(task)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, flowing: asyncio.Event) -> None:
    """Copy one direction until end of stream (holding bytes while stalled), then half-close the other side."""
    while True:
        data = await reader.read(CHUNK)
        if not data:
            break
        await flowing.wait()
        writer.write(data)
        await writer.drain()
    if writer.can_write_eof() and not writer.is_closing():
        with contextlib.suppress(OSError):
            writer.write_eof()


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_proxy(upstream_host: str = "127.0.0.1", upstream_port: int = 5432) -> AsyncIterator[DbProxy]:
    """A started proxy for the duration of the block."""
    async with DbProxy(upstream_host=upstream_host, upstream_port=upstream_port) as proxy:
        yield proxy


async def _main(args: argparse.Namespace) -> None:
    """Run as a process: print the port, then obey ``cut`` / ``restore`` lines on standard input."""
    proxy = await DbProxy(upstream_host=args.upstream_host, upstream_port=args.upstream_port, port=args.port).start()
    print(f"PORT {proxy.port}", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = line.strip()
            if command == "cut":
                await proxy.cut()
            elif command == "stall":
                proxy.stall()
            elif command == "restore":
                await proxy.restore()
            print(f"OK {command}", flush=True)
    finally:
        await proxy.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A cuttable TCP proxy in front of PostgreSQL.")
    parser.add_argument("--upstream-host", default="127.0.0.1")
    parser.add_argument("--upstream-port", type=int, default=5432)
    parser.add_argument("--port", type=int, default=0)
    asyncio.run(_main(parser.parse_args()))
