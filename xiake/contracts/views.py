"""Pages beyond the generic ones: workflow moves, payments, certificate, overdue list, stats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from xiake.contracts import certificate, stats, workflow
from xiake.contracts.models import OPEN_STATES, REGISTERED_STATES, Payment, TechContract
from xiake.core.downloads import PDF, XLSX, file_response
from xiake.core.review import TransitionError
from xiake.core.roles import is_bureau


def _visible(request, pk) -> TechContract:
    return get_object_or_404(TechContract.objects.restrict(request.user, "view"), pk=pk)


class ContractActionView(LoginRequiredMixin, View):
    """POST action=submit|accept|return|review|register|refuse|amend|cancel, comment, version."""

    def post(self, request, pk):
        contract = _visible(request, pk)
        try:
            version = int(request.POST.get("version", contract.version))
        except ValueError:
            version = -1
        action = request.POST.get("action", "")
        step = workflow.STEPS.get(action)
        if step is not None and not workflow.may(contract, step, request.user):
            raise PermissionDenied
        try:
            workflow.transition(
                contract, action, request.user, request.POST.get("comment", ""), version=version
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("“%(obj)s” is now %(status)s.")
                % {"obj": contract, "status": contract.get_status_display()},
            )
        return redirect(contract.get_absolute_url())


def _money(value: str, field: str) -> Decimal:
    try:
        amount = Decimal((value or "0").replace(",", "").strip())
    except InvalidOperation as exc:
        raise ValidationError({field: _("Enter an amount in yuan, e.g. 12500.00.")}) from exc
    if amount < 0:
        raise ValidationError({field: _("An amount cannot be negative.")})
    if amount.as_tuple().exponent < -2:
        raise ValidationError({field: _("Amounts have at most two decimal places (fen).")})
    return amount


class PaymentAddView(LoginRequiredMixin, View):
    """Add an instalment to the schedule (and what was received) — by whoever may edit."""

    def post(self, request, pk):
        contract = _visible(request, pk)
        if not TechContract.policy.can(request.user, contract, "change"):
            raise PermissionDenied
        try:
            due_on = dt.date.fromisoformat(request.POST.get("due_on", ""))
            received = request.POST.get("received_on") or None
            payment = Payment(
                contract=contract,
                due_on=due_on,
                amount=_money(request.POST.get("amount"), "amount"),
                received_amount=_money(request.POST.get("received_amount"), "received_amount"),
                received_on=dt.date.fromisoformat(received) if received else None,
                note=request.POST.get("note", "")[:200],
                created_by=request.user,
            )
            payment.full_clean()
        except ValueError:
            messages.error(request, _("Enter dates as YYYY-MM-DD."))
        except ValidationError as exc:
            messages.error(
                request, "；".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            )
        else:
            payment.save()
            messages.success(request, _("Payment added."))
        return redirect(contract.get_absolute_url())


class CertificateView(LoginRequiredMixin, View):
    def get(self, request, pk):
        contract = _visible(request, pk)
        if contract.status not in REGISTERED_STATES:
            raise Http404
        registry = getattr(settings, "CONTRACT_REGISTRY_NAME", "") or _(
            "Technology contract registry"
        )
        pdf = certificate.render(contract, str(registry))
        name = f"certificate-{contract.registration_no}.pdf"
        return file_response(pdf, name, PDF, obj=contract)


class OverdueView(LoginRequiredMixin, View):
    """Applications the registry owes an answer on, by deadline; overdue ones first."""

    def get(self, request):
        today = timezone.localdate()
        qs = (
            TechContract.objects.restrict(request.user, "view")
            .filter(status__in=OPEN_STATES, deadline__isnull=False)
            .select_related("owner_org")
            .order_by("deadline")
        )
        return render(
            request,
            "contracts/deadlines.html",
            {"contracts": qs, "today": today, "overdue": qs.filter(deadline__lt=today).count()},
        )


class StatisticsView(LoginRequiredMixin, View):
    def get(self, request):
        scope = request.GET.get("scope", "registered")
        period = request.GET.get("period", "year")
        if scope not in stats.SCOPES or period not in ("year", "quarter", "month"):
            return render(
                request, "400.html", {"message": _("Unknown scope or period.")}, status=400
            )
        total, sections = stats.report(request.user, scope, period)
        if request.GET.get("export") == "xlsx":
            title = f"{stats.SCOPES[scope][0]} · {total.count} · {total.total} · {total.tech}"
            xlsx = stats.to_xlsx(str(title), [(str(h), rows) for h, rows in sections])
            what = f"{scope} {period}"
            return file_response(xlsx, "contract-stats.xlsx", XLSX, export=True, what=what)
        return render(
            request,
            "contracts/statistics.html",
            {
                "scope": scope,
                "period": period,
                "scopes": [(k, v[0]) for k, v in stats.SCOPES.items()],
                "sections": sections,
                "total": total,
                "is_bureau": is_bureau(request.user),
            },
        )
