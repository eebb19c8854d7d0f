"""The base of every JSON body the API reads: an unknown key is refused, never dropped.

A misspelt optional key (``"reson"`` for ``"reason"``) silently ignored would store a record
without the value its sender believes was sent; refused, the 422 names the key
(``service.app``'s validation handler) and the sender fixes it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ApiBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
