"""Schemathesis checks of Confluent's contract beyond what the OpenAPI description says.

Loaded through `hooks` in schemathesis.toml beside this file.
"""

import json

import schemathesis


@schemathesis.check
def confluent_error_body(ctx, response, case):
    """Every 4xx and 5xx answers Confluent's body: {"error_code": int, "message": string}.

    `/health/ready` answers 503 with its own health body while the database is down.
    """
    if response.status_code < 400:
        return None
    if response.status_code == 503 and case.path == "/health/ready":
        return None
    try:
        body = json.loads(response.content)
    except ValueError:
        raise AssertionError(
            f"{response.status_code} without a JSON body: {response.content[:200]!r}"
        ) from None
    if not (
        isinstance(body, dict)
        and set(body) == {"error_code", "message"}
        and isinstance(body["error_code"], int)
        and not isinstance(body["error_code"], bool)
        and isinstance(body["message"], str)
    ):
        raise AssertionError(
            f"{response.status_code} not in Confluent's error shape: {body!r}"
        )
    code = body["error_code"]
    status = code if code < 1000 else code // 100
    if status != response.status_code:
        raise AssertionError(
            f"error_code {code} under HTTP {response.status_code}, not {status}"
        )
    return None
