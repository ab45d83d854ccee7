"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, for e-mail tests.

Use the ``smtp_server`` fixture (tests/conftest.py), or ``running_smtp_server()`` directly:

    sink.wait_for(3)                      # the three messages, parsed (email.message.EmailMessage)
    sink.refuse("x@example.org", "451 try later")   # answer RCPT TO for an address with an error
"""

from __future__ import annotations

import asyncio
import email
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.services import free_port


class SmtpSink:
    """The server's handler: collects messages; can refuse chosen recipients."""

    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self._messages: list[EmailMessage] = []
        self._refusals: dict[str, str] = {}
        self._lock = threading.Lock()
        self.connections = 0

    # --- aiosmtpd hooks ---------------------------------------------------------------------
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            refusal = self._refusals.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.original_content or envelope.content, policy=policy.default
        )
        with self._lock:
            self._messages.append(message)
        return "250 Message accepted for delivery"

    # --- for tests ---------------------------------------------------------------------------
    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self._messages)

    def refuse(self, address: str, reply: str) -> None:
        with self._lock:
            self._refusals[address.lower()] = reply

    def accept_all(self) -> None:
        with self._lock:
            self._refusals.clear()

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """At least ``count`` messages, or TimeoutError naming how many came."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.05)
        raise TimeoutError(f"expected {count} e-mails within {timeout}s, got {len(self.messages)}")


class ClosingController(Controller):
    """aiosmtpd's controller that closes the sessions still open before its loop stops.

    A client (a worker's pooled SMTP connection) may still be connected when a test ends;
    stopping the loop under it leaves the transport to the garbage collector, whose "unclosed
    transport" ResourceWarning the suite treats as an error in whichever test runs next."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sessions: set = set()

    def factory(self):
        protocol = super().factory()
        self._sessions.add(protocol)
        return protocol

    def stop(self, no_assert: bool = False) -> None:
        async def close_sessions() -> None:
            for protocol in self._sessions:
                transport = getattr(protocol, "transport", None)
                if transport is not None and not transport.is_closing():
                    transport.close()
            await asyncio.sleep(0.05)  # let the transports' close callbacks run

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(close_sessions(), self.loop).result(timeout=10)
        super().stop(no_assert=no_assert)


@contextmanager
def running_smtp_server() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.port = free_port()
    controller = ClosingController(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
