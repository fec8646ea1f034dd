"""Input checks every workflow's services share."""

from django.core.exceptions import ValidationError


def require_text(**fields: str) -> None:
    """Refuse blank text, naming each blank field (the API answers 400 with the names)."""
    errors = {name: "This field is required." for name, value in fields.items() if not (value or "").strip()}
    if errors:
        raise ValidationError(errors)
