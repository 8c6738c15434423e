"""A body past 1 MiB is refused with the API's own JSON 413, however it is sent: announced
with Content-Length (well past the limit too) or chunked; nothing is written."""

import http.client
import json

import pytest

from bot.api.wsgi import MAX_BODY_BYTES
from tests.api.test_observations import limit, written


def body_of(size: int) -> bytes:
    return json.dumps({"observations": [limit(note="x" * size)]}).encode()


@pytest.mark.parametrize("size", [MAX_BODY_BYTES + 10, 3 * MAX_BODY_BYTES, 10_000_000])
def test_a_large_body_gets_a_json_413(api, jiebei, sessions, size) -> None:
    answer = api.writer.request("POST", "/api/v1/observations", raw=body_of(size))
    assert answer.status == 413, answer.body
    assert "larger than 1,048,576 bytes" in answer.body["error"]
    assert written(sessions) == (0, 0)


def test_a_large_chunked_body_gets_a_json_413(api, jiebei, sessions) -> None:
    body = body_of(MAX_BODY_BYTES + 10)
    connection = http.client.HTTPConnection("127.0.0.1", api.port, timeout=30)
    try:
        connection.putrequest("POST", "/api/v1/observations")
        connection.putheader("Authorization", f"Bearer {api.writer_token}")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Transfer-Encoding", "chunked")
        connection.endheaders()
        for start in range(0, len(body), 65536):
            chunk = body[start : start + 65536]
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
        response = connection.getresponse()
        status, text = response.status, response.read()
        kind = response.getheader("Content-Type", "")
    finally:
        connection.close()
    assert status == 413, text[:200]
    assert kind.startswith("application/json")
    assert "larger than" in json.loads(text)["error"]
    assert written(sessions) == (0, 0)
