from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api.problems import MEDIA_TYPE, problem, problem_response
from api.serializers import UTCDateTimeField
from api.views import ApiContract

from . import roles, tokens, two_step
from .forms import CodeForm, TurnOffForm

# --- signing in: lockout and two-step verification ----------------------------------------

LOCKED_OUT = "Too many failed sign-in attempts: this account is locked for a while. Try again later."


def _retry_after(cool_off) -> dict:
    """``Retry-After``: the seconds until the lockout ends (django-axes' cool-off)."""
    return {"Retry-After": str(int(cool_off.total_seconds()))} if cool_off else {}


def locked_out(request, original_response=None, credentials=None):
    """The page django-axes shows (AXES_LOCKOUT_CALLABLE) after too many wrong passwords."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else None
    if request.path.startswith("/api/"):  # the token endpoint answers problem details, as its schema says
        return problem_response(429, "locked_out", LOCKED_OUT, headers=_retry_after(cool_off))
    from .lockout import AxesHandler

    locked_by = AxesHandler().locked_by(request, credentials) or ("ip_address", "username")
    response = render(request, "registration/locked_out.html",
                      {"failure_limit": get_failure_limit(request, credentials), "minutes": minutes,
                       "locked_by": "-".join(locked_by)},
                      status=429)
    for name, value in _retry_after(cool_off).items():
        response[name] = value
    return response


def _next_url(request, default="home"):
    """Where to go after a code is accepted: ``next`` if it is a page on this site."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse(default)


def _render_step(request, template, context):
    """Render a two-step page; while a code is still owed, without the service navigation
    (every link in it would only lead back here)."""
    context.setdefault("next", _next_url(request))
    if two_step.next_step(request) is not None:
        context["nav_items"] = []
        context["code_owed"] = True  # no Admin link either
    return render(request, template, context)


def two_step_overview(request):
    """A person's two-step verification: whether it is on, and turning it on or off."""
    return render(request, "people/two_step.html", {
        "device": two_step.confirmed_device(request.user),
        "required": two_step.required_for(request.user),
    })


@require_http_methods(["GET", "POST"])
def two_step_set_up(request):
    """Link an authenticator app: scan the QR code (or type the key), then enter a code."""
    user = request.user
    if two_step.confirmed_device(user) is not None:
        # Already on: replacing it must go through a verified session (the overview page),
        # or a password alone would be enough to add a second authenticator.
        return redirect("accounts:two-step")
    device = two_step.pending_device(request)
    form = CodeForm(request.POST or None, user=user, device=device)
    if request.method == "POST" and form.is_valid():
        two_step.confirm(request, device)
        request.session.cycle_key()
        two_step.mark_verified(request, device)
        two_step.remember(request, True)
        messages.success(request, "Two-step verification is on")
        return redirect(_next_url(request, default="accounts:two-step"))
    return _render_step(request, "people/two_step_set_up.html", {
        "form": form,
        "next": _next_url(request, default="accounts:two-step"),
        "required": two_step.required_for(user),
        "qr_code": two_step.qr_code_svg(device),
        "secret_key": two_step.secret_key(device),
    })


@require_http_methods(["GET", "POST"])
def two_step_verify(request):
    """After the password: the code from the person's authenticator app."""
    user = request.user
    if user.is_verified():
        return redirect(_next_url(request))
    device = two_step.confirmed_device(user)
    if device is None:
        if two_step.required_for(user):
            query = urlencode({"next": _next_url(request)})
            return redirect(f"{reverse('accounts:two-step-set-up')}?{query}")
        two_step.remember(request, False)  # removed since sign-in (by an administrator, say)
        return redirect(_next_url(request))
    form = CodeForm(request.POST or None, user=user, device=device)
    if request.method == "POST" and form.is_valid():
        request.session.cycle_key()
        two_step.mark_verified(request, device)
        return redirect(_next_url(request))
    return _render_step(request, "people/two_step_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def two_step_turn_off(request):
    """Remove the authenticator app, after the password is entered again."""
    user = request.user
    if two_step.confirmed_device(user) is None:
        return redirect("accounts:two-step")
    form = TurnOffForm(request.POST or None, request=request)
    if request.method == "POST" and form.is_valid():
        TOTPDevice.objects.filter(user=user).delete()
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
        two_step.remember(request, False)
        if two_step.required_for(user):
            messages.success(request, "Authenticator app removed. Set up a new one to carry on")
            return redirect("accounts:two-step-set-up")
        messages.success(request, "Two-step verification is off")
        return redirect("accounts:two-step")
    return render(request, "people/two_step_turn_off.html", {
        "form": form, "required": two_step.required_for(user)})


# --- the API token ---------------------------------------------------------------------------

class TokenRequestSerializer(serializers.Serializer):
    """Username and password, and the authenticator code when two-step verification is on."""

    username = serializers.CharField(write_only=True)
    password = serializers.CharField(write_only=True, trim_whitespace=False,
                                     style={"input_type": "password"})
    otp_token = serializers.CharField(
        required=False, allow_blank=True, write_only=True,
        help_text="The 6-digit code from the authenticator app; required when two-step "
                  "verification is on for the account (always, for Designated Officer roles "
                  "and administrators).")

    def validate(self, attrs):
        # Through authenticate(), so wrong passwords count towards django-axes' lockout.
        user = authenticate(request=self.context["request"], username=attrs["username"],
                            password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                "Unable to log in with provided credentials.", code="authorization")
        code = attrs.get("otp_token", "").replace(" ", "")
        attrs["user"], attrs["verified"] = user, False
        device = two_step.confirmed_device(user)
        if device is None:
            if two_step.required_for(user):
                raise serializers.ValidationError({"otp_token": [
                    "Designated Officer roles and administrators must use two-step "
                    "verification: set up an authenticator app in Footprint (Two-step "
                    "verification) and send its code as otp_token."]})
            return attrs
        if not code:
            raise serializers.ValidationError({"otp_token": [
                "Two-step verification is on for this account: send otp_token, the 6-digit "
                "code from the authenticator app."]})
        if two_step.throttled(device):
            raise serializers.ValidationError({"otp_token": [
                "Too many wrong codes: wait a minute, then send the current code."]})
        if not two_step.check_code(user, device, code):
            raise serializers.ValidationError({"otp_token": [
                "The code is not right or has expired."]})
        attrs["verified"] = True
        return attrs


class ObtainTokenView(ApiContract, APIView):
    """Exchange a username and password (and the authenticator code, with two-step
    verification) for an API token (header ``Authorization: Token …``) that expires after
    ``FOOTPRINT_API_TOKEN_HOURS``. The only way a token is made: nobody issues one for
    someone else."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    serializer_class = TokenRequestSerializer

    @extend_schema(
        request=inline_serializer("TokenRequest", {
            "username": serializers.CharField(),
            "password": serializers.CharField(),
            "otp_token": serializers.CharField(
                required=False,
                help_text="6-digit authenticator code; required when two-step verification "
                          "is on (always for Designated Officer roles and administrators)."),
        }),
        responses=inline_serializer("TokenResponse", {
            "token": serializers.CharField(help_text="Send as the header Authorization: Token …"),
            "expires": UTCDateTimeField(help_text="When the token stops working (UTC)"),
        }),
    )
    def post(self, request, *args, **kwargs):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):
                from axes.helpers import get_cool_off

                return Response(problem(429, "locked_out", LOCKED_OUT),
                                status=status.HTTP_429_TOO_MANY_REQUESTS, content_type=MEDIA_TYPE,
                                headers=_retry_after(get_cool_off(request)))
            raise ValidationError(serializer.errors)
        data = serializer.validated_data
        token, key = tokens.issue(data["user"], verified=data["verified"])
        return Response({"token": key,
                         "expires": UTCDateTimeField().to_representation(token.expiry)})


class RevokeTokenView(ApiContract, APIView):
    """End the token this request is signed with (signing out of the API)."""

    authentication_classes = [tokens.TokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, *args, **kwargs):
        request.auth.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- System accounts -----------------------------------------------------------------------------

def _may_see_system_accounts(user) -> bool:
    from .models import ServiceAccount

    return user.has_role(roles.IRO_MANAGER) or ServiceAccount.objects.filter(owner=user).exists()


def service_accounts(request):
    """Systems that read through the API: what each may read, who owns it, its tokens. IRO
    Managers make them and switch them off; an owner issues the system's tokens."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from . import services
    from .forms import ServiceAccountForm
    from .models import ServiceAccount

    if not _may_see_system_accounts(request.user):
        raise PermissionDenied("System accounts are for IRO Managers and the people responsible for them.")
    is_manager = request.user.has_role(roles.IRO_MANAGER)
    form = ServiceAccountForm(request.POST if request.method == "POST" else None)
    status_code = 200
    if request.method == "POST":
        if not is_manager:
            raise PermissionDenied("Only IRO Managers make system accounts.")
        status_code = 400
        if form.is_valid():
            try:
                account = services.service_account_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, f"System account {account.name} made")
                return redirect("accounts:service-accounts")
    accounts = (ServiceAccount.objects.select_related("owner", "user", "do_granted_by")
                .prefetch_related("user__roles", "user__auth_token_set"))
    if not is_manager:
        accounts = accounts.filter(owner=request.user)
    return render(request, "people/service_accounts.html", {
        "accounts": accounts, "form": form if is_manager else None, "is_manager": is_manager,
        "scope_names": roles.SYSTEM_SCOPES}, status=status_code)


@require_http_methods(["GET", "POST"])
def service_account_token(request, pk):
    """The owner issues a token for their system; its key is shown on this page once."""
    from django.core.exceptions import PermissionDenied
    from django.shortcuts import get_object_or_404

    from . import services
    from .forms import SystemTokenForm
    from .models import ServiceAccount

    account = get_object_or_404(ServiceAccount.objects.select_related("owner"), pk=pk)
    if account.owner_id != request.user.pk:
        raise PermissionDenied("Only the person responsible for a system account is issued its tokens.")
    form = SystemTokenForm(request.POST if request.method == "POST" else None)
    key = None
    status_code = 200
    if request.method == "POST":
        status_code = 400
        if form.is_valid():
            key = services.service_account_issue_token(account=account, actor=request.user,
                                                       days=form.cleaned_data["days"])
            status_code = 200
    return render(request, "people/service_account_token.html",
                  {"account": account, "form": form, "key": key}, status=status_code)


@require_http_methods(["POST"])
def service_account_switch_off(request, pk):
    from django.shortcuts import get_object_or_404

    from . import services
    from .models import ServiceAccount

    account = get_object_or_404(ServiceAccount, pk=pk)
    services.service_account_switch_off(account=account, actor=request.user)
    messages.success(request, f"System account {account.name} switched off; its tokens have ended")
    return redirect("accounts:service-accounts")
