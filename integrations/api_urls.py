from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import EventFeedView, SubscriptionViewSet

router = SimpleRouter()
router.register("webhooks", SubscriptionViewSet, basename="webhook")
urlpatterns = [path("events/", EventFeedView.as_view(), name="events"), *router.urls]
