"""Sentences the procedures write into records, from a catalogue, and read back per language.

Explanations, advice, skip reasons and step messages are stored as the English text the CLI, the
audit trail and the record hashes have always read (a measurement's ``comparison`` is part of its
row hash, so its text cannot change). Every such sentence is written here from a catalogue key and
its arguments (``say``), and the catalogue's English template is what the record holds; a page or
report in another language recovers key and arguments from the stored text (``parse``: each
template compiled to a pattern) and writes the sentence from that language's template
(``localise``). Nothing extra is stored, no migration is needed, and rows written before this
module existed are translated the same way when their text is one of the templates; a text that
matches none (a driver's refusal, an old wording) is shown as stored.

Arguments are of two kinds, told apart by their name (``SENTENCE_ARGS``): a *sentence* (another
catalogue text, or a list of them joined by ``; ``) is localised in turn; a *value* (names,
readings, counts) is copied as it is and never spans a ``;``, which keeps the parse unambiguous.
``tests/procedures/test_phrases.py`` parses every template back to its own key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from string import Formatter

ENGLISH = "en"

SENTENCE_ARGS = frozenset({"explanation", "because", "parts", "reason", "why", "rest"})
"""Placeholders whose argument is itself a catalogue sentence (localised in turn)."""

LIST_ARGS = frozenset({"named", "failed", "answers", "readings", "items", "missing"})
"""Value placeholders whose argument may hold ``;`` (lists of readings): copied as they are."""

NAME_ARGS = frozenset({"name"})
"""Placeholders holding one record name: no space, no ``;``."""

JOINERS = {
    ENGLISH: {"; and ": "; and ", "; ": "; "},
    "zh_CN": {"; and ": "；并且", "; ": "；"},
}
"""How a list of sentences is joined in each language, by the English joiner it replaces."""

SENTENCE_END = re.compile(r"(?<=\.)\s+(?=[A-Z])")
"""Between two English sentences: a full stop, space, capital (``2.4 V`` has no space)."""

FULL_STOP = {ENGLISH: " ", "zh_CN": ""}
"""What separates two sentences once written in each language."""

Template = tuple[tuple[str, ...], tuple[str, ...]]
"""A template as its literal pieces (one more than its placeholders) and placeholder names."""

ValueWriter = Callable[[str, str], str]
"""How a reader shows a value argument (placeholder name, value as stored) in its language: the
record names, categories and comparisons in a value are codes and engine text, which the
reports label (``results.reports.recorded``); this module knows no labels. Called, too, with a
sentence argument that is none of the catalogue's (a list of names where a reason stands)."""


def catalogue_file(package: str, folder: str, locale: str) -> dict[str, str]:
    """A message catalogue shipped as ``<package>/<folder>/<locale>.json``, English for a
    language it has none of: the one way every catalogue of the project (the procedures', the
    prompts', the store's, the command line's) is found and read, so they fall back alike."""
    where = resources.files(package).joinpath(*folder.split("/"))
    path = where / f"{locale}.json"
    if not path.is_file():
        path = where / f"{ENGLISH}.json"
    loaded: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


@cache
def messages(locale: str) -> dict[str, str]:
    """The catalogue of ``locale`` (``procedures/locale/<locale>.json``); English if unknown."""
    return catalogue_file("procedures", "locale", locale)


def say(key: str, **args: object) -> str:
    """The English sentence ``key`` with ``args``: what a record stores."""
    return messages(ENGLISH)[key].format(**args)


def placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in Formatter().parse(template) if name]


def _split(template: str) -> Template:
    literals = [""]
    names: list[str] = []
    for literal, name, _spec, _conv in Formatter().parse(template):
        literals[-1] += literal
        if name is not None:
            names.append(name)
            literals.append("")
    return tuple(literals), tuple(names)


@cache
def _templates() -> tuple[tuple[str, Template], ...]:
    """Every English template, the longest literal text first (the most specific wins)."""
    english = messages(ENGLISH)
    split = {key: _split(text) for key, text in english.items()}
    keys = sorted(english, key=lambda k: sum(len(lit) for lit in split[k][0]), reverse=True)
    return tuple((key, split[key]) for key in keys)


def balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _fits(name: str, value: str) -> bool:
    if not value or not balanced(value):
        return False
    if name in NAME_ARGS:
        return not any(ch.isspace() or ch == ";" for ch in value)
    if name in SENTENCE_ARGS or name in LIST_ARGS:
        return True
    return ";" not in value


def _match(template: Template, text: str) -> dict[str, str] | None:
    """The arguments that make ``template`` read ``text``, each fitting its kind, or ``None``.

    Backtracks over every place the next literal occurs (shortest argument first), so an
    argument with a ``;`` or an unbalanced parenthesis never hides a right reading.
    """
    literals, names = template
    if not text.startswith(literals[0]):
        return None

    def rest(at: int, i: int) -> dict[str, str] | None:
        if i == len(names):
            return {} if at == len(text) else None
        following = literals[i + 1]
        last = i + 1 == len(names)
        ends = [len(text) - len(following)] if last else _occurrences(text, following, at + 1)
        for end in ends:
            if end <= at or not text.startswith(following, end):
                continue
            value = text[at:end]
            if not _fits(names[i], value):
                continue
            tail = rest(end + len(following), i + 1)
            if tail is not None:
                return {names[i]: value, **tail}
        return None

    return rest(len(literals[0]), 0)


def _occurrences(text: str, piece: str, start: int) -> list[int]:
    found: list[int] = []
    at = text.find(piece, start)
    while at != -1:
        found.append(at)
        at = text.find(piece, at + 1)
    return found


def parse(text: str) -> tuple[str, dict[str, str]] | None:
    """The key and arguments an English sentence was written from, or ``None``."""
    for key, template in _templates():
        args = _match(template, text)
        if args is not None:
            return key, args
    return None


@cache
def localise(text: str, locale: str, values: ValueWriter | None = None) -> str:
    """``text`` (as stored, English) in ``locale``; as stored when no template fits it.

    ``values`` (hashable: the result is cached) writes each value argument in ``locale``;
    without it values are copied as stored.
    """
    if locale == ENGLISH or not text:
        return text
    shown = _localised(text.strip(), locale, values)
    return text if shown is None else shown


def _argument(name: str, value: str, locale: str, values: ValueWriter | None) -> str:
    if name not in SENTENCE_ARGS:
        return values(name, value) if values is not None else value
    shown = _localised(value.strip(), locale, values) if value else None
    if shown is not None:
        return shown
    return values(name, value) if values is not None else value


def _localised(text: str, locale: str, values: ValueWriter | None = None) -> str | None:
    """``text`` in ``locale``, or ``None`` when neither it nor its pieces are catalogue texts.

    A whole template first; else a list of catalogue sentences joined by ``; and `` or ``; ``
    (every piece must be one); else sentence by sentence, each found one translated.
    """
    found = parse(text)
    if found is not None:
        key, args = found
        target = messages(locale)
        if key not in target:
            return None
        shown = {name: _argument(name, value, locale, values) for name, value in args.items()}
        return target[key].format(**shown)
    for english, joiner in JOINERS.get(locale, JOINERS[ENGLISH]).items():
        pieces = _pieces(text, english)
        if pieces is not None:
            return joiner.join(localise(p, locale, values) for p in pieces)
    sentences = SENTENCE_END.split(text)
    if len(sentences) > 1:
        shown_sentences = [_localised(s, locale, values) for s in sentences]
        if any(s is not None for s in shown_sentences):
            return FULL_STOP.get(locale, " ").join(
                s if s is not None else t for s, t in zip(shown_sentences, sentences, strict=True)
            )
    return None


def _pieces(text: str, joiner: str) -> list[str] | None:
    """``text`` cut at ``joiner`` into pieces that each parse as a template (``None``: no cut).

    Tries every cut (a piece may hold the joiner itself), shortest first piece first.
    """
    if joiner not in text:
        return None

    @cache
    def from_(at: int) -> tuple[str, ...] | None:
        ends = [*_occurrences(text, joiner, at + 1), len(text)]
        for end in ends:
            piece = text[at:end]
            if not balanced(piece) or parse(piece) is None:
                continue
            if end == len(text):
                return (piece,)
            tail = from_(end + len(joiner))
            if tail is not None:
                return (piece, *tail)
        return None

    found = from_(0)
    return list(found) if found is not None and len(found) > 1 else None


def read_with(template: str, text: str) -> dict[str, str] | None:
    """The arguments that make the English ``template`` read ``text`` (``None``: it does not):
    the same reading ``parse`` does, for another catalogue's templates (the service reads the
    store's refusals back with it)."""
    return _match(_split(template), text)
