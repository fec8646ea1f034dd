"""How the OpenAPI schema describes Footprint's API token (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "people.tokens.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        definition = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Token")
        definition["description"] = (
            "Authorization: Token <key>, the key from POST /api/v1/auth/token/ (with otp_token "
            "when two-step verification is on). Keys expire after FOOTPRINT_API_TOKEN_HOURS "
            "(default 12) and end when the password, roles or authenticator change; a key "
            "issued without a code does not work for the DO team or administrators.")
        return definition
