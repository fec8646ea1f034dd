from rest_framework.routers import SimpleRouter

from .api import (
    AgencyContactViewSet,
    CoverViewSet,
    DisputeResolutionViewSet,
    ImpactCodeViewSet,
    PartnerAgencyViewSet,
    StageViewSet,
    ThemeViewSet,
)

router = SimpleRouter()
router.register("drp/stages", StageViewSet, basename="drp-stage")
router.register("drp/themes", ThemeViewSet, basename="drp-theme")
router.register("drp/impact-codes", ImpactCodeViewSet, basename="drp-impact-code")
router.register("drp/agencies", PartnerAgencyViewSet, basename="drp-agency")
router.register("drp/agency-contacts", AgencyContactViewSet, basename="drp-agency-contact")
router.register("drp/covers", CoverViewSet, basename="drp-cover")
router.register("drps", DisputeResolutionViewSet, basename="drp")
urlpatterns = router.urls
