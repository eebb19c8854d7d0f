"""Safe state: outputs off, proved off by the instrument's answers, reconnecting once if needed.

A source or load whose link dropped keeps its output on: a dropped TCP connection or a
USB-serial adapter that re-enumerated changes nothing inside the instrument. So when a step of the
sequence fails on the link (``TransportError``, timeouts included), the transport is reopened once
and the whole sequence, off commands and confirmation, runs again. Every reply that confirms a
state is checked for its shape first: a late reply to an earlier query (``+0,"No error"``) must
never be read as "all channels off".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from instruments.errors import InstrumentError, ProtocolError, TransportError
from instruments.roles import Instrument
from instruments.scpi import parse_bool
from instruments.transport import Drainable, Reconnectable, Transport

_log = logging.getLogger(__name__)

SafeStep = tuple[str, Callable[[], object]]
"""One step of a safe-state sequence: its name for the report (the command) and the action."""

_FRONT_PANEL = (
    "Fix: switch the instrument's outputs/inputs off at the front panel now, then check the link "
    "(cable, network, USB adapter)."
)


def safe_state_all(instruments: Iterable[Instrument]) -> list[tuple[Instrument, Exception]]:
    """Ask every instrument to go safe; one failure must not leave the others powered.

    Returns the failures (instrument, exception) instead of raising, so that the caller can record
    every one of them after every instrument was asked.
    """
    failures: list[tuple[Instrument, Exception]] = []
    for instrument in instruments:
        try:
            instrument.make_safe()
        except Exception as exc:  # every instrument gets its turn, whatever this one raised
            failures.append((instrument, exc))
    return failures


def raise_if_failed(
    resource: str, failures: list[tuple[str, Exception]], *, context: str = ""
) -> None:
    """Report the steps of a ``make_safe`` that failed, after every step was attempted.

    ``context`` says what was already tried (a reconnect), so the operator knows the bench has
    run out of remote means and the front panel is the remaining one.
    """
    if failures:
        steps = "; ".join(f"{step}: {exc}" for step, exc in failures)
        raise InstrumentError(
            f"{resource}: safe state NOT confirmed{context}, failed steps: {steps}. {_FRONT_PANEL}"
        ) from failures[0][1]


def write_step(transport: Transport, command: str) -> SafeStep:
    """A safe-state step that writes ``command`` straight to the transport.

    Straight to the transport, not through ``ScpiInstrument.write``: no error-queue round trip
    that a dead link would turn into a second failure hiding the first.
    """
    return command, lambda: transport.write(command)


def _states(transport: Transport, command: str, count: int) -> tuple[str, list[bool] | None]:
    """The reply and its ``count`` on/off states, or ``None`` if the reply has another shape."""
    reply = transport.query(command)
    try:
        states = [parse_bool(part, command=command) for part in reply.split(",")]
    except ProtocolError:
        return reply, None
    return reply, states if len(states) == count else None


def confirm_off(
    transport: Transport,
    command: str,
    channels: Sequence[int] | None = None,
    *,
    what: str = "the input",
) -> SafeStep:
    """A step that queries ``command`` and fails unless every answered state is off.

    ``channels`` names the comma-separated fields of the reply (one per channel); without it the
    reply is one state, called ``what`` in the report. A reply of the wrong shape (not that many
    booleans) is taken for a late answer to something else: the waiting input is discarded and the
    query asked once more.
    """
    names: Sequence[int] = channels if channels is not None else (0,)

    def check() -> None:
        reply, states = _states(transport, command, len(names))
        if states is None:
            _log.warning(
                "%s: %r answered %r; discarding input, asking again",
                transport.resource,
                command,
                reply,
            )
            if isinstance(transport, Drainable):
                transport.discard_input()
            first = reply
            reply, states = _states(transport, command, len(names))
            if states is None:
                raise ProtocolError(
                    f"replies {first!r} then {reply!r} to {command!r} are not {len(names)} "
                    "on/off state(s)"
                )
        still_on = [name for name, on in zip(names, states, strict=True) if on]
        if still_on and len(names) == 1:
            label = what if channels is None else f"channel {names[0]}"
            raise InstrumentError(f"{label} is still on")
        if still_on:
            raise InstrumentError(f"reply {reply!r}: channels {still_on} still on")

    return command, check


def _attempt(
    steps: Sequence[SafeStep], confirmations: Sequence[SafeStep]
) -> list[tuple[str, Exception]]:
    failures: list[tuple[str, Exception]] = []
    for name, action in steps:
        try:
            action()
        except Exception as exc:  # the remaining steps must still be tried
            failures.append((name, exc))
    if not failures:
        for name, check in confirmations:
            try:
                check()
            except Exception as exc:  # reported with the other failed steps
                failures.append((name, exc))
                break
    return failures


def reopener(transport: Transport) -> Callable[[], None] | None:
    """``transport.reopen`` where the transport can reconnect (not a replayed transcript)."""
    return transport.reopen if isinstance(transport, Reconnectable) else None


def reach_safe_state(
    resource: str,
    steps: Iterable[SafeStep],
    confirmations: Iterable[SafeStep] = (),
    *,
    reopen: Callable[[], None] | None = None,
) -> None:
    """Attempt every step whatever the others did; then, if all went through, confirm.

    A write into a dropped TCP link "succeeds"; only the instrument's answers prove the outputs
    off, so ``confirmations`` are queries. They stop at the first failure: one unanswered query
    already proves nothing more. If a step failed on the link and ``reopen`` is given, the link is
    reopened once (its connect bounded by the transport's timeout) and the whole sequence runs
    again. Raises once, naming every failed step and whether a reconnect was tried.
    """
    steps, confirmations = list(steps), list(confirmations)
    failures = _attempt(steps, confirmations)
    if not failures:
        return
    if reopen is None or not any(isinstance(exc, TransportError) for _, exc in failures):
        raise_if_failed(resource, failures)
        return
    _log.warning("%s: safe-state step failed on the link (%s); reconnecting", resource, failures)
    try:
        reopen()
    except Exception as exc:  # the link is gone: say so, with the steps that failed before
        raise_if_failed(
            resource,
            [*failures, ("reconnect", exc)],
            context=" (the link failed and reconnecting failed too)",
        )
        return
    retried = _attempt(steps, confirmations)
    if retried:
        raise_if_failed(resource, retried, context=" (even after reconnecting once)")
    _log.warning("%s: safe state confirmed after reconnecting", resource)
