"""A loopback SMTP server for bench/reminders.py, run in a process of its own.

aiosmtpd (asyncio) accepts every message, counts messages and connections in shared memory,
and appends each message (envelope and raw bytes) to the spool file of the current phase, so
the smtplib baseline can send exactly the messages the product sent. The spool is written in
every phase, the baseline's too, so both sides cost the server the same.
"""

from __future__ import annotations

import multiprocessing
import struct
import threading
import time
from pathlib import Path


class Sink:
    """The handle the benchmark keeps: start, counters, phase, stop."""

    def __init__(self, port: int, spool_dir: Path):
        ctx = multiprocessing.get_context("spawn")
        self.port, self.spool_dir = port, spool_dir
        self.messages = ctx.Value("q", 0, lock=False)
        self.connections = ctx.Value("q", 0, lock=False)
        self.phase = ctx.Value("i", 0, lock=False)
        self.stop_event = ctx.Event()
        self.process = ctx.Process(
            target=serve,
            daemon=True,
            args=(
                port,
                str(spool_dir),
                self.messages,
                self.connections,
                self.phase,
                self.stop_event,
            ),
        )

    def start(self) -> None:
        self.process.start()
        deadline = time.monotonic() + 30
        import socket

        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def begin(self, phase: int) -> None:
        """Count from zero and spool into ``spool-<phase>.bin``."""
        self.phase.value = phase
        self.messages.value = 0
        self.connections.value = 0

    def spool(self, phase: int) -> Path:
        return self.spool_dir / f"spool-{phase}.bin"

    def stop(self) -> None:
        self.stop_event.set()
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


def read_spool(path: Path):
    """Yield (mail_from, [rcpt_to], raw message bytes) as the sink stored them."""
    with path.open("rb") as f:
        while header := f.read(12):
            lengths = struct.unpack("!III", header)
            mail_from, rcpt, data = (f.read(n) for n in lengths)
            yield mail_from.decode(), rcpt.decode().split("\n"), data


def serve(port, spool_dir, messages, connections, phase, stop_event) -> None:
    from aiosmtpd.controller import Controller

    lock = threading.Lock()
    spools: dict[int, object] = {}

    class Handler:
        async def handle_EHLO(self, server, session, envelope, hostname, responses):
            connections.value += 1
            session.host_name = hostname
            return responses

        async def handle_DATA(self, server, session, envelope):
            data = envelope.original_content or envelope.content
            mail_from = envelope.mail_from.encode()
            rcpt = "\n".join(envelope.rcpt_tos).encode()
            with lock:
                current = phase.value
                if current not in spools:
                    # Unbuffered: one write per message, readable as soon as it is accepted.
                    spools[current] = (Path(spool_dir) / f"spool-{current}.bin").open(
                        "wb", buffering=0
                    )
                spools[current].write(
                    struct.pack("!III", len(mail_from), len(rcpt), len(data))
                    + mail_from
                    + rcpt
                    + data
                )
                messages.value += 1
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        stop_event.wait()
    finally:
        controller.stop()
        for spool in spools.values():
            spool.close()
