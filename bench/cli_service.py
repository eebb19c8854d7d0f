"""``packbench serve``, ``token bootstrap-admin`` and ``token bench``: the QA service from the CLI.

The service reads its settings from the environment in every uvicorn worker (each worker is a
fresh process built from an import string), so the command line's choices are written into the
environment before the service (``service.launcher``) starts: the one store setting of every command
(``bench.store_setting``: ``--database``, else ``$PACKBENCH_DATABASE_URL``, else the station's
store), which lets a bench and the service on the same PC share one store
without any extra setting. The same order holds for the evidence folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from bench.cli_common import F, station, station_option
from bench.config import StationConfig
from bench.errors import EXIT_BAD_INPUT, EXIT_PASS, InputError
from results.accounts import Role, ServiceUser, create_user, issue_token
from results.errors import ResultsError
from results.store import open_store
from service.launcher import Settings, SettingsError, bootstrap
from service.launcher import serve as serve_service

DATABASE_ENV = "PACKBENCH_DATABASE_URL"
EVIDENCE_ENV = "PACKBENCH_EVIDENCE_DIR"


def service_environment(config: StationConfig, evidence_dir: Path | None) -> dict[str, str]:
    """The variables the service reads: the store as ``station()`` chose it (option > environment
    > station file > default, ``bench.store_setting``), the evidence folder option > environment
    > station file."""
    chosen_database = config.database
    chosen_evidence = (str(evidence_dir) if evidence_dir else os.environ.get(EVIDENCE_ENV)) or str(
        config.evidence_dir
    )
    if "://" not in chosen_database:
        Path(chosen_database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return {DATABASE_ENV: chosen_database, EVIDENCE_ENV: chosen_evidence}


def _settings(config: StationConfig, evidence_dir: Path | None) -> Settings:
    """Settings as every worker will read them."""
    env = dict(os.environ) | service_environment(config, evidence_dir)
    try:
        return Settings.from_env(env)
    except SettingsError as exc:
        raise InputError(str(exc)) from exc


def _database_option(function: F) -> F:
    """``--evidence-dir``; ``--database`` comes with ``--station`` (``bench.store_setting``)."""
    return click.option(
        "--evidence-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help="Evidence folder (default: $PACKBENCH_EVIDENCE_DIR, else the station's).",
    )(function)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
@_database_option
@station_option
def serve(
    host: str,
    port: int,
    workers: int,
    evidence_dir: Path | None,
    station_file: Path | None,
) -> int:
    """Serve the QA service (API, OpenAPI spec at /openapi.json, pages) until Ctrl-C/SIGTERM.

    Several workers need PostgreSQL (SQLite serialises writers). Create the first administrator
    with `packbench token bootstrap-admin`.
    """
    config = station(station_file)  # its database is already the one store setting's choice
    settings = _settings(config, evidence_dir)
    # Workers (and the app factory of a single worker) read the environment, not our options.
    os.environ.update(service_environment(config, evidence_dir))
    if workers > 1 and "://" not in settings.database_url:
        click.echo(
            "packbench serve: warning: several workers on SQLite take turns writing; use "
            "PostgreSQL for a shared installation",
            err=True,
        )
    try:
        serve_service(settings, host=host, port=port, workers=workers)
    except KeyboardInterrupt:
        pass  # uvicorn shut down gracefully, then re-raised the signal: a normal stop
    except OSError as exc:
        raise InputError(
            f"cannot serve on {host}:{port}: {exc.strerror or exc}; choose another --port or "
            "stop what listens there"
        ) from exc
    click.echo("packbench serve: stopped", err=True)
    return EXIT_PASS


@click.group()
def token() -> None:
    """API tokens of the QA service."""


@token.command("bootstrap-admin")
@click.option("--name", default="admin", show_default=True, help="Login name of the admin.")
@click.option("--printed-name", default="Administrator", show_default=True)
@_database_option
@station_option
def bootstrap_admin(
    name: str,
    printed_name: str,
    evidence_dir: Path | None,
    station_file: Path | None,
) -> int:
    """Create the first administrator and print its API token, once (only its hash is kept)."""
    settings = _settings(station(station_file), evidence_dir)
    try:
        raw = bootstrap(settings, name, printed_name)
    except ResultsError as exc:
        click.echo(f"packbench: bootstrap-admin: {exc}", err=True)
        return EXIT_BAD_INPUT
    click.echo(raw)
    click.echo("(shown once: store it now; only its hash is kept)", err=True)
    return EXIT_PASS


@token.command("bench")
@click.argument("name")
@click.option("--printed-name", default=None, help="Shown in the audit trail (default: NAME).")
@station_option
def bench_token(name: str, printed_name: str | None, station_file: Path | None) -> int:
    """Create the service account NAME with role 'bench' (if new) and print a new API token.

    Run it against the service's store (``--database``); the bench then syncs with
    ``packbench sync --service URL --token TOKEN``. A bench token may submit runs and read back
    the complaints and units it ran, nothing else.
    """
    sessions = open_store(station(station_file).database)
    actor = "packbench token bench"
    try:
        with sessions.begin() as session:
            user = session.get(ServiceUser, name)
            if user is None:
                create_user(
                    session, name, role=Role.BENCH.value, printed_name=printed_name or name,
                    actor=actor,
                )  # fmt: skip
            elif user.role != Role.BENCH.value:
                raise InputError(f"NAME: {name!r} has role {user.role!r}; pick another name")
            raw, _ = issue_token(session, name, actor=actor, label="bench sync")
    finally:
        sessions.kw["bind"].dispose()
    click.echo(raw)
    click.echo("(shown once: store it now; only its hash is kept)", err=True)
    return EXIT_PASS
