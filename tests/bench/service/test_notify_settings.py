"""Notification channel and emergency group from the environment."""

from __future__ import annotations

import pytest

from bench.service.notify import build_channel
from bench.service.settings import Settings, SettingsError
from results.notifications import LogChannel, SmtpChannel


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
    [{"PACKBENCH_NOTIFY": "pager"}, {"PACKBENCH_SMTP_PORT": "0"}, {"PACKBENCH_SMTP_PORT": "x"}],
)
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)
