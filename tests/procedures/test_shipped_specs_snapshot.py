"""Every shipped pack spec loads to exactly the values it loaded to before the pydantic rewrite.

The golden file was written by the hand-written reader (issue 12 part 5): a reader rewrite that
changed a unit, a magnitude or a field of any shipped spec would change which packs pass.
Regenerate only on purpose: ``python tests/procedures/test_shipped_specs_snapshot.py``.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pint
import pytest

from procedures.specs import SPEC_DIR, load_spec

GOLDEN = Path(__file__).parent / "data" / "shipped_specs_snapshot.json"


def _plain(value: Any) -> Any:
    """A spec as JSON-able values; a quantity as [magnitude, unit] so a unit change shows."""
    if isinstance(value, pint.Quantity):
        return [repr(value.magnitude), str(value.units)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, Path):
        return value.name
    return value


def _snapshot() -> dict[str, Any]:
    return {path.name: _plain(load_spec(path)) for path in sorted(SPEC_DIR.glob("*.toml"))}


def test_golden_covers_every_shipped_spec() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(golden) == sorted(p.name for p in SPEC_DIR.glob("*.toml"))


@pytest.mark.parametrize("name", sorted(p.name for p in SPEC_DIR.glob("*.toml")))
def test_shipped_spec_loads_as_before(name: str) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert _plain(load_spec(SPEC_DIR / name)) == golden[name]


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(_snapshot(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
