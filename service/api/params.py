"""Path and query parameter types shared by the routers: ids and counts every database can hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Sha256 = Annotated[str, Path(pattern="^[0-9a-f]{64}$")]
Offset = Annotated[int, Query(ge=0, le=2_147_483_647)]
"""How many rows a page skips: beyond a 64-bit integer SQLite's driver overflows (a 500), and no
store holds more rows than a row id counts."""
