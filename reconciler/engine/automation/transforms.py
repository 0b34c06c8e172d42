"""Stack transforms: how a tenant's program is run differently without being changed.

Registered before the program declares anything (`with_transform`), a transform rewrites
each resource's options or inputs on the way to the engine:
- `look_through` (previews): a protected resource's replacement or delete shows as a step
  for act's guard to judge, instead of failing the preview;
- `releasing` (phase one of an approved loss of state, `Engine.release`): protection and
  the provider's deletion policy lifted from exactly the named resources, their
  replace-forcing inputs held at the deployed values so nothing is replaced yet.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import pulumi

from reconciler.engine.port import Program

_BUCKET = "gcp:storage/bucket:Bucket"


def with_transform(program: Program, transform: pulumi.ResourceTransform) -> Program:
    """`program`, with a stack transform registered before it declares anything."""

    def transformed() -> None:
        pulumi.runtime.register_stack_transform(transform)
        program()

    return transformed


def look_through(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
    """Previews only: a protected resource's replacement or delete shows as a step.

    Pulumi fails a preview outright on "unable to replace resource ... marked for
    protection"; act's guard wants to see the step, judge it and name the approval.
    """
    if not args.opts.protect:
        return None
    opts = copy.copy(args.opts)
    opts.protect = False
    return pulumi.ResourceTransformResult(props=args.props, opts=opts)


def releasing(keys: Mapping[str, Sequence[str]]) -> pulumi.ResourceTransform:
    """Lift every protection from the named resources, holding their replace-forcing
    inputs (`keys`, by logical name) at the deployed values so nothing is replaced yet."""

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if args.name not in keys:
            return None
        props = dict(args.props)
        if "deletionPolicy" in props:
            props["deletionPolicy"] = "DELETE"
        if args.type_ == _BUCKET:
            props["forceDestroy"] = True
        opts = copy.copy(args.opts)
        opts.protect = False
        opts.ignore_changes = [*(opts.ignore_changes or ()), *keys[args.name]]
        return pulumi.ResourceTransformResult(props=props, opts=opts)

    return transform
