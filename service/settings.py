"""Service settings, read once from the environment so every uvicorn worker agrees.

Workers are separate processes started by uvicorn from an import string; the environment is the
one channel they all share, so nothing here is taken from command-line state.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from results.attachments import DEFAULT_MAX_BYTES
from results.major import alert_languages

DEFAULT_DATABASE = "packbench.sqlite3"
DEFAULT_EVIDENCE = "evidence"
NOTIFY_CHANNELS = ("log", "smtp")


class SettingsError(ValueError):
    """An environment variable holds a value the service cannot use."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    evidence_dir: Path
    max_upload_bytes: int = DEFAULT_MAX_BYTES
    secure_cookies: bool = False
    """Set the ``Secure`` cookie flag: on behind HTTPS, off for plain http on a bench LAN."""
    default_locale: str = "en"
    notify: str = "log"
    """Channel of emergency alerts and supplier notices: ``log`` (kept in memory and logged) or
    ``smtp`` (the plant's relay at ``smtp_host``:``smtp_port``, sent as ``smtp_sender``)."""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "packbench@localhost"
    emergency_group: tuple[str, ...] = ()
    """Who is alerted when a complaint becomes major (``PACKBENCH_EMERGENCY_GROUP``, commas)."""
    emergency_language: str = "en"
    """The language the emergency group's alert is written in (``PACKBENCH_EMERGENCY_LANGUAGE``:
    ``en`` or ``zh_CN``): the group's readers', not a page's (``default_locale``)."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        values = os.environ if env is None else env
        raw_limit = values.get("PACKBENCH_MAX_UPLOAD_BYTES", str(DEFAULT_MAX_BYTES))
        try:
            limit = int(raw_limit)
        except ValueError:
            raise SettingsError(
                f"PACKBENCH_MAX_UPLOAD_BYTES={raw_limit!r} is not a whole number of bytes; "
                "set e.g. 20971520"
            ) from None
        if limit <= 0:
            raise SettingsError(f"PACKBENCH_MAX_UPLOAD_BYTES={limit} must be positive")
        notify = values.get("PACKBENCH_NOTIFY", "log")
        if notify not in NOTIFY_CHANNELS:
            raise SettingsError(
                f"PACKBENCH_NOTIFY={notify!r} is not a channel; set one of {NOTIFY_CHANNELS}"
            )
        raw_port = values.get("PACKBENCH_SMTP_PORT", "25")
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise SettingsError(f"PACKBENCH_SMTP_PORT={raw_port!r} is not a TCP port; set e.g. 25")
        group = values.get("PACKBENCH_EMERGENCY_GROUP", "")
        emergency_language = values.get("PACKBENCH_EMERGENCY_LANGUAGE", "en")
        if emergency_language not in alert_languages():
            raise SettingsError(
                f"PACKBENCH_EMERGENCY_LANGUAGE={emergency_language!r} is not a language the "
                f"emergency alert is written in; set one of {alert_languages()}"
            )
        return cls(
            notify=notify,
            smtp_host=values.get("PACKBENCH_SMTP_HOST", "localhost"),
            smtp_port=int(raw_port),
            smtp_sender=values.get("PACKBENCH_SMTP_SENDER", "packbench@localhost"),
            emergency_group=tuple(a.strip() for a in group.split(",") if a.strip()),
            emergency_language=emergency_language,
            database_url=values.get("PACKBENCH_DATABASE_URL", DEFAULT_DATABASE),
            evidence_dir=Path(values.get("PACKBENCH_EVIDENCE_DIR", DEFAULT_EVIDENCE)),
            max_upload_bytes=limit,
            secure_cookies=values.get("PACKBENCH_SECURE_COOKIES", "") in ("1", "true", "yes"),
            default_locale=values.get("PACKBENCH_LOCALE", "en"),
        )
