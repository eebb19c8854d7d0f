"""``packbench sync``: hand the store's finished runs to the QA service; ``sync status``.

The bench's own token (a service account with role ``bench``: ``packbench token create NAME
--role bench`` on the service's store, or an admin's page) authorises it; it may submit runs and
read back the complaints and units it ran, nothing else.
"""

from __future__ import annotations

from pathlib import Path

import click

from bench.cli_common import emit, json_option, station, station_option
from bench.cli_words import read_back, words_for
from bench.errors import EXIT_FAIL, EXIT_PASS
from bench.runner import open_store_for
from bench.sync import CHUNK_BYTES, Backoff, Target, state_path, status, sync_now
from results.run_transfer import BLOB_FROM_BYTES


@click.group("sync", invoke_without_command=True)
@click.option(
    "--service",
    "url",
    envvar="PACKBENCH_SERVICE_URL",
    help="The QA service's address, http://host:8000 (default: $PACKBENCH_SERVICE_URL).",
)
@click.option(
    "--token",
    envvar="PACKBENCH_BENCH_TOKEN",
    help="This bench's API token, role 'bench' (default: $PACKBENCH_BENCH_TOKEN).",
)
@click.option(
    "--attempts",
    type=click.IntRange(1, 100),
    default=8,
    show_default=True,
    help="Tries per run when the service does not answer (waits 0.5 s, 1 s, 2 s... up to 30 s).",
)
@click.option("--retry-refused", is_flag=True, help="Send refused runs again too.")
@click.option(
    "--chunk-kib",
    type=click.IntRange(1, 16 * 1024),
    default=CHUNK_BYTES // 1024,
    show_default=True,
    help=(
        "Upload big traces and files in chunks of this many KiB (a cut resumes at a chunk); "
        "those of one chunk and at most 1 MiB go inside the batch's request."
    ),
)
@click.option(
    "--inline-below",
    type=click.IntRange(1, None),
    default=BLOB_FROM_BYTES,
    show_default=True,
    help="Trace arrays and files smaller than this many bytes travel inside the run document; "
    "larger ones are uploaded apart first, each once (by SHA-256).",
)
@station_option
@json_option
@click.pass_context
def sync(
    ctx: click.Context,
    url: str | None,
    token: str | None,
    attempts: int,
    retry_refused: bool,
    chunk_kib: int,
    inline_below: int,
    station_file: Path | None,
    as_json: bool,
) -> int:
    """Send every finished or interrupted run not yet sent (oldest first) to the QA service.

    Each run is recorded there exactly once, with its evidence files, complaint and unit; a run
    changed after recording is refused (see 'packbench sync status').
    """
    if ctx.invoked_subcommand is not None:
        return EXIT_PASS
    if not url:
        raise click.UsageError("--service: give the QA service's address (http://host:8000)")
    if not token:
        raise click.UsageError("--token: give this bench's API token (role 'bench')")
    config = station(station_file)
    say = words_for(config)
    sessions = open_store_for(config)

    def progress(line: str) -> None:
        click.echo(read_back(line, say.locale, "sync_line."), err=True)

    summary = sync_now(
        config,
        sessions,
        Target(url, token),
        backoff=Backoff(attempts=attempts),
        retry_refused=retry_refused,
        chunk_bytes=chunk_kib * 1024,
        inline_below=inline_below,
        echo=(lambda line: None) if as_json else progress,
    )
    counts = {
        "sent": len(summary.sent),
        "already_there": len(summary.repeated),
        "refused": len(summary.refused),
    }
    if as_json:
        emit(counts)
    else:
        already = counts["already_there"]
        click.echo(
            say("sync.summary", sent=counts["sent"], already=already, refused=counts["refused"])
        )
    return EXIT_FAIL if summary.refused else EXIT_PASS


@sync.command("status")
@station_option
@json_option
def sync_status(station_file: Path | None, as_json: bool) -> int:
    """What is pending, sent (as which service run) and refused (with the reason)."""
    config = station(station_file)
    shown = status(config, open_store_for(config))
    if as_json:
        emit(
            {
                "state_file": str(state_path(config)),
                "runs": [
                    {
                        "run_id": i.run_id,
                        "uuid": i.uuid,
                        "state": i.state,
                        "service_id": None if i.entry is None else i.entry.service_id,
                        "reason": "" if i.entry is None else i.entry.reason,
                    }
                    for i in shown
                ],
            }
        )
        return EXIT_PASS
    say = words_for(config)
    counts = {s: sum(1 for i in shown if i.state == s) for s in ("pending", "sent", "refused")}
    click.echo(say("sync.counts", **counts))
    for item in shown:
        run, uuid = item.run_id, item.uuid
        if item.entry is None:
            click.echo(say("sync.pending_row", run=run, uuid=uuid))
        elif item.entry.state == "sent":
            click.echo(say("sync.sent_row", run=run, uuid=uuid, service=item.entry.service_id))
        else:
            click.echo(say("sync.refused_row", run=run, uuid=uuid, reason=item.entry.reason))
    return EXIT_PASS
