"""Rendered template text by content digest: what keeps the Pulumi state small.

A tenant's rendered emails are 5-15 kB of HTML each, 9 per locale. The program passes the Logto
resources the *digests* of that text plus the small inputs it was rendered from (`render_source`);
the providers render again where the text is needed (create, update, check) and check that the
digests match, so the state never holds the text and a changed template still shows as a change.

A reference stands for a text (an email body) or for a whole part of a connector config that the
provider builds from the rendered set alone (`templates`, `deliveries`: `config_templates`), so a
connector config keeps one reference for all its emails. The per-row digests of the templates
resource are 48 bits in base64url (8 characters); see `details_digest`.

Pure Python; no Pulumi, no HTTP client.
"""

from __future__ import annotations

import base64
import copy
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


def canonical(value: Any) -> str:
    """One JSON text per value: keys sorted, no spaces (what digests of structures are taken of)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def ref(value: Any) -> str:
    """The reference of a text, or of a structure (a list or an object: by its canonical JSON)."""
    return REF_PREFIX + digest(value if isinstance(value, str) else canonical(value))


def is_ref(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIX)


def details_digest(details: Mapping[str, Any]) -> str:
    """One digest for a template row's details (every field, key order irrelevant): 48 bits in
    base64url, 8 characters. It only tells a changed row from an unchanged one (references, which
    stand for text, keep 128 bits), and the state keeps one per row."""
    raw = hashlib.sha256(canonical(dict(details)).encode("utf-8")).digest()[:6]
    return base64.urlsafe_b64encode(raw).decode("ascii")


def short_details_digest(recorded: str) -> str:
    """A row digest as an older version recorded it (64 bits in hex: the same SHA-256, longer) in
    today's form; today's form unchanged."""
    if len(recorded) == 16 and all(c in "0123456789abcdef" for c in recorded):
        return base64.urlsafe_b64encode(bytes.fromhex(recorded)[:6]).decode("ascii")
    return recorded


_TEXTS: dict[tuple[int, str | None], tuple[RenderedSet, dict[str, Any]]] = {}  # rendered sets are shared: digest each once


def texts_of(rendered: RenderedSet, factory_id: str | None = None) -> dict[str, Any]:
    """Reference → text for every long text of the set (HTML and plain-text bodies); with a
    `factory_id`, also reference → value for each part of that factory's connector config built
    from the set alone (`config_templates`: `templates` or `deliveries`)."""
    hit = _TEXTS.get((id(rendered), factory_id))
    if hit is not None and hit[0] is rendered:
        return hit[1]
    out: dict[str, Any] = {}
    for email in rendered.emails.values():
        for text in (email.html, email.text):
            if isinstance(text, str) and len(text) >= _MIN_LENGTH:
                out[ref(text)] = text
    if factory_id is not None:
        from connectors.templates.formats import config_templates

        for part in config_templates(factory_id, rendered).values():
            if part:
                out[ref(part)] = part
    if len(_TEXTS) >= 64:
        _TEXTS.clear()
    _TEXTS[(id(rendered), factory_id)] = (rendered, out)
    return out


def compact(value: Any, known: Mapping[str, Any] | Iterable[str]) -> Any:
    """`value` with every string, list or object whose reference is in `known` replaced by that
    reference (a structure whole where it is known, else its parts).

    Only known texts and parts (rendered templates) are ever replaced, so a secret never becomes a
    digest. With a mapping, only a list or object of a known part's type and length is digested
    (the config around it never is); with bare references (refresh), every one is."""
    refs = known if isinstance(known, (set, frozenset, Mapping)) else set(known)
    shapes = {(type(v), len(v)) for v in refs.values() if isinstance(v, (dict, list))} if isinstance(refs, Mapping) else None
    return _compact(value, refs, shapes)


def _compact(value: Any, refs: Mapping[str, Any] | set[str] | frozenset[str], shapes: set[tuple[type, int]] | None) -> Any:
    if isinstance(value, (dict, list)) and value and (shapes is None or (type(value), len(value)) in shapes):
        whole = ref(value)
        if whole in refs:
            return whole
    if isinstance(value, dict):
        return {k: _compact(v, refs, shapes) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v, refs, shapes) for v in value]
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


def expand(value: Any, texts: Mapping[str, Any]) -> Any:
    """`value` with every reference replaced by its text or part; an unknown reference is a mismatch."""
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
        return copy.deepcopy(texts[value])
    return value
