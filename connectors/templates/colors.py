"""Colour arithmetic so any brand palette stays readable (WCAG contrast), not just the default."""

from __future__ import annotations

import re

_HEX = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def is_hex_color(value: object) -> bool:
    return isinstance(value, str) and bool(_HEX.match(value))


def _rgb(color: str) -> tuple[int, int, int]:
    h = color.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def normalize(color: str) -> str:
    """`#abc` -> `#AABBCC`: email clients (old Outlook) handle the long form best."""
    return "#{:02X}{:02X}{:02X}".format(*_rgb(color))


def luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def mix(a: str, b: str, weight: float) -> str:
    """`weight` of `a` blended into `b`."""
    ra, rb = _rgb(a), _rgb(b)
    return "#{:02X}{:02X}{:02X}".format(*(round(x * weight + y * (1 - weight)) for x, y in zip(ra, rb)))


def readable_on(background: str, dark: str = "#111827", light: str = "#FFFFFF") -> str:
    """Whichever of `dark`/`light` reads better on `background`."""
    return dark if contrast(dark, background) >= contrast(light, background) else light


def muted_on(background: str) -> str:
    """A secondary-text grey with at least 4.5:1 contrast on `background`."""
    base = readable_on(background)
    for weight in (0.6, 0.7, 0.8, 0.9, 1.0):
        candidate = mix(base, background, weight)
        if contrast(candidate, background) >= 4.5:
            return candidate
    return base
