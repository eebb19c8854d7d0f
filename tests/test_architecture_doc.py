"""``docs/architecture.md`` shows the package graph the code has, not the one it once had."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tools" / "package_graph.py"
DOCUMENT = ROOT / "docs" / "architecture.md"


def test_the_committed_package_graph_is_the_scripts_output() -> None:
    printed = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed.startswith("<!-- package-graph:start")
    assert "    results --> procedures" in printed  # the script found the imports at all
    assert printed in DOCUMENT.read_text(encoding="utf-8"), (
        "docs/architecture.md is out of date: run python tools/package_graph.py --write"
    )


def test_no_arrow_points_up_the_layers() -> None:
    """The graph agrees with the layer contract: nothing below imports what sits above it."""
    printed = subprocess.run(
        [sys.executable, str(SCRIPT)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    for upward in ("results --> bench", "results --> service", "procedures --> results"):
        assert upward not in printed
    assert not any(line.strip().startswith("simulators -->") for line in printed.splitlines())
