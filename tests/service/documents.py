"""Request bodies (kept with the benchmarks, which must run without the test suite)."""

from benchmarks.service_documents import (
    CSV_LOG,
    T0,
    complaint_payload,
    packed,
    png_bytes,
    run_document,
)

__all__ = ["CSV_LOG", "T0", "complaint_payload", "packed", "png_bytes", "run_document"]
