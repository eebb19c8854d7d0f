"""Declarative settings: one declaration per command, with its check, its unit and its readback.

A driver used to spell each setting as a method (check, format, write) and could not read the
setting back. A ``Control`` is a descriptor declared once on the class that owns the commands
(the instrument, or one of its channel objects)::

    voltage = Control("V", set=":SOUR{ch}:VOLT {value:g}", get=":SOUR{ch}:VOLT?", check=...)

Assigning a quantity runs ``check`` first (rating, station ``SafetyLimits``, interlock): a refused
setting raises before a byte is written. The commands then go through the owner's ``write``, so
the error-queue check after each one is kept. Reading the attribute sends ``get`` and returns a
quantity in ``unit``: the setting as the instrument holds it, not as the host last wished it.

Command templates are ``str.format`` strings: ``{value:g}`` is the checked magnitude, every
other field (``{ch}``...) comes from the owner's ``command_fields()``. The strings on the wire are
therefore exactly those written in the declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar, overload

from instruments.units import Q_, Quantity


class CommandOwner(Protocol):
    """What a control talks through: an instrument or one of its channels."""

    @property
    def resource(self) -> str: ...

    def command_fields(self) -> Mapping[str, object]:
        """The fields the command templates use besides ``value`` (e.g. ``{"ch": 1}``)."""
        ...

    def write(self, command: str) -> None: ...

    def query_number(self, command: str, *, retries: int = 0) -> float: ...


OwnerT = TypeVar("OwnerT", bound=CommandOwner)


class WriteOnlySetting(AttributeError):
    """The model has no query for this setting; reading it back is not possible."""


class Control(Generic[OwnerT]):
    """A setting of ``OwnerT``: checked, written with one or more commands, read back with one.

    ``check(owner, value)`` returns the magnitude in ``unit`` or raises; ``done(owner, magnitude)``
    runs after every command was accepted (e.g. to record that OVP is now armed). ``get=None``
    declares a setting the model cannot report.
    """

    def __init__(
        self,
        unit: str,
        *,
        set: str | tuple[str, ...],
        get: str | None,
        check: Callable[[OwnerT, Quantity], float],
        done: Callable[[OwnerT, float], None] | None = None,
    ) -> None:
        self.unit = unit
        self.set_commands = (set,) if isinstance(set, str) else set
        self.get_command = get
        self.check = check
        self.done = done
        self.name = "setting"

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Control[OwnerT]: ...

    @overload
    def __get__(self, instance: OwnerT, owner: type[Any]) -> Quantity: ...

    def __get__(self, instance: OwnerT | None, owner: type[Any]) -> Control[OwnerT] | Quantity:
        if instance is None:
            return self
        if self.get_command is None:
            raise WriteOnlySetting(
                f"{instance.resource}: {self.name} cannot be read back from this model "
                "(its command set has no query for it)"
            )
        command = self.get_command.format(**instance.command_fields())
        # A setting query is idempotent: one retry after a timeout cannot act twice.
        return Q_(instance.query_number(command, retries=1), self.unit)

    def __set__(self, instance: OwnerT, value: Quantity) -> None:
        magnitude = self.check(instance, value)  # raises before anything is sent
        fields = instance.command_fields()
        for template in self.set_commands:
            instance.write(template.format(value=magnitude, **fields))
        if self.done is not None:
            self.done(instance, magnitude)


class Reading(Generic[OwnerT]):
    """A measurement declared like a setting, read-only: ``measured_voltage = Reading("V", ...)``.

    Unlike a setting's readback it is never retried: a measurement that timed out is reported,
    not silently replaced by a later one.
    """

    def __init__(self, unit: str, query: str) -> None:
        self.unit = unit
        self.query = query

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> Reading[OwnerT]: ...

    @overload
    def __get__(self, instance: OwnerT, owner: type[Any]) -> Quantity: ...

    def __get__(self, instance: OwnerT | None, owner: type[Any]) -> Reading[OwnerT] | Quantity:
        if instance is None:
            return self
        command = self.query.format(**instance.command_fields())
        return Q_(instance.query_number(command), self.unit)
