"""What every page the story visits must pass: axe-core at WCAG 2.1 A/AA, the language of the
page, reflow at 320 CSS pixels and at 200 % zoom; and the screenshots for the README."""

from __future__ import annotations

import io
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe

from tests.services import ROOT

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = ROOT / "docs" / "screenshots"
# Reflow (WCAG 1.4.10): content at 320 CSS px wide without scrolling sideways. 200 % zoom of a
# 1280 px window lays out like a 640 px wide one (Chromium's zoom scales the CSS pixel).
NARROW, ZOOMED = 320, 640
TOLERANCE = 2  # sub-pixel rounding

_axe = Axe()


def axe_violations(page) -> list[str]:
    results = _axe.run(
        page,
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    found = []
    for violation in results.response["violations"]:
        targets = "; ".join(
            " ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
            for n in violation["nodes"][:5]
        )
        found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return found


# The outermost elements that stick out on the right, to name them in a failure.
_WIDE = """(width) => {
  const wide = [...document.querySelectorAll("body *")].filter(
    el => el.getBoundingClientRect().right > width + 2);
  return wide.filter(el => !wide.includes(el.parentElement)).slice(0, 3).map(el =>
    `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}` +
    `${el.classList.length ? "." + [...el.classList].join(".") : ""}` +
    ` (right ${Math.round(el.getBoundingClientRect().right)}px)`);
}"""


def overflow(page, width: int) -> tuple[int, list[str]]:
    """How far the page scrolls sideways at ``width`` CSS px (0: it reflows), and what
    sticks out."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": size["height"]})
    try:
        extra = page.evaluate("document.scrollingElement.scrollWidth") - width
        return extra, (page.evaluate(_WIDE, width) if extra > TOLERANCE else [])
    finally:
        page.set_viewport_size(size)


def check_page(page, locale: str) -> list[str]:
    """Every problem of the page the browser is on, as readable lines (empty: it passes)."""
    problems = [f"axe: {v}" for v in axe_violations(page)]
    lang = page.locator("html").get_attribute("lang")
    if lang != locale:
        problems.append(f'<html lang="{lang}">, expected "{locale}"')
    if page.locator("h1").count() != 1:
        problems.append("not exactly one <h1>")
    for width in (NARROW, ZOOMED):
        extra, wide = overflow(page, width)
        if extra > TOLERANCE:
            problems.append(f"scrolls {extra}px sideways at {width}px width: {', '.join(wide)}")
    return problems


def screenshot(page, name: str, *, max_height: int = 2400) -> None:
    """docs/screenshots/NAME-{desktop,phone}.png, full page up to ``max_height`` CSS px,
    saved as small palette PNGs."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    original = page.viewport_size
    for label, size in (
        ("desktop", {"width": 1280, "height": 900}),
        ("phone", {"width": 375, "height": 812}),
    ):
        page.set_viewport_size(size)
        page.evaluate("window.scrollTo(0, 0)")
        height = min(page.evaluate("document.scrollingElement.scrollHeight"), max_height)
        png = page.screenshot(
            clip={"x": 0, "y": 0, "width": size["width"], "height": height},
            full_page=True,
            animations="disabled",
            caret="hide",
        )
        image = Image.open(io.BytesIO(png)).convert("RGB")
        image = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        image.save(Path(SCREENSHOTS / f"{name}-{label}.png"), optimize=True)
    page.set_viewport_size(original)
