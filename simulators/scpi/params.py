"""Program-data parsing: the parameters after a header, typed as the manual's syntax line says.

Handlers ask for what they expect (``number``, ``boolean``, ``choice``, ``string``,
``channels``); a token of the wrong kind raises the SCPI error the real parser would queue.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from simulators.scpi.errors import ScpiError
from simulators.scpi.tree import Mnemonic

_NUMBER = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE]\s*[+-]?\d+)?)\s*([A-Za-z]*)$")
_CHANNELS = re.compile(r"^\(\s*@\s*(.*?)\s*\)$")
_PREFIX = {"": 1.0, "P": 1e-12, "N": 1e-9, "U": 1e-6, "M": 1e-3, "K": 1e3, "MA": 1e6, "G": 1e9}
_MIN = Mnemonic.parse("MINimum")
_MAX = Mnemonic.parse("MAXimum")
_DEF = Mnemonic.parse("DEFault")
_ON = {"ON", "1"}
_OFF = {"OFF", "0"}


def split_params(text: str) -> list[str]:
    """Split on commas outside quotes and parentheses (channel lists hold commas)."""
    if not text.strip():
        return []
    tokens: list[str] = []
    depth = 0
    quote = ""
    current: list[str] = []
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            tokens.append("".join(current).strip())
            current = []
            continue
        current.append(ch)
    if quote:
        raise ScpiError(-151, f"unterminated string in {text!r}")
    if depth != 0:
        raise ScpiError(-102, f"unbalanced parentheses in {text!r}")
    tokens.append("".join(current).strip())
    return tokens


def parse_number(token: str, unit: str | None = None) -> float:
    """A decimal numeric program data element, with an optional unit suffix (``100mV``)."""
    match = _NUMBER.match(token.strip())
    if match is None:
        raise ScpiError(-104, f"{token!r} is not a number")
    value = float(match.group(1).replace(" ", ""))
    suffix = match.group(2).upper()
    if not suffix:
        return value
    if unit is None or not suffix.endswith(unit):
        raise ScpiError(-131 if unit else -138, f"suffix {suffix!r}")
    prefix = suffix[: len(suffix) - len(unit)]
    if prefix == "M" and unit in {"OHM", "HZ"}:
        return value * 1e6  # SCPI: MOHM and MHZ are mega
    if prefix not in _PREFIX:
        raise ScpiError(-131, f"suffix {suffix!r}")
    return value * _PREFIX[prefix]


class Params:
    """The parameters of one command, consumed by position."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens

    def __len__(self) -> int:
        return len(self.tokens)

    def expect(self, least: int, most: int | None = None) -> None:
        """-109 when too few, -108 when too many (``most`` defaults to ``least``)."""
        most = least if most is None else most
        if len(self.tokens) < least:
            raise ScpiError(-109)
        if len(self.tokens) > most:
            raise ScpiError(-108)

    def present(self, i: int) -> bool:
        return i < len(self.tokens)

    def raw(self, i: int) -> str:
        if i >= len(self.tokens) or not self.tokens[i]:
            raise ScpiError(-109)
        return self.tokens[i]

    def keyword(self, i: int) -> str | None:
        """``MIN``/``MAX``/``DEF`` in any spelling, as ``"MIN"``, ``"MAX"``, ``"DEF"``."""
        token = self.raw(i).upper()
        for mnemonic, name in ((_MIN, "MIN"), (_MAX, "MAX"), (_DEF, "DEF")):
            if mnemonic.matches(token):
                return name
        return None

    def number(
        self,
        i: int,
        *,
        unit: str | None = None,
        minimum: float | None = None,
        maximum: float | None = None,
        default: float | None = None,
        allow_inf: bool = False,
    ) -> float:
        """A number checked against the range; -222 outside it, as Keysight and Rigol do."""
        token = self.raw(i)
        keyword = self.keyword(i)
        value: float
        if keyword == "MIN" and minimum is not None:
            return minimum
        if keyword == "MAX" and maximum is not None:
            return maximum
        if keyword == "DEF" and default is not None:
            return default
        if keyword is not None:
            raise ScpiError(-224, f"{token} not allowed here")
        if allow_inf and token.upper().lstrip("+-") in {"INF", "INFINITY"}:
            return -math.inf if token.startswith("-") else math.inf
        value = parse_number(token, unit)
        if not math.isfinite(value):
            raise ScpiError(-222, token)
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ScpiError(-222, f"{token} outside {minimum}..{maximum}")
        return value

    def boolean(self, i: int) -> bool:
        """``ON``/``OFF``/``1``/``0`` in any case; IEEE 488.2 also rounds other numbers."""
        token = self.raw(i).upper()
        if token in _ON:
            return True
        if token in _OFF:
            return False
        try:
            return round(parse_number(token)) != 0
        except ScpiError:
            raise ScpiError(-224, f"{token!r} is not ON/OFF/1/0") from None

    def choice(self, i: int, options: Mapping[str, str]) -> str:
        """A keyword from ``options`` (manual spelling -> value returned), short or long form."""
        token = self.raw(i).upper()
        for spec, value in options.items():
            if Mnemonic.parse(spec).matches(token):
                return value
        if _NUMBER.match(token):
            raise ScpiError(-104, f"{token!r} where a keyword is expected")
        raise ScpiError(-224, f"{token!r} not one of {', '.join(options)}")

    def string(self, i: int) -> str:
        """A quoted string (doubled quotes escape); an unquoted word is accepted as it is."""
        token = self.raw(i)
        if len(token) >= 2 and token[0] in "\"'" and token[-1] == token[0]:
            quote = token[0]
            return token[1:-1].replace(quote * 2, quote)
        if token[0] in "\"'":
            raise ScpiError(-151, token)
        return token

    def is_channel_list(self, i: int) -> bool:
        return i < len(self.tokens) and self.tokens[i].startswith("(")

    def channels(self, i: int, valid: range | set[int] | None = None) -> list[int]:
        """``(@1)``, ``(@1,2)``, ``(@1:3)``, ``(@1, 3)``; -222 for a channel the model lacks."""
        token = self.raw(i)
        match = _CHANNELS.match(token)
        if match is None:
            raise ScpiError(-104 if not token.startswith("(") else -102, f"channel list {token!r}")
        result: list[int] = []
        for part in match.group(1).split(","):
            bounds = [b.strip() for b in part.split(":")]
            if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
                raise ScpiError(-102, f"channel list {token!r}")
            lo, hi = int(bounds[0]), int(bounds[-1])
            step = 1 if hi >= lo else -1
            result.extend(range(lo, hi + step, step))
        if valid is not None and any(ch not in valid for ch in result):
            raise ScpiError(-222, f"channel list {token!r}")
        return result
