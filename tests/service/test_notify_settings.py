"""Notification channel and emergency group from the environment."""

from __future__ import annotations

import email
from email.policy import default as default_policy
from pathlib import Path

import pytest
from accounts_setup import make_users
from documents import complaint_payload
from fastapi.testclient import TestClient
from service_support import EMERGENCY_GROUP
from smtp_sink import smtp_sink

from results.notifications import LogChannel, SmtpChannel
from service.app import create_app
from service.notify import build_channel
from service.settings import Settings, SettingsError
from service.store import open_store


def test_default_is_the_log_channel_and_no_group() -> None:
    settings = Settings.from_env({})
    assert settings.notify == "log" and settings.emergency_group == ()
    assert isinstance(build_channel(settings), LogChannel)


def test_smtp_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PACKBENCH_NOTIFY": "smtp",
            "PACKBENCH_SMTP_HOST": "relay.plant",
            "PACKBENCH_SMTP_PORT": "2525",
            "PACKBENCH_SMTP_SENDER": "qa@plant.example",
            "PACKBENCH_EMERGENCY_GROUP": " a@plant.example, ,b@plant.example",
        }
    )
    channel = build_channel(settings)
    assert isinstance(channel, SmtpChannel)
    assert (channel.host, channel.port, channel.sender) == ("relay.plant", 2525, "qa@plant.example")
    assert settings.emergency_group == ("a@plant.example", "b@plant.example")


@pytest.mark.parametrize(
    "env",
    [
        {"PACKBENCH_NOTIFY": "pager"},
        {"PACKBENCH_SMTP_PORT": "0"},
        {"PACKBENCH_SMTP_PORT": "x"},
        {"PACKBENCH_EMERGENCY_LANGUAGE": "fr"},
    ],
)
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)


def test_the_alert_language_comes_from_the_environment(db_url: str, tmp_path: Path) -> None:
    """``PACKBENCH_EMERGENCY_LANGUAGE``: the group's alert in its language (English unless
    told), whatever language the pages are shown in; the stage clock finds it as sent."""
    assert Settings.from_env({}).emergency_language == "en"
    settings = Settings.from_env(
        {
            "PACKBENCH_DATABASE_URL": db_url,
            "PACKBENCH_EVIDENCE_DIR": str(tmp_path / "evidence"),
            "PACKBENCH_EMERGENCY_GROUP": ",".join(EMERGENCY_GROUP),
            "PACKBENCH_EMERGENCY_LANGUAGE": "zh_CN",
        }
    )
    store = open_store(settings, migrate=False)
    try:
        tokens = make_users(store)
        app = create_app(settings, store=store)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            qa = {"Authorization": f"Bearer {tokens['zhao.min']}"}
            r = client.post(
                "/api/complaints",
                json=complaint_payload(symptom="leakage", severity="severe"),
                headers=qa,
            )
            assert r.status_code == 201, r.text
            number = r.json()["number"]
            r = client.post(f"/api/complaints/{number}/major", json={}, headers=qa)
            assert r.status_code == 201, r.text
            assert r.json()["clock"][0]["done_at"] is not None
            [alert] = app.state.channel.sent
    finally:
        store.close()
    assert alert.subject.startswith(f"[重大客诉] {number} leakage - ")
    assert "请立即冻结在库库存并暂停生产" in alert.body


def test_major_alerts_travel_over_smtp_when_the_environment_says_so(
    db_url: str, tmp_path: Path
) -> None:
    """The whole path: environment -> settings -> channel -> a real SMTP conversation."""
    with smtp_sink() as sink:
        settings = Settings.from_env(
            {
                "PACKBENCH_DATABASE_URL": db_url,
                "PACKBENCH_EVIDENCE_DIR": str(tmp_path / "evidence"),
                "PACKBENCH_NOTIFY": "smtp",
                "PACKBENCH_SMTP_HOST": "127.0.0.1",
                "PACKBENCH_SMTP_PORT": str(sink.port),
                "PACKBENCH_SMTP_SENDER": "packbench@plant.example",
                "PACKBENCH_EMERGENCY_GROUP": ",".join(EMERGENCY_GROUP),
            }
        )
        store = open_store(settings, migrate=False)
        try:
            tokens = make_users(store)
            app = create_app(settings, store=store)
            with TestClient(app, base_url="http://127.0.0.1") as client:
                qa = {"Authorization": f"Bearer {tokens['zhao.min']}"}
                tech = {"Authorization": f"Bearer {tokens['wang.wei']}"}
                r = client.post(
                    "/api/complaints",
                    json=complaint_payload(symptom="leakage", severity="severe"),
                    headers=tech,
                )
                assert r.status_code == 201, r.text
                number = r.json()["number"]
                base = f"/api/complaints/{number}/major"
                r = client.post(base, json={}, headers=qa)
                assert r.status_code == 201, r.text
                assert r.json()["clock"][0]["done_at"] is not None
                r = client.post(
                    f"{base}/supplier",
                    json={
                        "supplier": "CellCo",
                        "reference": "QN-7",
                        "content": "漏液 at crimp seal, lot L2511",
                        "address": "quality@cellco.example",
                    },
                    headers=qa,
                )
                assert r.status_code == 201, r.text
        finally:
            store.close()
    assert len(sink.received) == 2
    alert_from, alert_to, alert_data = sink.received[0]
    alert = email.message_from_bytes(alert_data, policy=default_policy)
    assert alert_from == "packbench@plant.example"
    assert tuple(alert_to) == EMERGENCY_GROUP
    assert number in str(alert["Subject"])
    _, supplier_to, supplier_data = sink.received[1]
    notice = email.message_from_bytes(supplier_data, policy=default_policy)
    assert supplier_to == ["quality@cellco.example"]
    assert "漏液 at crimp seal" in notice.get_content()
