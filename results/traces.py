"""Compact array storage: raw little-endian bytes plus dtype and shape columns.

No row per sample (a 2-hour recharge at 1 Hz would be 7,200 rows per channel) and no pickles:
``np.frombuffer`` on bytes we wrote ourselves cannot execute anything, unlike ``np.load`` with
``allow_pickle``. A float64 array round-trips bit for bit, NaNs included.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt

from results.errors import ValidationError

# Kinds whose raw bytes mean the same on every host once the byte order is fixed.
_ALLOWED_KINDS = {"f", "i", "u", "b"}


def encode(array: npt.ArrayLike, *, name: str = "array") -> tuple[bytes, str, str]:
    """``(data, dtype, shape)`` for one array; the dtype string is explicit little-endian."""
    arr = np.asarray(array)
    if arr.dtype.kind not in _ALLOWED_KINDS:
        raise ValidationError(
            name,
            f"dtype {arr.dtype} cannot be stored as a trace",
            "convert it to a numeric array (float64 for measured values)",
        )
    little = arr.dtype.newbyteorder("<") if arr.dtype.itemsize > 1 else arr.dtype
    data = np.ascontiguousarray(arr, dtype=little).tobytes()
    return data, little.str, json.dumps(list(arr.shape))


def decode(data: bytes, dtype: str, shape: str) -> npt.NDArray[np.generic]:
    """The array ``encode`` stored; read-only view over the bytes is copied to be writable."""
    dims = tuple(int(n) for n in json.loads(shape))
    arr: npt.NDArray[np.generic] = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(dims)
    return arr.astype(arr.dtype.newbyteorder("="), copy=True)
