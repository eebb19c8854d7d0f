"""A sentence the store says to a person, with the key and values a page translates it by.

The CLI, the API's JSON and the logs read ``text`` (English, as the CLI tests check it); the QA
pages look ``key`` up in their catalogue and format it with ``values``, so a Chinese page never
shows an English store sentence. ``tests/service/test_chinese_complete.py`` holds the English
catalogue text, formatted with ``values``, equal to ``text`` for every message it meets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """``codes`` names the catalogue group (``unit_status``...) of each value that is a code, or
    codes joined by ``CODE_SEPARATOR``; a page shows their labels instead of the codes."""

    key: str
    text: str
    values: dict[str, object] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text


CODE_SEPARATOR = ", "


def texts(messages: list[Message]) -> list[str]:
    return [m.text for m in messages]
