"""Declarations from which the libraries' pages, API, import and export are derived."""

from xiake.catalog import models as m
from xiake.core.resources import Resource, register

CONTACT = ("contact_name", "contact_phone", "contact_email")


@register
class AchievementResource(Resource):
    model = m.Achievement
    api_name = "achievements"
    icon = "bi-lightbulb"
    list_columns = (
        "title",
        "owner_org",
        "industry",
        "trl",
        "stage",
        "asking_price",
        "status",
        "created_at",
    )
    ordering_fields = ("title", "asking_price", "created_at", "completion_date", "trl")
    filter_fields = (
        "status",
        "owner_org",
        "achievement_type",
        "discipline",
        "industry",
        "emerging_industry",
        "hightech_field",
        "chain",
        "trl",
        "stage",
        "ip_type",
        "cooperation_modes",
        "origin",
    )
    search_fields = ("title", "keywords", "summary", "technical_indicators", "completers")
    form_fields = (
        "title",
        "achievement_type",
        "owner_org",
        "completers",
        "keywords",
        "discipline",
        "industry",
        "emerging_industry",
        "hightech_field",
        "chain",
        "trl",
        "stage",
        "ip_type",
        "ip_numbers",
        "cooperation_modes",
        "asking_price",
        "origin",
        "completion_date",
        "summary",
        "technical_indicators",
        "application_fields",
        *CONTACT,
    )
    natural_key = ("owner_org", "title")


@register
class DemandResource(Resource):
    model = m.Demand
    api_name = "demands"
    icon = "bi-question-circle"
    list_columns = (
        "title",
        "owner_org",
        "demand_type",
        "industry",
        "budget",
        "valid_until",
        "status",
        "created_at",
    )
    ordering_fields = ("title", "budget", "valid_until", "created_at")
    filter_fields = (
        "status",
        "owner_org",
        "demand_type",
        "discipline",
        "industry",
        "chain",
        "cooperation_modes",
        "is_confidential",
    )
    search_fields = ("title", "keywords", "description", "technical_indicators")
    form_fields = (
        "title",
        "owner_org",
        "demand_type",
        "keywords",
        "discipline",
        "industry",
        "chain",
        "description",
        "technical_indicators",
        "cooperation_modes",
        "budget",
        "expected_investment",
        "preferred_partner",
        "valid_until",
        "is_confidential",
        *CONTACT,
    )
    natural_key = ("owner_org", "title")


@register
class ExpertResource(Resource):
    model = m.Expert
    api_name = "experts"
    icon = "bi-person-badge"
    list_columns = ("name", "owner_org", "title", "disciplines", "status")
    ordering_fields = ("name", "created_at")
    filter_fields = ("status", "owner_org", "disciplines", "title", "id_type")
    search_fields = ("name", "research_fields", "bio")
    form_fields = (
        "name",
        "owner_org",
        "title",
        "disciplines",
        "research_fields",
        "bio",
        "phone",
        "email",
        "id_type",
        "id_number",
    )
    detail_fields = (*form_fields, "achievements")
    natural_key = ("owner_org", "name")


@register
class PlatformResource(Resource):
    model = m.Platform
    api_name = "platforms"
    icon = "bi-building-gear"
    list_columns = ("name", "owner_org", "platform_type", "level", "open_to_enterprises", "status")
    ordering_fields = ("name", "created_at")
    filter_fields = (
        "status",
        "owner_org",
        "platform_type",
        "level",
        "discipline",
        "industry",
        "open_to_enterprises",
    )
    search_fields = ("name", "services", "equipment")
    form_fields = (
        "name",
        "owner_org",
        "platform_type",
        "level",
        "discipline",
        "industry",
        "services",
        "equipment",
        "open_to_enterprises",
        "address",
        *CONTACT,
    )
    natural_key = ("owner_org", "name")


@register
class AgencyResource(Resource):
    model = m.Agency
    api_name = "agencies"
    icon = "bi-briefcase"
    list_columns = ("name", "owner_org", "service_types", "qualification", "status")
    ordering_fields = ("name", "created_at")
    filter_fields = ("status", "owner_org")
    search_fields = ("name", "service_types", "services")
    form_fields = (
        "name",
        "owner_org",
        "service_types",
        "services",
        "qualification",
        "address",
        *CONTACT,
    )
    natural_key = ("name",)
    url_prefix = "agencies/"


@register
class TransferStaffResource(Resource):
    model = m.TransferStaff
    api_name = "transfer-staff"
    icon = "bi-people"
    list_columns = ("name", "owner_org", "kind", "level", "certificate_expires", "status")
    ordering_fields = ("name", "certificate_expires", "created_at")
    filter_fields = ("status", "owner_org", "kind", "level", "id_type")
    search_fields = ("name", "expertise", "certificate_no")
    form_fields = (
        "name",
        "owner_org",
        "kind",
        "level",
        "certificate_no",
        "certificate_issuer",
        "certificate_expires",
        "expertise",
        "phone",
        "email",
        "id_type",
        "id_number",
    )
    natural_key = ("owner_org", "name")
    url_prefix = "transfer-staff/"


@register
class UniversityResource(Resource):
    model = m.University
    api_name = "universities"
    icon = "bi-mortarboard"
    list_columns = ("name", "code", "level", "city", "is_local", "status")
    ordering_fields = ("name", "code")
    filter_fields = ("status", "level", "is_local", "city")
    search_fields = ("name", "description")
    form_fields = (
        "name",
        "owner_org",
        "code",
        "level",
        "authority",
        "city",
        "is_local",
        "transfer_office",
        "description",
    )
    natural_key = ("name",)
    url_prefix = "universities/"
    detail_related = (("院系", "faculties"), ("技术转移分中心", "sub_centres"))


@register
class FacultyResource(Resource):
    model = m.Faculty
    icon = "bi-diagram-3"
    list_columns = ("name", "university")
    ordering_fields = ("name",)
    filter_fields = ("university",)
    search_fields = ("name", "research_fields")
    form_fields = ("university", "name", "research_fields")
    natural_key = ("university", "name")
    url_prefix = "faculties/"


@register
class SubCentreResource(Resource):
    model = m.SubCentre
    icon = "bi-signpost-split"
    list_columns = ("name", "university", "established_on", "director")
    ordering_fields = ("name", "established_on")
    filter_fields = ("university",)
    search_fields = ("name", "services")
    form_fields = ("university", "name", "established_on", "director", "services", *CONTACT)
    natural_key = ("name",)
    url_prefix = "sub-centres/"


@register
class AllianceMemberResource(Resource):
    model = m.AllianceMember
    icon = "bi-diagram-2"
    list_columns = ("owner_org", "member_role", "joined_on")
    ordering_fields = ("member_role", "joined_on")
    filter_fields = ("member_role",)
    search_fields = ("owner_org__name", "note")
    form_fields = ("owner_org", "member_role", "joined_on", "note")
    natural_key = ("owner_org",)
    url_prefix = "alliance/"
