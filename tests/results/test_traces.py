from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from results.errors import ValidationError
from results.traces import decode, encode


@given(
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32, np.int32, np.int64, np.uint8, ">f8"]),
        shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=20),
    )
)
def test_arrays_round_trip_bit_exact(array: np.ndarray) -> None:  # type: ignore[type-arg]
    data, dtype, shape = encode(array)
    back = decode(data, dtype, shape)
    assert back.shape == array.shape and back.dtype == array.dtype.newbyteorder("=")
    assert back.tobytes() == array.astype(back.dtype).tobytes()
    assert len(data) == array.size * array.dtype.itemsize  # no per-sample overhead
    back[...] = 0  # decoded arrays are writable copies


def test_object_arrays_are_refused() -> None:
    with pytest.raises(ValidationError, match=r"recharge\.voltage"):
        encode(np.array(["a", None], dtype=object), name="recharge.voltage")
