"""Case moves and acceptance, the manager's board, notifications (list, unread count, mark read)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from xiake.brokerage.models import (
    STAGE_MOVES,
    CaseMeeting,
    Digest,
    DockingCase,
    Frequency,
    MatchOffer,
    Notification,
    Stage,
    Subscription,
    notify,
)
from xiake.brokerage.policies import provider_q
from xiake.contracts.models import ZERO
from xiake.core.review import TransitionError
from xiake.core.roles import is_bureau, organization_id_of, role_of
from xiake.core.views import detail_section_providers


def _sides(user, case) -> set[str]:
    org_id = organization_id_of(user)
    sides = set()
    if org_id is not None and case.enterprise_id == org_id:
        sides.add("enterprise")
    if (
        org_id is not None
        and DockingCase.objects.filter(pk=case.pk).filter(provider_q(org_id)).exists()
    ):
        sides.add("provider")
    return sides


class CaseActionView(LoginRequiredMixin, View):
    """POST ``move`` (to, note) by the manager, or ``accept`` by a side of the case."""

    def post(self, request, pk):
        case = get_object_or_404(DockingCase.objects.restrict(request.user, "view"), pk=pk)
        if request.POST.get("action") == "accept":
            sides = _sides(request.user, case)
            if not sides:
                raise PermissionDenied
            for side in sides:
                setattr(case, f"{side}_accepted", True)
            case.save()
            if case.contacts_revealed:
                notify(
                    [case.manager],
                    f"case:{case.pk}:accepted",
                    _("Both sides accepted “%(case)s”") % {"case": case},
                    url=case.get_absolute_url(),
                )
            messages.success(request, _("You accepted the case."))
            return redirect(case.get_absolute_url())
        try:
            case.move(request.POST.get("to", ""), request.user, request.POST.get("note", ""))
        except (TransitionError, ValueError) as exc:
            if not DockingCase.policy.can(request.user, case, "change"):
                raise PermissionDenied from exc
            messages.error(request, str(exc))
        return redirect(case.get_absolute_url())


class BoardView(LoginRequiredMixin, View):
    """The manager's board: open cases by stage (the bureau sees everyone's; ?manager= filters)."""

    def get(self, request):
        qs = DockingCase.objects.restrict(request.user, "view").select_related(
            "enterprise", "manager"
        )
        if request.GET.get("manager", "").isdigit():
            qs = qs.filter(manager_id=int(request.GET["manager"]))
        from xiake.brokerage.workload import may_see_workload

        columns = [(stage, [c for c in qs if c.stage == stage]) for stage in Stage]
        return render(
            request,
            "brokerage/board.html",
            {
                "columns": columns,
                "total": len(qs),
                "may_see_workload": may_see_workload(request.user),
            },
        )


class NotificationListView(LoginRequiredMixin, View):
    def get(self, request):
        qs = Notification.objects.restrict(request.user, "view")
        return render(
            request,
            "brokerage/notifications.html",
            {"notifications": qs[:200], "unread": qs.unread().count()},
        )

    def post(self, request):
        """Mark read: one (``id``) or all."""
        qs = Notification.objects.restrict(request.user, "view").unread()
        if request.POST.get("id", "").isdigit():
            qs = qs.filter(pk=int(request.POST["id"]))
        qs.update(read_at=timezone.now())
        return redirect("brokerage:notifications")


def case_panel(request, resource, obj):
    if not isinstance(obj, DockingCase):
        return None
    from xiake.brokerage.workload import timeline
    from xiake.contracts.models import TechContract
    from xiake.taxonomy.api import term_choices

    sides = _sides(request.user, obj)
    offer_contract = (
        obj.stage == Stage.SIGNED
        and "provider" in sides
        and TechContract.policy.can_create(request.user)
    )
    return render_to_string(
        "brokerage/panel.html",
        {
            "object": obj,
            "offer_contract": offer_contract,
            "categories": term_choices("contract_type", 1) if offer_contract else [],
            "contracts": TechContract.objects.restrict(request.user, "view").filter(
                docking_case=obj
            ),
            "moves": [Stage(s) for s in STAGE_MOVES.get(obj.stage, ())]
            if DockingCase.policy.can(request.user, obj, "change")
            else [],
            "sides": sides,
            "meetings": CaseMeeting.objects.restrict(request.user, "view").filter(case=obj),
            "may_add_meeting": DockingCase.policy.can(request.user, obj, "change"),
            "timeline": timeline(request.user, obj),
        },
        request=request,
    )


MEETING_FIELDS = ("held_at", "place", "participants", "minutes", "next_steps")


class CaseMeetingAddView(LoginRequiredMixin, View):
    """The case's manager (or the bureau) records a meeting from the case page."""

    def post(self, request, pk):
        import datetime as dt

        case = get_object_or_404(DockingCase.objects.restrict(request.user, "view"), pk=pk)
        if not DockingCase.policy.can(request.user, case, "change"):
            raise PermissionDenied
        meeting = CaseMeeting(
            case=case,
            online=request.POST.get("online") == "on",
            created_by=request.user,
            **{name: request.POST.get(name, "").strip() for name in MEETING_FIELDS[1:]},
        )
        try:
            held = dt.datetime.fromisoformat(request.POST.get("held_at", ""))
        except ValueError:
            messages.error(
                request,
                _("%(field)s: enter a date and time, e.g. 2026-11-30 14:00.")
                % {"field": CaseMeeting._meta.get_field("held_at").verbose_name},
            )
            return redirect(case.get_absolute_url())
        meeting.held_at = timezone.make_aware(held) if timezone.is_naive(held) else held
        try:
            meeting.full_clean()
        except ValidationError as exc:
            messages.error(
                request,
                "；".join(
                    f"{CaseMeeting._meta.get_field(k).verbose_name}: {' '.join(v)}"
                    for k, v in exc.message_dict.items()
                ),
            )
            return redirect(case.get_absolute_url())
        meeting.save()
        messages.success(request, _("Meeting recorded."))
        return redirect(meeting.get_absolute_url())


class WorkloadView(LoginRequiredMixin, View):
    """Cases per manager by stage, stale cases, signed value: the bureau sees every manager, a
    manager their own row, everyone else 403."""

    def get(self, request):
        from xiake.brokerage.workload import OPEN_STAGES, may_see_workload, workload

        if not may_see_workload(request.user):
            raise PermissionDenied
        rows = workload(request.user)
        return render(
            request,
            "brokerage/workload.html",
            {
                "rows": rows,
                "stages": list(Stage),
                "open_stages": OPEN_STAGES,
                "is_bureau": is_bureau(request.user),
            },
        )


def visible_offers(user, demand) -> list[MatchOffer]:
    """The demand's 推荐 list, less any target the user may not (or no longer) see."""
    offers = list(demand.match_offers.select_related("achievement__owner_org", "expert__owner_org"))
    visible = {}
    for kind in (MatchOffer.Kind.ACHIEVEMENT, MatchOffer.Kind.EXPERT):
        ids = [o.achievement_id or o.expert_id for o in offers if o.kind == kind]
        if ids:
            model = MatchOffer._meta.get_field(kind).related_model
            visible[kind] = set(
                model.objects.restrict(user, "view").filter(pk__in=ids).values_list("pk", flat=True)
            )
    return [o for o in offers if (o.achievement_id or o.expert_id) in visible.get(o.kind, ())]


def may_see_offers(user, demand) -> bool:
    org_id = organization_id_of(user)
    return (
        is_bureau(user)
        or role_of(user) == "manager"
        or (org_id is not None and demand.owner_org_id == org_id)
    )


def offers_panel(request, resource, obj):
    """The 推荐 list on a demand's page: for its enterprise, managers and the bureau."""
    if obj._meta.label != "catalog.Demand" or not may_see_offers(request.user, obj):
        return None
    offers = visible_offers(request.user, obj)
    if not offers and obj.status != "published":
        return None
    return render_to_string(
        "brokerage/offers.html",
        {
            "object": obj,
            "offers": offers,
            "can_open_case": DockingCase.policy.can_create(request.user),
            "cases": DockingCase.objects.restrict(request.user, "view").filter(demand=obj),
        },
        request=request,
    )


class OpenCaseView(LoginRequiredMixin, View):
    """A manager opens a docking case from a demand's 推荐 list (the ticked offers)."""

    def post(self, request, demand_pk):
        from xiake.catalog.models import Demand

        demand = get_object_or_404(Demand.objects.restrict(request.user, "view"), pk=demand_pk)
        if not DockingCase.policy.can_create(request.user):
            raise PermissionDenied
        chosen = {int(x) for x in request.POST.getlist("offer") if x.isdigit()}
        offers = [o for o in visible_offers(request.user, demand) if o.pk in chosen]
        case = DockingCase(
            title=demand.title[:200],
            demand=demand,
            enterprise_id=demand.owner_org_id,
            manager=request.user if role_of(request.user) == "manager" else None,
            created_by=request.user,
        )
        case.full_clean()
        case.save()
        case.achievements.add(*[o.achievement_id for o in offers if o.achievement_id])
        case.experts.add(*[o.expert_id for o in offers if o.expert_id])
        messages.success(request, _("Docking case opened."))
        return redirect(case.get_absolute_url())


detail_section_providers.append(case_panel)
detail_section_providers.append(offers_panel)


class SubscriptionForm(forms.Form):
    """Subscribe to an industry (sections and divisions), a discipline (level 1) or a keyword."""

    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=Subscription.Kind.choices)
    industry = forms.ChoiceField(label=gettext_lazy("industry"), required=False)
    discipline = forms.ChoiceField(label=gettext_lazy("discipline"), required=False)
    keyword = forms.CharField(label=gettext_lazy("keyword"), required=False, max_length=50)
    frequency = forms.ChoiceField(label=gettext_lazy("frequency"), choices=Frequency.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from xiake.taxonomy.api import term_choices

        blank = [("", "—")]
        self.fields["industry"].choices = blank + [
            c for level in (1, 2) for c in term_choices("gbt4754", level)
        ]
        self.fields["discipline"].choices = blank + term_choices("gbt13745", 1)
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            )

    def subscription(self, user) -> Subscription:
        from xiake.taxonomy.api import resolve

        data = self.cleaned_data
        kind = data["kind"]
        term = None
        if kind == Subscription.Kind.INDUSTRY and data["industry"]:
            term = resolve("gbt4754", data["industry"])
        elif kind == Subscription.Kind.DISCIPLINE and data["discipline"]:
            term = resolve("gbt13745", data["discipline"])
        sub = Subscription(
            user=user, kind=kind, term=term, keyword=data["keyword"], frequency=data["frequency"]
        )
        sub.full_clean(validate_unique=False, validate_constraints=False)
        return sub


class SubscriptionsView(LoginRequiredMixin, View):
    """The user's subscriptions: list, add (POST kind…), remove (POST delete=<id>)."""

    def page(self, request, form, status=200):
        return render(
            request,
            "brokerage/subscriptions.html",
            {
                "form": form,
                "subscriptions": Subscription.objects.restrict(request.user, "view").select_related(
                    "term"
                ),
                "digests": Digest.objects.filter(user=request.user)[:10],
            },
            status=status,
        )

    def get(self, request):
        return self.page(request, SubscriptionForm(initial={"frequency": Frequency.DAILY}))

    def post(self, request):
        if request.POST.get("delete", "").isdigit():
            Subscription.objects.restrict(request.user, "delete").filter(
                pk=int(request.POST["delete"])
            ).delete()
            return redirect("brokerage:subscriptions")
        form = SubscriptionForm(request.POST)
        if form.is_valid():
            try:
                sub = form.subscription(request.user)
                with transaction.atomic():
                    sub.save()
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except IntegrityError:
                form.add_error(None, _("You already have this subscription."))
            else:
                messages.success(request, _("Subscribed to “%(s)s”.") % {"s": sub})
                return redirect("brokerage:subscriptions")
        return self.page(request, form, status=400)


# JJ-001 party-type codes by organisation type, as the contract demo data uses them; other types
# are left for the seller to choose (the pre-check asks for them).
PARTY_TYPES = {"university": "022", "nri": "021", "enterprise": "100"}


class CaseContractView(LoginRequiredMixin, View):
    """POST category=<contract_type code>: a provider of a signed case creates the draft contract
    (seller = the provider, buyer = the enterprise, linked to the case), then completes it."""

    def post(self, request, pk):
        from django.db.models import Q

        from xiake.contracts.models import TechContract
        from xiake.taxonomy.api import resolve

        case = get_object_or_404(DockingCase.objects.restrict(request.user, "view"), pk=pk)
        org_id = organization_id_of(request.user)
        if "provider" not in _sides(request.user, case) or case.stage != Stage.SIGNED:
            raise PermissionDenied
        if not TechContract.policy.can_create(request.user):
            raise PermissionDenied
        existing = TechContract.objects.filter(docking_case=case, owner_org_id=org_id).first()
        if existing is not None:
            return redirect(existing.get_absolute_url())
        category = resolve("contract_type", request.POST.get("category", ""))
        if category is None or category.level != 1:
            messages.error(request, _("Choose the contract category."))
            return redirect(case.get_absolute_url())
        seller = request.user.organization
        buyer = case.enterprise
        linked = case.achievements.filter(owner_org_id=org_id).first()
        subject = "；".join(
            str(x)
            for x in (
                case.demand.description[:300] if case.demand_id else "",
                _("Achievement: %(a)s") % {"a": linked} if linked else "",
            )
            if x
        )
        contract = TechContract(
            title=case.title,
            category=category,
            owner_org=seller,
            buyer_org=buyer,
            seller_party_type=resolve("party_type", PARTY_TYPES.get(seller.org_type, "")),
            seller_region=seller.region_code or "",
            buyer_party_type=resolve("party_type", PARTY_TYPES.get(buyer.org_type, "")),
            buyer_region=buyer.region_code or "",
            subject=subject,
            ip_type=linked.ip_type if linked else None,
            ip_numbers=(linked.ip_numbers or "")[:500] if linked else "",
            total_amount=ZERO,
            docking_case=case,
            created_by=request.user,
        )
        n = 1
        while TechContract.objects.filter(Q(owner_org=seller) & Q(title=contract.title)).exists():
            n += 1
            contract.title = f"{case.title}（{n}）"[:200]
        contract.save()
        messages.success(
            request, _("Draft contract created from the case: complete it and run the pre-check.")
        )
        return redirect("contracts:techcontract_edit", contract.pk)


class FunnelView(LoginRequiredMixin, View):
    """Published demand → matched → case → signed contract, by period; ``export=xlsx``."""

    def get(self, request):
        from xiake.brokerage import funnel
        from xiake.core.downloads import XLSX, file_response

        period = request.GET.get("period", "year")
        if period not in funnel.PERIODS:
            return render(request, "400.html", {"message": _("Unknown period.")}, status=400)
        rows, total = funnel.funnel(request.user, period)
        if request.GET.get("export") == "xlsx":
            xlsx = funnel.to_xlsx(rows, total, period)
            return file_response(xlsx, "conversion-funnel.xlsx", XLSX, export=True, what=period)
        return render(
            request,
            "brokerage/funnel.html",
            {"rows": rows, "total": total, "period": period},
        )
