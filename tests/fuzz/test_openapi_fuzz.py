"""schemathesis against the documented API: no 5xx, no response that breaks its schema.

Bounded examples here (PORTAL_FUZZ_EXAMPLES, default 8 per operation); `make fuzz` runs more.
"""

from __future__ import annotations

import asyncio
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.net import running_portal

EXAMPLES = int(os.environ.get("PORTAL_FUZZ_EXAMPLES", "8"))
# In make test the examples are derandomised, so a run is repeatable; make fuzz explores.
RANDOM = os.environ.get("PORTAL_FUZZ_RANDOM") == "1"


CALLS = {"count": 0}


def not_a_server_error(ctx, response, case):
    CALLS["count"] += 1
    if response.status_code >= 500:
        raise AssertionError(f"{case.method} {case.formatted_path} -> {response.status_code}: "
                             f"{response.text[:200]}")


@pytest.fixture(scope="module")
def portal_url():
    with running_portal(PORTAL_LOG_LEVEL="WARNING") as base:
        yield base


@pytest.fixture(scope="module")
def admin_token():
    from portal.core import staff

    return asyncio.run(staff.create_token(name="fuzz", role="admin")).token


def test_documented_api_never_fails_on_our_side(portal_url, admin_token):
    from hypothesis import given

    schema = schemathesis.openapi.from_url(f"{portal_url}/schema/openapi.json")
    headers = {"Authorization": f"Bearer {admin_token}"}
    failures: list[str] = []
    operations = 0
    from schemathesis import GenerationMode

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(max_examples=EXAMPLES, deadline=None, database=None,
                      derandomize=not RANDOM, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case):
                case.headers = {**(case.headers or {}), **headers}
                # Negative cases may break the request schema on purpose; only our side's
                # failures count then.
                checks = [not_a_server_error] if mode == GenerationMode.NEGATIVE else [
                    not_a_server_error, response_schema_conformance]
                case.call_and_validate(base_url=portal_url, checks=checks)

            try:
                run()
            except Unsatisfiable:
                continue  # no way to make this operation's input invalid (e.g. no parameters)
            except Exception as error:  # collect every operation's failure, report them all
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}): "
                                f"{str(error)[:400]}")
    assert operations > 20
    assert CALLS["count"] >= operations  # the calls really happened
    print(f"\nfuzzed {operations} operations with {CALLS['count']} requests")
    if failures:
        from tests.browser.conftest import ARTIFACTS

        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "fuzz-failures.txt").write_text("\n\n".join(failures))
        print("\n".join(failures))
    assert failures == [], "\n".join(failures)
