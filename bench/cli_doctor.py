"""``packbench doctor``: the station file, the store and every instrument checked, each
problem named with its fix (``bench.doctor``).
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from bench.cli_common import database_option, emit, human, json_option, station_option
from bench.cli_words import STATION_ENV, Words, config_error_text, language_of, padded, read_back
from bench.doctor import CheckResult as DoctorCheck
from bench.doctor import run_checks
from bench.errors import EXIT_PASS


@click.command()
@station_option
@json_option
def doctor(station_file: Path | None, as_json: bool) -> int:
    """Check the station file, the store (reachable, migrated, writable) and every instrument
    (identity, self-test, safe state read back); each problem is named with its fix. Changes
    nothing. Exit status: 0 ready, 2 station file, 5 store, 3 instruments (the first failing)."""
    given = station_file or os.environ.get(STATION_ENV)
    say = Words(language_of(given))

    def show(result: DoctorCheck) -> None:
        out = human(as_json)
        mark = say(f"doctor.mark.{result.status}")
        check = say.label("doctor_check.", result.check.replace(" ", "_"), result.check)
        detail = read_back(result.detail, say.locale, "doctor_detail.")
        refused = result.refused
        one_row = refused is not None and config_error_text(refused, say.locale) != str(refused)
        if refused is not None and one_row:  # the station file's problem and fix as one sentence
            detail = config_error_text(refused, say.locale)
            if result.check != "station file":  # an instrument's entry: named by its field
                detail = detail.removeprefix(f"{refused.source}：")
        click.echo(say("doctor.row", mark=mark, check=padded(check, 12), detail=detail), file=out)
        if result.fix and not one_row:
            fix = read_back(result.fix, say.locale, "doctor_fix.")
            click.echo(say("doctor.fix_row", pad=f"{'':<12}", fix=fix), file=out)

    results, code = run_checks(station_file, database_option(), show)
    if as_json:
        emit({"ready": code == EXIT_PASS, "checks": [r.to_json() for r in results]})
    return code
