"""Nested and read-only API routes: /api/v1/institutions/{id}/monthly-reports/, /api/v1/evaluations/.

Both go through ``restrict``: institution users see only their institution, evaluators only their
assignments; a record out of scope answers 404.
"""

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from rest_framework import serializers, viewsets
from rest_framework.exceptions import PermissionDenied

from xiake.institutions.models import EvaluationResult, Institution, MonthlyReport


class MonthlyReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonthlyReport
        fields = (
            "id",
            "period",
            *MonthlyReport.FIGURES,
            "new_firm_names",
            "correction_note",
            "outliers_confirmed",
            "status",
            "review_comment",
            "submitted_at",
        )
        read_only_fields = ("status", "review_comment", "submitted_at")

    def validate(self, attrs):
        instance = self.instance or MonthlyReport(institution=self.context["institution"])
        for k, v in attrs.items():
            setattr(instance, k, v)
        instance.full_clean(
            exclude=["institution"] if instance.pk is None else None, validate_unique=False
        )
        return attrs


class MonthlyReportViewSet(viewsets.ModelViewSet):
    serializer_class = MonthlyReportSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def institution(self, action="view"):
        inst = get_object_or_404(
            Institution.objects.restrict(self.request.user, "view"),
            pk=self.kwargs["institution_pk"],
        )
        if action != "view" and not Institution.policy.can(self.request.user, inst, "change"):
            raise PermissionDenied
        return inst

    def get_queryset(self):
        return (
            MonthlyReport.objects.restrict(self.request.user)
            .filter(institution=self.institution())
            .order_by("-period")
        )

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        if "institution_pk" in self.kwargs:
            ctx["institution"] = self.institution()
        return ctx

    def perform_create(self, serializer):
        with transaction.atomic():
            serializer.save(institution=self.institution("change"), created_by=self.request.user)

    def perform_update(self, serializer):
        self.institution("change")
        serializer.save()


class EvaluationSerializer(serializers.ModelSerializer):
    round_name = serializers.CharField(source="round.name", read_only=True)
    institution_name = serializers.CharField(source="institution.name", read_only=True)
    indicator_version = serializers.CharField(source="round.system.version", read_only=True)

    class Meta:
        model = EvaluationResult
        fields = (
            "id",
            "round",
            "round_name",
            "indicator_version",
            "institution",
            "institution_name",
            "eligible",
            "total",
            "rank",
            "grade",
            "award",
            "details",
        )


class EvaluationViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EvaluationSerializer

    def get_queryset(self):
        qs = (
            EvaluationResult.objects.restrict(self.request.user)
            .select_related("round__system", "institution")
            .order_by("round", "rank")
        )
        round_id = self.request.query_params.get("round")
        return qs.filter(round_id=round_id) if round_id and round_id.isdigit() else qs


reports = MonthlyReportViewSet.as_view({"get": "list", "post": "create"})
report = MonthlyReportViewSet.as_view({"get": "retrieve", "patch": "partial_update"})
urlpatterns = [
    path("institutions/<int:institution_pk>/monthly-reports/", reports, name="institution-reports"),
    path(
        "institutions/<int:institution_pk>/monthly-reports/<int:pk>/",
        report,
        name="institution-report",
    ),
    path("evaluations/", EvaluationViewSet.as_view({"get": "list"}), name="evaluations-list"),
    path(
        "evaluations/<int:pk>/",
        EvaluationViewSet.as_view({"get": "retrieve"}),
        name="evaluations-detail",
    ),
]
