from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from people import views as people_views

api_patterns = [
    path("auth/token/", people_views.ObtainTokenView.as_view(), name="token"),
    path("", include("children.api_urls")),
    path("", include("drp.api_urls")),
    path("", include("notifications.api_urls")),
    path("", include("positive_practice.api_urls")),
    path("lado/", include("lado.api_urls")),
    path("reports/", include("reports.api_urls")),
    path("", include("imports.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]

urlpatterns = [
    path("", people_views.home, name="home"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("children/", include("children.urls")),
    path("drps/", include("drp.urls")),
    path("notifications/", include("notifications.urls")),
    path("positive-practice/", include("positive_practice.urls")),
    path("lado/", include("lado.urls")),
    path("reports/", include("reports.urls")),
    path("imports/", include("imports.urls")),
    path("api/", include((api_patterns, "api"))),
]
