"""A body that cannot be read as a batch: the token is checked first (a stranger gets 401, not a
description of the body), then a body that is not JSON is a 400 saying so and one not sent as
JSON a 415 saying to; as the OpenAPI document lists them."""

import pytest

from tests.api.test_observations import written

BROKEN = b'{"observations": [{"kind": "limit",'


@pytest.mark.parametrize("raw", [BROKEN, b'{"observations": [1]}'])
def test_a_request_without_a_token_is_401_whatever_its_body(api, jiebei, raw) -> None:
    answer = api.anonymous.request("POST", "/api/v1/observations", raw=raw)
    assert answer.status == 401, answer.body
    assert answer.headers["www-authenticate"] == "Bearer"


def test_a_read_token_is_403_before_the_body_is_looked_at(api, jiebei) -> None:
    answer = api.reader.request("POST", "/api/v1/observations", raw=BROKEN)
    assert answer.status == 403, answer.body


def test_a_body_that_is_not_json_is_a_400_saying_where(api, jiebei, sessions) -> None:
    answer = api.writer.request("POST", "/api/v1/observations", raw=BROKEN)
    assert answer.status == 400, answer.body
    assert answer.body["error"].startswith("the body is not JSON: ")
    assert f"at character {len(BROKEN)}" in answer.body["error"]
    assert written(sessions) == (0, 0)
    documented = api.anonymous.get("/api/v1/openapi.json").body
    post = documented["paths"]["/api/v1/observations"]["post"]["responses"]
    assert post["400"]["description"].startswith("The body is not JSON")
    assert "415" in post


@pytest.mark.parametrize("kind", ["text/plain", "application/x-www-form-urlencoded", "text/json"])
def test_a_body_not_sent_as_json_is_a_415_saying_what_to_send(api, jiebei, kind) -> None:
    raw = b'{"observations": []}'
    answer = api.writer.request(
        "POST", "/api/v1/observations", raw=raw, headers={"Content-Type": kind}
    )
    assert answer.status == 415, answer.body
    assert "Content-Type: application/json" in answer.body["error"]


def test_an_idempotency_key_with_a_space_is_refused_as_documented(api, jiebei, sessions) -> None:
    """docs/api.md: printable ASCII without spaces."""
    from tests.api.test_observations import limit

    answer = api.writer.post([limit()], headers={"Idempotency-Key": "batch 1"})
    assert answer.status == 422, answer.body
    assert written(sessions) == (0, 0)
