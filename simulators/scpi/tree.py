"""The SCPI command tree: patterns as printed in programming guides, matched as instruments do.

A pattern is written exactly like the manual's syntax line, e.g.
``[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]`` or
``STATus:QUEStionable:INSTrument:ISUMmary#:CONDition``: capitals are the short form, the whole
word is the long form (IEEE 488.2 accepts exactly these two, in any case), brackets mark optional
nodes and ``#`` marks a node that takes a numeric suffix. Optional nodes are expanded into every
variant once, at registration, so matching a header is a chain of dictionary look-ups.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulators.scpi.errors import ScpiError

if TYPE_CHECKING:
    from simulators.scpi.params import Params

Handler = Callable[["Call"], "str | None"]

_TOKEN = re.compile(r"^([A-Z_][A-Z_0-9]*?)(\d*)$")


@dataclass(frozen=True)
class Mnemonic:
    """One keyword of a pattern: its short and long forms and whether it takes a suffix."""

    short: str
    long: str
    suffix: bool = False

    @classmethod
    def parse(cls, spec: str) -> Mnemonic:
        suffix = spec.endswith("#")
        word = spec.rstrip("#")
        short = "".join(ch for ch in word if not ch.islower()) if not word.isupper() else word
        # The capitals must be a prefix of the word, or the manual's notation was misread.
        if not word.upper().startswith(short):
            raise ValueError(f"mnemonic {spec!r}: capitals must be a prefix (short form)")
        return cls(short=short, long=word.upper(), suffix=suffix)

    def forms(self) -> tuple[str, ...]:
        return (self.short,) if self.short == self.long else (self.short, self.long)

    def matches(self, word: str) -> bool:
        return word.upper() in self.forms()


def parse_pattern(pattern: str) -> list[tuple[Mnemonic, bool]]:
    """Split a manual syntax line into (mnemonic, optional) pairs."""
    nodes: list[tuple[Mnemonic, bool]] = []
    i = 0
    text = pattern.strip().lstrip(":")
    while i < len(text):
        if text[i] == "[":
            end = text.index("]", i)
            nodes.append((Mnemonic.parse(text[i + 1 : end].strip(":")), True))
            i = end + 1
        elif text[i] == ":":
            i += 1
        else:
            end = i
            while end < len(text) and text[end] not in ":[":
                end += 1
            nodes.append((Mnemonic.parse(text[i:end]), False))
            i = end
    if not nodes or all(optional for _, optional in nodes):
        raise ValueError(f"pattern {pattern!r} needs at least one required node")
    return nodes


@dataclass
class Command:
    """What runs for one pattern: its set form, its query form, or both."""

    pattern: str
    set: Handler | None = None
    query: Handler | None = None
    suffix_positions: tuple[int, ...] = ()
    long_header: str = ""


@dataclass
class Node:
    """A point in the expanded tree; ``index`` maps both spellings to the child."""

    index: dict[str, tuple[Node, bool]] = field(default_factory=dict)
    command: Command | None = None
    suffixes: tuple[int, ...] = ()
    """For a leaf: which header positions (in this variant) carry the pattern's ``#`` nodes."""


@dataclass
class Call:
    """Everything a handler needs about one program message unit."""

    params: Params
    suffixes: tuple[int | None, ...]
    header: str
    """The canonical long header (``:FUNCTION``), for instruments that echo headers."""

    def suffix(self, position: int = 0, default: int = 1) -> int:
        value = self.suffixes[position] if position < len(self.suffixes) else None
        return default if value is None else value


def split_word(word: str) -> tuple[str, int | None]:
    """``ISUM1`` -> (``ISUM``, 1); a word without trailing digits has no suffix."""
    match = _TOKEN.match(word.upper())
    if match is None:
        raise ScpiError(-102, f"bad header word {word!r}")
    stem, digits = match.groups()
    return stem, (int(digits) if digits else None)


class CommandTree:
    """All commands of one instrument model, plus the IEEE 488.2 common commands."""

    def __init__(self) -> None:
        self.root = Node()
        self.common: dict[str, Command] = {}

    def add(self, pattern: str, set: Handler | None = None, query: Handler | None = None) -> None:
        """Register the set and/or query form of a manual syntax line."""
        command = Command(pattern=pattern, set=set, query=query)
        if pattern.startswith("*"):
            self.common[pattern.upper()] = command
            return
        nodes = parse_pattern(pattern)
        command.long_header = ":" + ":".join(m.long for m, _ in nodes)
        optional = [i for i, (_, opt) in enumerate(nodes) if opt]
        for mask in range(1 << len(optional)):
            dropped = {optional[b] for b in range(len(optional)) if mask >> b & 1}
            variant = [m for i, (m, _) in enumerate(nodes) if i not in dropped]
            suffix_at = tuple(k for k, m in enumerate(variant) if m.suffix)
            self._insert(variant, command, suffix_at)

    def _insert(
        self, variant: list[Mnemonic], command: Command, suffix_at: tuple[int, ...]
    ) -> None:
        node = self.root
        for mnemonic in variant:
            child: Node | None = None
            for form in mnemonic.forms():
                if form in node.index:
                    child = node.index[form][0]
            if child is None:
                child = Node()
            for form in mnemonic.forms():
                node.index[form] = (child, mnemonic.suffix)
            node = child
        if node.command is not None and node.command is not command:
            raise ValueError(f"{command.pattern!r} collides with {node.command.pattern!r}")
        node.command = command
        node.suffixes = suffix_at

    def resolve(self, words: list[str], start: Node) -> tuple[Node, Node, tuple[int | None, ...]]:
        """Walk ``words`` from ``start``; returns (leaf, its parent, suffixes of ``#`` nodes).

        Raises -113 for an unknown header, as the Keysight and Rigol parsers do.
        """
        node = start
        parent = start
        seen: list[int | None] = []
        for word in words:
            stem, number = split_word(word)
            entry = node.index.get(word.upper())
            if entry is not None and number is not None and not entry[1]:
                number = None  # a mnemonic that really ends in digits (ESR0)
            elif entry is None:
                entry = node.index.get(stem)
                if entry is None or (number is not None and not entry[1]):
                    raise ScpiError(-113, f"header {':'.join(words)!r}")
            parent, node = node, entry[0]
            seen.append(number)
        if node.command is None:
            raise ScpiError(-113, f"header {':'.join(words)!r} is not a command")
        suffixes = tuple(seen[i] for i in node.suffixes)
        return node, parent, suffixes
