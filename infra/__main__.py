"""The Pulumi program: one `TenantEmail` per tenant declared in `Pulumi.<stack>.yaml`."""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
if str(PROJECT_DIR) not in sys.path:  # `connectors` and `infra` live next to Pulumi.yaml
    sys.path.insert(0, str(PROJECT_DIR))

import pulumi

from connectors.errors import ConfigError
from connectors.process import tune_for_build
from connectors.stack import NAMESPACE, spec_from_config
from infra.tenant import TenantEmail

tune_for_build()  # the resource graph lives until exit: no full-heap rescans while it is built, nor at exit

# At module level, not in a function: every resource's creation stack, which the engine keeps in
# the state, is one frame shorter.
config = pulumi.Config(NAMESPACE)
values = {"tenants": config.get_object("tenants"), "production": config.get_bool("production") or False}
try:
    stack = spec_from_config(pulumi.get_stack(), values, PROJECT_DIR)
except ConfigError as exc:  # names the YAML path and the fix; never a value
    raise pulumi.RunError(str(exc)) from None
for key, tenant in stack.tenants.items():
    pulumi.export(key, TenantEmail(key, tenant=tenant, production=stack.production, project_dir=PROJECT_DIR).outputs)
