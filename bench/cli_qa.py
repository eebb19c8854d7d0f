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


def qa_principal(session: Session, token: str, decision: str) -> Principal:
    """The QA user ``token`` belongs to, else an :class:`InputError` naming ``--token``'s fix."""
    who = authenticate(session, token)
    if who is None:
        raise InputError(
            "--token: the token is unknown or revoked; ask an admin for a QA account's token"
        )
    if who.role is not Role.QA:
        raise InputError(
            f"--token: user {who.name!r} has role {who.role.value!r}; only QA may {decision}: "
            "ask QA to run this command"
        )
    return who
