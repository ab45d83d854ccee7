"""A Teams Workflows webhook on loopback: a real HTTP server that checks every card.

``running_receiver(answers=[500, 200])`` answers each POST with the next status of ``answers``
(the last one repeats; 202, as Workflows answers, when none is given) and keeps what it got:
``receiver.cards`` (each accepted envelope's card), ``receiver.posts`` (every request's body,
refused ones too). A body that is not an envelope with a valid card is answered 400 and
recorded in ``receiver.invalid`` with the reason, so a malformed card fails the test that sent
it rather than passing unseen.

The schema (``ENVELOPE_SCHEMA``) is a hand-written subset of the Adaptive Card 1.4 JSON
schema (adaptivecards.io/schemas/1.4.0/adaptive-card.json; no network here to fetch it),
written from that schema's definitions for exactly what the product sends, and as strict as
the original there:

- the Workflows envelope: ``type`` "message", ``attachments`` of one item whose
  ``contentType`` is ``application/vnd.microsoft.card.adaptive``, ``contentUrl`` null or a
  string, ``content`` an AdaptiveCard; nothing else;
- ``AdaptiveCard``: ``type``, ``version`` 1.4 or later (required at the top level, as the
  schema's description says), ``body``, ``actions``, ``$schema``, ``fallbackText``, ``lang``,
  ``speak``; no other property (the original's ``additionalProperties: false``; so no
  ``msteams`` extension either);
- elements ``TextBlock`` (``text`` required; ``wrap``, ``isSubtle``, ``maxLines``,
  ``separator``, ``id``; ``weight``, ``size``, ``color``, ``spacing``, ``horizontalAlignment``
  by the original's enumerations, case-insensitive as its patterns allow) and ``FactSet``
  (``facts`` of ``Fact``: ``title`` and ``value`` strings, both required);
- actions ``Action.OpenUrl`` (``url`` required, an absolute http(s) URL here, ``title``).

Not covered: every other element, action, input and container of the schema (the product
sends none of them, and any of them fails this subset), ``fallback``/``requires``, and host
configuration. jsonschema (Draft 7) runs it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jsonschema import Draft7Validator


def _words(*words: str) -> dict:
    """One of ``words``, in any letter case (the original schema's patterns allow that)."""
    alternatives = "|".join("".join(f"[{c.lower()}{c.upper()}]" for c in w) for w in words)
    return {"type": "string", "pattern": f"^({alternatives})$"}


TEXT_BLOCK = {
    "type": "object",
    "required": ["type", "text"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "TextBlock"},
        "text": {"type": "string", "minLength": 1},
        "wrap": {"type": "boolean"},
        "isSubtle": {"type": "boolean"},
        "maxLines": {"type": "number"},
        "separator": {"type": "boolean"},
        "id": {"type": "string"},
        "weight": _words("default", "lighter", "bolder"),
        "size": _words("default", "small", "medium", "large", "extraLarge"),
        "color": _words("default", "dark", "light", "accent", "good", "warning", "attention"),
        "spacing": _words("default", "none", "small", "medium", "large", "extraLarge", "padding"),
        "horizontalAlignment": _words("left", "center", "right"),
    },
}
FACT_SET = {
    "type": "object",
    "required": ["type", "facts"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "FactSet"},
        "facts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["title", "value"],
                "additionalProperties": False,
                "properties": {"title": {"type": "string"}, "value": {"type": "string"}},
            },
        },
        "separator": {"type": "boolean"},
        "spacing": TEXT_BLOCK["properties"]["spacing"],
        "id": {"type": "string"},
    },
}
OPEN_URL = {
    "type": "object",
    "required": ["type", "url"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "Action.OpenUrl"},
        "url": {"type": "string", "pattern": "^https?://[^\\s]+$"},
        "title": {"type": "string"},
    },
}
ADAPTIVE_CARD = {
    "type": "object",
    "required": ["type", "version", "body"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "AdaptiveCard"},
        "version": {"type": "string", "pattern": "^1\\.([4-9]|[1-9][0-9])$"},
        "$schema": {"type": "string"},
        "fallbackText": {"type": "string"},
        "lang": {"type": "string"},
        "speak": {"type": "string"},
        "body": {"type": "array", "minItems": 1, "items": {"oneOf": [TEXT_BLOCK, FACT_SET]}},
        "actions": {"type": "array", "items": OPEN_URL},
    },
}
ENVELOPE_SCHEMA = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["type", "attachments"],
    "additionalProperties": False,
    "properties": {
        "type": {"const": "message"},
        "attachments": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["contentType", "content"],
                "additionalProperties": False,
                "properties": {
                    "contentType": {"const": "application/vnd.microsoft.card.adaptive"},
                    "contentUrl": {"type": ["string", "null"]},
                    "content": ADAPTIVE_CARD,
                },
            },
        },
    },
}
VALIDATOR = Draft7Validator(ENVELOPE_SCHEMA)
Draft7Validator.check_schema(ENVELOPE_SCHEMA)


def problems(envelope: object) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(envelope)
    ]


class Receiver:
    def __init__(self, answers: list[int]) -> None:
        self.answers = list(answers) or [202]
        self.posts: list[bytes] = []
        self.cards: list[dict] = []
        self.invalid: list[str] = []
        self.lock = threading.Lock()
        self.url = ""

    def next_answer(self) -> int:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    def answer_with(self, *answers: int) -> None:
        with self.lock:
            self.answers = list(answers)

    def texts(self) -> list[str]:
        """Every text of every accepted card, in order (titles first)."""
        found = []
        for card in self.cards:
            for item in card["body"]:
                if item["type"] == "TextBlock":
                    found.append(item["text"])
                else:
                    found.extend(f"{f['title']}: {f['value']}" for f in item["facts"])
        return found


@contextmanager
def running_receiver(answers: list[int] | None = None) -> Iterator[Receiver]:
    receiver = Receiver(answers or [202])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.posts.append(body)
            try:
                envelope = json.loads(body)
                found = problems(envelope)
            except ValueError as exc:
                envelope, found = None, [f"not JSON: {exc}"]
            if self.headers.get("Content-Type", "").split(";")[0] != "application/json":
                found.append(f"Content-Type {self.headers.get('Content-Type')!r}")
            status = 400 if found else receiver.next_answer()
            if found:
                with receiver.lock:
                    receiver.invalid.extend(found)
            elif 200 <= status < 300:
                with receiver.lock:
                    receiver.cards.append(envelope["attachments"][0]["content"])
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = (
        f"http://127.0.0.1:{server.server_address[1]}/workflows/abc/triggers/"
        "manual/paths/invoke?api-version=1&sig=secret-signature"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
