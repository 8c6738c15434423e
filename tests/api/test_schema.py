"""The API keeps to its own OpenAPI document: schemathesis generates requests from
/api/v1/openapi.json (valid ones and broken ones) and sends them to the live server on port 0.
No answer may be a 5xx, and every answer's status, content type, headers and body must be the
ones the document gives for that operation."""

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from bot.api.app import build_api
from tests.api.conftest import RunningApi

# The document the server serves, built from the same application code (schemathesis's lazy
# `from_fixture` loader does not run on pytest 9); the first test holds the two to be one.
DOCUMENT = build_api(None, rate_limit="1/second").openapi()  # type: ignore[arg-type]
schema = schemathesis.openapi.from_dict(DOCUMENT)

# What "matches the document" means, and no 5xx. Requests that break the schema are generated
# too (they must get a documented refusal); schemathesis's negative_data_rejection and
# ignored_auth are left out, as they read the Authorization header this test sets itself as a
# broken one to be refused (tests/api/test_tokens.py pins the refusals down).
KEPT_TO = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.unsupported_method,
]


def test_the_document_is_openapi_3_1_from_the_models(api: RunningApi) -> None:
    """The document is OpenAPI 3.1 and needs no token; its observation kinds are the models'."""
    answer = api.anonymous.get("/api/v1/openapi.json")
    assert answer.status == 200
    assert answer.body["openapi"].startswith("3.1")
    kinds = answer.body["components"]["schemas"]
    assert {"LimitObservation", "BillObservation", "PayoutObservation"} <= set(kinds)
    amount = kinds["BillObservation"]["properties"]["amount"]
    assert amount["type"] == "string"
    assert answer.body == DOCUMENT


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_every_answer_matches_the_document(case, api: RunningApi, jiebei) -> None:
    """Generated requests with the writer's token: never a 5xx, always as documented."""
    case.call_and_validate(
        base_url=f"http://127.0.0.1:{api.port}",
        headers={"Authorization": f"Bearer {api.writer_token}"},
        checks=KEPT_TO,
    )
