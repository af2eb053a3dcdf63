"""Monthly reports: validation rules, deadlines, late and missing lists, XLSX upload.

Validation lives here and is called from ``MonthlyReport.clean`` so that the form, the generic
edit page, the spreadsheet upload and the API all apply the same rules and name the field broken.
"""

import datetime as dt
import io
import statistics
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from xiake.core import context
from xiake.core.importer import ImportRejected, read_table
from xiake.core.roles import is_bureau


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(day: dt.date, n: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def deadline_of(period: dt.date, rule) -> dt.date:
    """The day a month's report is due (day N of the following month, from the rule in force)."""
    return add_months(period, 1).replace(day=rule.deadline_day if rule else 10)


def _label(report, name):
    return str(report._meta.get_field(name).verbose_name)


def previous_report(report):
    from xiake.institutions.models import MonthlyReport

    return (
        MonthlyReport.objects.filter(institution_id=report.institution_id, period__lt=report.period)
        .exclude(pk=report.pk)
        .order_by("-period")
        .first()
    )


def check_own_institution(record) -> None:
    """Refuse a record for an institution the acting member may not change."""
    from xiake.institutions.models import Institution

    actor = context.current().actor()
    if actor is None or not record.institution_id or is_bureau(actor):
        return
    if not Institution.objects.restrict(actor, "change").filter(pk=record.institution_id).exists():
        raise ValidationError({"institution": _("You may report only for your own institution.")})


def validate_report(report) -> None:
    """Raise ValidationError naming each field and the rule it breaks."""
    from xiake.institutions.models import PeriodLock, WarningRule

    errors: dict[str, list[str]] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if report.period:
        if report.period.day != 1:
            report.period = month_start(report.period)
        if report.period > month_start(dt.date.today()):
            add("period", _("A month in the future cannot be reported."))
        if PeriodLock.objects.filter(period=report.period).exists():
            add(
                "period",
                _("The month %(m)s is locked by the bureau.") % {"m": f"{report.period:%Y-%m}"},
            )
    try:
        check_own_institution(report)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    for name in report.FIGURES:
        value = getattr(report, name)
        if value is not None and value < 0:
            add(name, _("%(f)s cannot be negative.") % {"f": _label(report, name)})
    if report.fulltime_rd_staff > report.staff_total:
        add(
            "fulltime_rd_staff",
            _("Full-time R&D staff (%(a)d) cannot exceed staff (%(b)d).")
            % {"a": report.fulltime_rd_staff, "b": report.staff_total},
        )
    if report.invention_applications > report.patent_applications:
        add(
            "invention_applications", _("Invention applications cannot exceed patent applications.")
        )
    if report.invention_grants > report.patent_grants:
        add("invention_grants", _("Invention patents granted cannot exceed patents granted."))
    if report.hightech_cum > report.incubated_cum + report.introduced_cum:
        add("hightech_cum", _("High-tech firms cannot exceed incubated plus introduced firms."))
    if report.technical_income > report.revenue:
        add("technical_income", _("Technical income cannot exceed revenue."))
    if report.team_shareholders > report.staff_total and report.staff_total:
        add("team_shareholders", _("Team shareholders cannot exceed staff."))
    if report.institution_id and report.period:
        prev = previous_report(report)
        if prev is not None:
            for name in report.CUMULATIVE:
                before, now = getattr(prev, name), getattr(report, name)
                if now < before and not (report.correction_note or "").strip():
                    add(
                        name,
                        _(
                            "%(f)s is cumulative and fell from %(a)s to %(b)s; state the "
                            "correction in the correction note."
                        )
                        % {"f": _label(report, name), "a": before, "b": now},
                    )
            for new, cum in (
                ("incubated_new", "incubated_cum"),
                ("introduced_new", "introduced_cum"),
            ):
                expected = getattr(prev, cum) + getattr(report, new)
                if getattr(report, cum) != expected and not (report.correction_note or "").strip():
                    add(
                        cum,
                        _(
                            "%(f)s should be %(e)d (last month plus this month's new firms); "
                            "state a correction otherwise."
                        )
                        % {"f": _label(report, cum), "e": expected},
                    )
        if not report.outliers_confirmed:
            rule = WarningRule.in_force(report.period)
            factor = Decimal(rule.outlier_factor) if rule else Decimal(5)
            for name, median in history_medians(report).items():
                value = getattr(report, name) or 0
                if median > 0 and value > median * factor:
                    add(
                        name,
                        _(
                            "%(f)s is %(v)s, more than %(k)s times this institution's usual month "
                            "(%(m)s); tick “unusual figures confirmed” if it is right."
                        )
                        % {"f": _label(report, name), "v": value, "k": factor, "m": median},
                    )
    if errors:
        raise ValidationError(errors)


def history_medians(report, months: int = 12) -> dict:
    """Median of each monthly flow over the institution's previous ``months`` reports."""
    from xiake.institutions.models import MonthlyReport

    rows = list(
        MonthlyReport.objects.filter(institution_id=report.institution_id, period__lt=report.period)
        .order_by("-period")
        .values_list(*report.FLOWS)[:months]
    )
    if len(rows) < 6:
        return {}
    return {
        name: Decimal(statistics.median([r[i] for r in rows]))
        for i, name in enumerate(report.FLOWS)
    }


# -- spreadsheet ---------------------------------------------------------------------------------


def sheet_fields():
    from xiake.institutions.models import MonthlyReport

    return ("period", *MonthlyReport.FIGURES, "new_firm_names", "correction_note")


def template_workbook(institution=None, period=None) -> bytes:
    """A two-column workbook (field, value) for one institution and month."""
    from django.utils.translation import override
    from openpyxl import Workbook

    from xiake.institutions.models import MonthlyReport

    wb = Workbook()
    ws = wb.active
    ws.title = "monthly"
    with override("zh-hans"):
        ws.append([str(_("Field")), str(_("Value"))])
        ws.append([str(_("Institution")), institution.name if institution else ""])
        for name in sheet_fields():
            value = ""
            if name == "period" and period:
                value = f"{period:%Y-%m}"
            ws.append([str(MonthlyReport._meta.get_field(name).verbose_name), value])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse_upload(name: str, data: bytes, institution, period) -> dict:
    """Field values from an uploaded month sheet; refuse a sheet for another institution or month.

    Raises ImportRejected (whole file) or ValidationError (cells, naming the field).
    """
    from django.utils.translation import override

    from xiake.institutions.models import MonthlyReport

    header, rows = read_table(name, data)
    rows = [header, *rows]
    labels = {}
    with override("zh-hans"):
        for f in sheet_fields():
            field = MonthlyReport._meta.get_field(f)
            labels[str(field.verbose_name)] = f
        inst_label = str(_("Institution"))
    for f in sheet_fields():
        labels[f] = f
    values, errors, sheet_inst = {}, {}, None
    for row in rows:
        if not row or row[0] is None:
            continue
        key = str(row[0]).strip()
        raw = row[1] if len(row) > 1 else None
        if key in (inst_label, "institution"):
            sheet_inst = str(raw or "").strip()
            continue
        field = labels.get(key)
        if field is None:
            continue
        values[field] = raw
    if sheet_inst and sheet_inst != institution.name:
        raise ImportRejected(
            _("This sheet is for “%(s)s”, not for “%(i)s”.")
            % {"s": sheet_inst, "i": institution.name}
        )
    raw_period = values.pop("period", None)
    sheet_period = _parse_month(raw_period)
    if sheet_period is None or sheet_period != period:
        raise ImportRejected(
            _("This sheet is for the month %(s)s, not for %(p)s.")
            % {"s": raw_period or "—", "p": f"{period:%Y-%m}"}
        )
    cleaned = {}
    for field, raw in values.items():
        model_field = MonthlyReport._meta.get_field(field)
        if field in ("new_firm_names", "correction_note"):
            cleaned[field] = "" if raw is None else str(raw).strip()
            continue
        text = "" if raw is None else str(raw).replace(",", "").strip()
        if text == "":
            cleaned[field] = 0
            continue
        try:
            number = Decimal(text)
        except InvalidOperation:
            errors[field] = _("“%(v)s” is not a number.") % {"v": raw}
            continue
        if model_field.get_internal_type() == "PositiveIntegerField":
            if number != number.to_integral_value():
                errors[field] = _("“%(v)s” is not a whole number.") % {"v": raw}
                continue
            number = int(number)
        cleaned[field] = number
    if errors:
        raise ValidationError(errors)
    return cleaned


def _parse_month(raw):
    if isinstance(raw, dt.datetime):
        return raw.date().replace(day=1)
    if isinstance(raw, dt.date):
        return raw.replace(day=1)
    text = str(raw or "").strip().replace("年", "-").replace("月", "").replace("/", "-")
    parts = text.split("-")
    try:
        return dt.date(int(parts[0]), int(parts[1]), 1)
    except (ValueError, IndexError):
        return None


__all__ = ["ImportRejected", "parse_upload", "template_workbook", "validate_report"]
