"""``packbench station serve``: the operator panel of this bench, in a browser.

The web server runs in a background thread; this (the main) thread runs the units started from
the panel, one at a time, through ``bench.runner.run_unit`` with the engine's signal handling,
so the terminal shows each run as ``packbench run`` would and Ctrl-C there aborts a run safely
(a second Ctrl-C, or one while no run goes on, stops the panel).
"""

from __future__ import annotations

import secrets
import socket
import sys
import threading
import time
from pathlib import Path

import click

from bench.cli_common import station, station_option
from bench.errors import EXIT_PASS, InputError
from bench.panel.controller import PanelController
from bench.panel.hub import EventHub
from bench.panel.i18n import LOCALES
from bench.panel.publish import write_panel_file
from bench.panel.view import PanelView
from bench.runner import open_store_for

LOOPBACK = ("127.0.0.1", "localhost", "::1")
START_TIMEOUT_S = 10.0


@click.group("station")
def station_group() -> None:
    """This bench's station: the operator panel."""


def host_names(host: str, port: int) -> list[str]:
    """The ``Host`` headers the panel answers to: the address it listens on, and on loopback
    also ``localhost`` and ``127.0.0.1`` (what a technician types)."""
    names = {f"{host}:{port}"}
    if host in LOOPBACK:
        names |= {f"127.0.0.1:{port}", f"localhost:{port}"}
    return sorted(names)


@station_group.command("serve")
@station_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any free."
)
@click.option(
    "--lang",
    type=click.Choice(LOCALES),
    default=None,
    help="The page's language until the operator switches it; default: [station] language.",
)
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow --host other than loopback (a tablet on the bench's own network): anyone who "
    "can reach the port can then start and abort runs on this bench.",
)
def serve(
    station_file: Path | None, host: str, port: int, lang: str | None, allow_remote: bool
) -> int:
    """Serve the operator panel (sign in, start, live steps and plot, prompts, abort) on
    http://127.0.0.1:8765/ until Ctrl-C; runs use the station file, as `packbench run` does."""
    if host not in LOOPBACK and not allow_remote:
        raise InputError(
            f"--host {host}: the panel switches the bench's outputs on; it listens on loopback "
            "only unless you also pass --allow-remote"
        )
    # the web stack is imported here, not with the command line: every other command starts
    # without paying for FastAPI and uvicorn
    import uvicorn

    from bench.panel.app import create_app
    from bench.panel.sync_view import sync_snapshot

    config = station(station_file)
    sessions = open_store_for(config)
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}; try --port 0") from None
    bound = listener.getsockname()[1]
    hub = EventHub()
    controller = PanelController(
        config,
        sessions,
        hub,
        PanelView(hub, sys.stdout, locale=config.language),
        reload=lambda: station(station_file),
    )
    token = secrets.token_urlsafe(32)
    app = create_app(
        controller,
        hub,
        token=token,
        hosts=host_names(host, bound),
        default_lang=lang or config.language,
        sync_status=lambda: sync_snapshot(config, sessions),
    )
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=2)
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="panel-http", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    shown_host = f"[{host}]" if ":" in host else host
    url = f"http://{shown_host}:{bound}/"
    found_by = write_panel_file(config.station_id, url, token)  # for `packbench run --panel`
    click.echo(
        f"packbench: operator panel of station {config.station_id} on {url} (Ctrl-C stops it)",
        err=True,
    )
    stop = threading.Event()
    try:
        controller.serve_forever(stop)
    except KeyboardInterrupt:
        click.echo("packbench: operator panel stopped", err=True)
    finally:
        stop.set()
        hub.close()
        server.should_exit = True
        thread.join(START_TIMEOUT_S)
        listener.close()
        found_by.unlink(missing_ok=True)
    return EXIT_PASS
