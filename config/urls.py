from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from config import views as config_views
from people import views as people_views
from people.forms import SignInForm

from . import navigation

api_patterns = [
    path("auth/token/", people_views.ObtainTokenView.as_view(), name="token"),
    path("auth/token/revoke/", people_views.RevokeTokenView.as_view(), name="token-revoke"),
    path("", include("children.api_urls")),
    path("", include("drp.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("positive_practice.api_urls")),
    path("lado/", include("lado.api_urls")),
    path("reports/", include("reports.api_urls")),
    path("", include("imports.api_urls")),
    path("", include("integrations.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL (?script), not inline,
    # so the Content-Security-Policy needs no 'unsafe-inline'.
    path("docs/", SpectacularSwaggerSplitView.as_view(
        url_name="api:schema", template_name="drf_spectacular/swagger_ui_csp.html"), name="docs"),
]

urlpatterns = [
    path("", navigation.home, name="home"),
    path("healthz/", config_views.healthz, name="healthz"),
    path("healthz/ready/", config_views.healthz_ready, name="healthz-ready"),
    path("accounts/", include("people.urls")),
    # Signing in and out and changing one's own password; no password reset by email (an
    # administrator resets a password: manage.py changepassword, docs/security.md).
    path("accounts/login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password_change/", auth_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("accounts/password_change/done/", auth_views.PasswordChangeDoneView.as_view(),
         name="password_change_done"),
    path("admin/", admin.site.urls),
    path("children/", include("children.urls")),
    path("drps/", include("drp.urls")),
    path("notifications/", include("notifications.urls")),
    path("positive-practice/", include("positive_practice.urls")),
    path("lado/", include("lado.urls")),
    path("reports/", include("reports.urls")),
    path("imports/", include("imports.urls")),
    path("audit/", include("audit.urls")),
    path("subject-access/", include("subject_access.urls")),
    # The API carries its version in the path. The unversioned addresses of the first release
    # answer 308 (the method and body kept) to the same address under /api/v1/, for one release.
    path("api/v1/", include((api_patterns, "api"))),
    path("api/<path:rest>", config_views.old_api_address, name="old-api-address"),
]

# Unknown addresses under /api/ answer in JSON; pages get the GOV.UK 404 page.
handler404 = "api.handlers.page_not_found"
handler500 = "api.handlers.server_error"
