"""The patched act keeps what GitHub keeps: every failed step's last line (its `::error::`
annotation) reaches the log. Stock act v0.2.89 lost it now and then on the host, which
made the stale-apply refusal test fail at random (tools/act-patches/0004)."""

from __future__ import annotations

import pytest

from tests.workflows.conftest import Scenario

pytestmark = pytest.mark.e2e

LEGS = 30

WORKFLOW = f"""
on: push
jobs:
  refuse:
    runs-on: ubuntu-24.04
    strategy:
      fail-fast: false
      max-parallel: 2
      matrix:
        leg: {list(range(LEGS))}
    steps:
      - name: Refuse
        run: |
          seq 1 300  # a burst of output right before the failure, as a failing tool prints
          echo "::error title=Refused::leg ${{{{ matrix.leg }}}} refused"
          exit 4
"""


def test_every_failed_leg_keeps_its_last_line_and_annotation(scenario: Scenario) -> None:
    origin = scenario.origin
    sha = origin.commit("main", "a failing matrix", {".github/workflows/refuse.yml": WORKFLOW})

    run = scenario.harness.run("refuse.yml", origin.push_event(sha=sha))

    assert run.code != 0
    legs = run.legs("refuse")
    assert len(legs) == LEGS, run.summary()
    lost = [
        leg.matrix["leg"]
        for leg in legs
        if [a.message for a in leg.annotations if a.level == "error"]
        != [f"leg {leg.matrix['leg']} refused"]
    ]
    assert lost == [], f"annotations lost for legs {lost}"
    assert all(leg.failed_steps == ["Refuse"] for leg in legs), run.summary()
