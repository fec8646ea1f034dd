"""The reports API: aggregate figures only, for IRO Managers, DO Managers and auditors."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from api.views import ApiContract
from lado.access import is_do_team

from . import benchmark, disclosure, do_disclosure, do_indicators, indicators, selectors, tables
from .access import can_read_do_indicators, can_read_reports
from .do_serializers import DoIndicatorReportSerializer
from .periods import BadPeriod, parse_month, parse_year, reporting_year
from .serializers import (
    AnnualReportSerializer,
    BenchmarkSerializer,
    DrpIndicatorReportSerializer,
    LearningReportSerializer,
    MonthlyReportSerializer,
)


class CanReadReports(permissions.BasePermission):
    message = "Reports are for IRO Managers, Designated Officer Managers and auditors."

    def has_permission(self, request, view):
        return can_read_reports(request.user)


class _ReportView(ApiContract, APIView):
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
        responses={200: MonthlyReportSerializer},
        description="The monthly theme report, with the 12-month trend and theme spikes.",
    )
    def get(self, request):
        return Response(selectors.monthly_report(self._param(parse_month, request, "month")))


class LearningReportView(_ReportView):
    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Reporting year. Default: current.")],
        responses={200: LearningReportSerializer},
        description="Service learning per team and the IRO/CC footprint for a reporting year.",
    )
    def get(self, request):
        year = self._param(parse_year, request, "year")
        period = reporting_year(year)
        return Response({"year": year, "period": period.as_dict(),
                         "teams": selectors.team_learning(period), "people": selectors.iro_footprint(period)})


class DrpIndicatorsView(_ReportView):
    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: that month and the reporting year "
                                                                    "to its end. Takes precedence over year."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Reporting year (2017: 1 April 2017 to 31 March "
                                                                   "2018). Default: the current one.")],
        responses={200: DrpIndicatorReportSerializer},
        description="DRP indicators per period (a month and the year to date, or a reporting year): time from "
                    "raised to agreed actions and to resolution (median and bands of working days), stage "
                    "deadlines met, children affected by CP and CLA, agreed actions, escalations to partner "
                    "agencies, impact codes, positive practice, per team and per IRO/CC. Definitions: "
                    "reports/indicators.py.",
    )
    def get(self, request):
        if request.query_params.get("month"):
            return Response(indicators.drp_indicator_report(month=self._param(parse_month, request, "month")))
        return Response(indicators.drp_indicator_report(year=self._param(parse_year, request, "year")))


class CanReadDoIndicators(permissions.BasePermission):
    message = "The Designated Officer indicators are for report readers and the DO team."

    def has_permission(self, request, view):
        return can_read_do_indicators(request.user)


class DoIndicatorsView(_ReportView):
    permission_classes = [permissions.IsAuthenticated, CanReadDoIndicators]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM: that month and the reporting year to "
                                                                    "its end (the DO team only: 403 for anyone "
                                                                    "else). Takes precedence over year."),
            OpenApiParameter("year", OpenApiTypes.INT, description="Reporting year (2017: 1 April 2017 to 31 March "
                                                                   "2018). Default: the current one.")],
        responses={200: DoIndicatorReportSerializer},
        description="Designated Officer indicators per period and a five-year trend of each headline figure: "
                    "referrals against advice-only consultations, threshold decisions, first meetings and reviews "
                    "on time, harm-test criteria, police involvement, suspensions, DBS and regulator referrals, "
                    "open at the end with ageing and reasons for delay, non-recent allegations, setting and "
                    "school phase. Exact and live for the DO team; for anyone else reporting years only, none "
                    "while a period runs, small counts null (listed in disclosure.suppressed). Definitions: "
                    "reports/do_indicators.py.",
    )
    def get(self, request):
        asks_month = bool(request.query_params.get("month"))
        if asks_month and not is_do_team(request.user):  # permission (403) before input (400)
            raise exceptions.PermissionDenied(do_disclosure.MonthlyFiguresRefused.message)
        month = self._param(parse_month, request, "month") if asks_month else None
        year = None if month else self._param(parse_year, request, "year")
        return Response(do_disclosure.for_reader(request.user, do_indicators.do_indicator_report(month=month,
                                                                                                  year=year),
                                                 month=month))


class BenchmarkView(_ReportView):
    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="Reporting year. Default: current.")],
        responses={200: BenchmarkSerializer},
        description="This authority's headline figures with their definitions (as shared in the benchmark file: "
                    "small Designated Officer counts not given, DO figures only for a year that has ended), and "
                    "the figures of every other authority whose file was imported, by figure key.",
    )
    def get(self, request):
        return Response(benchmark.side_by_side(self._param(parse_year, request, "year")))
