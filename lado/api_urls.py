from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import EnquiryViewSet, ReadsByUserView, RetentionReviewView, VocabulariesView
from .api_consultations import ConsultationViewSet

router = SimpleRouter()
router.register("enquiries", EnquiryViewSet, basename="lado-enquiry")
router.register("consultations", ConsultationViewSet, basename="lado-consultation")
urlpatterns = [
    path("vocabularies/", VocabulariesView.as_view(), name="lado-vocabularies"),
    path("access-log/", ReadsByUserView.as_view(), name="lado-access-log"),
    path("retention-review/", RetentionReviewView.as_view(), name="lado-retention-review"),
    *router.urls,
]
