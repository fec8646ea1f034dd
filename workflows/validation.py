"""Input checks every workflow's services share."""

from django.core.exceptions import ValidationError


def blank_text_errors(**fields: str) -> dict[str, str]:
    """{field: message} for each blank text field."""
    return {name: "This field is required." for name, value in fields.items() if not (value or "").strip()}


def require_text(**fields: str) -> None:
    """Refuse blank text, naming each blank field (the API answers 400 with the names)."""
    errors = blank_text_errors(**fields)
    if errors:
        raise ValidationError(errors)
