"""uvicorn workers in a child process (kept with the benchmarks, which must run without tests)."""

from benchmarks.service_workers import uvicorn_workers

__all__ = ["uvicorn_workers"]
