"""Numbers no JSON can carry back (1e999, NaN) and integers Python will not convert (5,000 digits) are a 400
naming their field, in both modes; the mock never writes a bare Infinity."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest

from mock_server.numbers import MAX_DIGITS, NumberError, integer, loads_json
from mock_server.wire import dumps
from tests.support.servers import AsgiClient

FLATFILE = {"Authorization": "Bearer t", "X-Disable-Hooks": "true", "Content-Type": "application/json"}
SIFT = {"Authorization": "Bearer t"}
JOB = '{"type":"workbook","operation":"submitAction","source":"us_wb_1"'
GIANT = "9" * 5_000
MODES = ["static", "stateful"]


@pytest.fixture(params=MODES)
def client(request: pytest.FixtureRequest, mock_with: Callable[..., AsgiClient]) -> AsgiClient:
    return mock_with(mode=request.param)


def _flatfile_errors(response) -> list[tuple[str | None, str]]:
    return [(error.get("key"), error["message"]) for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("fragment", "key", "words"),
    [
        ('"input":{"a":1e999}', "input.a", "'1e999' is beyond the range of a double"),
        ('"input":{"a":[1,-1e999]}', "input.a.1", "'-1e999' is beyond the range of a double"),
        ('"input":{"deep":{"x":NaN}}', "input.deep.x", "NaN is not valid JSON"),
        ('"input":{"a":Infinity}', "input.a", "Infinity is not valid JSON"),
        ('"input":{"a":-Infinity}', "input.a", "-Infinity is not valid JSON"),
        (
            f'"input":{{"a":{GIANT}}}',
            "input.a",
            f"the integer has 5000 digits; the mock reads integers of at most {MAX_DIGITS}",
        ),
    ],
)
def test_a_number_the_mock_cannot_keep_is_refused_naming_its_field(
    client: AsgiClient, fragment: str, key: str, words: str
) -> None:
    response = client.post("/v1/jobs", headers=FLATFILE, content=f"{JOB},{fragment}}}")
    assert response.status_code == 400
    [(found_key, message)] = _flatfile_errors(response)
    assert found_key == key and words in message


def test_metadata_of_an_update_is_checked_too(client: AsgiClient) -> None:
    response = client.request(
        "PATCH", "/v1/jobs/us_jb_1", headers=FLATFILE, content=b'{"metadata":{"ok":1,"bad":1e999}}'
    )
    assert response.status_code == 400
    assert [key for key, _ in _flatfile_errors(response)] == ["metadata.bad"]


def test_nothing_stored_after_a_refused_body_serves_infinity(mock_with: Callable[..., AsgiClient]) -> None:
    client = mock_with(mode="stateful")
    assert client.post("/v1/jobs", headers=FLATFILE, content=f'{JOB},"input":{{"a":1e999}}}}').status_code == 400
    listed = client.get("/v1/jobs", headers=FLATFILE)
    assert listed.status_code == 200 and "Infinity" not in listed.text
    listed.json()


@pytest.mark.parametrize(
    ("path", "headers", "name"),
    [
        (f"/v1/jobs?pageSize={GIANT}", FLATFILE, "pageSize"),
        (f"/v1/jobs?pageNumber={GIANT}", FLATFILE, "pageNumber"),
        (f"/api/v1/jobs?pageSize={GIANT}", SIFT, "pageSize"),
    ],
)
def test_a_giant_integer_parameter_is_a_400_naming_it(
    client: AsgiClient, path: str, headers: dict[str, str], name: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == 400
    body = response.json()
    if "errors" in body:
        [(key, message)] = _flatfile_errors(response)
    else:
        [violation] = body["details"][0]["fieldViolations"]
        key, message = violation["field"], violation["description"]
        assert body["code"] == 3
    assert key == name and "5000 digits" in message and GIANT not in message


@pytest.mark.parametrize("code", [GIANT, "\xb2", "-404"])
def test_a_prefer_code_that_is_no_status_is_a_400(client: AsgiClient, code: str) -> None:
    headers = {**FLATFILE, "Prefer": f"code={code}".encode("latin-1")}
    response = client.get("/v1/jobs", headers=headers)  # type: ignore[arg-type]
    assert response.status_code == 400
    [(key, message)] = _flatfile_errors(response)
    assert key == "Prefer" and message.startswith("code must be an HTTP status code")
    assert GIANT not in message


def test_integers_are_read_in_ascii_digits_within_pythons_limit() -> None:
    assert integer("-" + "9" * MAX_DIGITS) == -int("9" * MAX_DIGITS)
    for text in ["9" * (MAX_DIGITS + 1), "\xb2", "+1", "1.0", ""]:
        with pytest.raises(NumberError):
            integer(text)


def test_a_body_parses_with_its_refused_numbers_placed() -> None:
    value, refused = loads_json('{"a":[1,2.5,1e999],"b":{"c":NaN},"d":1e308}')
    assert value["d"] == 1e308 and value["a"][:2] == [1, 2.5]
    assert [place for place, _ in refused] == [["a", "2"], ["b", "c"]]
    assert loads_json('{"a":1e999,"a":1}') == ({"a": 1}, [])  # the last of duplicate keys is what counts


def test_the_serializer_never_writes_a_non_finite_number() -> None:
    for value in (math.inf, -math.inf, math.nan):
        with pytest.raises(ValueError):
            dumps({"a": value})
