"""Read `Pulumi.<stack>.yaml` into a StackSpec; every error names file, YAML path, line and fix."""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from connectors import safe_yaml, validators
from connectors.errors import ConfigError, Problem, problems_from_validation
from connectors.providers import PROVIDER_TYPES, provider_of
from connectors.stack.models import StackSpec, TenantSpec

NAMESPACE = "logto-email"
# A file with more problems is reported by its first ones: listing (and looking up lines for)
# every one of 100,000 unknown keys would take longer than fixing the file.
MAX_PROBLEMS = 100
_TAGS = frozenset(PROVIDER_TYPES)
PROJECT_KEYS = {"tenants", "production"}
TENANT_KEY_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # used with fullmatch


_STACK_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")  # used with fullmatch


def stack_file(project_dir: Path | str, stack: str) -> Path:
    """`Pulumi.<stack>.yaml` of the project; a name that could leave the directory is refused."""
    if not isinstance(stack, str) or not _STACK_NAME_RE.fullmatch(stack) or ".." in stack:
        raise ConfigError([Problem("--stack", "is not a stack name (letters, digits, '_', '.', '-')",
                                   "pass the name of a Pulumi.<stack>.yaml in the project directory")])
    return Path(project_dir) / f"Pulumi.{stack}.yaml"


def available_stacks(project_dir: Path | str) -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in Path(project_dir).glob("Pulumi.*.yaml"))


def read_yaml(path: Path) -> Any:
    """The file's plain data, with bounded work (see `safe_yaml`)."""
    return safe_yaml.load_file(path)


def load_stack(project_dir: Path | str = ".", stack: str = "dev") -> StackSpec:
    """The stack as declared in its file. `secure:` values stay opaque; plain-text secrets are refused."""
    project_dir = Path(project_dir)
    path = stack_file(project_dir, stack)
    if not path.is_file():
        known = available_stacks(project_dir)
        raise ConfigError(
            [Problem("", f"no stack file {path.name} in {project_dir.resolve()}",
                     f"stacks here: {', '.join(known)}" if known else "run in the project directory or pass --project-dir")]
        )
    source = str(path)
    text = safe_yaml.decode(safe_yaml.read_bytes(path, source), source)
    doc = safe_yaml.load_text(text, source)
    return stack_from_document(doc, stack, project_dir=project_dir, source=source, text=text)


def stack_from_document(doc: Any, stack: str, *, project_dir: Path | str = ".", source: str = "",
                        text: str | None = None) -> StackSpec:
    """A parsed stack file as a StackSpec, with the file's rules.

    `doc` is plain data read from `text` (whose lines messages name) or a ruamel round-trip
    document (promote's, which knows its own lines).
    """
    project_dir = Path(project_dir)
    lines = _Lines(doc, text)
    if doc is None:
        doc = {}
    if not isinstance(doc, Mapping):
        raise ConfigError([Problem("", "the stack file must be a mapping with a `config:` key")], source=source)
    config = doc.get("config")
    if config is None:
        config = {}
    if not isinstance(config, Mapping):
        raise ConfigError(lines.add([Problem("config", "must be a mapping of `namespace:key: value` settings",
                                           f"e.g. `{NAMESPACE}:tenants:` under `config:`")]), source=source)
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in config:
        ns, _, name = str(key).partition(":")
        if ns != NAMESPACE:
            continue
        if name not in PROJECT_KEYS:
            near = difflib.get_close_matches(name, sorted(PROJECT_KEYS), n=1)
            problems.append(Problem(f"config.{key}", "unknown setting",
                                    f"use {NAMESPACE}:{near[0]}" if near else f"known: {', '.join(f'{NAMESPACE}:{k}' for k in sorted(PROJECT_KEYS))}"))
            continue
        values[name] = config[key]
    if problems:
        raise ConfigError(problems, source=source)
    return _build(stack, values, project_dir=project_dir, source=source, lines=lines, from_file=True)


def spec_from_config(stack: str, values: Mapping[str, Any], project_dir: Path | str = ".") -> StackSpec:
    """The stack from Pulumi's decrypted config (inside the program), keyed without namespace."""
    return _build(stack, dict(values), project_dir=Path(project_dir), source=f"stack {stack}", lines=None, from_file=False)


def _build(stack: str, values: dict[str, Any], *, project_dir: Path, source: str, lines: _Lines | None,
           from_file: bool) -> StackSpec:
    def located(problems: list[Problem]) -> list[Problem]:
        return lines.add(problems) if lines is not None else problems

    problems: list[Problem] = []
    tenants_raw = values.get("tenants")
    base = f"config.{NAMESPACE}:tenants"
    production = values.get("production", False)
    if not isinstance(production, bool):
        if isinstance(production, str) and production in ("true", "false"):
            production = production == "true"  # Pulumi config stores scalars as strings
        else:
            problems.append(Problem(f"config.{NAMESPACE}:production", "must be true or false"))
    if tenants_raw is None:
        problems.append(Problem(base, "is required: declare at least one tenant",
                                f"add `{NAMESPACE}:tenants:` with a tenant key, e.g. `acme:` and its logto/provider/sender"))
        raise ConfigError(located(problems), source=source)
    if not isinstance(tenants_raw, Mapping) or not tenants_raw:
        problems.append(Problem(base, "must be a mapping of tenant keys to tenant settings"))
        raise ConfigError(located(problems), source=source)
    tenants: dict[str, TenantSpec] = {}
    ctx = {"secrets_must_be_secure": from_file}
    for key, raw in tenants_raw.items():
        path = f"{base}.{key}"
        if not isinstance(key, str) or not TENANT_KEY_RE.fullmatch(key):
            problems.append(Problem(path, "tenant keys must be lower-case letters, digits and dashes (max 40)",
                                    "rename the key, e.g. acme-eu"))
            continue
        if not isinstance(raw, Mapping):
            problems.append(Problem(path, "must be a mapping with logto, provider, sender, …"))
            continue
        plain = safe_yaml.plain(raw)
        if len(problems) > MAX_PROBLEMS:
            break
        controls = list(itertools.islice(_control_problems(plain, path), MAX_PROBLEMS + 1))
        if controls:
            problems.extend(controls)
            continue
        try:
            tenants[key] = TenantSpec.model_validate(plain, context=ctx)
        except ValidationError as exc:
            found = problems_from_validation(exc, path, tags=_TAGS, limit=MAX_PROBLEMS)[:MAX_PROBLEMS + 1]
            problems.extend(_explain(p, exc, raw) for p in found)
    for key, tenant in tenants.items():
        problems.extend(_tenant_checks(key, tenant, project_dir))
    if len(problems) > MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS] + [Problem(base, f"more problems after the first {MAX_PROBLEMS} (not listed)",
                                                      "fix these and validate again")]
    if problems:
        raise ConfigError(located(problems), source=source)
    return StackSpec(stack=stack, production=production, tenants=tenants, source=source, project_dir=str(project_dir))


def _tenant_checks(key: str, tenant: TenantSpec, project_dir: Path) -> list[Problem]:
    """Rules that span fields."""
    base = f"config.{NAMESPACE}:tenants.{key}"
    out: list[Problem] = []
    directory = tenant.templates.directory
    if directory:
        problem = template_directory_problem(project_dir, directory)
        if problem:
            out.append(Problem(f"{base}.templates.directory", *problem))
    provider = tenant.provider
    domain = getattr(provider, "domain", None)
    if tenant.sender and domain and not _same_or_sub(tenant.sender.email.rsplit("@", 1)[1], domain):
        out.append(Problem(f"{base}.sender.email", f"sender domain is not the sending domain {domain}",
                           f"send from an address @{domain}"))
    refusal = provider_of(provider.type).storage_problem() if tenant.templates.storage == "logto" else None
    if refusal:
        out.append(Problem(f"{base}.templates.storage", *refusal))
    return out


def template_directory_problem(project_dir: Path, directory: str) -> tuple[str, str] | None:
    """(message, fix) when `templates.directory` is not a directory inside the project.

    Resolved with symlinks, so a link that leaves the project is refused like `../..` or `/etc`:
    templates are read into emails sent to users.
    """
    fix = "use a directory inside the project, e.g. templates/acme, or remove the setting for the default templates"
    if not isinstance(directory, str) or not directory.strip() or Path(directory).is_absolute() or "\\" in directory:
        return "must be a relative path inside the project", fix
    try:
        root = project_dir.resolve()
        target = (project_dir / directory).resolve()
    except (OSError, RuntimeError, ValueError):
        return "cannot be resolved (a symlink loop?)", fix
    if target == root or not target.is_relative_to(root):
        return "must be a directory inside the project (after following symlinks)", fix
    if any(part.startswith(".") for part in target.relative_to(root).parts):
        return "must not be a hidden directory (.git, .github, …): templates can include any file of it", fix
    if not target.is_dir():
        return f"the directory does not exist (relative to {project_dir})", "create it, or remove the setting to use the default templates"
    return None


# Only a postal address spans lines; no other value has a use for a control character, and in
# a name or subject a CR/LF would forge email headers.
_MULTILINE_KEYS = frozenset({"companyAddress"})


def _control_problems(node: Any, path: str, key: str = "") -> Any:
    if isinstance(node, dict):
        for k, v in node.items():
            if validators.control_characters(k):
                yield Problem(path, "a key contains a control character", "remove it")
            else:
                yield from _control_problems(v, f"{path}.{k}", k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _control_problems(v, f"{path}[{i}]", key)
    elif isinstance(node, str) and validators.control_characters(node, allow="\n" if key in _MULTILINE_KEYS else ""):
        yield Problem(path, "contains a control character (a line break, tab, NUL, …)",
                      "remove it; write the value on one line" if key not in _MULTILINE_KEYS else "remove it")


def _same_or_sub(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


_SECRET_KEYS = ("appSecret", "password", "apiKey", "serverToken", "accessKeySecret")
_SECRET_HINT = "store it encrypted: pulumi config set --secret --path '{path}' <value>"


def _explain(problem: Problem, exc: ValidationError, raw: Any) -> Problem:
    """Add the fix to pydantic's message where we know it."""
    msg, path = problem.message, problem.path
    pulumi_path = path.split(":", 1)[1] if ":" in path else path
    if "must be an encrypted `secure:` value" in msg:
        return Problem(path, msg, _SECRET_HINT.format(path=pulumi_path))
    if msg.startswith("unknown key"):
        name = path.rsplit(".", 1)[-1]
        near = difflib.get_close_matches(name, _all_keys(), n=1, cutoff=0.7)
        return Problem(path, "unknown key" + (f" (did you mean {near[0]!r}?)" if near else ""),
                       "remove it or fix its spelling; see the config reference in docs/configuration.md")
    if msg == "is required" and pulumi_path.endswith(_SECRET_KEYS):
        return Problem(path, msg, _SECRET_HINT.format(path=pulumi_path))
    if "does not match any of the expected tags" in msg or "Unable to extract tag" in msg:
        return Problem(path if path.endswith("type") else path + ".type",
                       "unknown or missing provider type", f"set type to one of: {', '.join(PROVIDER_TYPES)}")
    if msg == "is required":
        return Problem(path, msg, f"add `{path.rsplit('.', 1)[-1]}:` here")
    return problem


@lru_cache(maxsize=1)
def _all_keys() -> list[str]:
    keys: set[str] = set()
    todo: list[type[BaseModel]] = [TenantSpec]
    seen: set[type] = set()
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for name, field in model.model_fields.items():
            keys.add(field.alias or name)
            for arg in _types_in(field.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    todo.append(arg)
    return sorted(keys)


def _types_in(tp: Any) -> list[Any]:
    out = [tp]
    for arg in getattr(tp, "__args__", ()) or ():
        out.extend(_types_in(arg))
    meta = getattr(tp, "__origin__", None)
    if meta is not None and hasattr(tp, "__metadata__"):
        out.extend(_types_in(meta))
    return out


class _Lines:
    """Adds `line N:` to problems: from the file's text (parsed again, only when there are
    problems) or from a round-trip document's own line records."""

    def __init__(self, doc: Any, text: str | None) -> None:
        self.doc, self.text = doc, text

    def add(self, problems: list[Problem]) -> list[Problem]:
        if self.text is not None:
            found = safe_yaml.lines_of(self.text, [tuple(_split(p.path)) for p in problems])
            lines = [_deepest(found, tuple(_split(p.path))) for p in problems]
        else:
            lines = [_line_of(self.doc, p.path) for p in problems]
        out = [Problem(f"line {line}: {p.path}" if line else p.path, p.message, p.hint) for p, line in zip(problems, lines)]
        return sorted(out, key=lambda p: _line_number(p.path))


def _deepest(found: dict[tuple[Any, ...], int], parts: tuple[Any, ...]) -> int | None:
    """The line of the longest prefix of `parts` that is in the file."""
    for end in range(len(parts), 0, -1):
        if parts[:end] in found:
            return found[parts[:end]]
    return None


def _line_number(path: str) -> int:
    m = re.match(r"line (\d+):", path)
    return int(m.group(1)) if m else 0


def _line_of(doc: Any, dotted: str) -> int | None:
    parts = _split(dotted)
    node, line = doc, None
    for part in parts:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, Mapping) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except Exception:  # noqa: BLE001 - line numbers are a courtesy
            break
    return line


def _split(dotted: str) -> list[Any]:
    parts: list[Any] = []
    # keys of the config namespace contain ":" and never "."
    for chunk in re.findall(r"[^.\[\]]+|\[\d+\]", dotted):
        parts.append(int(chunk[1:-1]) if chunk.startswith("[") else chunk)
    return parts

