"""How a failed Pulumi CLI run reads in a report: `translate` over the CLI's own results.

Each row is a CommandResult as the Automation API builds it (stdout, stderr, exit code),
turned into its typed error the way the SDK does (`create_command_error`). The message a
user sees must carry the CLI's error line, never only "code: 1".
"""

from __future__ import annotations

import pytest
from pulumi import automation as auto
from pulumi.automation.errors import create_command_error

from reconciler.engine.automation.errors import translate
from reconciler.engine.port import NoAccess, PermanentError, StackLocked

LOCK_URL = "file:///state/.pulumi/locks/organization/mlaas-tenants/acme/1b2c.json?no_tmp_dir=true"


def failed(stderr: str, stdout: str = "") -> Exception:
    return create_command_error(auto.CommandResult(stdout=stdout, stderr=stderr, code=1))


@pytest.mark.parametrize(
    ("stderr", "kind", "message"),
    [
        (
            "error: the stack is currently locked by 1 lock(s). Either wait for the other "
            "process(es) to end or delete the lock file with `pulumi cancel`.\n"
            f"  {LOCK_URL}: created by ci@runner (pid 41) at 2026-12-01T02:00:10Z\n",
            StackLocked,
            "the stack is locked by another run",
        ),
        (
            # A first line that is the error itself: it was read as " stderr: error: ..." and
            # dropped, leaving "code: 1" as the whole reason.
            "error: could not read the checkpoint: unexpected end of JSON input\n",
            PermanentError,
            "error: could not read the checkpoint: unexpected end of JSON input",
        ),
        (
            "warning: A new version of Pulumi is available.\n"
            "error: failed to load plugin gcp: no such file\n"
            "error: second problem\n",
            PermanentError,
            "error: failed to load plugin gcp: no such file; error: second problem",
        ),
        (
            "error: googleapi: Error 403: ci@p.iam.gserviceaccount.com does not have "
            "storage.objects.list access to the Google Cloud Storage bucket., forbidden\n",
            NoAccess,
            "no access: error: googleapi: Error 403: ci@p.iam.gserviceaccount.com does not",
        ),
        (
            # Nothing marked as an error: the first thing the CLI said, not "code: 1".
            "panic: runtime error: index out of range [3] with length 3\n\n"
            "goroutine 1 [running]:\n",
            PermanentError,
            "panic: runtime error: index out of range [3] with length 3",
        ),
    ],
)
def test_the_reason_names_what_the_cli_said(stderr: str, kind: type, message: str) -> None:
    translated = translate(failed(stderr), [], cancelled=False)
    assert type(translated) is kind
    assert message in translated.message
    assert translated.message != "code: 1"


def test_the_engines_own_diagnostics_come_before_the_clis_lines() -> None:
    error = failed("error: update failed\n")
    diagnostics = ["googleapi: Error 409: The requested bucket name is not available.", ""]
    translated = translate(error, diagnostics, cancelled=False)
    assert translated.message == "googleapi: Error 409: The requested bucket name is not available."


def test_a_run_with_no_output_at_all_says_so() -> None:
    translated = translate(failed(""), [], cancelled=False)
    assert translated.message == "the Pulumi CLI exited 1 and printed no error"
