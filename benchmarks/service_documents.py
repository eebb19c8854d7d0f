"""Request bodies the service benchmarks and tests send: a complaint form, a finished-run
document, files. Here so that ``make bench`` needs nothing from ``tests/`` (which re-exports it)."""

from __future__ import annotations

import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pybase64

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def complaint_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customer": "Acme Scanners Ltd",
        "project": "HS-200 handheld",
        "product_model": "PB-1S2P-18650-5200",
        "product_spec": "3.6 V 5.2 Ah 1S2P",
        "shipped_qty": 500,
        "defect_qty": 3,
        "symptom": "no_power_on",
        "severity": "general",
        "received_at": T0.isoformat(),
        "received_by": "li.na",
        "usage_temperature": "35 degC",
        "time_in_use": "3 month",
    }
    body.update(overrides)
    return body


def _ts(offset_s: float) -> str:
    return (T0 + timedelta(hours=2, seconds=offset_s)).isoformat()


def run_document(unit_id: int, serial: str, complaint_number: str | None) -> dict[str, Any]:
    return {
        "unit_id": unit_id,
        "info": {
            "procedure": "returned-pack-diagnosis",
            "procedure_version": "1.0",
            "station": "bench-3",
            "operator": "wang.wei",
            "spec": "PB-1S2P-18650-5200",
            "unit_serial": serial,
            "complaint_number": complaint_number,
            "started": _ts(0),
        },
        "steps": [
            {
                "name": "voltage_check",
                "index": 0,
                "started": _ts(1),
                "ended": _ts(2),
                "verdict": "FAIL",
                "measurements": [
                    {
                        "name": "pack_voltage",
                        "value": 0.12,
                        "unit": "V",
                        "limits": {"low": 3.0, "high": 4.2},
                        "verdict": "FAIL",
                        "comparison": "3 <= 0.12 <= 4.2 V",
                        "timestamp": _ts(1.5),
                        "instrument": "Keysight Technologies,34461A,MY1,A.03",
                    }
                ],
            },
            {
                "name": "wake_recharge",
                "index": 1,
                "started": _ts(3),
                "ended": _ts(3600),
                "verdict": "PASS",
                "measurements": [
                    {
                        "name": "wake_response",
                        "value": None,
                        "text_value": "under_voltage",
                        "unit": "",
                        "verdict": "PASS",
                        "timestamp": _ts(3600),
                    }
                ],
                "traces": [
                    {
                        "name": "recharge",
                        "time_s": [0.0, 600.0, 1200.0, 1800.0],
                        "channels": {
                            "voltage": {"unit": "V", "values": [2.1, 3.6, 3.9, 4.2]},
                            "current": {"unit": "A", "values": [2.6, 2.6, 2.0, 0.3]},
                        },
                        "timestamp": _ts(3600),
                    }
                ],
            },
        ],
        "outcome": {
            "verdict": "FAIL",
            "ended": _ts(3700),
            "message": "",
            "conclusions": [
                {
                    "kind": "disposition",
                    "value": "recharge_and_return",
                    "explanation": "woke from under-voltage protection",
                    "evidence": ["voltage_check/pack_voltage", "wake_recharge/wake_response"],
                }
            ],
        },
    }


def png_bytes(width: int = 16, height: int = 12) -> bytes:
    """A real (decodable) PNG: a small gradient, so the browser shows it as a photo."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(
        b"\x00" + b"".join(bytes((x * 15 % 256, y * 20 % 256, 128)) for x in range(width))
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


CSV_LOG = b"time_s,voltage_v,current_a\n0,2.10,2.60\n600,3.60,2.60\n1200,3.90,2.00\n"


REALISTIC_STEPS = 15
REALISTIC_MEASUREMENTS_PER_STEP = 4
REALISTIC_TRACE_SAMPLES = 10_000


def packed(values: list[float]) -> dict[str, str]:
    """A trace array in ``POST /api/runs``'s compact form (``service.run_document.PackedArray``)."""
    data = np.asarray(values, dtype="<f8").tobytes()
    return {"f64le_base64": pybase64.b64encode(data).decode("ascii")}


def realistic_run_document(
    unit_id: int,
    serial: str,
    complaint_number: str | None,
    *,
    seed: int = 0,
    pack_traces: bool = False,
) -> dict[str, Any]:
    """A diagnosis as a bench submits it (issue #18): 15 steps of 4 measurements each and one
    recharge trace of 10,000 samples (time, voltage, current); with ``pack_traces`` the three
    arrays travel packed (``packed``), else as JSON lists of numbers.

    The voltage and current are the run's own (a ramp with the instrument's noise, at its
    resolution, drawn from ``seed``), as every recharge a bench records is: the same arrays in
    every run would be one blob for a whole backlog (``bench_sync``) and compress as no
    measured trace does. The time axis is the same in every run, as a fixed sample rate gives."""
    doc = run_document(unit_id, serial, complaint_number)
    steps: list[dict[str, Any]] = []
    for s in range(REALISTIC_STEPS):
        measurements = [
            {
                "name": f"m{s}_{i}",
                "value": 3.6 + 0.001 * ((seed + s * 7 + i) % 500),
                "unit": "V",
                "limits": {"low": 3.0, "high": 4.2},
                "verdict": "PASS",
                "comparison": "3 <= v <= 4.2 V",
                "timestamp": _ts(s * 60 + i),
                "instrument": "Keysight Technologies,34461A,MY1,A.03",
            }
            for i in range(REALISTIC_MEASUREMENTS_PER_STEP)
        ]
        step: dict[str, Any] = {
            "name": f"step_{s:02d}",
            "index": s,
            "started": _ts(s * 60),
            "ended": _ts(s * 60 + 59),
            "verdict": "PASS",
            "measurements": measurements,
        }
        if s == REALISTIC_STEPS // 2:
            n = REALISTIC_TRACE_SAMPLES
            form = packed if pack_traces else list
            noise = np.random.default_rng(seed)
            ramp = np.arange(n) * 1e-4
            voltage = np.round(3.0 + ramp + noise.normal(0.0, 5e-4, n), 5).tolist()
            current = np.round(2.6 - ramp + noise.normal(0.0, 2e-3, n), 4).tolist()
            step["traces"] = [
                {
                    "name": "recharge",
                    "time_s": form([i * 0.5 for i in range(n)]),
                    "channels": {
                        "voltage": {"unit": "V", "values": form(voltage)},
                        "current": {"unit": "A", "values": form(current)},
                    },
                    "timestamp": _ts(s * 60 + 59),
                }
            ]
        steps.append(step)
    doc["steps"] = steps
    doc["outcome"]["verdict"] = "PASS"
    doc["outcome"]["conclusions"][0]["evidence"] = ["step_00/m0_0"]
    return doc
