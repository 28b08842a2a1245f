"""Rendered template text by content digest: what keeps the Pulumi state small.

A tenant's rendered emails are 5-15 kB of HTML each, 9 per locale. The program passes the Logto
resources the *digests* of that text plus the small inputs it was rendered from (`render_source`);
the providers render again where the text is needed (create, update, check) and check that the
digests match, so the state never holds the text and a changed template still shows as a change.

Pure Python; no Pulumi, no HTTP client.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from connectors.templates import RenderedSet

REF_PREFIX = "logto-email:sha256:"
_MIN_LENGTH = 64  # shorter text (subjects) stays inline: a reference would not be smaller


class ContentMismatch(Exception):
    """The text rendered here is not the text the program rendered. Names digests, never text."""


def digest(text: str) -> str:
    """128 bits of SHA-256: enough to tell template contents apart, short enough for the state."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def ref(text: str) -> str:
    return REF_PREFIX + digest(text)


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIX)


def details_digest(details: Mapping[str, Any]) -> str:
    """One digest for a template row's details (every field, key order irrelevant). 64 bits:
    it only tells a changed row from an unchanged one (references, which stand for text, keep 128)."""
    return digest(json.dumps(dict(details), sort_keys=True, separators=(",", ":"), ensure_ascii=False))[:16]


_TEXTS: dict[int, tuple[RenderedSet, dict[str, str]]] = {}  # rendered sets are shared: digest each once


def texts_of(rendered: RenderedSet) -> dict[str, str]:
    """Reference → text for every long text of the set (HTML and plain-text bodies)."""
    hit = _TEXTS.get(id(rendered))
    if hit is not None and hit[0] is rendered:
        return hit[1]
    out: dict[str, str] = {}
    for email in rendered.emails.values():
        for text in (email.html, email.text):
            if isinstance(text, str) and len(text) >= _MIN_LENGTH:
                out[ref(text)] = text
    if len(_TEXTS) >= 64:
        _TEXTS.clear()
    _TEXTS[id(rendered)] = (rendered, out)
    return out


def compact(value: Any, known: Mapping[str, str] | Iterable[str]) -> Any:
    """`value` with every string whose reference is in `known` replaced by that reference.

    Only known texts (rendered templates) are ever replaced, so a secret never becomes a digest."""
    refs = known if isinstance(known, (set, frozenset, Mapping)) else set(known)
    if isinstance(value, dict):
        return {k: compact(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [compact(v, refs) for v in value]
    if isinstance(value, str) and len(value) >= _MIN_LENGTH and not is_ref(value):
        r = ref(value)
        return r if r in refs else value
    return value


def refs_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        return {r for v in value.values() for r in refs_in(v)}
    if isinstance(value, list):
        return {r for v in value for r in refs_in(v)}
    return {value} if is_ref(value) else set()


def expand(value: Any, texts: Mapping[str, str]) -> Any:
    """`value` with every reference replaced by its text; an unknown reference is a mismatch."""
    if isinstance(value, dict):
        return {k: expand(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [expand(v, texts) for v in value]
    if is_ref(value):
        if value not in texts:
            raise ContentMismatch(
                f"template text {value[len(REF_PREFIX):]} is not among the texts rendered here (a template or an "
                "override file changed between the program's run and this step?); run `pulumi up` again"
            )
        return texts[value]
    return value
