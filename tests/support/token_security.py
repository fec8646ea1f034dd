"""The DO enquiries API address and a client signed with an API token, shared by the token and
lockout tests (tests/guarantees/)."""

from rest_framework.test import APIClient

DO_CASES = "/api/v1/lado/enquiries/"


def signed_with(key) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}")
