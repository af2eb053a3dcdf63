"""Declarations from which the docking-case pages, API and export are derived."""

from xiake.brokerage.models import DockingCase
from xiake.core.resources import Resource, register


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
