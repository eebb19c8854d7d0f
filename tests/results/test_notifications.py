from __future__ import annotations

import email
import socketserver
import threading
from collections.abc import Iterator
from email.policy import default as default_policy

import pytest

from results.errors import ValidationError
from results.notifications import LogChannel, Notification, SmtpChannel, recipients


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        server: _SmtpServer = self.server  # type: ignore[assignment]
        self.reply("220 test ESMTP")
        sender, rcpts = "", []
        while line := self.rfile.readline():
            command = line.decode().rstrip("\r\n")
            verb = command[:4].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250-test\r\n250 8BITMIME" if verb == "EHLO" else "250 test")
            elif verb == "MAIL":
                sender = command.split(":", 1)[1].split()[0].strip("<>")
                self.reply("250 OK")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip().strip("<>")
                if address in server.refuse:
                    self.reply("550 no such user")
                else:
                    rcpts.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 end with .")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                server.received.append((sender, list(rcpts), bytes(data)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_smtp_channel_delivers_utf8_mail_to_every_recipient(smtp_server: _SmtpServer) -> None:
    port = smtp_server.server_address[1]
    channel = SmtpChannel("127.0.0.1", port, "qa@plant.example")
    message = Notification(("a@plant.example", "b@plant.example"), "漏液 CC-1", "电池漏液，请处理")
    delivery = channel.send(message)
    assert delivery.delivered and delivery.error == "" and delivery.channel == "smtp"
    sender, rcpts, data = smtp_server.received[0]
    assert sender == "qa@plant.example"
    assert rcpts == ["a@plant.example", "b@plant.example"]
    mail = email.message_from_bytes(data, policy=default_policy)
    assert mail["Subject"] == "漏液 CC-1"
    assert mail.get_content().strip() == "电池漏液，请处理"


def test_smtp_channel_reports_a_partly_refused_delivery(smtp_server: _SmtpServer) -> None:
    smtp_server.refuse.add("gone@plant.example")
    channel = SmtpChannel("127.0.0.1", smtp_server.server_address[1], "qa@plant.example")
    delivery = channel.send(Notification(("a@plant.example", "gone@plant.example"), "s", "b"))
    assert delivery.delivered and delivery.refused == ("gone@plant.example",)
    everyone_refused = channel.send(Notification(("gone@plant.example",), "s", "b"))
    assert not everyone_refused.delivered


def test_smtp_channel_reports_an_unreachable_server_instead_of_raising() -> None:
    server = _SmtpServer()
    port = server.server_address[1]
    server.server_close()  # nothing listens there now
    delivery = SmtpChannel("127.0.0.1", port, "qa@p.example", timeout_s=2).send(
        Notification(("a@p.example",), "s", "b")
    )
    assert not delivery.delivered
    assert f"127.0.0.1:{port}" in delivery.error


def test_log_channel_keeps_messages_and_can_fail_on_request() -> None:
    channel = LogChannel()
    message = Notification(("a@p.example",), "subject", "body")
    assert channel.send(message).delivered and channel.sent == [message]
    broken = LogChannel(fail_with="relay down")
    assert broken.send(message).error == "relay down" and broken.sent == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [((), "s"), (("not-an-address",), "s"), (("a@p.example",), "two\nlines")],
)
def test_bad_messages_are_refused_before_sending(to: tuple[str, ...], subject: str) -> None:
    with pytest.raises(ValidationError):
        Notification(to, subject, "body")


def test_recipient_lists_are_cleaned_in_order() -> None:
    assert recipients([" a@x.cn", "b@x.cn", "a@x.cn", ""]) == ("a@x.cn", "b@x.cn")
