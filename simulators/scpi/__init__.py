"""A reusable SCPI parser and instrument base for the emulators (numpy/stdlib only).

``CommandTree`` matches headers the IEEE 488.2 way, ``Params`` types the program data, and
``ScpiEmulator`` runs messages with an error queue and the common commands.
"""

from simulators.scpi.emulator import ScpiEmulator, accept, flag, reply, split_units
from simulators.scpi.errors import MESSAGES, ScpiError
from simulators.scpi.formats import nr3
from simulators.scpi.params import Params, parse_number, split_params
from simulators.scpi.tree import Call, CommandTree, Mnemonic

__all__ = [
    "MESSAGES",
    "Call",
    "CommandTree",
    "Mnemonic",
    "Params",
    "ScpiEmulator",
    "ScpiError",
    "accept",
    "flag",
    "nr3",
    "parse_number",
    "reply",
    "split_params",
    "split_units",
]
