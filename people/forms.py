"""Forms for a person's own account: the two-step verification code and turning it off."""

import re

from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm

from . import two_step


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
