from xiake.accounts.models import Organization
from xiake.core.resources import Resource, register


@register
class OrganizationResource(Resource):
    model = Organization
    api_name = "organizations"
    icon = "bi-buildings"
    list_columns = ("name", "org_type", "region_code", "is_local", "contact_name")
    ordering_fields = ("name", "org_type", "created_at")
    filter_fields = ("org_type", "is_local", "region_code")
    search_fields = ("name", "short_name", "description")
    form_fields = (
        "name",
        "short_name",
        "org_type",
        "credit_code",
        "region_code",
        "is_local",
        "address",
        "website",
        "contact_name",
        "contact_phone",
        "description",
    )
    natural_key = ("name",)
