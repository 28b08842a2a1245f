"""The email relay of Logto's FAQ: Logto's HTTP email connector → this service → the tenant's
email provider, from a fixed egress IP the provider can allowlist. See docs/relay.md."""

from relay.app import create_app
from relay.config import RelayConfig, load_config, parse_config

__all__ = ["RelayConfig", "create_app", "load_config", "parse_config"]
