"""AWS Lambda entry point (`relay.aws_lambda.handler`): the same app behind Mangum.

The config is read once per instance from the Secrets Manager secret named by
`RELAY_CONFIG_SECRET` (the program changes `RELAY_CONFIG_VERSION` with it, so a new config
means new instances); the tenant's templates are packaged next to this code.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

_handler: Any = None


def _build() -> Any:
    import boto3
    from mangum import Mangum

    from relay.app import create_app
    from relay.config import parse_config

    secret_id = os.environ["RELAY_CONFIG_SECRET"]
    raw = boto3.client("secretsmanager").get_secret_value(SecretId=secret_id)["SecretString"]
    config = parse_config(json.loads(raw), source="the relay's config secret", env={})
    logging.getLogger("relay").setLevel(config.log_level.upper())
    app = create_app(config, base_dir=os.environ.get("LAMBDA_TASK_ROOT", os.getcwd()))
    return Mangum(app, lifespan="off")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    global _handler
    if _handler is None:
        _handler = _build()
    return _handler(event, context)


def reset() -> None:
    """Forget the cached app (tests; a new config)."""
    global _handler
    _handler = None
