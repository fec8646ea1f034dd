"""The reports API: aggregate figures only, for IRO Managers, DO Managers and auditors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from . import disclosure, selectors, tables
from .access import can_read_reports
from .periods import BadPeriod, parse_month, parse_year, reporting_year
from .serializers import AnnualReportSerializer


class CanReadReports(permissions.BasePermission):
    message = "Reports are for IRO Managers, Designated Officer Managers and auditors."

    def has_permission(self, request, view):
        return can_read_reports(request.user)


class _ReportView(APIView):
    permission_classes = [permissions.IsAuthenticated, CanReadReports]

    @staticmethod
    def _param(parse, request, name):
        try:
            return parse(request.query_params.get(name))
        except BadPeriod as exc:
            raise ValidationError({exc.field: [exc.message]})


class AnnualReportView(_ReportView):
    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description=(
            "Reporting year: 2017 is 1 April 2017 to 31 March 2018. Default: the current one."))],
        responses={200: AnnualReportSerializer},
        description="The annual report: DRPs (raised, positive practice, stage closed at, themes) and "
                    "Designated Officer aggregates, this year against last year. The DO team gets exact, live DO "
                    "figures. Anyone else gets them only for a year that has ended (before that "
                    "`designated_officer` is null), and each count below FOOTPRINT_SMALL_NUMBER_THRESHOLD "
                    "(default 5), or derivable from a total, as null with its path listed in "
                    "`designated_officer_disclosure.suppressed`.",
    )
    def get(self, request):
        year = self._param(parse_year, request, "year")
        return Response(disclosure.annual_report_for(request.user, selectors.annual_report(year),
                                                     reporting_year(year), tables.vocabulary_names()))


class MonthlyReportView(_ReportView):
    @extend_schema(
        parameters=[OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM. Default: last month.")],
        responses={200: OpenApiTypes.OBJECT},
        description="The monthly theme report, with the 12-month trend and theme spikes.",
    )
    def get(self, request):
        return Response(selectors.monthly_report(self._param(parse_month, request, "month")))


class LearningReportView(_ReportView):
    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Reporting year. Default: current.")],
        responses={200: OpenApiTypes.OBJECT},
        description="Service learning per team and the IRO/CC footprint for a reporting year.",
    )
    def get(self, request):
        year = self._param(parse_year, request, "year")
        period = reporting_year(year)
        return Response({"year": year, "period": period.as_dict(),
                         "teams": selectors.team_learning(period), "people": selectors.iro_footprint(period)})
