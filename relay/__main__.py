"""`python -m relay --config relay.yaml [--host 127.0.0.1] [--port 8787] [--check]`.

Serves on loopback by default (the local stack and the tests); `--check` only validates the
config and renders the templates. Exit codes: 0 ok · 1 invalid config · 2 bad usage.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from connectors.errors import ConfigError


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the relay config (YAML or JSON); templates.directory is relative to its folder")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535), help="port (0: any free port)")
@click.option("--check", is_flag=True, help="validate the config and render the templates, then exit")
def main(config_path: Path, host: str, port: int, check: bool) -> None:
    from relay.app import create_app
    from relay.config import load_config

    try:
        config = load_config(config_path)
        app = create_app(config, base_dir=config_path.parent)
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    relay = app.state.relay
    summary = f"relay: {relay.upstream.name} upstream, locales {', '.join(relay.rendered.locales)}, {len(config.tokens)} token(s)"
    if check:
        click.echo(summary + ": config ok")
        return
    import uvicorn

    logging.basicConfig(level=config.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    click.echo(summary, err=True)
    # No access log: paths carry nothing secret, but one line per request is the relay's own log.
    uvicorn.run(app, host=host, port=port, log_level=config.log_level, access_log=False, server_header=False)


if __name__ == "__main__":
    main()
