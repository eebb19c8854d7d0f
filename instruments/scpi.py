"""Behaviour every SCPI instrument shares: identity, housekeeping, error queue, number parsing.

Model drivers subclass ``ScpiInstrument`` and stay declarative: one short method per command.
"""

from __future__ import annotations

import math
import re

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


def parse_identity(reply: str) -> Identity:
    """Split an ``*IDN?`` reply into maker, model, serial and firmware."""
    fields = [field.strip() for field in reply.strip().split(",")]
    if len(fields) != 4 or not fields[0] or not fields[1]:
        raise ProtocolError(
            f"*IDN? reply {reply!r} is not 'maker,model,serial,firmware' (four fields)"
        )
    return Identity(*fields)


def parse_number(reply: str, *, command: str = "", resource: str = "") -> float:
    """Parse one NR1/NR2/NR3 number; overload codes raise ``OverloadError``.

    A reply that is not a number quotes itself in the error so that garbage on the line is visible
    in the run record instead of becoming a silent NaN.
    """
    if not _NUMBER.match(reply):
        raise ProtocolError(f"{resource}: reply to {command!r} is not a number: {reply!r}")
    value = float(reply.replace(" ", ""))
    if math.isinf(value) or abs(value) >= OVERLOAD_THRESHOLD:
        raise OverloadError(f"{resource}: {command!r} returned the overload code {reply.strip()}")
    return value


def parse_bool(reply: str, *, command: str = "", resource: str = "") -> bool:
    text = reply.strip().upper()
    if text in {"1", "ON"}:
        return True
    if text in {"0", "OFF"}:
        return False
    raise ProtocolError(f"{resource}: reply to {command!r} is not a boolean: {reply!r}")


class ScpiInstrument:
    """A SCPI instrument reached through a ``Transport``.

    ``check_errors`` after every configuring write is on by default: one extra round trip buys a
    failure that names the command that caused it, instead of a wrong measurement later.
    """

    def __init__(self, transport: Transport, *, check_errors: bool = True) -> None:
        self.transport = transport
        self.check_errors = check_errors
        self._identity: Identity | None = None
        self._closed = False

    # -- housekeeping -------------------------------------------------------------------------
    @property
    def resource(self) -> str:
        return self.transport.resource

    @property
    def identity(self) -> Identity:
        if self._identity is None:
            self._identity = parse_identity(self.query("*IDN?"))
        return self._identity

    def reset(self) -> None:
        self.write("*RST")

    def clear_status(self) -> None:
        self.transport.write("*CLS")

    def operation_complete(self) -> bool:
        return self.query("*OPC?").strip() in {"1", "+1"}

    # -- messaging ----------------------------------------------------------------------------
    def write(self, command: str) -> None:
        """Send a configuring command and, if enabled, raise on what the error queue says."""
        self.transport.write(command)
        if self.check_errors:
            self.raise_on_errors(command)

    def query(self, command: str, *, retries: int = 0) -> str:
        """Send a query; ``retries`` is for idempotent queries only (a measurement, a setting)."""
        for attempt in range(retries + 1):
            try:
                return self.transport.query(command)
            except InstrumentTimeout:
                if attempt == retries:
                    raise
        raise AssertionError("unreachable")

    def query_number(self, command: str) -> float:
        return parse_number(self.query(command), command=command, resource=self.resource)

    def query_bool(self, command: str) -> bool:
        return parse_bool(self.query(command), command=command, resource=self.resource)

    # -- error queue --------------------------------------------------------------------------
    def read_errors(self, limit: int = 32) -> list[tuple[int, str]]:
        """Drain ``SYST:ERR?`` until it reports 0 (bounded: a broken queue must not hang us)."""
        errors: list[tuple[int, str]] = []
        for _ in range(limit):
            reply = self.transport.query("SYST:ERR?")
            match = _ERROR_REPLY.match(reply)
            if match is None:
                raise ProtocolError(
                    f"{self.resource}: SYST:ERR? reply is not 'code,\"text\"': {reply!r}"
                )
            code = int(match.group(1))
            if code == 0:
                break
            errors.append((code, match.group(2)))
        return errors

    def raise_on_errors(self, command: str) -> None:
        errors = self.read_errors()
        if errors:
            described = "; ".join(f'{code},"{text}"' for code, text in errors)
            raise InstrumentReportedError(
                f"{self.resource}: after {command!r} the instrument reported {described}"
            )

    def close(self) -> None:
        """Idempotent: the safe state is reached by subclasses' ``make_safe`` before this."""
        if self._closed:
            return
        self._closed = True
        self.transport.close()
