"""``packbench eightd draft|show|edit|sign|amend``: 8D authoring from the command line.

The content comes from ``--from FILE`` (JSON, or TOML by the ``.toml`` suffix) in the shape of
``results.eightd_form.EightDForm``; ``draft`` without a file pre-fills D2 and D4 from the
complaint and its runs. The signer is the station's operator, so the author and the approver are
two different people at two stations (or two station files).
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path
from typing import Any

import click
from sqlalchemy.orm import Session

from bench.cli_common import emit, json_option, station, station_option
from bench.cli_words import Words, words_for
from bench.errors import EXIT_PASS, InputError
from bench.runner import open_store_for
from results.complaints import get_complaint
from results.eightd_form import EightDForm, parse_form
from results.eightd_prefill import prefill_from_records
from results.eightd_versions import MEANINGS, EightDView, amend, draft, edit, sign, view
from results.errors import NotFound
from results.reports.model import to_plain


def complaint_id_of(session: Session, number: str) -> int:
    """The id of complaint NUMBER, or the CLI's input error naming where to look."""
    try:
        return get_complaint(session, number).id
    except NotFound:
        raise InputError(
            f"complaint {number} does not exist; see `packbench complaint list`"
        ) from None


def _read_form(path: Path) -> EightDForm:
    """The 8D form of FILE (TOML by suffix, else JSON); a syntax error names the file."""
    text = path.read_text(encoding="utf-8")
    try:
        data: Any = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"--from {path}: not valid {path.suffix or 'JSON'} ({exc})") from None
    return parse_form(data)


def _from_option(function: Any) -> Any:
    return click.option(
        "--from",
        "source",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="8D content as JSON or TOML (see docs/eightd.md).",
    )(function)


def _show(found: EightDView, as_json: bool, say: Words) -> None:
    document = dataclasses.asdict(found) | {"content": to_plain(found.content)}
    if as_json:
        emit(document)
        return
    click.echo(
        say(
            "eightd.header",
            version=found.version,
            status=say.enum("eightd_status", found.status),
            sha=found.content_sha256[:16],
            author=found.created_by,
        )
    )
    if found.amended_from_version is not None:
        click.echo(
            say("eightd.amends", version=found.amended_from_version, reason=found.amend_reason)
        )
    for s in found.signatures:
        click.echo(
            say(
                "eightd.signature",
                meaning=say.enum("meaning", s["meaning"]),
                name=s["printed_name"],
                when=s["signed_at"],
                valid=say(f"eightd.valid.{s['valid']}"),
            )
        )
    click.echo(json.dumps(document["content"], ensure_ascii=False, indent=2))


@click.group()
def eightd() -> None:
    """8D reports of complaints: draft, show, edit, sign, amend (versioned like reports)."""


@eightd.command("draft")
@click.argument("number")
@_from_option
@click.option(
    "--lang",
    type=click.Choice(["en", "zh_CN"]),
    default="en",
    show_default=True,
    help="Language of the pre-filled draft (labels, dates, recorded findings).",
)
@station_option
@json_option
def draft_command(
    number: str, source: Path | None, lang: str, station_file: Path | None, as_json: bool
) -> int:
    """Version 1 of NUMBER's 8D, from --from FILE or pre-filled from the complaint and runs
    (in --lang: the draft is saved as written, so write it in the language QA signs it in)."""
    config = station(station_file)
    form = _read_form(source) if source else None
    with open_store_for(config).begin() as session:
        complaint_id = complaint_id_of(session, number)
        draft(
            session,
            complaint_id,
            form or prefill_from_records(session, complaint_id, lang),
            actor=config.operator,
        )
        found = view(session, complaint_id)
    _show(found, as_json, words_for(config))
    return EXIT_PASS


@eightd.command("show")
@click.argument("number")
@click.option("--version", "version", type=click.IntRange(1), help="Default: the latest.")
@station_option
@json_option
def show_command(number: str, version: int | None, station_file: Path | None, as_json: bool) -> int:
    """Print one version of NUMBER's 8D with its signatures."""
    config = station(station_file)
    with open_store_for(config)() as session:
        found = view(session, complaint_id_of(session, number), version)
    _show(found, as_json, words_for(config))
    return EXIT_PASS


@eightd.command("edit")
@click.argument("number")
@_from_option
@click.option("--reason", default="", help="Why (kept in the audit trail).")
@station_option
@json_option
def edit_command(
    number: str, source: Path | None, reason: str, station_file: Path | None, as_json: bool
) -> int:
    """Replace the content of NUMBER's draft 8D with --from FILE."""
    if source is None:
        raise InputError("eightd edit needs --from FILE with the whole 8D content")
    config = station(station_file)
    form = _read_form(source)
    with open_store_for(config).begin() as session:
        complaint_id = complaint_id_of(session, number)
        edit(session, complaint_id, form, actor=config.operator, reason=reason)
        found = view(session, complaint_id)
    _show(found, as_json, words_for(config))
    return EXIT_PASS


@eightd.command("sign")
@click.argument("number")
@click.option("--name", "printed_name", required=True, help="Signer's printed name.")
@click.option("--meaning", type=click.Choice(MEANINGS), required=True)
@click.option("--version", "version", type=click.IntRange(1), help="Default: the latest.")
@station_option
def sign_command(
    number: str, printed_name: str, meaning: str, version: int | None, station_file: Path | None
) -> int:
    """Sign NUMBER's draft 8D as the station's operator; ``approved`` freezes the version."""
    config = station(station_file)
    with open_store_for(config).begin() as session:
        complaint_id = complaint_id_of(session, number)
        signature = sign(
            session,
            complaint_id,
            signer=config.operator,
            printed_name=printed_name,
            meaning=meaning,
            version=version,
        )
        digest = signature.content_sha256
    click.echo(
        words_for(config)(
            "eightd.signed",
            number=number,
            meaning=words_for(config).enum("meaning", meaning),
            name=printed_name,
            sha=digest[:16],
        )
    )
    return EXIT_PASS


@eightd.command("amend")
@click.argument("number")
@click.option("--reason", required=True, help="What changes and why.")
@_from_option
@station_option
@json_option
def amend_command(
    number: str, reason: str, source: Path | None, station_file: Path | None, as_json: bool
) -> int:
    """A new draft version of NUMBER's approved 8D (content copied unless --from FILE)."""
    config = station(station_file)
    form = _read_form(source) if source else None
    with open_store_for(config).begin() as session:
        complaint_id = complaint_id_of(session, number)
        amend(session, complaint_id, actor=config.operator, reason=reason, form=form)
        found = view(session, complaint_id)
    _show(found, as_json, words_for(config))
    return EXIT_PASS
