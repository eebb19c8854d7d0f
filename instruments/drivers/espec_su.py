"""ESPEC SU/SH series bench-top temperature chambers (SU-241, SU-261, SH-241, SH-641 ...).

ESPEC's own RS-232 dialect, not SCPI (so no ``*IDN?``: the factory opens it by ``model=`` and
the driver names itself from ``TYPE?``). Every command line is answered: a setting with
``OK: `` and the command echoed, a refused one with ``NA: `` and the reason, which this driver
raises with the command quoted. ``TEMP?`` answers ``measured,set point,upper alarm,lower alarm``
(degC, one decimal); ``MODE?`` answers the mode word (``CONSTANT``, ``STANDBY``, ``OFF``...).
Lines end in CR+LF. Sources, both third-party readings of ESPEC's communication manual, not the
manual itself [S*]: the command strings and reply shapes of a public SH-641 driver
(akaeba/ATWG: ``TYPE?``, ``TEMP?``, ``TEMP,S``, ``MODE,`` with CONSTANT/STANDBY/OFF, ``OK``/``NA``
replies), and a public SH-241/P-300 GPIB tool that also sends ``MODE?`` and ``TEMP, S23.0`` and
reads ``OK:``/``NA:`` replies (its ``MON?``, temperature, mode and alarms in one reply, is not
used here). The SU-241's -40 .. +150 degC range [E]. A chamber has no output that endangers
the pack: its safe state is standby (the air drifts back to the lab's), read back by ``MODE?``.
"""

from __future__ import annotations

from instruments.connection import Connection
from instruments.errors import InstrumentReportedError, ProtocolError, SettingOutOfRange
from instruments.roles import Identity, TemperatureChamber
from instruments.transport import Transport
from instruments.units import Q_, Quantity, as_magnitude

LINE_TERMINATION = "\r\n"
RANGE_C: dict[str, tuple[float, float]] = {
    "SU-241": (-40.0, 150.0),
    "SU-261": (-60.0, 150.0),
    "SH-241": (-40.0, 150.0),
    "SH-641": (-40.0, 150.0),
}
"""Set-point range per model [E: the bench-top catalogue figures, check the manual]."""
RESTING_MODES = frozenset({"STANDBY", "OFF"})
"""``MODE?`` words of a chamber that controls nothing (every other mode drives the air)."""


class EspecSU(Connection, TemperatureChamber):
    MAKER = "ESPEC"

    def __init__(self, transport: Transport, *, model: str = "SU-241") -> None:
        super().__init__(transport)
        self._model = model.upper()
        self._identity: Identity | None = None

    @property
    def identity(self) -> Identity:
        """``TYPE?`` names the controller; the model is the one the station names (no serial)."""
        if self._identity is None:
            reply = self.transport.query("TYPE?").strip()
            if not reply or reply.startswith("NA"):
                raise ProtocolError(f"{self.resource}: 'TYPE?' answered {reply!r}, not a type")
            fields = reply.split(",")
            model = fields[0].strip() if fields[0].strip().upper().startswith("S") else self._model
            self._identity = Identity(self.MAKER, model, "", ",".join(fields[1:]).strip())
        return self._identity

    def _set(self, command: str) -> None:
        reply = self.transport.query(command).strip()
        if reply.startswith("OK"):
            return
        if reply.startswith("NA"):
            reason = reply.partition(":")[2].strip() or reply
            raise InstrumentReportedError(f"{self.resource}: {command!r} refused: {reason}")
        raise ProtocolError(f"{self.resource}: {command!r} answered {reply!r}, not OK/NA")

    def set_temperature(self, temperature: Quantity) -> None:
        celsius = as_magnitude(temperature, "degC", name="temperature")
        low, high = RANGE_C.get(self._model, RANGE_C["SU-241"])
        if not low <= celsius <= high:
            raise SettingOutOfRange(
                f"{self.resource} ({self._model}): set point {celsius:g} degC is outside "
                f"{low:g} .. {high:g} degC; nothing was sent. Fix: choose a set point inside it."
            )
        self._set(f"TEMP, S{celsius:.1f}")

    def run(self) -> None:
        self._set("MODE, CONSTANT")

    def standby(self) -> None:
        self._set("MODE, STANDBY")

    def air_temperature(self) -> Quantity:
        reply = self.transport.query("TEMP?").strip()
        try:
            measured = float(reply.split(",")[0])
        except ValueError:
            raise ProtocolError(
                f"{self.resource}: reply to 'TEMP?' is not 'measured,set,upper,lower': {reply!r}"
            ) from None
        return Q_(measured, "degC")

    def mode(self) -> str:
        """``MODE?``: the operating mode word (``CONSTANT``, ``STANDBY``, ``OFF``, ...)."""
        reply = self.transport.query("MODE?").strip().upper()
        if not reply or reply.startswith("NA"):
            raise ProtocolError(f"{self.resource}: 'MODE?' answered {reply!r}, not a mode")
        return reply

    def is_controlling(self) -> bool:
        return self.mode() not in RESTING_MODES

    def make_safe(self) -> None:
        """Standby, then read the mode back: the safe state is confirmed, not only acknowledged."""
        self.standby()
        mode = self.mode()
        if mode in RESTING_MODES:
            return
        raise InstrumentReportedError(
            f"{self.resource}: 'MODE, STANDBY' acknowledged but 'MODE?' still answers {mode!r}"
        )
