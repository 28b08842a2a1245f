"""Promote one stack's proven, portable settings into another stack's file.

The walk follows the stack schema: a `portable` field is copied from the source; every other
field is the target's own (endpoints, apps, domains, zones, secrets, recipients) and is kept.
The target document is edited in memory; `Promotion.text` is the file as it would be written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from connectors.errors import ConfigError, Problem
from connectors.files import write_atomically
from connectors.promote.schema import (
    MISSING,
    Key,
    all_portable,
    as_data,
    keys_of,
    model_for,
)
from connectors.promote.yamlfile import StackDocument, to_node
from connectors.stack.loader import (
    NAMESPACE,
    load_stack,
    stack_file,
    stack_from_document,
)
from connectors.stack.models import TenantSpec

TENANTS_KEY = f"{NAMESPACE}:tenants"
Action = Literal["change", "add", "remove"]
_DMARC_RANK = {"none": 0, "quarantine": 1, "reject": 2}


@dataclass(frozen=True)
class Change:
    """One setting the promotion changes in the target. Values are YAML data; secrets never appear."""

    tenant: str
    path: str  # Pulumi `--path` form: tenants.<tenant>.provider.dmarc.policy
    action: Action  # change: both set; add: absent in the target; remove: dropped from the target
    before: Any  # the target's effective value (its default when absent)
    after: Any  # the promoted effective value
    note: str | None = None


@dataclass(frozen=True)
class NeededValue:
    """An environment-bound value the target must get before the promotion can be written."""

    tenant: str
    path: str
    secret: bool
    reason: str

    def command(self, stack: str) -> str:
        flag = "--secret " if self.secret else ""
        return f"pulumi config set {flag}--path '{self.path}' <value> --stack {stack}"


@dataclass
class Promotion:
    source: str
    target: str
    target_file: Path
    changes: list[Change] = field(default_factory=list)
    needed: list[NeededValue] = field(default_factory=list)
    missing_in_target: list[str] = field(default_factory=list)  # source tenants the target lacks
    only_in_target: list[str] = field(default_factory=list)  # target tenants the source lacks
    problems: list[Problem] = field(default_factory=list)  # the promoted file would not load
    notes: list[str] = field(default_factory=list)
    text: str = ""  # the target file after promotion
    original: str = ""
    faithful: bool = True  # formatting outside the changes is kept byte for byte
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.needed and not self.problems

    @property
    def changed(self) -> bool:
        return self.text != self.original


def plan_promotion(
    project_dir: Path | str, source: str, target: str, tenants: Iterable[str] = ()
) -> Promotion:
    """Compute the promotion (never writes). Raises ConfigError when the source stack is invalid
    or a requested tenant is not in the source."""
    project_dir = Path(project_dir)
    if source == target:
        raise ConfigError([Problem("", f"--from and --to are both {source!r}", "promote between two different stacks")])
    load_stack(project_dir, source)  # the source must be a valid, proven stack
    target_path = stack_file(project_dir, target)
    if not target_path.is_file():
        raise ConfigError([Problem("", f"no stack file {target_path.name} in {project_dir.resolve()}",
                                   f"create it with `pulumi stack init {target}` and the tenants' environment-bound settings")])
    src_doc = StackDocument.read(stack_file(project_dir, source))
    dst_doc = StackDocument.read(target_path)
    promo = Promotion(source, target, target_path, original=dst_doc.text, faithful=dst_doc.faithful)
    src_tenants = _tenants(src_doc.data)
    assert src_tenants is not None, "load_stack above proved that the source declares tenants"
    dst_tenants = _tenants(dst_doc.data)
    wanted = list(dict.fromkeys(tenants)) or list(src_tenants)
    unknown = [t for t in wanted if t not in src_tenants]
    if unknown:
        raise ConfigError([Problem("", f"tenant {', '.join(map(repr, unknown))} is not in stack {source}",
                                   f"tenants of {source}: {', '.join(src_tenants)}")])
    if dst_tenants is None:
        raise ConfigError([Problem(f"config.{TENANTS_KEY}", f"stack {target} declares no tenants",
                                   "add each tenant's environment-bound settings (logto, provider secrets, domains) first")],
                          source=str(target_path))
    promo.only_in_target = [t for t in dst_tenants if t not in src_tenants]
    for tenant in wanted:
        if tenant not in dst_tenants:
            promo.missing_in_target.append(tenant)
            continue
        if not isinstance(dst_tenants[tenant], CommentedMap) or not isinstance(src_tenants[tenant], Mapping):
            promo.problems.append(Problem(f"config.{TENANTS_KEY}.{tenant}", f"is not a mapping in Pulumi.{target}.yaml",
                                          "declare the tenant's logto, provider, sender, … settings"))
            continue
        walker = _Walker(promo, tenant)
        walker.walk(TenantSpec, src_tenants[tenant], dst_tenants[tenant], f"tenants.{tenant}")
    promo.text = dst_doc.dump() if promo.changes else dst_doc.text
    if promo.changes and not promo.needed:
        promoted = [t for t in wanted if t in dst_tenants]
        for problem in _validate(promo.text, dst_doc, target, project_dir):
            other = _tenant_of(problem.path)
            if other is not None and other not in promoted:
                promo.notes.append(f"tenant {other} (not promoted) does not load: {problem}")
            else:
                promo.problems.append(problem)
    return promo


def _tenant_of(path: str) -> str | None:
    marker = f"{TENANTS_KEY}."
    if marker not in path:
        return None
    return path.split(marker, 1)[1].split(".", 1)[0].split(" ", 1)[0]


def write_promotion(promo: Promotion) -> bool:
    """Write the promoted file atomically; only a promotion that is `ok` and changes something."""
    if not promo.ok:
        raise RuntimeError("refusing to write a promotion with missing values or problems")
    if not promo.changed:
        return False
    if promo.target_file.read_text(encoding="utf-8") != promo.original:
        raise ConfigError([Problem("", f"{promo.target_file.name} changed while promoting", "run promote again")])
    write_atomically(promo.target_file, promo.text)
    promo.written = True
    return True


# -- the walk --------------------------------------------------------------------------------------
class _Walker:
    def __init__(self, promo: Promotion, tenant: str) -> None:
        self.promo = promo
        self.tenant = tenant

    def walk(self, model: type[BaseModel], src: Mapping[str, Any] | None, dst: CommentedMap, path: str) -> None:
        src = src or {}
        order = list(src)
        for key in keys_of(model):
            here = f"{path}.{key.name}"
            if key.portable:
                self._portable(key, src, dst, here, order)
            elif key.models():
                self._block(key, src, dst, here, order)
        for key in keys_of(model):
            if key.required and not key.portable and not key.models() and key.name not in dst:
                self.promo.needed.append(NeededValue(self.tenant, here_of(path, key), key.secret,
                                                     f"required by {model.__name__}, environment-bound: never copied from {self.promo.source}"))

    def _portable(self, key: Key, src: Mapping[str, Any], dst: CommentedMap, path: str, order: list[str]) -> None:
        default = key.default()
        after = as_data(src[key.name]) if key.name in src else default
        before = as_data(dst[key.name]) if key.name in dst else default
        if after == before:
            return
        if path.endswith(".dmarc.policy") and _DMARC_RANK.get(after, 0) < _DMARC_RANK.get(before, 0):
            self.promo.notes.append(f"{path}: {self.promo.target}'s DMARC policy would weaken from {before} to {after}; "
                                    f"tighten it in {self.promo.source} first if that is not intended")
        if key.name in src:
            action: Action = "change" if key.name in dst else "add"
            _put(dst, key.name, to_node(src[key.name], like=dst.get(key.name, src[key.name])), order)
            self._record(path, action, before, after)
        elif default is None or default is MISSING:
            _delete(dst, key.name)
            self._record(path, "remove", before, after)
        else:  # the source relies on the default: write it, so the target cannot keep its own value
            _put(dst, key.name, to_node(default, like=dst.get(key.name)), order)
            self._record(path, "change", before, after, note="the source's default")

    def _block(self, key: Key, src: Mapping[str, Any], dst: CommentedMap, path: str, order: list[str]) -> None:
        s, d = src.get(key.name), dst.get(key.name)
        if len(key.models()) > 1:  # a tagged union (the provider): its `type` may switch
            return self._switchable(key, s, dst, path)
        if s is None and d is None:
            return
        model = model_for(key, s if s is not None else d)
        if model is None:
            return
        if s is None and key.field.default is None and all_portable(model):
            # the source has no such block (e.g. branding): the target's goes too
            _delete(dst, key.name)
            self._record(path, "remove", as_data(d), None)
            return
        if not isinstance(d, CommentedMap):  # the target is read round-trip: its mappings are CommentedMaps
            if d is not None:
                return  # not a mapping: the schema check of the result reports it
            fresh = CommentedMap()
            self.walk(model, s, fresh, path)
            if fresh:
                _put(dst, key.name, fresh, order)
            return
        self.walk(model, s, d, path)

    def _switchable(self, key: Key, src: Any, dst: CommentedMap, path: str) -> None:
        d = dst.get(key.name)
        if not isinstance(src, Mapping):
            return
        new_type = src.get("type")
        model = model_for(key, src)
        if model is None:
            return
        if isinstance(d, CommentedMap) and d.get("type") == new_type:
            self.walk(model, src, d, path)
            return
        old = d if isinstance(d, CommentedMap) else CommentedMap()
        old_type = old.get("type")
        keep = {k.name for k in keys_of(model)}
        self._record(f"{path}.type", "change" if old_type else "add", as_data(old_type), as_data(new_type),
                     note="provider switch: environment-bound settings must already be in the target")
        switched = CommentedMap()
        switched["type"] = new_type
        if "type" in old.ca.items:
            switched.ca.items["type"] = old.ca.items["type"]
        for name, value in old.items():
            if name == "type":
                continue
            if name in keep:
                switched[name] = value
                if name in old.ca.items:
                    switched.ca.items[name] = old.ca.items[name]
            else:
                self._record(f"{path}.{name}", "remove", as_data(value), None,
                             note=f"not a setting of provider {new_type}")
        _copy_trailing_comment(old, switched)
        dst[key.name] = switched
        self.walk(model, src, switched, path)
        portable = {k.name for k in keys_of(model) if k.portable}
        kept = [n for n in switched if n != "type" and n not in portable]
        if kept and old_type:
            self.promo.notes.append(f"{path}: switching {old_type} → {new_type} keeps {self.promo.target}'s own "
                                    f"{', '.join(kept)}; check they are meant for {new_type}")

    def _record(self, path: str, action: Action, before: Any, after: Any, note: str | None = None) -> None:
        self.promo.changes.append(Change(self.tenant, path, action, before, after, note))


def here_of(path: str, key: Key) -> str:
    return f"{path}.{key.name}"


def _tenants(data: Any) -> Mapping[str, Any] | None:
    config = data.get("config") if isinstance(data, Mapping) else None
    tenants = config.get(TENANTS_KEY) if isinstance(config, Mapping) else None
    return tenants if isinstance(tenants, Mapping) else None


def _put(parent: CommentedMap, name: str, node: Any, order: list[str]) -> None:
    """Set `name`; a new key goes where the source has it relative to its neighbours."""
    if name in parent:
        parent[name] = node
        return
    keys = list(parent)
    pos = len(keys)
    if name in order:
        before = [k for k in order[: order.index(name)] if k in parent]
        after = [k for k in order[order.index(name) + 1 :] if k in parent]
        if before:
            pos = keys.index(before[-1]) + 1
        elif after:
            pos = keys.index(after[0])
    if pos == len(keys) and keys:
        # a block's last key carries the blank line/comment that separates it from what follows
        last = keys[-1]
        parent.insert(pos, name, node)
        _move_comment(parent, last, name)
        return
    parent.insert(pos, name, node)


def _delete(parent: CommentedMap, name: str) -> None:
    """Remove a key; the comment lines after it (e.g. the next section's heading) stay."""
    keys = list(parent)
    idx = keys.index(name)
    if idx > 0:
        _move_comment(parent, name, keys[idx - 1])
    del parent[name]


def _move_comment(parent: CommentedMap, src: str, dst: str) -> None:
    """Move the lines that follow `src` (blank lines, the next section's heading) to follow `dst`.

    ruamel keeps them in the key's comment token after its own end-of-line comment, which
    belongs to `src` and is not moved.
    """
    token = parent.ca.items.get(src)
    if not token or len(token) < 3 or token[2] is None:
        return
    value = token[2].value
    cut = value.find("\n")
    if cut < 0 or cut == len(value) - 1:
        return  # only an end-of-line comment: it stays with its key
    own, following = value[: cut + 1], value[cut + 1 :]
    if not _attach_following(parent, dst, following, token[2].column):
        return
    if own.strip():
        token[2].value = own
    else:
        token[2] = None


def _attach_following(parent: CommentedMap, key: str, following: str, column: int) -> bool:
    """Put comment lines after `key`'s value; for a nested block, after its last key."""
    value = parent[key]
    if isinstance(value, CommentedMap) and value:
        return _attach_following(value, list(value)[-1], following, column)
    if isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
        return False  # a block sequence keeps trailing lines on its last item: left alone
    entry = parent.ca.items.setdefault(key, [None, None, None, None])
    if entry[2] is None:
        entry[2] = CommentToken("\n" + following, CommentMark(column), None)
    else:
        entry[2].value += following
    return True


def _copy_trailing_comment(old: CommentedMap, new: CommentedMap) -> None:
    """A comment after the old block's last key (the next section's heading) follows the new block."""
    if not old:
        return
    last_old = list(old)[-1]
    if last_old in new or not new:
        return
    token = old.ca.items.get(last_old)
    if token and len(token) > 2 and token[2] is not None:
        last_new = list(new)[-1]
        if not isinstance(new[last_new], (CommentedMap, list)):
            new.ca.items.setdefault(last_new, [None, None, None, None])[2] = token[2]


def _validate(text: str, doc: StackDocument, stack: str, project_dir: Path) -> list[Problem]:
    """The promoted file must load exactly as `load_stack` would load it from disk."""
    try:
        stack_from_document(doc.yaml.load(text), stack, project_dir=project_dir, source=str(doc.path))
    except ConfigError as exc:
        return exc.problems
    return []
