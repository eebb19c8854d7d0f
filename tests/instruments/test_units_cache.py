"""The registry is built from pint's disk cache, and without it when the cache cannot be used."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PROBE = 'from instruments.units import Q_; print(f\'{Q_(1500, "mV").to("V"):~P}\')'


def _run(cache_home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, capture_output=True, text=True
    )


def test_the_registry_is_cached_on_first_use_and_read_back(tmp_path: Path) -> None:
    first, second = _run(tmp_path), _run(tmp_path)
    assert (first.stdout, second.stdout) == ("1.5 V\n", "1.5 V\n"), first.stderr + second.stderr
    assert list((tmp_path / "pint").glob("*.pickle")), "pint wrote no cache"


def test_a_cache_folder_that_cannot_be_made_falls_back_to_parsing(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = _run(blocker / "below")  # mkdir below a regular file: NotADirectoryError
    assert done.returncode == 0 and done.stdout == "1.5 V\n", done.stderr


def test_a_damaged_cache_file_falls_back_to_parsing(tmp_path: Path) -> None:
    assert _run(tmp_path).returncode == 0
    for cached in (tmp_path / "pint").glob("*.pickle"):
        cached.write_bytes(b"not a pickle")
    done = _run(tmp_path)
    assert done.returncode == 0 and done.stdout == "1.5 V\n", done.stderr
