"""Declarations from which the docking-case pages, API and export are derived."""

from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from xiake.brokerage.models import CaseMeeting, DockingCase
from xiake.core.resources import Resource, register


class CaseMeetingApiMixin:
    """The API offers any case id: a meeting may be written only on a case the user may change
    (its manager, the bureau), as the page's picker already enforces."""

    def _check_case(self, case):
        if case is not None and not DockingCase.policy.can(self.request.user, case, "change"):
            raise PermissionDenied(_("You may record meetings only on the cases you manage."))

    def perform_create(self, serializer):
        self._check_case(serializer.validated_data.get("case"))
        super().perform_create(serializer)

    def perform_update(self, serializer):
        self._check_case(serializer.validated_data.get("case"))
        super().perform_update(serializer)


@register
class DockingCaseResource(Resource):
    model = DockingCase
    api_name = "docking-cases"
    icon = "bi-arrow-left-right"
    url_prefix = "cases/"
    list_columns = ("title", "enterprise", "manager", "stage", "stage_since")
    ordering_fields = ("title", "stage_since", "stage")
    filter_fields = ("stage", "enterprise", "manager", "demand")
    search_fields = ("title", "notes")
    form_fields = (
        "title",
        "demand",
        "enterprise",
        "achievements",
        "experts",
        "platforms",
        "manager",
        "notes",
    )
    detail_fields = (
        *form_fields,
        "stage",
        "stage_since",
        "end_reason",
        "enterprise_accepted",
        "provider_accepted",
    )
    natural_key = ("enterprise", "title")


@register
class CaseMeetingResource(Resource):
    model = CaseMeeting
    api_name = "case-meetings"
    api_mixins = (CaseMeetingApiMixin,)
    icon = "bi-people"
    url_prefix = "case-meetings/"
    list_columns = ("case", "held_at", "online", "place")
    ordering_fields = ("held_at",)
    filter_fields = ("case", "online")
    search_fields = ("participants", "minutes", "next_steps", "case__title")
    form_fields = ("case", "held_at", "online", "place", "participants", "minutes", "next_steps")
