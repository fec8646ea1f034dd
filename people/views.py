from django.shortcuts import redirect, render
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken

from . import roles


def home(request):
    """Send each person to the page they start their day on."""
    user = request.user
    if user.has_role(*roles.CHALLENGERS, roles.BUSINESS_SUPPORT, roles.AUDITOR):
        return redirect("drp:list")
    if user.has_role(*roles.SOCIAL_CARE):
        return redirect("drp:awaiting-response")
    if user.has_role(*roles.DO_TEAM):
        return redirect("lado:tray")
    if user.has_role(roles.COMPLAINTS):
        return redirect("positive_practice:list")
    return render(request, "home.html")


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (header ``Authorization: Token …``)."""

    @extend_schema(
        request=inline_serializer("TokenRequest", {"username": serializers.CharField(),
                                                   "password": serializers.CharField()}),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
