"""Reading the API's problem details (RFC 9457) in tests."""

from api.problems import MEDIA_TYPE


def field_errors(response) -> dict[str, list[str]]:
    """{field: [messages]} from a problem's ``errors``, after checking the shape: the tests
    that read field errors also prove every 400 names its fields in the one problem shape."""
    assert response["Content-Type"].startswith(MEDIA_TYPE), response["Content-Type"]
    body = response.json()
    assert {"type", "title", "status", "detail", "code", "errors"} <= set(body), body
    assert body["status"] == response.status_code
    found: dict[str, list[str]] = {}
    for error in body["errors"]:
        found.setdefault(error["field"], []).append(error["detail"])
    return found


#: A problem's members and nothing else: a refusal carries no case data.
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "errors"}
