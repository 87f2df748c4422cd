"""`customer-moment`: console, migrate and the other subcommands."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from adapters.cli import logs
from adapters.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="customer-moment", description="A Customer Moment in every team meeting, in Slack and Teams."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    console = sub.add_parser("console", help="chat with the bot in this terminal (embedded database)")
    console.add_argument("--as", dest="actor", default="alice", help="member to act as (default: alice)")
    console.add_argument(
        "--now",
        default=None,
        help='start a simulated clock, e.g. "2026-12-07 08:00 Europe/Berlin" or 2026-12-07T07:00Z; `wait` moves it',
    )
    sub.add_parser("migrate", help="apply database migrations and exit")
    serve = sub.add_parser("serve", help="run the HTTP server: Slack, Teams, health, readiness and the scheduler")
    serve.add_argument("--socket-mode", action="store_true", help="receive Slack over Socket Mode (SLACK_APP_TOKEN)")
    serve.add_argument(
        "--processes", type=int, default=None, help="server processes sharing the port (default SERVE_PROCESSES, 1)"
    )
    package = sub.add_parser("teams-package", help="build the Microsoft Teams app package (zip) to upload")
    package.add_argument("--output", default=".", help="zip file or folder to write (default: current folder)")
    package.add_argument(
        "--base-url", default=None, help="public https URL of this service (links, valid domain); default PUBLIC_URL"
    )
    sub.add_parser("check", help="check settings, database, migrations and credentials; one line per problem")
    sub.add_parser("worker", help="run the scheduler alone (several may run against one PostgreSQL)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"customer-moment: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level if args.command != "console" else "WARNING", settings.log_format)
    if args.command == "console":
        return _console(settings, actor=args.actor, now=args.now)
    if args.command == "migrate":
        return asyncio.run(_migrate(settings))
    if args.command == "serve":
        try:
            return _serve(settings, socket_mode=args.socket_mode, processes=args.processes or settings.serve_processes)
        except SettingsError as exc:
            print(f"customer-moment: {exc}", file=sys.stderr)
            return 2
    if args.command == "teams-package":
        return _teams_package(settings, output=args.output, base_url=args.base_url)
    if args.command == "check":
        from adapters.cli.check import check

        return asyncio.run(check(settings))
    if args.command == "worker":
        from adapters.cli.serve import work

        return _run_service(work(settings))
    return 2


def _console(settings: Settings, *, actor: str, now: str | None) -> int:
    from adapters.composition import console
    from adapters.console.chat import DEMO_ZONE
    from adapters.console.clock import ClockError, parse_now

    try:
        start = parse_now(now, zone=DEMO_ZONE) if now is not None else None
    except ClockError as exc:
        print(f"customer-moment: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(console(settings, actor=actor, now=start))


def _run_service(main: Coroutine[Any, Any, int]) -> int:
    """Run a long-lived service on uvloop where it is installed (not on Windows): less CPU per request."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


def _serve(settings: Settings, *, socket_mode: bool, processes: int) -> int:
    from adapters.cli import processes as supervisor

    supervisor.check(settings, processes=processes, socket_mode=socket_mode)
    if processes == 1:
        from adapters.cli.serve import serve

        return _run_service(serve(settings, socket_mode=socket_mode))

    def child(settings: Settings, sock: socket.socket) -> int:
        # Imported in the server process itself, after the supervisor has set up shared metrics.
        from adapters.cli.serve import serve

        return _run_service(serve(settings, sock=sock))

    def migrate(settings: Settings) -> None:
        asyncio.run(_migrate(settings, quiet=True))

    return supervisor.supervise(settings, count=processes, child=child, migrate=migrate)


def _teams_package(settings: Settings, *, output: str, base_url: str | None) -> int:
    from pathlib import Path

    from adapters.teams.package import build_package

    if not settings.microsoft_app_id:
        print(
            "customer-moment: MICROSOFT_APP_ID: set it to the Azure Bot's app id to build the package.", file=sys.stderr
        )
        return 2
    try:
        path = build_package(
            app_id=settings.microsoft_app_id, output=Path(output), base_url=base_url or settings.public_url or None
        )
    except ValueError as exc:
        print(f"customer-moment: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote {path}; upload it in Teams → Apps → Manage your apps → Upload an app.")
    return 0


async def _migrate(settings: Settings, *, quiet: bool = False) -> int:
    from adapters.composition import migrate

    await migrate(settings)
    if not quiet:
        print("Database is up to date.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
