from rest_framework.routers import SimpleRouter

from .api import ChildViewSet

router = SimpleRouter()
router.register("children", ChildViewSet, basename="child")
urlpatterns = router.urls
