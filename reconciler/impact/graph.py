"""A tenant's resource graph as the engine would receive it, as plain data.

`reconciler/impact/capture.py` writes one `FleetGraphs` per checkout (JSON, see
`to_json`); the diff reads two. Input values are JSON values, with three markers in place
of what must not or cannot be shown:
- `{"$secret": DIGEST}`: a secret input (client secrets, anything the program wraps with
  `pulumi.Output.secret`); DIGEST is a hash of the placeholder value the capture gave it,
  so two graphs can tell "changed" from "unchanged" without any value;
- `{"$unknown": true}`: a value the engine would only know after the run;
- `{"$resource": "TYPE::NAME"}`: a reference to another resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GRAPH_SCHEMA = 1
"""Version of the graph JSON; the capture and the diff of one checkout agree on it."""
SECRET, UNKNOWN, RESOURCE = "$secret", "$unknown", "$resource"

OPTIONS = ("ignoreChanges", "replaceOnChanges", "deleteBeforeReplace", "retainOnDelete")
"""Resource options the graph keeps besides `protect` and `parent`."""


class GraphFormatError(ValueError):
    """A graph file is not what `capture` writes."""


def is_secret(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {SECRET}


@dataclass(frozen=True)
class Resource:
    """One resource registration: what the engine would be asked to create or update."""

    type: str
    name: str
    parent: str = ""
    """`TYPE::NAME` of the parent resource (the root stack's type and name included)."""
    protect: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    """The options of OPTIONS that are set."""
    inputs: Mapping[str, Any] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    """`TYPE::NAME` of the resources this one was (the engine moves them to it)."""

    @property
    def key(self) -> str:
        return f"{self.type}::{self.name}"

    def to_json(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "protect": self.protect,
            "options": dict(self.options),
            "aliases": list(self.aliases),
            "inputs": dict(self.inputs),
        }

    @classmethod
    def from_json(cls, body: Any) -> Resource:
        if not isinstance(body, Mapping):
            raise GraphFormatError("a resource is not an object")
        text = {k: body.get(k) for k in ("type", "name", "parent")}
        if not all(isinstance(v, str) for v in text.values()):
            raise GraphFormatError("a resource's type, name and parent must be strings")
        type_, name, parent = (str(text[k]) for k in ("type", "name", "parent"))
        options, inputs = body.get("options", {}), body.get("inputs", {})
        if not isinstance(options, Mapping) or not isinstance(inputs, Mapping):
            raise GraphFormatError("a resource's options and inputs must be objects")
        aliases = body.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise GraphFormatError("a resource's aliases must be a list of strings")
        return cls(
            type=type_,
            name=name,
            parent=parent,
            protect=body.get("protect") is True,
            options={k: v for k, v in options.items() if k in OPTIONS},
            inputs=dict(inputs),
            aliases=tuple(aliases),
        )


@dataclass(frozen=True)
class TenantGraph:
    """Every resource one tenant's program declared, or why it could not run."""

    resources: Mapping[str, Resource] = field(default_factory=dict)
    """By `Resource.key`."""
    error: str | None = None
    """The program failed for this tenant (the resources are then incomplete)."""

    def to_json(self) -> dict[str, Any]:
        resources = [self.resources[key].to_json() for key in sorted(self.resources)]
        return {"error": self.error, "resources": resources}

    @classmethod
    def from_json(cls, body: Any) -> TenantGraph:
        if not isinstance(body, Mapping) or not isinstance(body.get("resources", []), list):
            raise GraphFormatError("a tenant's graph must be an object with a resource list")
        error = body.get("error")
        resources = [Resource.from_json(item) for item in body.get("resources", [])]
        return cls({r.key: r for r in resources}, error if isinstance(error, str) else None)


@dataclass(frozen=True)
class FleetGraphs:
    """One checkout's graphs for every tenant, or why none could be made."""

    tenants: Mapping[str, TenantGraph] = field(default_factory=dict)
    error: str | None = None
    """The checkout's code or manifests could not be run at all (e.g. invalid manifests)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "schemaVersion": GRAPH_SCHEMA,
            "error": self.error,
            "tenants": {name: self.tenants[name].to_json() for name in sorted(self.tenants)},
        }

    @classmethod
    def from_json(cls, body: Any) -> FleetGraphs:
        if not isinstance(body, Mapping) or body.get("schemaVersion") != GRAPH_SCHEMA:
            raise GraphFormatError(f"not a tenant graph file of version {GRAPH_SCHEMA}")
        tenants = body.get("tenants", {})
        if not isinstance(tenants, Mapping):
            raise GraphFormatError("'tenants' must be an object")
        error = body.get("error")
        return cls(
            {str(name): TenantGraph.from_json(graph) for name, graph in tenants.items()},
            error if isinstance(error, str) else None,
        )
