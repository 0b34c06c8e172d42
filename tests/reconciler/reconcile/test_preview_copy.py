"""Which previews run on a copy of the state with placeholder secrets (review 22-24, A5).

The copy needs no lock and no decrypt, but a provider's Diff compares the old outputs,
which there hold a placeholder wherever a secret was: only a run that reads no secret
(`RECONCILER_CLIENT_SECRETS=unread`, CI's previews) may use it. A local preview that reads
the secrets, and apply's safety preview (the deploy identity can decrypt), run in place.
"""

from __future__ import annotations

import pytest

from reconciler.reconcile import act
from reconciler.reconcile.plan import Action
from reconciler.settings import read_settings
from tests.fake_engine import FakeEngine
from tests.reconciler.reconcile.test_act import change, context, record


def settings(source: str | None):
    return read_settings({} if source is None else {"RECONCILER_CLIENT_SECRETS": source})


@pytest.mark.parametrize(
    ("source", "copied"),
    [("unread", True), (" unread ", True), (None, False), ("env", False),
     ("secret-manager", False)],
)  # fmt: skip
def test_the_preview_stage_uses_the_copy_only_when_it_reads_no_secret(source, copied):
    engine = FakeEngine({n: record(n) for n in ("upd", "gone", "old")})
    changes = [
        change("new", Action.CREATE),
        change("upd", Action.UPDATE, record("upd")),
        change("gone", Action.DELETE, record("gone", protected=False)),
        change("old", Action.DELETE, record("old"), decommission=True),
    ]
    act.preview(changes, context(engine, settings=settings(source)))
    assert sorted(engine.snapshots) == [
        ("preview", "new", copied),
        ("preview", "upd", copied),
        ("preview_decommission", "old", copied),
        ("preview_destroy", "gone", copied),
    ]


@pytest.mark.parametrize("source", ["unread", "env", "secret-manager"])
def test_apply_s_safety_preview_runs_on_the_stack_itself(source):
    """Whatever the setting: apply reads its secrets (an unread one fails closed in the
    program), and its look before leaping must compare them as the `up` will."""
    engine = FakeEngine({"a": record("a", shape="s-1")})
    ctx = context(engine, settings=settings(source))
    act.apply([change("a", Action.UPDATE, record("a", shape="s-1"), shape="s-2")], ctx)
    assert engine.snapshots == [("preview", "a", False)]
