"""Found by bench/reminders.py: delivery writes a message and its final "." separately (to
record the hand-over in between), which Nagle's algorithm turns into a 40 ms wait per e-mail
unless the connection sends small writes at once. 50,000 reminders: 40 minutes instead of one."""

from __future__ import annotations

import socket

from tests.reminders.helpers import settings_for
from web.reminders import delivery


def test_the_smtp_connection_sends_small_writes_at_once(smtp_server):
    smtp = delivery.connect(settings_for(smtp_server))
    try:
        assert smtp.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    finally:
        smtp.quit()
