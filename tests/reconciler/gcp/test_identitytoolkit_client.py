"""The Identity Toolkit client retries what the provider's transport retries (issue 21.6).

pulumi-gcp (terraform-provider-google) retries every request on 429, 500, 502, 503 and network
errors with a Fibonacci backoff from 0.5 s for 90 s (magic-modules
`mmv1/third_party/terraform/transport/retry_transport.go`, `error_retry_predicates.go`
`isCommonRetryableErrorCode`). The client of our own dynamic resources must behave the same,
or a throttled settings PATCH fails a deploy that a throttled Tenant update survives.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from reconciler.gcp.identitytoolkit import IdentityToolkitError, TenantApi, endpoint, retryable
from reconciler.gcp.retry import (
    BUDGET_SECONDS,
    RETRYABLE_STATUSES,
    RetryPolicy,
    TransientError,
    fibonacci_delays,
)


class Script:
    """Answers (status, body) in order; records each request's method and path."""

    def __init__(self, answers: list[tuple[int, dict[str, Any]]]) -> None:
        self.answers = answers
        self.requests: list[tuple[str, str]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script([])

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            script.requests.append((self.command, self.path))
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            status, body = script.answers.pop(0)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PATCH = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()


def unavailable(status: int = 503) -> tuple[int, dict[str, Any]]:
    return status, {"error": {"code": status, "status": "UNAVAILABLE", "message": "try later"}}


def test_a_503_then_success_is_retried_away(server: tuple[str, Script]):
    host, script = server
    script.answers += [unavailable(), (200, {"name": "projects/p/tenants/t", "tenantId": "t"})]
    api = TenantApi(endpoint(host))
    answer = api.patch_tenant("p", "t", {"enableAnonymousUser": False}, ["enableAnonymousUser"])
    assert answer["tenantId"] == "t"
    assert [method for method, _ in script.requests] == ["PATCH", "PATCH"]


def test_a_rate_limit_on_an_idp_config_read_is_retried(server: tuple[str, Script]):
    host, script = server
    script.answers += [unavailable(429), (200, {"name": "x/oauthIdpConfigs/oidc.a"})]
    api = TenantApi(endpoint(host))
    assert api.find_oauth_idp_config("p", "t", "oidc.a") == {"name": "x/oauthIdpConfigs/oidc.a"}
    assert script.requests[-1] == (
        "GET",
        "/identitytoolkit.googleapis.com/v2/projects/p/tenants/t/oauthIdpConfigs/oidc.a",
    )


def test_a_bad_request_is_reported_at_once(server: tuple[str, Script]):
    host, script = server
    script.answers += [(400, {"error": {"status": "INVALID_ARGUMENT", "message": "bad mask"}})]
    api = TenantApi(endpoint(host))
    with pytest.raises(IdentityToolkitError, match="400 INVALID_ARGUMENT: bad mask"):
        api.patch_tenant("p", "t", {}, ["x"])
    assert len(script.requests) == 1


def test_a_refused_connection_is_retried_until_the_budget_then_reported():
    clock = itertools.count(0.0, 10.0)  # each look at the clock: 10 s later
    sleeps: list[float] = []
    policy = RetryPolicy(budget=25.0, sleep=sleeps.append, clock=lambda: next(clock))
    api = TenantApi(endpoint("127.0.0.1:9"), retry=policy)
    with pytest.raises(TransientError):
        api.find_oauth_idp_config("p", "t", "oidc.a")
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES))
def test_the_providers_retryable_codes_are_retried(status: int):
    assert retryable(IdentityToolkitError(status, "X", "m"))


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
def test_other_codes_are_not(status: int):
    assert not retryable(IdentityToolkitError(status, "X", "m"))


def test_the_backoff_and_budget_are_the_transports():
    assert list(itertools.islice(fibonacci_delays(), 7)) == [0.5, 1, 1.5, 2.5, 4, 6.5, 10.5]
    assert BUDGET_SECONDS == 90.0
    assert {429, 500, 502, 503} == RETRYABLE_STATUSES


def test_a_policy_stops_before_a_wait_would_pass_its_budget():
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    def always_busy() -> None:
        raise IdentityToolkitError(429, "RESOURCE_EXHAUSTED", "quota")

    policy = RetryPolicy(budget=10.0, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(IdentityToolkitError, match="429"):
        policy.run(always_busy, retryable)
    assert sleeps == [0.5, 1.0, 1.5, 2.5, 4.0]  # the next, 6.5 s, would end after 10 s
