"""The default template set's compiled code, written at set-up beside the package's own bytecode.

Compiling the 31 default templates costs a fresh process about 0.06 s (more than rendering a
tenant's emails), and every `validate`, `render` and Pulumi program pays it. Set-up
(`python -m connectors.templates.bytecode`, run by `scripts/test` and `scripts/up` after
`compileall`) stores each one's code in `connectors/templates/__pycache__/`; a run then loads it
instead of compiling, and writes nothing.

What is trusted is what Python already trusts for `.pyc` files in the same folder: code the
project's own set-up produced from the project's own files. So only templates of the default set
are stored or loaded, never an override directory's (those come from pull requests), and an
entry is used only when it was compiled from the same source text (SHA-256), by the same jinja2
and Python, under the same sandbox rules (a digest of `environment.py`, which decides what the
compiled code does); anything else, or an unreadable entry, is compiled as before.
"""

from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import sys
from functools import lru_cache
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket, BytecodeCache

from connectors.files import write_atomically
from connectors.templates.catalog import DEFAULT_DIR

STORE_DIR = Path(__file__).parent / "__pycache__" / "templates"
_HEADER = b"logto-email template code 1\n"
_DEFAULT_ROOT = os.path.realpath(DEFAULT_DIR) + os.sep


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """What compiled code depends on besides its source: Python's bytecode format, jinja2, and the
    environment's rules (delimiters, the loop guard the parser adds, whitespace handling)."""
    rules = (Path(__file__).parent / "environment.py").read_bytes()
    digest = hashlib.sha256()
    for part in (importlib.util.MAGIC_NUMBER, jinja2.__version__.encode(), rules):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:32]


class DefaultSetCode(BytecodeCache):
    """Compiled code of the default set's templates, read from `directory`; written only when
    `writable` (set-up)."""

    def __init__(self, directory: Path = STORE_DIR, *, writable: bool = False) -> None:
        self.directory = directory
        self.writable = writable

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        if not filename or not os.path.realpath(filename).startswith(_DEFAULT_ROOT):
            return ""  # an override directory's template: compiled every time, never stored
        key = f"{fingerprint()}\0{name}\0{filename}".encode()
        return hashlib.sha256(key).hexdigest()[:40]

    def get_source_checksum(self, source: str) -> str:
        return hashlib.sha256(source.encode("utf-8")).hexdigest()

    def _path(self, bucket: Bucket) -> Path:
        return self.directory / f"{bucket.key}.code"

    @staticmethod
    def _head(bucket: Bucket) -> bytes:
        """What an entry starts with: the format, then the digest of the source it was compiled from."""
        return _HEADER + bucket.checksum.encode() + b"\n"

    def load_bytecode(self, bucket: Bucket) -> None:
        if not bucket.key:
            return
        try:
            data = self._path(bucket).read_bytes()
        except OSError:
            return
        head = self._head(bucket)
        if not data.startswith(head):
            return  # another source text, or not an entry of ours: compile
        try:
            bucket.code = marshal.loads(data[len(head):])
        except (EOFError, ValueError, TypeError):
            bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        if not (self.writable and bucket.key and bucket.code is not None):
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        write_atomically(self._path(bucket), self._head(bucket) + marshal.dumps(bucket.code))

    def clear(self) -> None:
        for entry in self.directory.glob("*.code"):
            entry.unlink(missing_ok=True)


def template_names() -> list[str]:
    """Every template file of the default set (`default/x.html` loads the same entry as `x.html`)."""
    return sorted(p.name for p in DEFAULT_DIR.iterdir() if p.is_file() and p.suffix in (".html", ".txt", ".subject"))


def precompile(directory: Path = STORE_DIR) -> int:
    """Compile every default template into `directory` (replacing what is there); the count."""
    from connectors.templates.environment import build_environment

    store = DefaultSetCode(directory, writable=True)
    if directory.is_dir():
        store.clear()
    env = build_environment(None, bytecode=store)
    names = template_names()
    for name in names:
        env.get_template(name)
    return len(names)


def main() -> None:
    try:
        count = precompile()
    except OSError as exc:  # a read-only install: templates compile at run time, as before
        print(f"templates not precompiled ({exc.strerror or exc}); they compile when first used", file=sys.stderr)
        return
    print(f"{count} default templates compiled into {STORE_DIR}")


if __name__ == "__main__":
    main()
