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
DEFAULT_DATABASE_POOL = 12
"""Database connections a worker keeps open (``PACKBENCH_DATABASE_POOL``).

Why not SQLAlchemy's 5: a worker serves requests on anyio's thread pool, so 32 benches posting
to four workers keep about 8 requests in each worker's database at once. Past the pool, a
request opens a connection and closes it when done, and on PostgreSQL that is a new server
process each time (fork, catalogue caches loaded again, no prepared statements): measured on
issue #18's throughput benchmark, 120-185 connections opened per 1,500 runs and about 5 ms of
the server's CPU per run, against 29 connections and 3.5-4.3 ms with 16. Twelve keeps four
workers with SQLAlchemy's 10 overflow connections each (4 x 22 = 88) under PostgreSQL's
default ``max_connections`` of 100."""
POOL_OVERFLOW = 10
"""SQLAlchemy's default, named so that ``service.store.connection_shortfall`` can count it."""


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
    database_pool: int = DEFAULT_DATABASE_POOL
    """Connections each worker keeps open to the store (``DEFAULT_DATABASE_POOL`` says why)."""

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
        raw_pool = values.get("PACKBENCH_DATABASE_POOL", str(DEFAULT_DATABASE_POOL))
        if not raw_pool.isdigit() or not 1 <= int(raw_pool) <= 1000:
            raise SettingsError(
                f"PACKBENCH_DATABASE_POOL={raw_pool!r} is not a number of connections from 1 to "
                f"1000; set e.g. {DEFAULT_DATABASE_POOL}, and keep workers x (it + 10) under the "
                "database server's max_connections"
            )
        return cls(
            notify=notify,
            database_pool=int(raw_pool),
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
