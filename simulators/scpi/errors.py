"""SCPI error numbers as the instrument reports them, raised by command handlers.

Handlers raise ``ScpiError``; the emulator turns it into an error-queue entry and an event-status
bit, so a bad command never escapes as a Python exception (real instruments do not crash either).
"""

from __future__ import annotations

#: Standard SCPI-99 texts for the numbers our emulators produce.
MESSAGES: dict[int, str] = {
    0: "No error",
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -131: "Invalid suffix",
    -138: "Suffix not allowed",
    -151: "Invalid string data",
    -200: "Execution error",
    -221: "Settings conflict",
    -222: "Data out of range",
    -224: "Illegal parameter value",
    -230: "Data corrupt or stale",
    -300: "Device-specific error",
    -350: "Queue overflow",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
}

# IEEE 488.2 Standard Event Status Register bits.
ESR_OPC = 1
ESR_QYE = 4
ESR_DDE = 8
ESR_EXE = 16
ESR_CME = 32
ESR_PON = 128


class ScpiError(Exception):
    """A command the instrument refuses, carrying the SCPI error number it would queue."""

    def __init__(self, code: int, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(
            f"{code},{MESSAGES.get(code, 'Error')}" + (f"; {detail}" if detail else "")
        )

    @property
    def message(self) -> str:
        return MESSAGES.get(self.code, "Error")

    @property
    def is_command_error(self) -> bool:
        """Command errors (-1xx) make a real parser drop the rest of the message."""
        return -199 <= self.code <= -100

    @property
    def esr_bit(self) -> int:
        """The event-status bit IEEE 488.2 assigns to this error class."""
        if -199 <= self.code <= -100:
            return ESR_CME
        if -299 <= self.code <= -200:
            return ESR_EXE
        if -399 <= self.code <= -300:
            return ESR_DDE
        if -499 <= self.code <= -400:
            return ESR_QYE
        return ESR_DDE
