"""Pages the generic resource views cannot give: the month form (with XLSX upload), the bureau's
month overview (late, missing, lock), dashboards, tiers, evaluation rounds, scoring, sensitivity
and PDF reports. Rows always come through ``Model.objects.restrict``.
"""

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from xiake.core.downloads import DOCX, PDF, XLSX, file_response
from xiake.core.forms import StyledFormMixin
from xiake.core.review import TransitionError
from xiake.core.roles import is_bureau
from xiake.core.uploads import ScannedFileField
from xiake.institutions import evaluation, monitoring, parkmap, reporting
from xiake.institutions.models import (
    EarlyWarning,
    EvaluationResult,
    EvaluationRound,
    EvaluatorAssignment,
    Indicator,
    Institution,
    MonthlyReport,
    Park,
    PeriodLock,
    Score,
    TierAssignment,
    WarningRule,
)


def bureau_only(request):
    if not is_bureau(request.user):
        raise PermissionDenied


def parse_month(text) -> dt.date:
    try:
        y, m = (int(p) for p in str(text).split("-")[:2])
        return dt.date(y, m, 1)
    except (TypeError, ValueError):
        raise Http404 from None


class ReportForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = MonthlyReport
        fields = (
            "period",
            *MonthlyReport.FIGURES,
            "new_firm_names",
            "correction_note",
            "outliers_confirmed",
        )
        widgets = {
            "period": forms.HiddenInput,
            "new_firm_names": forms.Textarea(attrs={"rows": 2}),
            "correction_note": forms.Textarea(attrs={"rows": 2}),
        }


class UploadForm(StyledFormMixin, forms.Form):
    file = ScannedFileField(label=_("Month sheet (.xlsx)"), allowed=(".xlsx",))


@login_required
def my_reports(request):
    """Institution users land on their own institution's months; others on the registry."""
    inst = Institution.objects.restrict(request.user, "change").first()
    if inst is None:
        return redirect(
            "institutions:overview" if is_bureau(request.user) else "institutions:institution_list"
        )
    return redirect("institutions:dashboard", pk=inst.pk)


@login_required
def report_month(request, pk, month):
    """The form for one institution and month: fill in, or upload the month sheet; then submit."""
    inst = get_object_or_404(Institution.objects.restrict(request.user, "view"), pk=pk)
    period = parse_month(month)
    can_edit = Institution.objects.restrict(request.user, "change").filter(pk=pk).exists()
    report = MonthlyReport.objects.filter(institution=inst, period=period).first()
    locked = PeriodLock.objects.filter(period=period).exists()
    instance = report or MonthlyReport(institution=inst, period=period)
    form, upload = ReportForm(instance=instance), UploadForm()
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action", "save")
        if action in ("submit", "withdraw") and report is not None:
            try:
                report.transition(action, request.user, request.POST.get("comment", ""))
            except TransitionError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Report %(r)s: %(s)s.") % {"r": report, "s": report.get_status_display()},
                )
            return redirect("institutions:report_month", pk=pk, month=month)
        data = request.POST
        if action == "upload":
            upload = UploadForm(request.POST, request.FILES)
            if upload.is_valid():
                f = upload.cleaned_data["file"]
                try:
                    values = reporting.parse_upload(f.name, f.read(), inst, period)
                except reporting.ImportRejected as exc:
                    upload.add_error("file", str(exc))
                except ValidationError as exc:
                    for field, errs in exc.message_dict.items():
                        upload.add_error(
                            "file",
                            f"{MonthlyReport._meta.get_field(field).verbose_name}: {'；'.join(errs)}",
                        )
                else:
                    data = {
                        k: v
                        for k, v in ReportForm(instance=instance).initial.items()
                        if k in ReportForm.Meta.fields
                    }
                    data.update({k: v for k, v in values.items()})
                    data = {
                        k: ("on" if v is True else v)
                        for k, v in data.items()
                        if v is not False and v is not None
                    }
            if upload.errors:
                return render(
                    request,
                    "institutions/report_form.html",
                    _ctx(inst, period, report, form, upload, locked, can_edit),
                    status=400,
                )
        data = data.copy() if hasattr(data, "copy") else dict(data)
        data["period"] = period.isoformat()
        form = ReportForm(data, instance=instance)
        if form.is_valid():
            saved = form.save(commit=False)
            saved.institution, saved.period = inst, period
            if saved.pk is None:
                saved.created_by = request.user
            if saved.status == "returned":
                saved.status = "draft"  # a corrected report goes back to draft; history keeps both
            saved.save()
            messages.success(request, _("Saved %(r)s.") % {"r": saved})
            return redirect("institutions:report_month", pk=pk, month=month)
        return render(
            request,
            "institutions/report_form.html",
            _ctx(inst, period, report, form, upload, locked, can_edit),
            status=400,
        )
    return render(
        request,
        "institutions/report_form.html",
        _ctx(inst, period, report, form, upload, locked, can_edit),
    )


def _ctx(inst, period, report, form, upload, locked, can_edit):
    return {
        "institution": inst,
        "period": period,
        "report": report,
        "form": form,
        "upload": upload,
        "locked": locked,
        "can_edit": can_edit and not locked,
        "month": f"{period:%Y-%m}",
        "prev_month": f"{reporting.add_months(period, -1):%Y-%m}",
        "next_month": f"{reporting.add_months(period, 1):%Y-%m}",
    }


@login_required
def report_template(request, pk, month):
    inst = get_object_or_404(Institution.objects.restrict(request.user, "view"), pk=pk)
    period = parse_month(month)
    name = f"monthly-{inst.pk}-{period:%Y-%m}.xlsx"
    return file_response(reporting.template_workbook(inst, period), name, XLSX, obj=inst)


@login_required
def month_overview(request):
    """The bureau's month: on time, late and missing lists; accept/return queue; lock; warnings."""
    bureau_only(request)
    today = timezone.localdate()
    default = reporting.add_months(reporting.month_start(today), -1)
    period = parse_month(
        request.GET.get("month") or request.POST.get("month") or f"{default:%Y-%m}"
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "lock":
            PeriodLock.objects.get_or_create(period=period, defaults={"created_by": request.user})
            messages.success(request, _("Month %(m)s locked.") % {"m": f"{period:%Y-%m}"})
        elif action == "unlock":
            PeriodLock.objects.filter(period=period).delete()
            messages.success(request, _("Month %(m)s unlocked.") % {"m": f"{period:%Y-%m}"})
        elif action == "warnings":
            n = monitoring.run_warnings(period)
            messages.success(request, _("%(n)d new warnings.") % {"n": n})
        return redirect(f"{request.path}?month={period:%Y-%m}")
    rule = WarningRule.in_force(period)
    on_time, late, missing, due = monitoring.reporting_status(period, rule, today)
    pending = (
        MonthlyReport.objects.restrict(request.user)
        .filter(period=period, status="pending")
        .select_related("institution")
    )
    return render(
        request,
        "institutions/month_overview.html",
        {
            "period": period,
            "month": f"{period:%Y-%m}",
            "due": due,
            "on_time": on_time,
            "late": late,
            "missing": missing,
            "pending": pending,
            "locked": PeriodLock.objects.filter(period=period).exists(),
            "prev_month": f"{reporting.add_months(period, -1):%Y-%m}",
            "next_month": f"{reporting.add_months(period, 1):%Y-%m}",
        },
    )


def _series(reports, field):
    return [float(getattr(r, field)) for r in reports]


@login_required
def dashboard(request, pk):
    """One institution: trends, year on year, cumulative against commitments, filing check."""
    inst = get_object_or_404(Institution.objects.restrict(request.user, "view"), pk=pk)
    reports = list(
        MonthlyReport.objects.restrict(request.user).filter(institution=inst).order_by("period")
    )
    months = [f"{r.period:%Y-%m}" for r in reports]
    trend = {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value", "name": _("10k yuan")},
        "series": [
            {"name": _("Revenue"), "type": "line", "data": _series(reports, "revenue")},
            {"name": _("R&D spend"), "type": "line", "data": _series(reports, "rd_spend")},
            {
                "name": _("Technical income"),
                "type": "line",
                "data": _series(reports, "technical_income"),
            },
        ],
    }
    by_year = defaultdict(lambda: defaultdict(float))
    for r in reports:
        for f in ("revenue", "rd_spend", "technical_income"):
            by_year[r.period.year][f] += float(getattr(r, f))
    years = sorted(by_year)
    yoy = {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": [str(y) for y in years]},
        "yAxis": {"type": "value"},
        "series": [
            {"name": label, "type": "bar", "data": [round(by_year[y][f], 2) for y in years]}
            for f, label in (("revenue", _("Revenue")), ("rd_spend", _("R&D spend")))
        ],
    }
    commit = {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": months},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _("Incubated firms, cumulative"),
                "type": "line",
                "data": [r.incubated_cum for r in reports],
            },
            {
                "name": _("Committed within 3 years"),
                "type": "line",
                "data": [inst.committed_incubated_3y] * len(reports),
                "lineStyle": {"type": "dashed"},
            },
        ],
    }
    today = timezone.localdate()
    return render(
        request,
        "institutions/dashboard.html",
        {
            "institution": inst,
            "reports": reports[::-1][:12],
            "trend": trend,
            "yoy": yoy,
            "commit": commit,
            "checks": inst.filing_check(),
            "warnings": EarlyWarning.objects.restrict(request.user).filter(institution=inst)[:10],
            "can_edit": Institution.objects.restrict(request.user, "change").filter(pk=pk).exists(),
            "this_month": f"{reporting.add_months(reporting.month_start(today), -1):%Y-%m}",
        },
    )


def overview_data(user, year: int):
    """District overview figures for ``year`` (used by the page and the benchmark)."""
    insts = {i.pk: i for i in Institution.objects.restrict(user)}
    rows = (
        MonthlyReport.objects.restrict(user)
        .filter(period__year=year)
        .values("institution_id")
        .annotate(
            revenue=Sum("revenue"),
            rd=Sum("rd_spend"),
            income=Sum("technical_income"),
            patents=Sum("patent_applications"),
            n=Count("id"),
        )
    )
    table = []
    for r in rows:
        inst = insts.get(r["institution_id"])
        if inst is None:
            continue
        table.append(
            {
                "institution": inst,
                "revenue": r["revenue"] or Decimal(0),
                "rd": r["rd"] or Decimal(0),
                "income": r["income"] or Decimal(0),
                "patents": r["patents"] or 0,
                "months": r["n"],
            }
        )
    table.sort(key=lambda r: -r["revenue"])
    by_park = parkmap.park_rows(
        insts.values(), {r["institution"].pk: r["revenue"] for r in table}, Park.objects.all()
    )
    by_filing = Counter(i.get_filing_status_display() for i in insts.values())
    buckets = [0, 100, 500, 1000, 5000, 10**9]
    dist = [
        sum(1 for r in table if lo <= r["revenue"] < hi)
        for lo, hi in zip(buckets, buckets[1:], strict=False)
    ]
    return table, by_park, by_filing, dist, buckets


@login_required
def overview(request):
    """District overview: ranking table, distribution, map by park (and its table), warnings."""
    bureau_only(request)
    year = int(request.GET.get("year") or timezone.localdate().year - 1)
    table, by_park, by_filing, dist, buckets = overview_data(request.user, year)
    labels = [
        f"{lo}–{hi}" if hi < 10**9 else f"≥{lo}"
        for lo, hi in zip(buckets, buckets[1:], strict=False)
    ]
    return render(
        request,
        "institutions/overview.html",
        {
            "year": year,
            "table": table[:60],
            "parks": by_park,
            "park_map": parkmap.park_map_option(by_park),
            "filing_chart": {
                "tooltip": {},
                "series": [
                    {
                        "type": "pie",
                        "radius": "60%",
                        "data": [{"name": k, "value": v} for k, v in by_filing.items()],
                    }
                ],
            },
            "dist_chart": {
                "tooltip": {},
                "xAxis": {"type": "category", "data": labels, "name": _("10k yuan")},
                "yAxis": {"type": "value"},
                "series": [{"type": "bar", "data": dist, "name": _("Institutions")}],
            },
            "open_warnings": [
                {**w, "label": EarlyWarning.Kind(w["kind"]).label}
                for w in EarlyWarning.objects.filter(status="open")
                .values("kind")
                .annotate(n=Count("id"))
                .order_by("-n")
            ],
        },
    )


@login_required
def tiers(request):
    """Suggested tier per institution with the evidence; the bureau confirms."""
    bureau_only(request)
    today = timezone.localdate()
    if request.method == "POST":
        inst = get_object_or_404(Institution, pk=request.POST.get("institution"))
        tier, evidence = monitoring.suggest_tier(inst, today)
        TierAssignment.objects.create(
            institution=inst,
            suggested=tier,
            confirmed=tier,
            evidence=evidence,
            as_of=today,
            confirmed_by=request.user,
            confirmed_at=timezone.now(),
        )
        inst.tier = tier
        inst.save()
        messages.success(request, _("Tier of %(i)s confirmed.") % {"i": inst})
        return redirect("institutions:tiers")
    rows = []
    for inst in Institution.objects.select_related("tier"):
        tier, evidence = monitoring.suggest_tier(inst, today)
        rows.append({"institution": inst, "suggested": tier, "evidence": evidence})
    return render(request, "institutions/tiers.html", {"rows": rows})


# -- evaluation ---------------------------------------------------------------------------------


@login_required
def rounds(request):
    visible = EvaluationRound.objects.restrict(request.user).select_related("system")
    return render(
        request, "institutions/rounds.html", {"rounds": visible, "bureau": is_bureau(request.user)}
    )


@login_required
def round_detail(request, pk):
    round_ = get_object_or_404(EvaluationRound.objects.restrict(request.user), pk=pk)
    bureau = is_bureau(request.user)
    if request.method == "POST":
        bureau_only(request)
        action = request.POST.get("action")
        try:
            if action == "compute":
                n = evaluation.run(round_)
                messages.success(request, _("%(n)d results computed.") % {"n": n})
            elif action == "publish":
                evaluation.publish(round_)
                messages.success(request, _("Results published; the indicator version is frozen."))
            elif action == "assign":
                from django.contrib.auth import get_user_model

                evaluator = get_object_or_404(
                    get_user_model(), pk=request.POST.get("evaluator"), role="evaluator"
                )
                for inst_id in request.POST.getlist("institutions"):
                    EvaluatorAssignment.objects.get_or_create(
                        round=round_, evaluator=evaluator, institution_id=int(inst_id)
                    )
                messages.success(request, _("Assignments saved."))
        except TransitionError as exc:
            messages.error(request, str(exc))
        return redirect("institutions:round_detail", pk=pk)
    assignments = (
        EvaluatorAssignment.objects.restrict(request.user)
        .filter(round=round_)
        .select_related("institution", "evaluator")
    )
    results = (
        EvaluationResult.objects.restrict(request.user)
        .filter(round=round_)
        .select_related("institution")
        .order_by("rank")
    )
    from django.contrib.auth import get_user_model

    return render(
        request,
        "institutions/round_detail.html",
        {
            "round": round_,
            "bureau": bureau,
            "assignments": assignments,
            "results": results,
            "indicators": round_.system.indicators.all(),
            "evaluators": get_user_model().objects.filter(role="evaluator") if bureau else [],
            "institutions": Institution.objects.all() if bureau else [],
        },
    )


@login_required
def score_assignment(request, pk):
    """An evaluator scores the qualitative indicators of one assigned institution, with comments."""
    assignment = get_object_or_404(
        EvaluatorAssignment.objects.restrict(request.user).select_related("round", "institution"),
        pk=pk,
    )
    indicators = assignment.round.system.indicators.filter(method="scored")
    existing = {
        s.indicator_id: s
        for s in Score.objects.restrict(request.user).filter(assignment=assignment)
    }
    errors = {}
    if request.method == "POST":
        if assignment.round.status == "published":
            raise PermissionDenied
        for ind in indicators:
            raw = request.POST.get(f"score_{ind.pk}", "").strip()
            if raw == "":
                continue
            score = existing.get(ind.pk) or Score(
                assignment=assignment, indicator=ind, created_by=request.user
            )
            try:
                score.value = Decimal(raw)
            except ArithmeticError:
                errors[ind.pk] = _("“%(v)s” is not a number.") % {"v": raw}
                continue
            score.comment = request.POST.get(f"comment_{ind.pk}", "")
            try:
                score.full_clean(exclude=["assignment", "indicator"])
            except ValidationError as exc:
                errors[ind.pk] = "；".join(exc.messages)
                continue
            score.save()
            existing[ind.pk] = score
        if not errors:
            messages.success(request, _("Scores saved."))
            return redirect("institutions:score", pk=pk)
    rows = [(ind, existing.get(ind.pk), errors.get(ind.pk)) for ind in indicators]
    return render(
        request,
        "institutions/score.html",
        {"assignment": assignment, "rows": rows},
        status=400 if errors else 200,
    )


@login_required
def sensitivity(request, pk):
    bureau_only(request)
    round_ = get_object_or_404(EvaluationRound, pk=pk)
    data = evaluation.sensitivity(round_)
    names = dict(Institution.objects.values_list("pk", "name"))
    ranges = sorted(
        ((names[k], data["base"][k], lo, hi) for k, (lo, hi) in data["ranges"].items()),
        key=lambda r: r[1],
    )
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {},
        "xAxis": {"type": "category", "data": [r["code"] for r in data["indicators"]]},
        "yAxis": {"type": "value"},
        "series": [
            {
                "name": _("Largest rank move, weight −20%"),
                "type": "bar",
                "data": [r["down_max_move"] for r in data["indicators"]],
            },
            {
                "name": _("Largest rank move, weight +20%"),
                "type": "bar",
                "data": [r["up_max_move"] for r in data["indicators"]],
            },
        ],
    }
    return render(
        request,
        "institutions/sensitivity.html",
        {"round": round_, "data": data, "ranges": ranges, "chart": chart},
    )


@login_required
def result_pdf(request, pk):
    """PDF report of one institution's result (visible results only)."""
    from xiake.institutions import pdf

    result = get_object_or_404(
        EvaluationResult.objects.restrict(request.user).select_related("round", "institution"),
        pk=pk,
    )
    name = f"evaluation-{result.round_id}-{result.institution_id}.pdf"
    return file_response(pdf.institution_report(result), name, PDF, obj=result, inline=True)


@login_required
def result_docx(request, pk):
    """The same report as DOCX (visible results only)."""
    from xiake.institutions import word

    result = get_object_or_404(
        EvaluationResult.objects.restrict(request.user).select_related("round", "institution"),
        pk=pk,
    )
    name = f"evaluation-{result.round_id}-{result.institution_id}.docx"
    return file_response(word.institution_report(result), name, DOCX, obj=result)


@login_required
def round_pdf(request, pk):
    from xiake.institutions import pdf

    bureau_only(request)
    round_ = get_object_or_404(EvaluationRound, pk=pk)
    name = f"evaluation-{round_.pk}-summary.pdf"
    return file_response(pdf.summary_report(round_), name, PDF, obj=round_, inline=True)


__all__ = ["Indicator"]
