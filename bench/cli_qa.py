"""The QA account behind a command that only QA may run (``--token``).

The station's operator is whoever wrote the station file, so a QA decision taken from the
command line (a run declared invalid, a unit's disposition, a report version approved) is signed
by the QA account whose API token is given, exactly as the service's QA-only routes require.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from sqlalchemy.orm import Session

from bench.cli_words import Words
from bench.errors import InputError
from results.accounts import Principal, Role, authenticate

F = TypeVar("F", bound=Callable[..., Any])


def qa_token_option(why: str) -> Callable[[F], F]:
    """``--token`` (default ``$PACKBENCH_TOKEN``), a QA account's token; ``why`` ends its help."""
    return click.option(
        "--token",
        envvar="PACKBENCH_TOKEN",
        required=True,
        help=f"API token of a QA account (default: $PACKBENCH_TOKEN); {why}",
    )


DECISIONS = {
    "approve a report": "qa.decision.approve_report",
    "decide a unit's disposition": "qa.decision.disposition",
    "declare a run invalid": "qa.decision.invalidate_run",
    "merge units": "qa.decision.merge_units",
}
"""Each QA-only decision a command names, and its words in the command line's catalogue."""


def qa_principal(
    session: Session, token: str, decision: str, say: Words | None = None
) -> Principal:
    """The QA user ``token`` belongs to, else an :class:`InputError` naming ``--token``'s fix,
    in ``say``'s language (the station's; English by default). ``decision``: a ``DECISIONS``
    key."""
    say = say or Words()
    who = authenticate(session, token)
    if who is None:
        raise InputError(say("qa.token_unknown"))
    if who.role is not Role.QA:
        raise InputError(
            say(
                "qa.not_qa",
                name=repr(who.name),
                role=repr(who.role.value),
                decision=say(DECISIONS[decision]),
            )
        )
    return who
