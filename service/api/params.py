"""Path parameter types shared by the routers: ids that every database can hold."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Sha256 = Annotated[str, Path(pattern="^[0-9a-f]{64}$")]
