"""Keep a tenant's i18n email templates (`/api/email-templates`) equal to the rendered ones.

Ownership is by key, `(languageTag, templateType)`: the keys this stack wrote are recorded (in
the Pulumi resource's outputs) and only those are ever deleted. A row that exists before we
create and is not desired is never touched. A row that exists before and *is* desired is taken
over, and its original details are remembered so that giving it up puts them back instead of
deleting somebody else's template.

Pure Python over `LogtoClient`'s public methods; no Pulumi.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from connectors.deploy.content import (
    canonical,
    details_digest,
    digest,
    short_details_digest,
)
from connectors.logto.errors import LogtoError, NotFound
from connectors.logto.masking import scrubbed_logger
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS, UsageType

if TYPE_CHECKING:
    from connectors.logto.client import LogtoClient

log = scrubbed_logger(__name__)

_DETAIL_KEYS = ("subject", "content", "contentType", "replyTo", "sendFrom")


class TemplateSyncError(Exception):
    """The rows could not be brought to the desired state. Text names keys, never content.

    `state`: what is live afterwards, in words."""

    def __init__(self, message: str, state: str = "") -> None:
        self.state = state
        super().__init__(message)


def key_of(row: Mapping[str, Any]) -> str:
    """`de/SignIn`: the ownership key of a row (language tags never contain a slash)."""
    return f"{row['languageTag']}/{row['templateType']}"


def split_key(key: str) -> tuple[str, str]:
    tag, _, usage = key.partition("/")
    return tag, usage


def row_problems(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """What Logto would reject, or silently never use (an inexact language tag)."""
    problems: list[str] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"templates[{i}]"
        if not isinstance(row, Mapping):
            problems.append(f"{where}: must be an object {{languageTag, templateType, details}}")
            continue
        tag, usage, details = row.get("languageTag"), row.get("templateType"), row.get("details")
        if tag not in LOGTO_LANGUAGE_TAGS:
            problems.append(
                f"{where}.languageTag: {tag!r} is not a tag Logto resolves a locale to, so the row would never "
                f"be used (lookup is by exact match); use one of {', '.join(LOGTO_LANGUAGE_TAGS)}"
            )
        if usage not in set(UsageType):
            problems.append(f"{where}.templateType: {usage!r} is not a Logto usage type ({', '.join(UsageType)})")
        if not isinstance(details, Mapping) or not all(isinstance(details.get(k), str) and details.get(k) for k in ("subject", "content")):
            problems.append(f"{where}.details: needs non-empty subject and content strings")
        elif unknown := sorted(set(details) - set(_DETAIL_KEYS)):
            problems.append(f"{where}.details: unknown keys {', '.join(unknown)} (Logto accepts {', '.join(_DETAIL_KEYS)})")
        if isinstance(tag, str) and isinstance(usage, str):
            key = f"{tag}/{usage}"
            if key in seen:
                problems.append(f"{where}: {key} is listed twice")
            seen.add(key)
    return problems


@dataclass(frozen=True)
class KeyChange:
    key: str
    kind: str  # "added" | "removed" | "changed"
    fields: tuple[str, ...] = ()  # which details fields differ ("changed" only)

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        return f"{mark}{self.key}" + (f" ({', '.join(self.fields)})" if self.fields else "")


def details_changes(old: Mapping[str, Mapping[str, Any]], new: Mapping[str, Mapping[str, Any]]) -> list[KeyChange]:
    """Keyed details → changes, naming keys and fields only (template bodies are long, not secret)."""
    out: list[KeyChange] = []
    for key in sorted(set(old) | set(new)):
        if key not in new:
            out.append(KeyChange(key, "removed"))
        elif key not in old:
            out.append(KeyChange(key, "added"))
        elif dict(old[key]) != dict(new[key]):
            fields = sorted(k for k in set(old[key]) | set(new[key]) if old[key].get(k) != new[key].get(k))
            out.append(KeyChange(key, "changed", tuple(fields)))
    return out


def digest_changes(old: Mapping[str, str], new: Mapping[str, str]) -> list[KeyChange]:
    """Keyed digests → changes (which keys, never which text)."""
    return [
        KeyChange(k, "removed" if k not in new else "added" if k not in old else "changed")
        for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    ]


def summarize(changes: Iterable[KeyChange], limit: int = 12) -> str:
    items = [str(c) for c in changes]
    if not items:
        return "no changes"
    head = ", ".join(items[:limit])
    return head + (f" … and {len(items) - limit} more" if len(items) > limit else "")


def by_key(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {key_of(r): dict(r.get("details") or {}) for r in rows}


@dataclass(frozen=True)
class TemplatePlan:
    """What `apply` will do. `upsert` are full rows; `delete` and `restore` are owned keys."""

    upsert: tuple[dict[str, Any], ...]
    delete: tuple[str, ...]  # owned keys, no longer desired, that we created: DELETE by id
    restore: tuple[str, ...]  # owned keys, no longer desired, that existed before us: PUT the original back
    adopt: tuple[str, ...]  # desired keys that exist live but are not ours yet (taken over)
    changes: tuple[KeyChange, ...]

    @property
    def writes(self) -> bool:
        return bool(self.upsert or self.delete or self.restore)

    @property
    def summary(self) -> str:
        text = summarize(self.changes)
        if self.adopt:
            more = f" … and {len(self.adopt) - 12} more" if len(self.adopt) > 12 else ""
            text += f"; taking over existing rows {', '.join(self.adopt[:12])}{more}"
        return text


_ABSENT = "." * 8  # in `live`: an owned row that is not live (never a base64url digest)


@dataclass
class TemplateState:
    """What the stack records: the keys it owns and the original details of taken-over rows."""

    owned: list[str] = field(default_factory=list)
    originals: dict[str, dict[str, Any]] = field(default_factory=dict)
    # owned key → digest of its live details: enough to see drift and somebody else's change,
    # without keeping kilobytes of HTML per row in the state
    live: dict[str, str] = field(default_factory=dict)

    def to_outputs(self) -> dict[str, Any]:
        """The state as the Pulumi resource records it, a few lines whatever the locales: `owned`
        packed (`pack_keys`), `live` one string of the owned rows' digests in the order of
        `sorted(owned)`, and `originals` only when a row was taken over."""
        keys = sorted(self.owned)
        outs: dict[str, Any] = {"owned": pack_keys(keys), "live": "".join(self.live.get(k, _ABSENT) for k in keys)}
        if self.originals:
            outs["originals"] = dict(self.originals)
        return outs

    @classmethod
    def from_outputs(cls, outs: Mapping[str, Any]) -> TemplateState:
        """What `to_outputs` recorded, or what older versions did: `owned` as a list with `digests`
        (key → 64-bit hex digest), or with `templates` (the rows themselves)."""
        owned_out = outs.get("owned") or []
        owned = unpack_keys(owned_out) if isinstance(owned_out, Mapping) else sorted(owned_out)
        live: dict[str, str] = {}
        if isinstance(outs.get("live"), str):
            text = outs["live"]
            for i, key in enumerate(owned):
                part = text[8 * i: 8 * i + 8]
                if len(part) == 8 and part != _ABSENT:
                    live[key] = part
        elif outs.get("digests") is not None:
            live = {k: short_details_digest(v) for k, v in dict(outs["digests"]).items()}
        else:
            live = digests(outs.get("templates") or [])
        return cls(owned=owned, originals=dict(outs.get("originals") or {}), live=live)


def pack_keys(keys: Iterable[str]) -> dict[str, str]:
    """Keys as the state keeps them: language tags (space-separated) → the usage types owned in
    each of them, tags owning the same types sharing one entry (`{"de en": "BindMfa Generic …"}`)."""
    types_by_tag: dict[str, list[str]] = {}
    for key in sorted(set(keys)):
        tag, usage = split_key(key)
        types_by_tag.setdefault(tag, []).append(usage)
    tags_by_types: dict[str, list[str]] = {}
    for tag, usages in types_by_tag.items():
        tags_by_types.setdefault(" ".join(usages), []).append(tag)
    return {" ".join(tags): usages for usages, tags in sorted(tags_by_types.items(), key=lambda item: item[1])}


def unpack_keys(packed: Mapping[str, str]) -> list[str]:
    """The sorted keys `pack_keys` packed."""
    return sorted(f"{tag}/{usage}" for tags, usages in packed.items() for tag in tags.split() for usage in usages.split())


def digests(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Key → digest of the details, for rows `{languageTag, templateType, details}`."""
    return {k: details_digest(v) for k, v in by_key(rows).items()}


def set_digest(row_digests: Mapping[str, str]) -> str:
    """One digest of a whole set of rows (key → row digest): what the program declares."""
    return digest(canonical(dict(row_digests)))


def make_plan(
    live: Sequence[Mapping[str, Any]],
    desired: Sequence[Mapping[str, Any]],
    owned: Iterable[str] = (),
    originals: Mapping[str, Any] | None = None,
) -> TemplatePlan:
    """Pure: the live rows of the tenant (all of them), the desired rows, and what we own."""
    owned_set, originals = set(owned), dict(originals or {})
    live_by = by_key(live)
    want = {key_of(r): r for r in desired}
    upsert = tuple(
        {"languageTag": r["languageTag"], "templateType": r["templateType"], "details": dict(r["details"])}
        for k, r in sorted(want.items())
        if live_by.get(k) != dict(r["details"])
    )
    given_up = sorted(owned_set - set(want))
    restore = tuple(k for k in given_up if k in originals)  # theirs before us: put back even if deleted since
    delete = tuple(k for k in given_up if k not in originals and k in live_by)
    adopt = tuple(sorted(k for k in want if k in live_by and k not in owned_set))
    # Changes as Pulumi would show them: from what is live for our keys to what we want.
    before = {k: v for k, v in live_by.items() if k in owned_set or k in want}
    after = {k: dict(r["details"]) for k, r in want.items()}
    after.update({k: dict(originals[k]) for k in restore})
    return TemplatePlan(upsert, delete, restore, adopt, tuple(details_changes(before, after)))


def read(client: LogtoClient, owned: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Live details of the owned keys (a missing key is simply absent: drift)."""
    owned_set = set(owned)
    return {k: v for k, v in by_key(client.list_email_templates()).items() if k in owned_set}


def sync(
    client: LogtoClient,
    desired: Sequence[Mapping[str, Any]],
    state: TemplateState | None = None,
    *,
    test_recipient: str | None = None,
) -> tuple[TemplateState, TemplatePlan]:
    """Bring the tenant's rows to `desired`; returns the new recorded state and what was done.

    One locale at a time: upsert its rows, then (with a `test_recipient`) test-send through the
    live email connector in that locale, so no changed locale stays live untested. After any
    failure the live rows decide (compare and swap): all as desired → success; otherwise the
    rows still holding what this run wrote are put back and the others are left alone.
    """
    problems = row_problems(desired)
    if problems:
        raise TemplateSyncError("email templates: " + "; ".join(problems))
    state = state or TemplateState()
    live_rows = _read_rows(client, "changed")
    live_by = by_key(live_rows)
    want = {key_of(r): dict(r["details"]) for r in desired}
    # A row that already holds exactly what this stack writes, unrecorded, was written by an
    # earlier run of it whose failure kept Pulumi from recording it: it is ours, not taken over.
    owned = set(state.owned) | {k for k, v in want.items() if live_by.get(k) == v and k not in state.originals}
    the_plan = make_plan(live_rows, desired, owned, state.originals)
    originals = dict(state.originals)
    for key in the_plan.adopt:  # remember what was there before we first overwrite it
        originals.setdefault(key, live_by[key])
    written: dict[str, dict[str, Any] | None] = {}  # key -> details this run wrote (None: deleted)
    now: list[dict[str, Any]] | None  # the live rows after the writes
    try:
        connector = _test_connector(client, test_recipient) if the_plan.upsert else None
        for locale, rows in _by_locale(the_plan.upsert):
            client.upsert_email_templates(rows)
            written.update({key_of(r): dict(r["details"]) for r in rows})
            log.info("email templates: upserted %d row(s) for %s", len(rows), locale)
            if connector is not None:
                _test_send(client, connector, test_recipient, locale)
        # The rows just upserted count as live: a tag keeping any desired row is never deleted whole.
        for key in _delete_rows(client, the_plan.delete, [*live_rows, *the_plan.upsert]):
            written[key] = None
        if the_plan.restore:
            client.upsert_email_templates(
                {"languageTag": split_key(k)[0], "templateType": split_key(k)[1], "details": originals[k]}
                for k in the_plan.restore
            )
            written.update({k: dict(originals[k]) for k in the_plan.restore})
        now = client.list_email_templates() if the_plan.writes else live_rows  # wrote nothing: nothing to read back
    except (LogtoError, TemplateSyncError) as exc:
        now = _landed(client, want, the_plan, originals)
        if now is None or isinstance(exc, _LocaleUntested):
            text, where = _roll_back(client, live_by, the_plan, written)
            raise TemplateSyncError(f"email templates: {the_plan.summary}: failed: {exc}. {text}", state=where) from None
        log.warning("email templates: the rows are as desired despite: %s", exc)
    now_by = by_key(now)
    wrong = details_changes({k: now_by[k] for k in want if k in now_by}, want)
    if wrong or any(k not in now_by for k in want):
        text, where = _roll_back(client, live_by, the_plan, written)
        raise TemplateSyncError(
            f"email templates: read-back differs from what was written at {summarize(wrong) or 'missing rows'}; {text}", state=where
        )
    new_state = TemplateState(
        owned=sorted(want),
        originals={k: v for k, v in originals.items() if k in want},
        live={k: details_digest(now_by[k]) for k in want},
    )
    return new_state, the_plan


class _LocaleUntested(TemplateSyncError):
    """The test-send in a changed locale failed: the rows work no better than before."""


def _test_connector(client: LogtoClient, recipient: str | None) -> Any:
    if not recipient:
        return None
    connector = client.get_email_connector()
    if connector is None:
        raise TemplateSyncError(
            "email templates: the tenant has no email connector to test the rows with; create the connector first "
            "(the program orders the rows after it)", state="unchanged (nothing was written)",
        )
    return connector


def _test_send(client: LogtoClient, connector: Any, recipient: str | None, locale: str) -> None:
    assert recipient
    try:
        client.test_send(connector.factory_id, connector.config, recipient, locale)
    except LogtoError as exc:
        raise _LocaleUntested(f"the test message in locale {locale} to {recipient} failed: {exc}") from None
    log.info("email templates: test message in %s sent to %s", locale, recipient)


def _landed(client: LogtoClient, want: Mapping[str, Any], the_plan: TemplatePlan, originals: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """The live rows if everything this run meant to do is live after all, else None."""
    try:
        now = client.list_email_templates()
    except LogtoError:
        return None
    now_by = by_key(now)
    done = all(now_by.get(k) == v for k, v in want.items())
    done = done and all(k not in now_by for k in the_plan.delete)
    done = done and all(now_by.get(k) == originals[k] for k in the_plan.restore)
    return now if done else None


def _roll_back(
    client: LogtoClient, before: Mapping[str, dict[str, Any]], the_plan: TemplatePlan, written: Mapping[str, dict[str, Any] | None]
) -> tuple[str, str]:
    """Put back only the rows that still hold what this run wrote (compare and swap). A row
    this run created and could not delete still holds our content, so a retry owns it."""
    intended = {key_of(r): dict(r["details"]) for r in the_plan.upsert}
    try:
        now_rows = client.list_email_templates()
        now = by_key(now_rows)
        ours = [k for k in sorted(set(written) | set(intended)) if k in now and now[k] in (written.get(k), intended.get(k))]
        theirs = [k for k in sorted(set(written) | set(intended)) if k in now and k not in ours and now[k] != before.get(k)]
        put_back = [k for k in ours if k in before and now[k] != before[k]]
        doomed = [k for k in ours if k not in before]
        if put_back:
            client.upsert_email_templates(
                {"languageTag": split_key(k)[0], "templateType": split_key(k)[1], "details": before[k]} for k in put_back
            )
        _delete_rows(client, doomed, now_rows)
    except LogtoError as exc:
        return (
            (
                f"Rolling back failed too ({exc}); rows touched: {summarize(KeyChange(k, 'changed') for k in sorted(set(written) | set(intended)))}. "
                "Rows that still hold this stack's content are taken back as its own by the next run (never left as somebody else's)."
            ),
            "partly rolled back; rows still holding this run's content are owned by the next run",
        )
    left = f"; left {len(theirs)} row(s) somebody else changed meanwhile: {', '.join(theirs)}" if theirs else ""
    where = "rows as before" + (f", except {', '.join(theirs)} (changed by somebody else)" if theirs else "")
    return f"Rolled back: {len(put_back)} row(s) put back, {len(doomed)} new row(s) deleted{left}; the rows are as before.", where


def _read_rows(client: LogtoClient, nothing_was: str) -> list[dict[str, Any]]:
    """The live rows, read before any write: a failed read leaves the tenant as it was, and says so."""
    try:
        return client.list_email_templates()
    except LogtoError as exc:
        raise TemplateSyncError(
            f"email templates: could not read the rows, so nothing was {nothing_was}: {exc}", state="unchanged (nothing was written)"
        ) from None


def remove(client: LogtoClient, state: TemplateState) -> TemplatePlan:
    """Give up every owned key: delete the rows we created, put taken-over rows back.

    Compare and swap: when `state.live` records what the rows held, a row somebody else has
    changed since is theirs now and is left alone (and named in the log)."""
    live_rows = _read_rows(client, "removed")
    live_by = by_key(live_rows)
    changed = sorted(k for k, d in state.live.items() if k in live_by and details_digest(live_by[k]) != d and k not in state.originals)
    if changed:
        log.warning("email templates: left %s in place: changed by somebody else since this stack wrote them", ", ".join(changed))
    the_plan = make_plan(live_rows, [], [k for k in state.owned if k not in changed], state.originals)
    try:
        _delete_rows(client, the_plan.delete, live_rows)
        if the_plan.restore:
            client.upsert_email_templates(
                {"languageTag": split_key(k)[0], "templateType": split_key(k)[1], "details": state.originals[k]}
                for k in the_plan.restore
            )
    except LogtoError as exc:
        raise TemplateSyncError(
            f"email templates: removing {summarize(the_plan.changes)} failed: {exc}; the rows not yet removed stay "
            "this stack's (run destroy again)", state="partly removed; the rest still recorded as this stack's",
        ) from None
    return the_plan


def _by_locale(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Logto's PUT runs in one transaction; one request per locale keeps each body small (a full
    branded set is ~10 kB of HTML per email) and a failure names the locale."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["languageTag"], []).append(row)
    return list(groups.items())


def _delete_rows(client: LogtoClient, keys: Iterable[str], live_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Delete the rows of `keys` (all read in `live_rows`); returns the keys deleted, in order.

    A language tag whose every live row is doomed goes in one call (Logto's delete by language
    tag: 9 rows, 1 request); a tag that also holds rows not ours keeps its per-row deletes, so
    nobody else's row is ever caught. A row already gone is what we wanted."""
    doomed = list(keys)
    ids = {key_of(r): r["id"] for r in live_rows if "id" in r}
    per_tag: dict[str, set[str]] = {}
    for row in live_rows:
        per_tag.setdefault(str(row["languageTag"]), set()).add(key_of(row))
    done: list[str] = []
    for tag in sorted({split_key(k)[0] for k in doomed}):
        mine = [k for k in doomed if split_key(k)[0] == tag]
        if len(mine) > 1 and per_tag.get(tag, set()) <= set(mine):
            client.delete_email_templates(tag)
            done.extend(mine)
            continue
        for key in mine:
            try:
                client.delete_email_template(ids[key])
            except NotFound:
                pass
            done.append(key)
    return done
