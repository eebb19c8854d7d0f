"""Where packbench keeps its data when the station file does not say: the XDG user data dir.

A bench PC is often shared by several operators with their own accounts; the XDG base directory
rules (``$XDG_DATA_HOME``, else ``~/.local/share``) give each account its own store without any
setup, which is what ``make demo`` in a fresh HOME needs.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "packbench"
DATABASE_NAME = "packbench.sqlite3"


def data_dir() -> Path:
    """``$XDG_DATA_HOME/packbench``, or ``~/.local/share/packbench`` (not created here)."""
    base = os.environ.get("XDG_DATA_HOME", "").strip()
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "share"
    return root / APP


def default_database() -> Path:
    return data_dir() / DATABASE_NAME


def default_evidence_dir() -> Path:
    return data_dir() / "evidence"


def default_reports_dir() -> Path:
    return data_dir() / "reports"


def default_journal_dir() -> Path:
    """Run journals (``results.journal``): steps not yet in the store wait here."""
    return data_dir() / "journal"
