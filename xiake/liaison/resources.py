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


@register
class JointMeetingResource(Resource):
    model = m.JointMeeting
    api_name = "joint-meetings"
    icon = "bi-people-fill"
    list_columns = ("title", "held_on", "university", "location")
    ordering_fields = ("held_on", "title")
    filter_fields = ("university",)
    search_fields = ("title", "agenda", "minutes", "participants")
    form_fields = (
        "title",
        "held_on",
        "university",
        "location",
        "agenda",
        "participants",
        "minutes",
    )
    natural_key = ("title",)
    url_prefix = "meetings/"


@register
class DecisionResource(Resource):
    model = m.Decision
    api_name = "meeting-decisions"
    icon = "bi-check2-square"
    list_columns = ("meeting", "number", "text")
    ordering_fields = ("number",)
    filter_fields = ("meeting",)
    search_fields = ("text",)
    form_fields = ("meeting", "number", "text")
    natural_key = ("meeting", "number")
    url_prefix = "decisions/"
    detail_related = ((_("Tasks"), "tasks"),)


@register
class TaskResource(Resource):
    model = m.Task
    api_name = "meeting-tasks"
    icon = "bi-list-check"
    list_columns = ("title", "decision", "owner_org", "owner_name", "due_on", "status")
    ordering_fields = ("due_on", "title")
    filter_fields = ("status", "decision", "owner_org")
    search_fields = ("title", "evidence", "owner_name")
    form_fields = ("decision", "title", "owner_org", "owner_name", "due_on", "status", "evidence")
    detail_fields = (*form_fields, "completed_on")
    natural_key = ("decision", "title")
    url_prefix = "tasks/"


@register
class EventResource(Resource):
    model = m.Event
    api_name = "events"
    icon = "bi-calendar-event"
    list_columns = ("title", "event_type", "owner_org", "starts_at", "capacity", "registered_count")
    ordering_fields = ("starts_at", "title")
    filter_fields = ("event_type", "owner_org", "university", "registration_open", "is_public")
    search_fields = ("title", "description", "venue")
    form_fields = (
        "title",
        "event_type",
        "owner_org",
        "university",
        "starts_at",
        "ends_at",
        "venue",
        "capacity",
        "registration_open",
        "registration_closes_at",
        "is_public",
        "description",
    )
    detail_fields = (*form_fields, "registered_count")
    api_fields = ("id", *detail_fields)
    natural_key = ("owner_org", "title")
    url_prefix = "events/"


@register
class RegistrationResource(Resource):
    model = m.Registration
    api_name = "event-registrations"
    icon = "bi-person-check"
    list_columns = (
        "event",
        "attendee_name",
        "kind",
        "enterprise",
        "organisation",
        "phone",
        "checked_in_at",
        "rating",
    )
    ordering_fields = ("checked_in_at", "created_at")
    filter_fields = ("event", "kind", "enterprise")
    search_fields = ("attendee_name", "enterprise__name", "organisation", "feedback")
    form_fields = (
        "event",
        "kind",
        "enterprise",
        "attendee_name",
        "organisation",
        "phone",
        "email",
        "rating",
        "feedback",
    )
    detail_fields = (*form_fields, "reference", "consent_at", "created_at", "checked_in_at")
    url_prefix = "registrations/"


@register
class PolicyDocumentResource(Resource):
    model = m.PolicyDocument
    api_name = "policy-documents"
    icon = "bi-journal-text"
    list_columns = ("title", "doc_number", "issuer", "issued_on", "effective_until", "version")
    ordering_fields = ("issued_on", "title")
    filter_fields = ("issuer",)
    search_fields = ("title", "doc_number", "issuer", "full_text")
    form_fields = (
        "title",
        "doc_number",
        "issuer",
        "issued_on",
        "effective_from",
        "effective_until",
        "version",
        "full_text",
    )
    natural_key = ("title",)
    url_prefix = "policies/"
    detail_related = ((_("Policy clauses"), "clauses"),)


@register
class PolicyClauseResource(Resource):
    model = m.PolicyClause
    api_name = "policy-clauses"
    icon = "bi-paragraph"
    list_columns = ("document", "number", "heading")
    ordering_fields = ("number",)
    filter_fields = ("document",)
    search_fields = ("heading", "text", "document__title")
    form_fields = ("document", "number", "heading", "text")
    natural_key = ("document", "number")
    url_prefix = "policy-clauses/"


@register
class SlaRuleResource(Resource):
    model = m.SlaRule
    api_name = "sla-rules"
    icon = "bi-stopwatch"
    list_columns = ("name", "working_days", "effective_from", "effective_until")
    ordering_fields = ("effective_from",)
    search_fields = ("name",)
    form_fields = (
        "name",
        "working_days",
        "remind_days_before",
        "effective_from",
        "effective_until",
    )
    url_prefix = "sla-rules/"


@register
class ConsultationResource(Resource):
    model = m.Consultation
    api_name = "consultations"
    icon = "bi-chat-left-dots"
    list_columns = ("subject", "owner_org", "status", "due_on", "satisfaction", "created_at")
    ordering_fields = ("created_at", "due_on")
    filter_fields = ("status", "owner_org", "policy_document")
    search_fields = ("subject", "question", "answer")
    form_fields = ("subject", "owner_org", "policy_document", "question")
    detail_fields = (
        *form_fields,
        "status",
        "officer",
        "due_on",
        "answer",
        "answered_at",
        "satisfaction",
    )
    api_fields = ("id", *detail_fields)
    url_prefix = "consultations/"


# -- tech finance ----------------------------------------------------------------------------------


@register
class InvestorResource(Resource):
    model = m.Investor
    api_name = "fund-investors"
    icon = "bi-bank"
    list_columns = ("owner_org", "kind", "ticket_min", "ticket_max", "joined_on", "is_active")
    ordering_fields = ("joined_on", "ticket_max")
    filter_fields = ("kind", "is_active")
    search_fields = ("owner_org__name", "focus")
    form_fields = (
        "owner_org",
        "kind",
        "focus",
        "ticket_min",
        "ticket_max",
        "fund_size",
        "joined_on",
        "is_active",
        "contact_name",
        "contact_phone",
    )
    natural_key = ("owner_org",)
    url_prefix = "investors/"


@register
class FinancingNeedResource(Resource):
    model = m.FinancingNeed
    api_name = "financing-needs"
    icon = "bi-cash-coin"
    list_columns = ("title", "owner_org", "amount", "stage", "method", "status")
    ordering_fields = ("amount", "created_at", "deadline")
    filter_fields = ("stage", "method", "status", "owner_org", "share_with_investors")
    search_fields = ("title", "use_of_funds", "ip_to_pledge", "owner_org__name")
    form_fields = (
        "title",
        "owner_org",
        "amount",
        "stage",
        "method",
        "use_of_funds",
        "ip_to_pledge",
        "revenue_last_year",
        "deadline",
        "status",
        "share_with_investors",
    )
    natural_key = ("owner_org", "title")
    url_prefix = "financing-needs/"
    detail_related = ((_("Investor interests"), "interests"),)


@register
class RoadshowSessionResource(Resource):
    model = m.RoadshowSession
    api_name = "roadshow-sessions"
    icon = "bi-easel"
    list_columns = ("title", "held_at", "venue", "event")
    ordering_fields = ("held_at", "title")
    filter_fields = ("event",)
    search_fields = ("title", "summary", "venue")
    form_fields = ("title", "event", "held_at", "venue", "needs", "investors", "summary")
    natural_key = ("title",)
    url_prefix = "roadshows/"
    detail_related = ((_("Investor interests"), "interests"),)


@register
class InvestorInterestResource(Resource):
    model = m.InvestorInterest
    api_name = "investor-interests"
    icon = "bi-hand-thumbs-up"
    list_columns = ("owner_org", "need", "status", "amount_considered", "next_follow_up_on")
    ordering_fields = ("next_follow_up_on", "updated_at")
    filter_fields = ("status", "owner_org")  # no need/session pickers: their titles are private
    search_fields = ("note", "need__title", "owner_org__name")
    form_fields = (
        "owner_org",
        "need",
        "session",
        "status",
        "amount_considered",
        "note",
        "next_follow_up_on",
    )
    natural_key = ("owner_org", "need")
    url_prefix = "investor-interests/"
    detail_related = ((_("Follow-ups"), "follow_ups"),)


@register
class FollowUpResource(Resource):
    model = m.FollowUp
    api_name = "investor-follow-ups"
    icon = "bi-arrow-repeat"
    list_columns = ("date", "interest", "channel", "next_step")
    ordering_fields = ("date",)
    filter_fields = ("channel",)
    search_fields = ("note", "next_step")
    form_fields = ("interest", "date", "channel", "note", "next_step")
    url_prefix = "investor-follow-ups/"


@register
class InvestmentResource(Resource):
    model = m.Investment
    api_name = "investments"
    icon = "bi-graph-up-arrow"
    list_columns = ("owner_org", "round", "amount", "closed_on", "session")
    ordering_fields = ("closed_on", "amount")
    filter_fields = ("round", "owner_org")
    search_fields = ("owner_org__name", "note")
    form_fields = ("owner_org", "need", "session", "round", "amount", "closed_on", "note")
    url_prefix = "investments/"
    detail_related = ((_("Investment shares"), "shares"),)


@register
class InvestmentShareResource(Resource):
    model = m.InvestmentShare
    api_name = "investment-shares"
    icon = "bi-pie-chart"
    list_columns = ("investment", "investor", "amount", "is_lead")
    ordering_fields = ("amount",)
    filter_fields = ("investor", "is_lead")
    search_fields = ("investor__owner_org__name", "note")
    form_fields = ("investment", "investor", "amount", "is_lead", "note")
    natural_key = ("investment", "investor")
    url_prefix = "investment-shares/"


@register
class CompilationJobResource(Resource):
    model = m.CompilationJob
    api_name = "compilations"
    icon = "bi-book"
    list_columns = ("title", "university", "field", "status", "progress", "created_at")
    ordering_fields = ("created_at", "title")
    filter_fields = ("status", "university", "field")
    search_fields = ("title",)
    form_fields = (
        "title",
        "owner_org",
        "university",
        "field",
        "period_from",
        "period_to",
        "include_demands",
    )
    detail_fields = (
        *form_fields,
        "status",
        "progress",
        "phase",
        "pages_done",
        "pages_total",
        "achievement_count",
        "demand_count",
        "finished_at",
    )
    api_fields = ("id", *detail_fields)
    url_prefix = "compilations/"


# -- funding programmes and eligibility ------------------------------------------------------------


@register
class FundingProgrammeResource(Resource):
    model = m.FundingProgramme
    api_name = "funding-programmes"
    icon = "bi-award"
    list_columns = ("name", "issuer", "max_grant", "requires_partner")
    ordering_fields = ("name",)
    filter_fields = ("requires_partner", "policy_document")
    search_fields = ("name", "issuer", "description")
    form_fields = (
        "name",
        "issuer",
        "policy_document",
        "description",
        "max_grant",
        "requires_partner",
    )
    natural_key = ("name",)
    url_prefix = "programmes/"
    detail_related = ((_("Funding calls"), "calls"), (_("Eligibility rules"), "eligibility_rules"))


@register
class FundingCallResource(Resource):
    model = m.FundingCall
    api_name = "funding-calls"
    icon = "bi-megaphone"
    list_columns = ("title", "programme", "year", "opens_on", "closes_on", "budget")
    ordering_fields = ("closes_on", "year")
    filter_fields = ("programme", "year")
    search_fields = ("title", "requirements")
    form_fields = ("programme", "title", "year", "opens_on", "closes_on", "budget", "requirements")
    natural_key = ("title",)
    url_prefix = "calls/"


@register
class FundingApplicationResource(Resource):
    model = m.FundingApplication
    api_name = "funding-applications"
    icon = "bi-file-earmark-text"
    list_columns = ("project_title", "owner_org", "call", "amount_requested", "status")
    ordering_fields = ("amount_requested", "created_at")
    filter_fields = ("status", "call", "owner_org", "partner_university")
    search_fields = ("project_title", "summary", "owner_org__name")
    form_fields = (
        "call",
        "owner_org",
        "project_title",
        "partner_university",
        "amount_requested",
        "summary",
    )
    detail_fields = (
        *form_fields,
        "status",
        "review_comment",
        "amount_granted",
        "submitted_at",
    )
    api_fields = ("id", *detail_fields)
    natural_key = ("owner_org", "call", "project_title")
    url_prefix = "applications/"


@register
class EnterpriseProfileResource(Resource):
    model = m.EnterpriseProfile
    api_name = "enterprise-profiles"
    icon = "bi-building-check"
    list_columns = ("owner_org", "year", "is_high_tech", "revenue", "rd_spend")
    ordering_fields = ("year", "revenue")
    filter_fields = ("is_high_tech", "is_tech_sme", "year")
    search_fields = ("owner_org__name",)
    form_fields = (
        "owner_org",
        "year",
        "is_high_tech",
        "is_tech_sme",
        "employees",
        "rd_staff",
        "revenue",
        "rd_spend",
        "invention_patents",
    )
    natural_key = ("owner_org",)
    url_prefix = "profiles/"


@register
class EligibilityRuleResource(Resource):
    model = m.EligibilityRule
    api_name = "eligibility-rules"
    icon = "bi-funnel"
    list_columns = ("name", "policy_document", "programme", "attribute", "operator", "value")
    ordering_fields = ("name",)
    filter_fields = ("attribute", "operator", "policy_document", "programme")
    search_fields = ("name", "hint")
    form_fields = (
        "name",
        "policy_document",
        "programme",
        "attribute",
        "operator",
        "value",
        "hint",
        "effective_from",
        "effective_until",
    )
    url_prefix = "eligibility-rules/"
