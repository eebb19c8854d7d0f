"""``Endpoint``: where one role's instrument is reached for this run.

Its own module because both the station (``bench.station``, which opens endpoints) and the
simulated bench (``bench.simulated``, which makes them from a started simulator) need it, and
the station starts the simulated bench: with ``Endpoint`` in the station they would import each
other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.config import InstrumentConfig
from bench.errors import StationError


@dataclass(frozen=True)
class Endpoint:
    """Where one role's instrument is reached, as resolved for this run (config or simulator)."""

    role: str
    model: str | None
    """``None``: identify by ``*IDN?`` (``auto``)."""
    resource: str
    timeout_s: float = 2.0
    options: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, entry: InstrumentConfig) -> Endpoint:
        if entry.resource is None:
            raise StationError(
                f'instruments.{entry.role}: no resource string; give resource = "..." '
                "(only a simulated station that starts its own simulator may leave it out)"
            )
        model = None if entry.model == "auto" else entry.model
        return cls(entry.role, model, entry.resource, entry.timeout_s, dict(entry.options))
