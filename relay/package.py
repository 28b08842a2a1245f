"""Build the relay's Lambda dependency layer from uv.lock, reproducibly.

    uv run python -m relay.package [--out dist/relay-lambda.zip]

The versions and hashes are the lock's (`uv export --frozen`, minus what only the toolkit needs:
Pulumi, the CLI libraries, uvicorn); wheels are installed for Lambda's platform (manylinux,
x86_64, CPython 3.11, binary only, hashes required); the zip has sorted entries, fixed
timestamps and permissions, and no bytecode, so the same lock gives the same bytes.
The function's own code (relay/, connectors/, the tenant's templates) is added by the program.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Needed by the toolkit but never by the relay on Lambda (relay.aws_lambda imports none of them).
PRUNED = ("pulumi", "pulumi-aws", "pulumi-mailgun", "click", "rich", "uvicorn")
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-manylinux2014"
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def requirements(project_dir: Path = ROOT) -> str:
    """The layer's pinned requirements with hashes, straight from uv.lock."""
    args = ["uv", "export", "--frozen", "--no-dev", "--no-emit-project", "--no-header", "--format", "requirements.txt"]
    for name in PRUNED:
        args += ["--prune", name]
    return subprocess.run(args, cwd=project_dir, check=True, capture_output=True, text=True).stdout


def deterministic_zip(source: Path, out: Path, prefix: str = "") -> str:
    """Zip `source` (as `prefix/…`) with sorted entries and fixed metadata; the sha256 of the result."""
    out.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in source.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            name = f"{prefix}/{path.relative_to(source).as_posix()}" if prefix else path.relative_to(source).as_posix()
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            executable = path.stat().st_mode & stat.S_IXUSR
            info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, path.read_bytes())
    return hashlib.sha256(out.read_bytes()).hexdigest()


def build(out: Path, project_dir: Path = ROOT) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp) / "requirements.txt"
        req.write_text(requirements(project_dir))
        target = Path(tmp) / "python"
        subprocess.run(
            ["uv", "pip", "install", "--quiet", "--target", str(target), "--requirement", str(req),
             "--python-version", PYTHON_VERSION, "--python-platform", PLATFORM, "--only-binary", ":all:",
             "--no-deps", "--require-hashes", "--no-compile", "--link-mode", "copy"],
            cwd=project_dir, check=True,
        )
        shutil.rmtree(target / "bin", ignore_errors=True)  # console scripts embed the build path
        return deterministic_zip(target, out, prefix="python")


def main() -> None:
    parser = argparse.ArgumentParser(description="Build the relay's Lambda dependency layer from uv.lock.")
    parser.add_argument("--out", type=Path, default=ROOT / "dist" / "relay-lambda.zip")
    args = parser.parse_args()
    try:
        digest = build(args.out)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"error: could not build the relay package: {exc}", file=sys.stderr)
        sys.exit(1)
    print(f"{args.out}  sha256:{digest}  {args.out.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
