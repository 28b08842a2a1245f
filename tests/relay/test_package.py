"""The Lambda layer comes from uv.lock, byte for byte reproducible, and holds what the function imports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

from relay.package import PRUNED, deterministic_zip, requirements

ROOT = Path(__file__).resolve().parents[2]


def test_requirements_are_the_locks_pins_with_hashes() -> None:
    text = requirements(ROOT)
    lock = (ROOT / "uv.lock").read_text()
    pins = {line.split("==")[0]: line.split("==")[1].split()[0] for line in text.splitlines() if "==" in line}
    for name in ("starlette", "mangum", "httpx", "stamina", "boto3", "jinja2", "css-inline", "pydantic", "prometheus-client"):
        assert name in pins and f'name = "{name}"\nversion = "{pins[name]}"' in lock
    assert not set(PRUNED) & set(pins)
    assert text.count("--hash=sha256:") >= len(pins)


def test_the_zip_is_reproducible(tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "pkg").mkdir(parents=True)
    (src / "pkg" / "b.py").write_text("B = 2\n")
    (src / "pkg" / "a.py").write_text("A = 1\n")
    (src / "pkg" / "__pycache__").mkdir()
    (src / "pkg" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"junk")
    first = deterministic_zip(src, tmp_path / "one.zip", prefix="python")
    (src / "pkg" / "a.py").touch()  # a newer mtime changes nothing
    assert deterministic_zip(src, tmp_path / "two.zip", prefix="python") == first
    assert zipfile.ZipFile(tmp_path / "one.zip").namelist() == ["python/pkg/a.py", "python/pkg/b.py"]


def test_the_function_needs_nothing_that_was_pruned() -> None:
    """Import the Lambda entry point and build the app with the pruned packages made unimportable."""
    code = textwrap.dedent(f"""
        import sys
        for name in {[n.replace('-', '_') for n in PRUNED]!r}:
            sys.modules[name] = None
        from relay import aws_lambda
        from relay.app import create_app
        from relay.config import parse_config
        app = create_app(parse_config({{"tokens": ["t-123456"], "sender": {{"email": "a@example.com"}},
                                        "upstream": {{"type": "aws-ses", "region": "eu-west-1"}}}}, source="x", env={{}}))
        import mangum
        mangum.Mangum(app, lifespan="off")
        print("ok")
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "eu-west-1"})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
