"""The stack-config schema: `Pulumi.<stack>.yaml` → typed, validated tenant specs.

What users import: the loader functions and the two top-level models. Every block of the schema
is in `connectors.stack.models` (provider blocks in `connectors.providers.<type>`).
"""

from connectors.stack.loader import (
    NAMESPACE,
    available_stacks,
    load_stack,
    read_yaml,
    spec_from_config,
    stack_file,
    stack_from_document,
)
from connectors.stack.models import StackSpec, TenantSpec

__all__ = [
    "NAMESPACE",
    "StackSpec",
    "TenantSpec",
    "available_stacks",
    "load_stack",
    "read_yaml",
    "spec_from_config",
    "stack_file",
    "stack_from_document",
]
