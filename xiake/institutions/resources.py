"""Declarations from which the institutions' pages, API, import and export are derived."""

from xiake.core.resources import Resource, register
from xiake.institutions import models as m

RULE = ("version", "effective_from", "effective_to", "source")


@register
class InstitutionResource(Resource):
    model = m.Institution
    api_name = "institutions"
    url_prefix = "registry/"
    icon = "bi-buildings"
    list_columns = ("name", "legal_form", "backing_type", "co_built_local", "filing_status", "park")
    ordering_fields = ("name", "established_on", "filed_on", "registered_capital")
    filter_fields = ("owner_org", "legal_form", "backing_type", "co_built_local", "filing_status")
    search_fields = ("name", "backing_name", "park", "leader_name")
    form_fields = (
        "owner_org",
        "name",
        "legal_form",
        "backing_type",
        "backing_name",
        "co_built_local",
        "filing_status",
        "filed_on",
        "district_on",
        "city_on",
        "park",
        "established_on",
        "registered_capital",
        "paid_in_capital",
        "team_share_pct",
        "team_shareholders",
        "core_scientist_pct",
        "leader_name",
        "research_team",
        "transfer_company",
        "fund_name",
        "fund_size",
        "committed_investment_3y",
        "committed_rd_equipment_3y",
        "committed_incubated_3y",
    )
    natural_key = ("name",)
    detail_related = ()


@register
class TeamMemberResource(Resource):
    model = m.TeamMember
    url_prefix = "team/"
    icon = "bi-people"
    list_columns = ("name", "institution", "role", "title", "share_pct", "full_time")
    filter_fields = ("institution", "role", "full_time")
    search_fields = ("name", "title")
    form_fields = ("institution", "name", "role", "title", "share_pct", "full_time")
    natural_key = ("institution", "name")


@register
class ProjectCompanyResource(Resource):
    model = m.ProjectCompany
    url_prefix = "companies/"
    icon = "bi-building"
    list_columns = ("name", "institution", "relation", "registered_on", "is_high_tech")
    filter_fields = ("institution", "relation", "is_high_tech")
    search_fields = ("name", "main_business", "credit_code")
    form_fields = (
        "institution",
        "name",
        "relation",
        "credit_code",
        "registered_on",
        "registered_capital",
        "is_high_tech",
        "main_business",
    )
    natural_key = ("institution", "name")


@register
class MonthlyReportResource(Resource):
    model = m.MonthlyReport
    url_prefix = "reports/"
    icon = "bi-calendar3"
    list_columns = ("institution", "period", "rd_spend", "revenue", "staff_total", "status")
    ordering_fields = ("period", "rd_spend", "revenue")
    filter_fields = ("institution", "period", "status")
    search_fields = ("institution__name",)
    form_fields = (
        "institution",
        "period",
        *m.MonthlyReport.FIGURES,
        "new_firm_names",
        "correction_note",
        "outliers_confirmed",
    )
    natural_key = ("institution", "period")


@register
class EarlyWarningResource(Resource):
    model = m.EarlyWarning
    api_name = "warnings"
    url_prefix = "warnings/"
    icon = "bi-exclamation-triangle"
    list_columns = ("institution", "kind", "period", "severity", "reason", "status")
    ordering_fields = ("period", "severity", "kind")
    filter_fields = ("institution", "kind", "severity", "status", "period")
    search_fields = ("reason", "institution__name")
    form_fields = ("status", "note")
    import_fields = ("institution", "kind", "period", "severity", "reason", "status", "note")
    detail_fields = (
        "institution",
        "kind",
        "period",
        "severity",
        "reason",
        "evidence",
        "rule",
        "status",
        "note",
    )
    api_fields = (
        "id",
        "institution",
        "kind",
        "period",
        "severity",
        "reason",
        "evidence",
        "status",
        "note",
    )


@register
class FilingRuleResource(Resource):
    model = m.FilingRule
    url_prefix = "rules/filing/"
    icon = "bi-journal-check"
    list_columns = ("version", "effective_from", "effective_to", "min_registered_capital")
    search_fields = ("version", "source")
    form_fields = (
        *RULE,
        "min_team_share_pct",
        "min_registered_capital",
        "min_team_shareholders",
        "min_team_shareholders_3y",
        "max_core_scientist_pct",
        "min_fulltime_rd_pct",
        "min_investment_3y",
        "min_rd_equipment_3y",
        "recommended_fund",
    )
    natural_key = ("version",)


@register
class WarningRuleResource(Resource):
    model = m.WarningRule
    url_prefix = "rules/warning/"
    icon = "bi-sliders"
    list_columns = ("version", "effective_from", "effective_to", "deadline_day", "decline_share")
    search_fields = ("version", "source")
    form_fields = (
        *RULE,
        "deadline_day",
        "reminder_days",
        "decline_share",
        "decline_window",
        "no_new_firm_months",
        "commitment_min_pct",
        "robust_z",
        "min_history",
        "outlier_factor",
    )
    natural_key = ("version",)


@register
class TierResource(Resource):
    model = m.Tier
    url_prefix = "tiers/"
    icon = "bi-bar-chart-steps"
    list_columns = ("name", "rule_set", "rank", "effective_from", "min_revenue_12m")
    filter_fields = ("rule_set",)
    search_fields = ("name", "measures")
    form_fields = (
        *RULE,
        "rule_set",
        "name",
        "rank",
        "min_months",
        "min_revenue_12m",
        "min_rd_spend_12m",
        "min_incubated",
        "min_patents_12m",
        "measures",
    )
    natural_key = ("version",)


@register
class IndicatorSystemResource(Resource):
    model = m.IndicatorSystem
    url_prefix = "indicator-systems/"
    icon = "bi-diagram-3"
    list_columns = ("name", "version", "effective_from", "is_frozen")
    search_fields = ("name", "version")
    form_fields = (
        "name",
        *RULE,
        "excellent_min",
        "good_min",
        "pass_min",
        "excellent_quota_pct",
        "top_quota_pct",
        "min_months",
    )
    natural_key = ("version",)


@register
class IndicatorResource(Resource):
    model = m.Indicator
    url_prefix = "indicators/"
    icon = "bi-list-check"
    list_columns = ("code", "name", "system", "dimension", "weight", "method", "normalisation")
    filter_fields = ("system", "dimension", "method", "normalisation")
    search_fields = ("code", "name", "formula")
    form_fields = (
        "system",
        "dimension",
        "code",
        "name",
        "weight",
        "method",
        "formula",
        "normalisation",
        "target",
        "max_score",
    )
    natural_key = ("system", "code")


@register
class ParkResource(Resource):
    model = m.Park
    url_prefix = "parks/"
    icon = "bi-geo-alt"
    list_columns = ("name", "kind", "latitude", "longitude")
    filter_fields = ("kind",)
    search_fields = ("name",)
    form_fields = ("name", "kind", "latitude", "longitude")
    natural_key = ("name",)
