"""Start the QA service: ``serve`` the API and pages, or ``bootstrap-admin`` once.

The one door into the service from outside it: ``python -m service`` and the bench's
``packbench serve`` / ``packbench token bootstrap-admin`` (``bench.cli_service``, the only bench
module allowed to import it) both come through here, so the service stays its own package.
"""

from __future__ import annotations

import argparse
import sys

from results.accounts import bootstrap_admin
from results.errors import ResultsError
from service.settings import Settings, SettingsError
from service.store import connection_shortfall, open_store

__all__ = ["EVENT_LOOP", "HTTP_PARSER", "Settings", "SettingsError", "bootstrap", "main", "serve"]

HTTP_PARSER = "httptools"
"""uvicorn's C parser, named rather than left to uvicorn's ``auto``: with the pure-Python h11 a
worker spent more CPU on a realistic run submission (a 340 kB body), and 135-139 realistic
submissions/s on four workers rose to 146-149 with this and ``EVENT_LOOP`` (issue #18). A
missing package is then an error at start, not a quietly slower service."""
EVENT_LOOP = "asyncio" if sys.platform == "win32" else "uvloop"
"""uvloop has no Windows build (the dependency is marked so); there the standard loop."""


def bootstrap(settings: Settings, name: str = "admin", printed_name: str = "Administrator") -> str:
    """Create the first admin and return its token (shown once, stored only as a hash)."""
    store = open_store(settings)
    try:
        with store.sessions.begin() as session:
            return bootstrap_admin(session, name, printed_name)
    finally:
        store.close()


def serve(settings: Settings, *, host: str, port: int, workers: int) -> None:
    import uvicorn

    store = open_store(settings)  # migrate once here, before the workers start
    try:
        shortfall = connection_shortfall(store, workers=workers, pool=settings.database_pool)
    finally:
        store.close()
    if shortfall is not None:
        print(f"serve: warning: {shortfall}", file=sys.stderr)
    uvicorn.run(
        "service.app:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http=HTTP_PARSER,
        loop=EVENT_LOOP,
        proxy_headers=False,
        server_header=False,  # no product banner (ASVS 14.3.3)
        log_level="info",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("serve", help="serve the API and pages (PACKBENCH_DATABASE_URL)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1)
    boot = sub.add_parser("bootstrap-admin", help="create the first admin; prints its token once")
    boot.add_argument("--name", default="admin")
    boot.add_argument("--printed-name", default="Administrator")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    if args.command == "serve":
        serve(settings, host=args.host, port=args.port, workers=args.workers)
        return 0
    try:
        token = bootstrap(settings, args.name, args.printed_name)
    except ResultsError as exc:
        print(f"bootstrap-admin: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0
