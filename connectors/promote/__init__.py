"""dev -> prod promotion of stack files: portable settings copied, environment-bound ones kept."""

from connectors.promote.engine import (
    Change,
    NeededValue,
    Promotion,
    plan_promotion,
    write_promotion,
)

__all__ = ["Change", "NeededValue", "Promotion", "plan_promotion", "write_promotion"]
