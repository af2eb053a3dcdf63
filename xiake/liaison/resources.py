"""Declarations from which the liaison pages, API, import and export are derived."""

from django.utils.translation import gettext_lazy as _

from xiake.core.resources import Resource, register
from xiake.liaison import models as m


@register
class AssignmentResource(Resource):
    model = m.Assignment
    api_name = "docking-assignments"
    icon = "bi-person-lines-fill"
    list_columns = ("responsible", "kind", "university", "faculty", "institute", "started_on")
    ordering_fields = ("responsible", "started_on")
    filter_fields = ("kind", "university", "institute")
    search_fields = ("responsible", "contact_person", "university__name", "faculty__name")
    form_fields = (
        "university",
        "faculty",
        "institute",
        "kind",
        "responsible",
        "contact_person",
        "contact_phone",
        "started_on",
        "ended_on",
        "note",
    )
    natural_key = ("university", "faculty", "responsible")
    url_prefix = "assignments/"
    detail_related = ((_("Contact logs"), "contact_logs"),)


@register
class ContactLogResource(Resource):
    model = m.ContactLog
    api_name = "contact-logs"
    icon = "bi-telephone"
    list_columns = ("date", "assignment", "channel", "outcome", "follow_up_due", "follow_up_done")
    ordering_fields = ("date", "follow_up_due")
    filter_fields = ("channel", "assignment", "follow_up_done")
    search_fields = ("summary", "outcome", "follow_up", "participants")
    form_fields = (
        "assignment",
        "date",
        "channel",
        "participants",
        "summary",
        "outcome",
        "follow_up",
        "follow_up_due",
        "follow_up_done",
    )
    url_prefix = "contact-logs/"
