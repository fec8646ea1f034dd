"""Forms for a person's own account: the two-step verification code and turning it off."""

import re

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from . import roles, two_step


class CodeForm(forms.Form):
    """The 6-digit code an authenticator app shows, checked against one device."""

    code = forms.CharField(
        label="Code from your authenticator app", max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"})

    def __init__(self, *args, user, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.device = user, device

    def clean_code(self):
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError("The code must be 6 numbers, like 123456")
        if two_step.throttled(self.device):
            raise forms.ValidationError(
                "You entered too many wrong codes. Wait a minute, then enter the code your "
                "authenticator app shows now")
        if not two_step.check_code(self.user, self.device, code):
            raise forms.ValidationError(
                "The code is not right or has expired. Enter the code your authenticator app "
                "shows now")
        return code


class TurnOffForm(forms.Form):
    """Turning two-step verification off needs the person's password again."""

    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput,
        error_messages={"required": "Enter your password"})

    def __init__(self, *args, request, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_password(self):
        password = self.cleaned_data["password"]
        user = self.request.user
        # Through authenticate(), so wrong passwords here count towards the sign-in lockout.
        if authenticate(self.request, username=user.get_username(), password=password) is None:
            raise forms.ValidationError("The password is not right")
        return password


class SignInForm(AuthenticationForm):
    """Django's sign-in form with GOV.UK error messages: each names what to do ("Enter your
    username"), and a wrong username or password says so without telling which."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both may be case-sensitive",
        "inactive": "This account has been switched off. Ask your administrator to switch it on",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"


# --- System accounts (IRO Managers; tokens for their owners) -----------------------------------

def _gds_helper(*fields, button: str):
    from crispy_forms_gds.helper import FormHelper
    from crispy_forms_gds.layout import Button, Layout

    helper = FormHelper()
    helper.form_tag = False  # templates own the <form> and its action
    helper.layout = Layout(*fields, Button("submit", button))
    return helper


class ServiceAccountForm(forms.Form):
    """Name a system, say what it is for, who is responsible and what it may read."""

    name = forms.CharField(label="Name of the system", max_length=120,
                           help_text="For example, Mosaic case management.",
                           error_messages={"required": "Enter the name of the system"})
    purpose = forms.CharField(label="What it does with what it reads", widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=10000, error_messages={"required": "Enter what the system does"})
    owner = forms.CharField(label="Username of the person responsible", max_length=150,
                            help_text="Tokens for the system are issued to them only.",
                            error_messages={"required": "Enter the username of the person responsible"})
    scopes = forms.MultipleChoiceField(
        label="What it may read", widget=forms.CheckboxSelectMultiple,
        choices=[(slug, roles.SYSTEM_SCOPES[slug]) for slug in roles.CASEWORK_SCOPES],
        help_text="Designated Officer enquiries are never included: only the DO Manager can allow that.",
        error_messages={"required": "Select what the system may read"})

    def __init__(self, *args, **kwargs):
        from crispy_forms_gds.layout import Field, Size

        super().__init__(*args, **kwargs)
        self.helper = _gds_helper(Field.text("name"), Field.textarea("purpose", label_size=Size.SMALL),
                                  Field.text("owner", field_width=20),
                                  Field.checkboxes("scopes", legend_size=Size.SMALL), button="Make system account")

    def clean_owner(self):
        from .models import User

        owner = User.objects.filter(username=self.cleaned_data["owner"].strip(), is_active=True).first()
        if owner is None:
            raise forms.ValidationError("Enter the username of someone with a Footprint account")
        return owner


class SystemTokenForm(forms.Form):
    days = forms.IntegerField(label="Days until the token expires", min_value=1, max_value=90, initial=30,
                              error_messages={"required": "Enter how many days the token lasts",
                                              "min_value": "Enter a number from 1 to 90",
                                              "max_value": "Enter a number from 1 to 90",
                                              "invalid": "Enter a number from 1 to 90"})

    def __init__(self, *args, **kwargs):
        from crispy_forms_gds.layout import Field

        super().__init__(*args, **kwargs)
        self.helper = _gds_helper(Field.text("days", field_width=3), button="Issue a token")
