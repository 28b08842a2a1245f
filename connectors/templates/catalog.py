"""Locale catalogs: one YAML (or JSON) file per Logto language tag, merged key by key.

An override directory's `locales/<tag>.yaml` is deep-merged over the default catalog of the
same tag, so a tenant can change one phrase without copying the file; a tag with no default
catalog adds a locale and must then be complete (every key of the `en` catalog).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError

from connectors import safe_yaml
from connectors.errors import ConfigError
from connectors.logto_facts import LOGTO_LANGUAGE_TAGS
from connectors.templates.model import TemplateProblem

DEFAULT_DIR = Path(__file__).parent / "default"
LOCALES = "locales"
REFERENCE_LOCALE = "en"
_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Catalog:
    """One locale's merged strings (dotted keys) and the files they came from."""

    locale: str
    strings: Mapping[str, str]
    sources: tuple[Path, ...]

    @property
    def where(self) -> str:
        return str(self.sources[-1])


def _catalog_files(directory: Path | None) -> dict[str, list[Path]]:
    found: dict[str, list[Path]] = {}
    if directory is None or not (directory / LOCALES).is_dir():
        return found
    for path in sorted((directory / LOCALES).iterdir()):
        if path.suffix in _SUFFIXES and path.is_file():
            found.setdefault(path.stem, []).append(path)
    return found


def suggest_tag(name: str) -> str | None:
    """The Logto tag a near-miss file name meant (`pt-br` -> `pt-BR`, `zh_CN` -> `zh-CN`)."""
    key = name.replace("_", "-").lower()
    for tag in LOGTO_LANGUAGE_TAGS:
        if tag.lower() == key:
            return tag
    base = key.split("-", 1)[0]
    matches = [t for t in LOGTO_LANGUAGE_TAGS if t.lower().split("-", 1)[0] == base]
    return matches[0] if len(matches) == 1 else None


def unknown_tag_message(name: str) -> str:
    hint = suggest_tag(name)
    return (
        f"{name!r} is not a Logto language tag, so Logto would never select it"
        + (f" (did you mean {hint!r}?)" if hint else "")
        + "; Logto tags: "
        + ", ".join(LOGTO_LANGUAGE_TAGS)
    )


def available_locales(override_dir: Path | None = None) -> list[str]:
    """Logto language tags that have a catalog in the default set or the override directory."""
    tags = set(_catalog_files(DEFAULT_DIR)) | set(_catalog_files(override_dir))
    return [t for t in LOGTO_LANGUAGE_TAGS if t in tags]


MAX_CATALOG_BYTES = 64 * 1024


@lru_cache(maxsize=256)
def _read(path: Path, _stamp: tuple[int, int]) -> Any:
    source = str(path)
    text = safe_yaml.decode(safe_yaml.read_bytes(path, source, limit=MAX_CATALOG_BYTES), source)
    if path.suffix == ".json":
        try:
            return json.loads(text)
        except RecursionError:
            raise ValueError("nested too deeply") from None
    return safe_yaml.plain(safe_yaml.load_text(text, source, limit=MAX_CATALOG_BYTES))


def _load(path: Path, root: Path | None = None) -> Any:
    """A catalog or manifest file; under an override directory it must not be a link leaving it."""
    if root is not None and not safe_yaml.inside(path, root):
        raise ValueError("is a link that leaves the template directory; copy the file in instead")
    stat = path.stat()
    return _read(path, (stat.st_mtime_ns, stat.st_size))


def _reason(exc: Exception) -> str:
    """Why a file cannot be read, without quoting it (YAML errors quote the offending line)."""
    if isinstance(exc, ConfigError):
        return "; ".join(str(p) for p in exc.problems)
    if isinstance(exc, (YAMLError, UnicodeError)):
        return type(exc).__name__
    return " ".join(str(exc).split())[:200]


def _flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from _flatten(value, dotted + ".")
        else:
            yield dotted, value


def load_catalogs(override_dir: Path | None) -> tuple[dict[str, Catalog], list[TemplateProblem]]:
    """Every catalog (default merged with override), plus what is wrong with them."""
    problems: list[TemplateProblem] = []
    defaults, overrides = _catalog_files(DEFAULT_DIR), _catalog_files(override_dir)
    catalogs: dict[str, Catalog] = {}
    for tag in dict.fromkeys([*defaults, *overrides]):
        layers = [p for p in (defaults.get(tag, [])[:1] + overrides.get(tag, [])[:1])]
        for extra in overrides.get(tag, [])[1:]:
            problems.append(TemplateProblem(str(extra), f"a second catalog for locale {tag!r}; keep one file per locale"))
        if tag not in LOGTO_LANGUAGE_TAGS:
            problems.append(TemplateProblem(str(layers[-1]), unknown_tag_message(tag)))
            continue
        strings: dict[str, str] = {}
        for path in layers:
            try:
                data = _load(path, override_dir if path.parent.parent != DEFAULT_DIR else None)
            except (YAMLError, ValueError, OSError) as exc:
                problems.append(TemplateProblem(str(path), f"cannot be read: {_reason(exc)}"))
                continue
            if data is None:
                continue
            if not isinstance(data, Mapping):
                problems.append(TemplateProblem(str(path), "must be a mapping of keys to strings"))
                continue
            pairs, not_strings = _strings(data)
            problems += [TemplateProblem(str(path), f"key {key!r} must be a string, not {kind}") for key, kind in not_strings]
            strings.update(pairs)
        catalogs[tag] = Catalog(tag, strings, tuple(layers))
    return catalogs, problems


_FLAT: dict[int, tuple[Any, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]] = {}


def _strings(data: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """A catalog file's (dotted key, string) pairs and its (key, type) of non-string values, in
    file order. Flattened once per file content: `_read` returns the same object while the file
    is unchanged (the entry keeps it alive, so its id is not reused)."""
    found = _FLAT.get(id(data))
    if found is None or found[0] is not data:
        pairs, not_strings = [], []
        for key, value in _flatten(data):
            if isinstance(value, str):
                pairs.append((key, value))
            else:
                not_strings.append((key, type(value).__name__))
        if len(_FLAT) >= 256:
            _FLAT.clear()
        found = _FLAT[id(data)] = (data, tuple(pairs), tuple(not_strings))
    return found[1], found[2]


PLURAL_CATEGORIES = ("zero", "one", "two", "few", "many", "other")


def plural_groups(strings: Mapping[str, str]) -> set[str]:
    """Keys that hold plural forms: `<group>.one`, `<group>.other` … (a group always has `other`)."""
    return {k.rsplit(".", 1)[0] for k in strings if k.endswith(".other")}


def missing_keys(catalog: Catalog, reference: Catalog) -> list[str]:
    """Keys the reference (`en`) catalog has and this one lacks; `meta.*` keys are optional.

    A plural group needs the CLDR categories of *this* locale that a code lifetime can reach
    (ja: other; de: one, other; pl-PL: one, few, many), not those of English.
    """
    return list(_missing_keys(catalog.locale, tuple(catalog.strings), tuple(reference.strings)))


@lru_cache(maxsize=256)
def _missing_keys(locale: str, keys: tuple[str, ...], reference: tuple[str, ...]) -> tuple[str, ...]:
    from connectors.email_policy import plural_categories

    have = set(keys)
    groups = plural_groups(dict.fromkeys(reference, ""))
    out: list[str] = []
    for key in reference:
        base, _, last = key.rpartition(".")
        if key.startswith("meta.") or (base in groups and last in PLURAL_CATEGORIES):
            continue
        if key not in have:
            out.append(key)
    for group in sorted(groups):
        out += [f"{group}.{c}" for c in plural_categories(locale) if f"{group}.{c}" not in have]
    return tuple(out)
