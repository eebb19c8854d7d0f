"""The service's notification channel and emergency group, chosen by the settings.

One channel per worker process, built at start-up: a ``LogChannel`` keeps what it sent, so tests
(and an operator reading the log) can see every alert without a mail server; ``smtp`` hands each
message to the plant's relay. ``results.major`` takes any channel, so nothing below knows which.
"""

from __future__ import annotations

from fastapi import Request

from results.major import EmergencyGroup
from results.notifications import LogChannel, NotificationChannel, SmtpChannel
from service.errors import NotConfigured
from service.settings import Settings


def build_channel(settings: Settings) -> NotificationChannel:
    if settings.notify == "smtp":
        return SmtpChannel(settings.smtp_host, settings.smtp_port, settings.smtp_sender)
    return LogChannel()


def channel_of(request: Request) -> NotificationChannel:
    channel: NotificationChannel = request.app.state.channel
    return channel


def group_of(request: Request) -> EmergencyGroup:
    settings: Settings = request.app.state.settings
    if not any(a.strip() for a in settings.emergency_group):
        raise NotConfigured(
            "no emergency group is configured, so a major complaint would alert nobody; "
            "set PACKBENCH_EMERGENCY_GROUP to a comma-separated list of e-mail addresses"
        )
    return EmergencyGroup.of(settings.emergency_group, settings.emergency_language)
