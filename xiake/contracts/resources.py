"""Declarations from which the contract pages, API, import and export are derived."""

from django.utils.translation import gettext_lazy as _

from xiake.contracts.api import ContractActionsMixin
from xiake.contracts.models import TechContract
from xiake.core.resources import Resource, register


@register
class TechContractResource(Resource):
    model = TechContract
    api_name = "contracts"
    icon = "bi-file-earmark-text"
    url_prefix = "contracts/"
    list_columns = (
        "title",
        "category",
        "owner_org",
        "buyer_org",
        "total_amount",
        "tech_amount",
        "status",
        "deadline",
        "registration_no",
    )
    ordering_fields = ("title", "total_amount", "tech_amount", "signed_on", "deadline", "status")
    filter_fields = (
        "status",
        "category",
        "subcategory",
        "license_scope",
        "technical_field",
        "owner_org",
        "buyer_org",
        "seller_party_type",
        "buyer_party_type",
        "ip_type",
        "disputed",
        "signed_online",
    )
    search_fields = ("title", "contract_no", "subject", "registration_no", "ip_numbers")
    form_fields = (
        "title",
        "contract_no",
        "category",
        "subcategory",
        "license_scope",
        "technical_field",
        "owner_org",
        "seller_party_type",
        "seller_region",
        "buyer_org",
        "buyer_party_type",
        "buyer_region",
        "buyer_country",
        "subject",
        "ip_type",
        "ip_numbers",
        "signed_on",
        "valid_from",
        "valid_to",
        "confidential",
        "total_amount",
        "non_technical_amount",
        "disputed",
        "signed_online",
    )
    detail_fields = (
        *form_fields[:-4],
        "total_amount",
        "non_technical_amount",
        "tech_amount",
        "disputed",
        "signed_online",
        "status",
        "deadline",
        "registration_no",
        "registered_on",
        "last_comment",
        "docking_case",
    )
    api_fields = ("id", *detail_fields, "version", "rule_set", "submitted_at")
    import_fields = form_fields
    natural_key = ("owner_org", "title")
    detail_related = ((_("Payment schedule"), "payments"),)
    api_mixins = (ContractActionsMixin,)
