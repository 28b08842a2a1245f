"""Run infra/__main__.py the simplest way a team would: `set_mocks` whose resources echo their
inputs and whose calls return {}. No provider computes outputs here (no DKIM tokens, no Mailgun
records, no ARNs). Usage: python plain_mocks_runner.py PATH/Pulumi.STACK.yaml  → prints one JSON line."""
import json
import runpy
import sys

import pulumi
from ruamel.yaml import YAML

class Mocks(pulumi.runtime.Mocks):
    def __init__(self): self.resources = []
    def new_resource(self, args):
        self.resources.append((args.typ, args.name))
        return args.name + "_id", args.inputs
    def call(self, args):
        return {}

path = sys.argv[1]  # a Pulumi.<stack>.yaml
stack = path.rsplit("/", 1)[-1][len("Pulumi."):-len(".yaml")]
doc = YAML(typ="safe").load(open(path))
def replace_secure(v):
    if isinstance(v, dict):
        if set(v) == {"secure"}: return "test-secret-value"
        return {k: replace_secure(x) for k, x in v.items()}
    if isinstance(v, list): return [replace_secure(x) for x in v]
    return v
config = {}
for k, v in doc["config"].items():
    v = replace_secure(v)
    config[k] = json.dumps(v) if not isinstance(v, str) else v
mocks = Mocks()
pulumi.runtime.set_mocks(mocks, project="logto-email", stack=stack, preview=False)
pulumi.runtime.set_all_config(config, ["logto-email:tenants"])

@pulumi.runtime.test
def run():
    runpy.run_path("infra/__main__.py", run_name="__main__")
    return pulumi.Output.from_input(1).future()
try:
    run()
    print(json.dumps({"ok": True, "types": sorted({t for t, _ in mocks.resources}), "count": len(mocks.resources)}))
except Exception as e:  # noqa: BLE001 - reported to the test
    print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
