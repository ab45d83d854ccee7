"""Redirects go only to this site (issue 15, point 4): every target a request names is
checked by ``web.redirects.safe_target``, and the check is judged by a browser's own URL
parser (ada, the WHATWG parser of Node.js), not by our reading of it."""

from __future__ import annotations

import ada_url
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from web.redirects import safe_target

SITE = "https://aktor.example"
PAGE = f"{SITE}/t/solby/cycles/7"

HOSTILE = [
    "//evil.example/",
    "/\t/evil.example/",
    "/\n/evil.example/",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "https:evil.example",
    "javascript:alert(1)",
    "//evil.example@aktor.example/",
    " //evil.example",
    "/%09/evil.example",
    "\x00//evil.example",
    "/\x0b/evil.example",
    "http:/\\evil.example",
    "evil.example",
    "",
    "/t/solby/../../evil",
    "/t/solby/%2e%2e/vestby/",
]


def lands_on_site(target: str, within: str = "/") -> bool:
    """Where a browser goes with ``Location: target`` from one of our pages."""
    try:
        resolved = ada_url.URL(target, base=PAGE)
    except ValueError:
        return False
    return resolved.origin == SITE and resolved.pathname.startswith(within)


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert safe_target(target) is None or lands_on_site(target)
    assert safe_target(target, within="/t/solby/") is None


@pytest.mark.parametrize(
    "target", ["/", "/t/solby/", "/t/solby/cycles/7?tab=2#top", "/t/solby/søg", "/t/solby/a%2Fb"]
)
def test_plain_paths_are_kept(target):
    assert safe_target(target) == target
    assert lands_on_site(target)


PIECES = st.sampled_from(
    [
        "/",
        "//",
        "\\",
        "\t",
        "\n",
        "\r",
        " ",
        ".",
        "..",
        "%2e",
        "%2f",
        "%5c",
        "@",
        ":",
        "?",
        "#",
        "evil.example",
        "t",
        "solby",
        "https:",
        "\x00",
        "\x7f",
        "\u3002",
        "\uff0f",
        "javascript:",
    ]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(PIECES, max_size=8).map("".join) | st.text(max_size=30))
def test_whatever_is_accepted_a_browser_keeps_on_this_site(target):
    for within in ("/", "/t/solby/"):
        kept = safe_target(target, within=within)
        if kept is not None:
            assert kept == target
            assert lands_on_site(target, within), repr(target)


def test_the_language_switch_refuses_a_tab_trick(client):
    reply = client.post("/lang/en", data={"next": "/\t/evil.example/"})
    assert reply.status_code == 302
    assert reply.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_language_switch_stays_on_site(client, target):
    reply = client.post("/lang/en", data={"next": target})
    if reply.status_code == 400:  # a character no text may hold: the request guard's refusal
        assert "Location" not in reply.headers
        return
    assert lands_on_site(reply.headers["Location"])
