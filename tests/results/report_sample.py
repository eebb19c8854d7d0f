"""A synthetic but realistic complaint report, for the tests and the report benchmark.

Test data, so it lives with the tests rather than ships inside ``results``.
Built from closed-form curves (no random numbers), so every consumer gets identical data; the
customer name and free text are Chinese on purpose, since that is what breaks fonts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

from procedures.records import Verdict
from results.reports.model import (
    ActionItem,
    Closure,
    ComplaintSummary,
    ConclusionData,
    ContainmentAction,
    EightD,
    EvidenceRef,
    MeasurementRow,
    ProblemDescription,
    ReportData,
    RootCause,
    RunData,
    StepData,
    TeamMember,
    TraceChannel,
    TraceData,
    UnitData,
    report_number,
)

T0 = datetime(2025, 3, 4, 8, 0, 0, tzinfo=UTC)
IDN_DMM = "Keysight Technologies,34461A,MY12345678,A.03.01"
IDN_SRC = "Keysight Technologies,E36312A,MY87654321,2.1.0"
IDN_IR = "HIOKI,BT3562,0,V1.00"

COMPLAINT = ComplaintSummary(
    number="CC-2025-0042",
    product_no="PB-1S2P-18650-5200",
    customer="深圳市华强电子有限公司",
    project="手持终端 HT-7",
    product_model="PB-1S2P-18650-5200",
    product_spec="1S2P 18650 3.6 V 5200 mAh",
    lot="L2409-17",
    severity="severe",
    symptom="no_power_on",
    symptom_text="客户反馈：电池装机后无法开机，充电无反应。",
    received_at=T0,
    shipment_date=date(2024, 10, 8),
    shipped_qty=2000,
    defect_qty=20,
    usage_temperature="25 °C",
    time_in_use="5 个月",
    usage_location="广东省东莞市仓库",
    stock_on_hand_qty=350,
    customer_demands="分析原因并补货",
)


def _recharge(points: int) -> TraceData:
    time = np.linspace(0.0, 8640.0, points)
    voltage = 2.2 + 2.0 * (1.0 - np.exp(-time / 1800.0))
    current = np.where(time < 6100.0, 2.6, 2.6 * np.exp(-(time - 6100.0) / 900.0))
    return TraceData(
        "recharge",
        tuple(float(v) for v in time),
        (
            TraceChannel("voltage", "V", tuple(float(v) for v in voltage)),
            TraceChannel("current", "A", tuple(float(v) for v in current)),
        ),
    )


def _unit(number: int, trace: TraceData) -> UnitData:
    serial = f"SN{240917000 + number}"
    run_id = f"R{number:04d}"
    start = T0 + timedelta(hours=2 * number)
    volts = 0.35 + 0.01 * number
    ir = 0.080 + 0.001 * number

    def row(
        step: str,
        name: str,
        value: float,
        unit: str,
        low: float | None,
        high: float | None,
        verdict: Verdict,
        idn: str,
        minutes: int,
    ) -> MeasurementRow:
        return MeasurementRow(
            run_id,
            step,
            name,
            value,
            unit,
            low,
            high,
            True,
            True,
            verdict,
            idn,
            start + timedelta(minutes=minutes),
        )

    steps = (
        StepData(
            1,
            "voltage_check",
            Verdict.FAIL,
            start,
            start + timedelta(minutes=1),
            (row("voltage_check", "pack_voltage", volts, "V", 3.0, 4.2, Verdict.FAIL, IDN_DMM, 1),),
        ),
        StepData(
            2,
            "wake_recharge",
            Verdict.PASS,
            start + timedelta(minutes=2),
            start + timedelta(minutes=146),
            (
                row(
                    "wake_recharge",
                    "voltage_after_wake",
                    4.19,
                    "V",
                    4.1,
                    4.25,
                    Verdict.PASS,
                    IDN_SRC,
                    146,
                ),
                row(
                    "wake_recharge",
                    "charge_current",
                    2.6,
                    "A",
                    2.34,
                    2.86,
                    Verdict.PASS,
                    IDN_SRC,
                    3,
                ),
            ),
            (trace,),
        ),
        StepData(
            3,
            "comprehensive",
            Verdict.PASS,
            start + timedelta(minutes=150),
            start + timedelta(minutes=170),
            (
                row(
                    "comprehensive",
                    "pack_resistance",
                    ir,
                    "Ω",
                    None,
                    0.12,
                    Verdict.PASS,
                    IDN_IR,
                    151,
                ),
                row(
                    "comprehensive",
                    "overcharge_detect",
                    4.29,
                    "V",
                    4.25,
                    4.35,
                    Verdict.PASS,
                    IDN_SRC,
                    160,
                ),
                row(
                    "comprehensive",
                    "overdischarge_detect",
                    2.41,
                    "V",
                    2.35,
                    2.45,
                    Verdict.PASS,
                    IDN_SRC,
                    165,
                ),
            ),
            message="短路保护测试通过 / short-circuit protection released normally",
        ),
    )
    conclusions = (
        ConclusionData(
            "root_cause",
            "over_discharge_protection",
            "电芯过放进入欠压保护，补电后恢复 (cells over-discharged in storage)",
            ("voltage_check/pack_voltage", "wake_recharge/voltage_after_wake"),
        ),
        ConclusionData(
            "cause_category",
            "storage_transport",
            "long storage without top-up",
            ("voltage_check/pack_voltage",),
        ),
        ConclusionData(
            "disposition",
            "recharge_and_return",
            "pack healthy after wake recharge",
            ("comprehensive/pack_resistance",),
        ),
    )
    run = RunData(
        run_id,
        "diagnosis",
        "1.0",
        "bench-01",
        "李工",
        start,
        start + timedelta(minutes=170),
        Verdict.FAIL,
        steps,
        conclusions,
    )
    return UnitData(serial, COMPLAINT.lot, COMPLAINT.product_model, "recharge_and_return", (run,))


def sample_eightd(first_run: str = "R0000") -> EightD:
    return EightD(
        team=(
            TeamMember("王芳", "QA", "leader"),
            TeamMember("李工", "Test", "member"),
            TeamMember("Chen Jie", "Sales", "customer_contact"),
        ),
        problem=ProblemDescription.from_complaint(COMPLAINT),
        containment=(
            ContainmentAction(
                "warehouse",
                350,
                12,
                True,
                "OCV check of stock on hand",
                "王芳",
                date(2025, 3, 5),
                date(2025, 3, 5),
            ),
            ContainmentAction(
                "customer", 120, 8, False, "top-up charge on site", "Chen Jie", date(2025, 3, 7)
            ),
        ),
        causes=(
            RootCause(
                "occurrence",
                "库存时间过长导致过放",
                "verified",
                "reproduction",
                "storage_transport",
                (EvidenceRef("measurement", f"{first_run}/voltage_check/pack_voltage"),),
            ),
            RootCause(
                "escape",
                "出货前未检查存储电压",
                "verified",
                "5why",
                "manufacturing",
                (EvidenceRef("run", first_run),),
            ),
        ),
        actions=(
            ActionItem(
                "d5",
                "ship at 40-60 % state of charge",
                "王芳",
                date(2025, 3, 20),
                verification="OCV of 50 packs 3.7-3.8 V",
            ),
            ActionItem(
                "d6",
                "SOC check added to OQC",
                "王芳",
                date(2025, 3, 25),
                date(2025, 3, 24),
                "lot L2503-02 all within limits",
                (EvidenceRef("attachment", "42", "ab" * 32),),
            ),
            ActionItem("d7", "PFMEA and storage SOP updated", "王芳", date(2025, 4, 1)),
        ),
        closure=Closure("no recurrence in 3 lots", "王芳", T0 + timedelta(days=30), True),
    )


def sample_report(units: int = 3, *, points: int = 600, locale: str = "zh_CN") -> ReportData:
    trace = _recharge(points)
    unit_data = tuple(_unit(n, trace) for n in range(units))
    return ReportData(
        report_number(COMPLAINT.number, COMPLAINT.product_no),
        1,
        locale,
        COMPLAINT,
        unit_data,
        sample_eightd(),
        issued_at=T0 + timedelta(days=3),
    )
