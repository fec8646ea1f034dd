from rest_framework.routers import SimpleRouter

from .api import PositivePracticeViewSet

router = SimpleRouter()
router.register("positive-practice", PositivePracticeViewSet, basename="positive-practice")
urlpatterns = router.urls
