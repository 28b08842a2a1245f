"""One atomic write for the stack files promotion rewrites and the template code set-up stores."""

from __future__ import annotations

import os
from pathlib import Path

from connectors.files import write_atomically


def test_a_new_file_gets_the_usual_permissions_and_an_existing_one_keeps_its_own(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    try:
        new = tmp_path / "code.bin"
        write_atomically(new, b"\x00\x01")
        assert new.read_bytes() == b"\x00\x01"
        assert new.stat().st_mode & 0o777 == 0o644  # not the temporary file's 0600

        kept = tmp_path / "Pulumi.prod.yaml"
        kept.write_text("old\n", encoding="utf-8")
        kept.chmod(0o600)
        write_atomically(kept, "née\r\n")
        assert kept.read_bytes() == "née\r\n".encode()  # UTF-8, newlines as given
        assert kept.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.prod.yaml", "code.bin"]  # no temporary left
