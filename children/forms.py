from django import forms

from .selectors import children_by_references


def clean_child_references(qs, text: str, required: bool = True) -> list:
    """Form cleaning for a 'Child's case reference' box: the children, or a clear error."""
    children, missing = children_by_references(qs, text)
    if missing:
        raise forms.ValidationError(f"No child found with case reference {', '.join(missing)}")
    if required and not children:
        raise forms.ValidationError("Enter the child's case reference")
    return children
