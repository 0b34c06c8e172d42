"""The Pulumi Automation API adapter: the only package that imports `pulumi.automation`.

`AutomationEngine` (adapter.py) implements the engine port; the modules beside it hold one
concern each (errors, events, stacks, transforms, cancel, state_ops).
"""

from reconciler.engine.automation.adapter import AutomationEngine

__all__ = ["AutomationEngine"]
