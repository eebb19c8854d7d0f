"""Behaviour every SCPI instrument shares: identity, housekeeping, error queue, number parsing.

Model drivers subclass ``ScpiInstrument`` and stay declarative: one ``Control`` declaration per
setting (``instruments.controls``), one short method per other command; ``close`` is written once,
in ``instruments.connection``.
The measurement path (``query_number``) is kept to a transport call, a ``float`` and two
comparisons: a driver call must cost at most 1.2x a raw pyvisa query, so anything slower (regex,
message formatting, unit lookups) runs only once a reply has already failed the fast check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from instruments.connection import Connection
from instruments.errors import (
    InstrumentReportedError,
    InstrumentTimeout,
    OverloadError,
    ProtocolError,
)
from instruments.roles import Identity
from instruments.transport import Transport

#: Keysight/Rigol report an overload as +/-9.9E+37; anything this large is not a reading.
OVERLOAD_THRESHOLD = 9.0e37

_NUMBER = re.compile(r"^\s*[+-]?\s*(\d+\.?\d*|\.\d+)([eE]\s*[+-]?\d+)?\s*$")
_ERROR_REPLY = re.compile(r'^\s*([+-]?\d+)\s*,\s*"?(.*?)"?\s*$')
_TRUE = frozenset({"1", "+1", "ON"})
_FALSE = frozenset({"0", "+0", "OFF"})

#: Drain at most this many ``SYST:ERR?`` entries: a broken queue must not hang the bench.
ERROR_QUEUE_LIMIT = 32


def parse_identity(reply: str) -> Identity:
    """Split an ``*IDN?`` reply into maker, model, serial and firmware.

    Some firmware strings contain commas of their own; everything after the third comma is taken
    as the firmware rather than refusing an otherwise well-formed identity.
    """
    fields = [field.strip() for field in reply.strip().split(",", 3)]
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise ProtocolError(
            f"*IDN? reply {reply!r} is not 'maker,model,serial,firmware' (four fields); "
            "is this an IEEE-488.2 instrument, and are the terminators right?"
        )
    return Identity(*fields)


def parse_number(reply: str, *, command: str = "", resource: str = "") -> float:
    """Parse one NR1/NR2/NR3 number; overload codes raise ``OverloadError``.

    A reply that is not a number quotes itself in the error so that garbage on the line is visible
    in the run record instead of becoming a silent NaN. Spaces standing in for a ``+`` sign or
    leading zeros (Hioki fixed-width fields) are accepted.
    """
    if not _NUMBER.match(reply):
        raise ProtocolError(f"{resource}: reply to {command!r} is not a number: {reply!r}")
    value = float(reply.replace(" ", ""))
    if abs(value) >= OVERLOAD_THRESHOLD:
        raise OverloadError(
            f"{resource}: {command!r} returned the overload code {reply.strip()}: the input "
            "exceeds the range; select a higher range or autorange"
        )
    return value


def parse_bool(reply: str, *, command: str = "", resource: str = "") -> bool:
    text = reply.strip().upper()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ProtocolError(f"{resource}: reply to {command!r} is not a boolean: {reply!r}")


def parse_error(reply: str, *, resource: str = "") -> tuple[int, str]:
    """Split a ``SYST:ERR?`` reply ``-113,"Undefined header"`` into code and message."""
    match = _ERROR_REPLY.match(reply)
    if match is None:
        raise ProtocolError(f"{resource}: SYST:ERR? reply is not 'code,\"text\"': {reply!r}")
    return int(match.group(1)), match.group(2)


class ScpiInstrument(Connection):
    """A SCPI instrument reached through a ``Transport``.

    ``check_errors`` after every configuring write is on by default: one extra round trip buys a
    failure that names the command that caused it, instead of a wrong measurement later. Queries
    are never followed by an error check: a failed query already shows as a timeout or a reply
    that does not parse.
    """

    def __init__(self, transport: Transport, *, check_errors: bool = True) -> None:
        super().__init__(transport)
        self.check_errors = check_errors
        self._identity: Identity | None = None

    # -- housekeeping -------------------------------------------------------------------------
    @property
    def identity(self) -> Identity:
        """Read once and cached: the identity is recorded with every measurement."""
        if self._identity is None:
            self._identity = parse_identity(self.query("*IDN?", retries=1))
        return self._identity

    @identity.setter
    def identity(self, identity: Identity) -> None:
        """Let the factory hand over the identity it already read (saves a round trip)."""
        self._identity = identity

    def reset(self) -> None:
        self.write("*RST")

    def clear_status(self) -> None:
        """``*CLS`` empties the error queue itself: checking it afterwards would prove nothing."""
        self.transport.write("*CLS")

    def operation_complete(self) -> bool:
        reply = self.query("*OPC?")
        return parse_bool(reply, command="*OPC?", resource=self.resource)

    def command_fields(self) -> Mapping[str, object]:
        """Fields of declared ``Control`` command templates besides ``{value}``: none for the
        instrument itself (channel objects add ``{ch}``)."""
        return {}

    # -- messaging ----------------------------------------------------------------------------
    def write(self, command: str) -> None:
        """Send a configuring command and, if enabled, raise on what the error queue says."""
        self.transport.write(command)
        if self.check_errors:
            self.raise_on_errors(command)

    def query(self, command: str, *, retries: int = 0) -> str:
        """Send a query; ``retries`` only for idempotent queries (a reading, a setting, *IDN?).

        A timed-out ``INIT``-style or stateful query must not be retried: it could act twice.
        """
        try:
            return self.transport.query(command)
        except InstrumentTimeout:
            if retries <= 0:
                raise
        return self.query(command, retries=retries - 1)

    def query_number(self, command: str, *, retries: int = 0) -> float:
        reply = self.query(command, retries=retries) if retries else self.transport.query(command)
        try:
            value = float(reply)
        except ValueError:
            return parse_number(reply, command=command, resource=self.resource)
        # float() also takes "nan", "inf" and "1_0": those and overloads go the strict way.
        if -OVERLOAD_THRESHOLD < value < OVERLOAD_THRESHOLD and "_" not in reply:
            return value
        return parse_number(reply, command=command, resource=self.resource)

    def query_bool(self, command: str, *, retries: int = 0) -> bool:
        reply = self.query(command, retries=retries)
        return parse_bool(reply, command=command, resource=self.resource)

    # -- error queue --------------------------------------------------------------------------
    def read_errors(self, limit: int = ERROR_QUEUE_LIMIT) -> list[tuple[int, str]]:
        """Drain ``SYST:ERR?`` until it reports 0 (bounded: a broken queue must not hang us)."""
        errors: list[tuple[int, str]] = []
        for _ in range(limit):
            code, text = parse_error(self.transport.query("SYST:ERR?"), resource=self.resource)
            if code == 0:
                break
            errors.append((code, text))
        return errors

    def raise_on_errors(self, command: str) -> None:
        errors = self.read_errors()
        if errors:
            described = "; ".join(f'{code},"{text}"' for code, text in errors)
            raise InstrumentReportedError(
                f"{self.resource}: after {command!r} the instrument reported {described}; "
                "check the command against the model's programming guide"
            )
