"""The stand-in's tenant on disk, so `python -m logto_standin` keeps its rows across restarts.

Only what a real Logto keeps in its database is saved: connector rows, email template rows, the
sign-in experience and the log of test-sends (no config in it). Tokens and M2M apps are not: the
apps come from the state dir's credentials file, and clients fetch a new token after a restart.
The file holds connector configs in clear, like Logto's own database, so it is written 0600.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .state import ConnectorRow, EmailTemplateRow, SentMessage, TenantState

FORMAT = 1


def save_state(state: TenantState, path: Path) -> None:
    data = {
        "format": FORMAT,
        "connectors": [dataclasses.asdict(row) for row in state.connectors.values()],
        "emailTemplates": [dataclasses.asdict(row) for row in state.email_templates.values()],
        "signInExperience": state.sign_in_exp,
        "sentMessages": [dataclasses.asdict(m) for m in state.sent_messages],
    }
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def load_state(state: TenantState, path: Path) -> None:
    """Replace `state`'s rows with the saved ones (a file of another format is refused)."""
    data = json.loads(path.read_text())
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: unknown stand-in state format {data.get('format')!r}; delete the file to start afresh")
    state.connectors = {row["id"]: ConnectorRow(**row) for row in data["connectors"]}
    state.email_templates = {row["id"]: EmailTemplateRow(**row) for row in data["emailTemplates"]}
    state.sign_in_exp = data["signInExperience"]
    state.sent_messages = [SentMessage(**m) for m in data["sentMessages"]]
