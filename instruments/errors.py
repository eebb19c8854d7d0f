"""Error hierarchy of the instrument layer.

An instrument fault must never be mistaken for a failing pack: procedures catch
``InstrumentError`` and turn it into an *error* verdict, while a reading outside limits is a *fail*.
"""

from __future__ import annotations


class InstrumentError(Exception):
    """Base of every failure in talking to, or reading from, an instrument."""


class TransportError(InstrumentError):
    """The link failed: port missing, connection refused or dropped."""


class InstrumentTimeout(TransportError):
    """No (complete) reply arrived in time."""


class ProtocolError(InstrumentError):
    """A reply arrived but could not be understood (garbage, wrong shape)."""


class InstrumentReportedError(InstrumentError):
    """The instrument's own error queue or status register reported a failed command."""


class OverloadError(InstrumentError):
    """The instrument reported an over-range/overload code instead of a value."""


class MeasurementFault(InstrumentError):
    """The instrument reported a measurement fault (open lead, bad contact)."""


class SettingOutOfRange(InstrumentError, ValueError):
    """A setting outside the instrument's range or the station's safety limits; nothing was sent."""


class UnknownInstrument(InstrumentError):
    """The factory read an identity it has no driver for."""


class ReplayDivergence(InstrumentError):
    """A replayed session saw an exchange different from the recording.

    ``exchange`` (1-based), ``expected`` and ``actual`` say where and how, so a session replay can
    name the first divergence of every instrument without parsing the message.
    """

    def __init__(
        self, message: str, *, exchange: int = 0, expected: str = "", actual: str = ""
    ) -> None:
        super().__init__(message)
        self.exchange = exchange
        self.expected = expected
        self.actual = actual
