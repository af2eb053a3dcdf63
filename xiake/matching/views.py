"""Search page, the matches panel of detail pages (with 有用 / 无关 marks), and the API endpoints."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from xiake.core.roles import Role, is_bureau, role_of
from xiake.matching import api
from xiake.matching.documents import label, model_of, restricted
from xiake.matching.feed import KINDS, kind_of

# Which kinds each record kind is matched against (the tabs of its matches panel).
MATCH_TARGETS = {
    "demand": ("achievement", "expert", "platform"),
    "achievement": ("demand", "expert", "enterprise"),
    "expert": ("demand", "achievement"),
    "platform": ("demand",),
    # an enterprise's page: what could answer the demands its profile is made of
    "enterprise": ("achievement", "expert", "platform"),
}
# Tab labels that say more than the kind's name.
TAB_LABELS = {("achievement", "enterprise"): gettext_lazy("Enterprises that may need it")}
FILTER_PARAMS = tuple(api.FILTERS)


def _filters(params) -> dict:
    return {name: params.get(name) for name in FILTER_PARAMS if params.get(name)}


def search_page(request):
    q = request.GET.get("q", "")
    type_ = request.GET.get("type") or None
    results, error = None, None
    if q.strip():
        try:
            results = api.search(request.user, q, type_, _filters(request.GET), limit=30)
        except api.QueryError as exc:
            error = str(exc)
    status = 400 if error else 200
    return render(
        request,
        "matching/search.html",
        {
            "q": api.clean_query(q),
            "type": type_,
            "types": [(k, label(k)) for k in KINDS],
            "results": results,
            "error": error,
            "filters": _filters(request.GET),
        },
        status=status,
    )


def matches_fragment(request, kind, pk):
    """The matches list of one record (loaded into its detail page by htmx)."""
    if kind not in MATCH_TARGETS:
        raise Http404
    # documents.restricted: for an enterprise also "is an enterprise with a profile"
    obj = get_object_or_404(restricted(kind, request.user), pk=pk)
    target = request.GET.get("type") or MATCH_TARGETS[kind][0]
    if target not in MATCH_TARGETS[kind]:
        return render(request, "400.html", {"message": _("Unknown type.")}, status=400)
    results = api.recommend(request.user, obj, target, limit=10)
    return render(
        request,
        "matching/matches_list.html",
        {"results": results, "source": f"{kind}:{obj.pk}"},
    )


class FeedbackInputError(ValueError):
    """Bad input for a mark: ``field`` names it; answered 400."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field, self.message = field, message


def _feedback_pair(user, source_key, target_key):
    """(source, target) records of a mark, both visible to ``user``. FeedbackInputError (400)
    for a malformed key or a pair that is not a match (a tab of the source's panel); Http404 when
    either record is absent or hidden from ``user``."""
    from xiake.matching import labels

    try:
        s_kind, s_pk = labels.split_key(source_key, "source")
        t_kind, t_pk = labels.split_key(target_key, "target")
    except labels.MarkError as exc:
        raise FeedbackInputError(exc.field, exc.message) from None
    if t_kind not in MATCH_TARGETS[s_kind]:
        raise FeedbackInputError(
            "target",
            _("A %(source)s is matched with: %(kinds)s.")
            % {"source": s_kind, "kinds": ", ".join(MATCH_TARGETS[s_kind])},
        )
    source = labels.viewable(user, s_kind, s_pk)
    target = labels.viewable(user, t_kind, t_pk) if source is not None else None
    if source is None or target is None:
        raise Http404
    return source, target


@require_POST
def feedback(request):
    """有用 / 无关 on a result card: store, change or (clicking the current mark again) remove the
    user's mark. htmx gets the card's buttons back; a plain form post goes back to the source."""
    from xiake.matching import labels

    if not request.user.is_authenticated:
        return redirect_to_login(request.META.get("HTTP_REFERER") or "/")
    source_key, target_key = request.POST.get("source", ""), request.POST.get("target", "")
    try:
        source, target = _feedback_pair(request.user, source_key, target_key)
        stored = labels.mark(
            request.user,
            source,
            target,
            request.POST.get("value", ""),
            request.POST.get("reason", ""),
        )
    except (FeedbackInputError, labels.MarkError) as exc:
        return render(request, "400.html", {"message": f"{exc.field}: {exc.message}"}, status=400)
    value = stored.value if stored else None
    if request.headers.get("HX-Request"):
        return render(
            request,
            "matching/feedback_buttons.html",
            {
                "source": f"{kind_of(type(source))}:{source.pk}",
                "target": f"{kind_of(type(target))}:{target.pk}",
                "mark": value,
                "reason": stored.reason if stored else "",
            },
        )
    messages.success(request, _("Your mark is saved.") if stored else _("Your mark is removed."))
    return redirect(source.get_absolute_url())


def detail_section(request, resource, obj):
    """Provider for core's detail pages: a matches panel on demand/achievement/expert/platform."""
    kind = kind_of(resource.model)
    if kind not in MATCH_TARGETS:
        return None
    if kind == "enterprise" and not restricted(kind, request.user).filter(pk=obj.pk).exists():
        return None  # another kind of organisation, or an enterprise without a profile
    tabs = [(t, TAB_LABELS.get((kind, t)) or label(t, plural=True)) for t in MATCH_TARGETS[kind]]
    return render_to_string(
        "matching/matches_section.html",
        {"kind": kind, "obj": obj, "tabs": tabs},
        request=request,
    )


def duplicates_section(request, resource, obj):
    """Provider for core's detail pages: "possible duplicates" on an achievement or demand, shown
    to those who may change the record (its organisation) and to the bureau."""
    from xiake.matching import duplicates

    if kind_of(resource.model) not in duplicates.KINDS:
        return None
    if not (is_bureau(request.user) or resource.policy().can(request.user, obj, "change")):
        return None
    found = duplicates.near_duplicates(request.user, obj)
    if not found:
        return None
    return render_to_string(
        "matching/duplicates_section.html", {"duplicates": found}, request=request
    )


def duplicates_queue(request):
    """The bureau's list of records awaiting review that look like copies of other records."""
    from xiake.matching import duplicates

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not is_bureau(request.user):
        raise PermissionDenied
    rows = [
        (model_of(kind)._meta.verbose_name, obj, dups)
        for kind, obj, dups in duplicates.review_queue(request.user)
    ]
    return render(request, "matching/duplicates.html", {"rows": rows})


def _may_triage(user) -> bool:
    return is_bureau(user) or role_of(user) == Role.MANAGER


def triage_section(request, resource, obj):
    """Provider for core's detail pages: a demand's quality score and what to add, for its
    poster (who may change it), technology managers and the bureau."""
    from xiake.matching import triage

    if kind_of(resource.model) != "demand":
        return None
    if not (_may_triage(request.user) or resource.policy().can(request.user, obj, "change")):
        return None
    from xiake.matching import api

    suggestions = triage.suggest_industry(request.user, obj) if obj.industry_id is None else []
    # a demand without a discipline: suggest the ones its nearest records share; whoever may
    # change the demand can accept one (accept_discipline)
    undeclared = obj.discipline_id is None
    return render_to_string(
        "matching/triage_section.html",
        {
            "object": obj,
            "triage": triage.triage(obj),
            "vague_below": triage.VAGUE_BELOW,
            "suggestions": suggestions,
            "discipline_suggestions": (
                api.suggest_discipline(request.user, obj) if undeclared else []
            ),
            "may_accept": undeclared and resource.policy().can(request.user, obj, "change"),
        },
        request=request,
    )


@require_POST
def accept_discipline(request, pk):
    """采用: store a suggested discipline on a demand that has none yet, through the demand's
    normal save (audited, recorded in the index's change feed), then back to the demand."""
    from xiake.catalog.models import Demand
    from xiake.taxonomy.models import Term

    demand = get_object_or_404(Demand.objects.restrict(request.user, "view"), pk=pk)
    if not Demand.policy.can(request.user, demand, "change"):
        raise PermissionDenied
    # any version of the scheme, as the field allows: the suggestion is what records carry
    chosen = request.POST.get("discipline", "")
    term = (
        Term.objects.filter(scheme__code="gbt13745", pk=chosen).first()
        if chosen.isdigit()
        else None
    )
    if term is None:
        messages.error(request, _("Choose a discipline of GB/T 13745."))
        return redirect(demand.get_absolute_url())
    with transaction.atomic():
        # the row locked while checking, so two accepts at once cannot both store theirs
        locked = Demand.objects.select_for_update().filter(pk=demand.pk)
        if locked.values_list("discipline_id", flat=True).first() is not None:
            messages.error(
                request,
                _("“%(obj)s” already has a discipline: change it on the edit page.")
                % {"obj": demand},
            )
        else:
            demand.discipline = term
            demand.save()
            messages.success(
                request,
                _("Discipline of “%(obj)s” set to %(name)s.") % {"obj": demand, "name": term.name},
            )
    return redirect(demand.get_absolute_url())


def triage_queue(request):
    """Technology managers' queue: vague demands that need a second diagnosis."""
    from xiake.matching import triage

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not _may_triage(request.user):
        raise PermissionDenied
    return render(
        request,
        "matching/triage.html",
        {"rows": triage.queue(request.user), "vague_below": triage.VAGUE_BELOW},
    )


def _bad(message):
    return Response({"detail": message}, status=400)


@api_view(["GET"])
@permission_classes([AllowAny])
def api_search(request):
    """GET /api/v1/matching/search/?q=…&type=achievement|expert|platform|demand|enterprise&limit=…
    (without a type: the four libraries)"""
    q = request.query_params.get("q", "")
    if len(q) > api.MAX_QUERY_CHARS * 4:
        return _bad(
            _("The query is too long (at most %(n)s characters).") % {"n": api.MAX_QUERY_CHARS}
        )
    known = {"q", "type", "limit", "format", *FILTER_PARAMS}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        return _bad(_("Unknown parameter: %(p)s") % {"p": ", ".join(unknown)})
    try:
        limit = int(request.query_params.get("limit", 20))
    except ValueError:
        return _bad(_("limit must be a number."))
    try:
        results = api.search(
            request.user,
            q,
            request.query_params.get("type") or None,
            _filters(request.query_params),
            limit=limit,
        )
    except api.QueryError as exc:
        return _bad(str(exc))
    return Response(
        {
            "count": len(results),
            "fallback": results.fallback,
            "results": [m.as_dict() for m in results],
        }
    )


class SignalSerializer(serializers.Serializer):
    """One structured reason of a match (``api.signals_for``, discipline, 曾发布相关需求)."""

    code = serializers.CharField()
    weight = serializers.FloatField()
    label = serializers.CharField()


class MatchSerializer(serializers.Serializer):
    """One match as ``api.Match.as_dict`` gives it."""

    type = serializers.ChoiceField(choices=list(KINDS))
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    score = serializers.FloatField()
    matched_terms = serializers.ListField(child=serializers.CharField())
    highlight = serializers.CharField(allow_blank=True)
    signals = SignalSerializer(many=True)
    reasons = serializers.ListField(child=serializers.CharField())


class RecordMatchSerializer(MatchSerializer):
    """A match of a record's matches endpoint: with the asking user's own mark."""

    feedback = serializers.ChoiceField(
        choices=["useful", "not_useful"],
        allow_null=True,
        help_text="Your own mark on this match (useful 有用, not_useful 无关), or null.",
    )


class MatchListSerializer(serializers.Serializer):
    """The answer of a record's matches endpoint."""

    count = serializers.IntegerField()
    results = RecordMatchSerializer(many=True)


def _matches_schema(kind):
    """The OpenAPI description of ``GET /api/v1/<kind>s/{id}/matches/``."""
    targets = MATCH_TARGETS[kind]
    return extend_schema(
        operation_id=f"{kind}_matches",
        summary=f"Records of type ``type`` that match the {kind}, best first, with reasons",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH),
            OpenApiParameter("type", OpenApiTypes.STR, enum=list(targets), default=targets[0]),
            OpenApiParameter("limit", OpenApiTypes.INT, default=10),
        ],
        responses={200: MatchListSerializer},
    )


def _record_matches(request, kind, pk):
    """A record's matches as the API answers them (the record must be visible to the user)."""
    obj = get_object_or_404(restricted(kind, request.user), pk=pk)
    targets = MATCH_TARGETS[kind]
    target = request.query_params.get("type") or targets[0]
    if target not in targets:
        return _bad(_("type must be one of %(t)s.") % {"t": ", ".join(targets)})
    try:
        limit = int(request.query_params.get("limit", 10))
    except ValueError:
        return _bad(_("limit must be a number."))
    results = api.recommend(request.user, obj, target, limit=limit)
    return Response(
        {
            "count": len(results),
            # ``feedback``: the asking user's own mark (useful, not_useful) or null
            "results": [{**m.as_dict(), "feedback": m.mark} for m in results],
        }
    )


class FeedbackSerializer(serializers.Serializer):
    """The body of ``POST /api/v1/matching/feedback/``: a mark on a match."""

    source = serializers.RegexField(
        r"^[a-z]+:[1-9][0-9]{0,17}$",
        max_length=40,
        help_text="The record the matches are for, as type:id (e.g. demand:12).",
    )
    target = serializers.RegexField(
        r"^[a-z]+:[1-9][0-9]{0,17}$",
        max_length=40,
        help_text="The matched record, as type:id (e.g. achievement:7).",
    )
    value = serializers.ChoiceField(
        choices=["useful", "not_useful", "none"],
        help_text="useful (有用), not_useful (无关), or none to remove your mark.",
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="Optional short reason."
    )


class FeedbackResultSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    value = serializers.ChoiceField(choices=["useful", "not_useful"], allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    updated_at = serializers.DateTimeField(allow_null=True)


@extend_schema(
    request=FeedbackSerializer,
    responses={200: FeedbackResultSerializer},
    description=(
        "Mark a match useful or not relevant (or remove your mark). You must be signed in and "
        "may view both records; 404 otherwise. One mark per user and match: a new mark "
        "replaces the old one."
    ),
)
@api_view(["POST"])
@permission_classes([IsAuthenticated])
def api_feedback(request):
    """POST /api/v1/matching/feedback/ {source, target, value, reason}"""
    from xiake.matching import labels

    data = FeedbackSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    try:
        source, target = _feedback_pair(request.user, v["source"], v["target"])
        stored = labels.mark(request.user, source, target, v["value"], v.get("reason", ""))
    except (FeedbackInputError, labels.MarkError) as exc:
        return Response({exc.field: [exc.message]}, status=400)
    except Http404:
        return Response({"detail": _("Not found.")}, status=404)
    return Response(
        {
            "source": v["source"],
            "target": v["target"],
            "value": stored.value if stored else None,
            "reason": stored.reason if stored else "",
            "updated_at": stored.updated_at if stored else None,
        }
    )


@_matches_schema("demand")
@api_view(["GET"])
@permission_classes([AllowAny])
def api_demand_matches(request, pk):
    """GET /api/v1/demands/{id}/matches/?type=achievement|expert|platform"""
    return _record_matches(request, "demand", pk)


@_matches_schema("achievement")
@api_view(["GET"])
@permission_classes([AllowAny])
def api_achievement_matches(request, pk):
    """GET /api/v1/achievements/{id}/matches/?type=demand|expert|enterprise: for ``enterprise``
    the enterprises whose demands ask for something like the achievement (their profiles)."""
    return _record_matches(request, "achievement", pk)


@_matches_schema("enterprise")
@api_view(["GET"])
@permission_classes([AllowAny])
def api_enterprise_matches(request, pk):
    """GET /api/v1/enterprises/{id}/matches/?type=achievement|expert|platform: what could answer
    the enterprise's profile (its description and public demands). 404 for an organisation that
    is no enterprise with a profile, or one the user may not see among matches."""
    return _record_matches(request, "enterprise", pk)


def health(request):  # pragma: no cover - convenience for operators
    from xiake.matching.engine import engine

    return JsonResponse(engine().status())
