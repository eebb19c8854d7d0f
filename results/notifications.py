"""Pluggable notification channels: e-mail over SMTP for the plant, a log channel for tests.

A major complaint must reach the emergency group within hours, so *how* it travels is a choice of
the installation (SMTP today, perhaps a chat webhook tomorrow) behind one small protocol. A
channel reports what happened (``Delivery``) rather than raising for a recipient the server
refused: the escalation must still be recorded, with the failure in plain sight, when the mail
server is down at 3 a.m. Only a message that cannot be built raises.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from results.errors import ValidationError

log = logging.getLogger("packbench.notifications")


@dataclass(frozen=True, slots=True)
class Notification:
    recipients: tuple[str, ...]
    subject: str
    body: str

    def __post_init__(self) -> None:
        if not self.recipients:
            raise ValidationError("recipients", "is empty", "name at least one recipient")
        for address in self.recipients:
            if "@" not in address or any(c in address for c in " \r\n,;<>"):
                raise ValidationError(
                    "recipients", f"{address!r} is not an e-mail address", "give name@host"
                )
        if "\n" in self.subject or "\r" in self.subject:
            raise ValidationError("subject", "contains a line break", "keep it on one line")


@dataclass(frozen=True, slots=True)
class Delivery:
    channel: str
    sent_at: datetime
    delivered: bool
    error: str = ""
    refused: tuple[str, ...] = ()
    """Recipients the server refused (the others got it)."""


class NotificationChannel(Protocol):
    """Read-only ``name`` so frozen channels (``SmtpChannel``) satisfy it as they are."""

    @property
    def name(self) -> str: ...

    def send(self, message: Notification) -> Delivery: ...


@dataclass
class LogChannel:
    """Keeps every message in ``sent`` and logs it; never fails (unless told to, for tests)."""

    name: str = "log"
    sent: list[Notification] = field(default_factory=list)
    fail_with: str | None = None

    def send(self, message: Notification) -> Delivery:
        now = datetime.now(UTC)
        if self.fail_with is not None:
            log.warning("notification %r not delivered: %s", message.subject, self.fail_with)
            return Delivery(self.name, now, False, self.fail_with)
        self.sent.append(message)
        log.info("notification to %s: %s", ", ".join(message.recipients), message.subject)
        return Delivery(self.name, now, True)


@dataclass(frozen=True)
class SmtpChannel:
    """Plain ``smtplib``: one connection per message (escalations are rare, not bulk mail).

    ``starttls`` upgrades the connection before login; credentials are optional because a plant
    relay usually accepts mail from the internal network without them.
    """

    host: str
    port: int
    sender: str
    timeout_s: float = 10.0
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    name: str = "smtp"

    def build(self, message: Notification) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = ", ".join(message.recipients)
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False, usegmt=True)
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(message.body)  # utf-8: Chinese text travels as it is
        return mail

    def send(self, message: Notification) -> Delivery:
        mail = self.build(message)
        now = datetime.now(UTC)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(mail, self.sender, list(message.recipients))
        except smtplib.SMTPRecipientsRefused as exc:
            return Delivery(self.name, now, False, "every recipient refused", tuple(exc.recipients))
        except (OSError, smtplib.SMTPException) as exc:
            return Delivery(
                self.name,
                now,
                False,
                f"SMTP {self.host}:{self.port}: {type(exc).__name__}: {exc}; check the server "
                "address and that it accepts mail from this host",
            )
        if refused:
            missing = tuple(sorted(refused))
            return Delivery(self.name, now, True, f"refused: {', '.join(missing)}", missing)
        return Delivery(self.name, now, True)


def recipients(addresses: Sequence[str]) -> tuple[str, ...]:
    """A configured list, stripped and de-duplicated in order (a group file edited by hand)."""
    seen: dict[str, None] = {}
    for address in addresses:
        address = address.strip()
        if address:
            seen.setdefault(address, None)
    return tuple(seen)
