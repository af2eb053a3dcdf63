"""The audit administrator's search of the audit log (``/audit/``) and its CSV/XLSX export.

Only the audit administrator (``is_audit_admin``; MLPS 2.0 三员分立) reads the log: the bureau, the
other administrators and superusers get 403. Every filter is served by an index of
``ChangeRecord``, free text by the terms index of ``xiake.core.auditsearch`` (measured by
benchmarks/bench_audit.py); pages are numbered without counting the matches, which at a million
records would cost more than the page itself.
"""

import csv
import datetime as dt
import io
import json
import tempfile

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from xiake.core import auditsearch, downloads
from xiake.core.exporter import neutralise
from xiake.core.forms import style_form
from xiake.core.models import ChangeAction, ChangeRecord
from xiake.core.roles import is_audit_admin

PAGE_SIZE = 50
# An XLSX sheet holds 1,048,576 rows; larger results are exported as CSV.
XLSX_LIMIT = 1_000_000
EXPORT_FORMATS = ("csv", "xlsx")
CONTROL_PARAMS = frozenset({"page", "export"})


class AuditSearchForm(forms.Form):
    """The audit log's filters; every one optional, all of them combined with AND."""

    actor = forms.CharField(label=gettext_lazy("Actor"), max_length=150, required=False)
    action = forms.ChoiceField(
        label=gettext_lazy("Action"),
        choices=[("", "—"), *ChangeAction.choices],
        required=False,
    )
    object_type = forms.CharField(
        label=gettext_lazy("Object type"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("app.model, e.g. catalog.achievement"),
    )
    object_id = forms.CharField(label=gettext_lazy("Object id"), max_length=64, required=False)
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    ip = forms.GenericIPAddressField(label="IP", required=False)
    request_id = forms.CharField(label=gettext_lazy("Request id"), max_length=64, required=False)
    q = forms.CharField(label=gettext_lazy("Text"), max_length=100, required=False)

    def clean_object_type(self):
        value = self.cleaned_data["object_type"].strip().lower()
        if not value:
            return None
        app_label, _dot, model = value.partition(".")
        try:
            return ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            raise forms.ValidationError(
                _("Unknown object type “%(value)s” (write app.model).") % {"value": value}
            ) from None

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def queryset(self):
        """The matching records, newest first (call only when the form is valid)."""
        data = self.cleaned_data
        qs = ChangeRecord.objects.all()
        if data.get("actor"):
            qs = qs.filter(actor_name=data["actor"].strip())
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(content_type=data["object_type"])
        if data.get("object_id"):
            qs = qs.filter(object_id=data["object_id"].strip())
        if data.get("date_from"):
            qs = qs.filter(time__gte=_midnight(data["date_from"]))
        if data.get("date_to"):
            qs = qs.filter(time__lt=_midnight(data["date_to"] + dt.timedelta(days=1)))
        if data.get("ip"):
            qs = qs.filter(ip=data["ip"])
        if data.get("request_id"):
            qs = qs.filter(request_id=data["request_id"].strip())
        text = (data.get("q") or "").strip()
        if text:
            qs = auditsearch.search(qs, text)
        return qs.order_by("-time", "-id").defer("search_terms")


def _midnight(day):
    """Local midnight of ``day`` (the bureau's dates are local, the log's times UTC)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


COLUMNS = (
    ("time", gettext_lazy("Time")),
    ("actor", gettext_lazy("Actor")),
    ("action", gettext_lazy("Action")),
    ("object_type", gettext_lazy("Object type")),
    ("object_id", gettext_lazy("Object id")),
    ("object", gettext_lazy("Object")),
    ("ip", "IP"),
    ("request_id", gettext_lazy("Request id")),
    ("comment", gettext_lazy("Comment")),
    ("before", gettext_lazy("Before")),
    ("after", gettext_lazy("After")),
)


def _rows(qs):
    types = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    labels = dict(ChangeAction.choices)
    yield [str(label) for _key, label in COLUMNS]
    for r in qs.iterator(chunk_size=2000):
        yield [
            neutralise(v)
            for v in (
                timezone.localtime(r.time).strftime("%Y-%m-%d %H:%M:%S"),
                r.actor_name,
                str(labels.get(r.action, r.action)),
                types.get(r.content_type_id, ""),
                r.object_id,
                r.object_repr,
                r.ip or "",
                r.request_id,
                r.comment,
                _json(r.before),
                _json(r.after),
            )
        ]


def _json(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _csv_chunks(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with a BOM
    for row in rows:
        writer.writerow(row)
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_file(rows):
    """The workbook written row by row to a temporary file (streamed out, deleted on close)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(_("Audit log"))[:31])
    for row in rows:
        ws.append(row)
    handle = tempfile.TemporaryFile()
    wb.save(handle)
    handle.seek(0)
    return handle


class AuditLogView(LoginRequiredMixin, View):
    """Search the audit log; ``export=csv|xlsx`` downloads the whole filtered result (audited)."""

    def get(self, request):
        if not is_audit_admin(request.user):
            raise PermissionDenied
        unknown = sorted(set(request.GET) - set(AuditSearchForm.base_fields) - CONTROL_PARAMS)
        form = style_form(AuditSearchForm(request.GET or None), small=True)
        if unknown:
            message = _("Unknown filter: %(names)s.") % {"names": ", ".join(unknown)}
            return self.page(request, form, error=message, status=400)
        if request.GET and not form.is_valid():
            return self.page(request, form, status=400)
        qs = (
            form.queryset()
            if form.is_bound
            else ChangeRecord.objects.order_by("-time", "-id").defer("search_terms")
        )
        export = request.GET.get("export")
        if export:
            return self.export(request, qs, export)
        try:
            number = max(1, int(request.GET.get("page", 1)))
        except ValueError:
            number = 1
        start = (number - 1) * PAGE_SIZE
        rows = list(qs.select_related("content_type")[start : start + PAGE_SIZE + 1])
        return self.page(
            request,
            form,
            records=rows[:PAGE_SIZE],
            number=number,
            has_next=len(rows) > PAGE_SIZE,
        )

    def page(self, request, form, records=(), number=1, has_next=False, error="", status=200):
        return render(
            request,
            "core/changerecord_list.html",
            {
                "form": form,
                "records": records,
                "number": number,
                "previous": number - 1 if number > 1 else None,
                "next": number + 1 if has_next else None,
                "error": error,
            },
            status=status,
        )

    def export(self, request, qs, fmt):
        if fmt not in EXPORT_FORMATS:
            form = style_form(AuditSearchForm(request.GET), small=True)
            message = _("Unknown export format “%(value)s” (csv or xlsx).") % {"value": fmt}
            return self.page(request, form, error=message, status=400)
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        what = request.GET.urlencode()
        name = f"audit-log-{stamp}.{fmt}"
        if fmt == "csv":
            chunks = _csv_chunks(_rows(qs))
            return downloads.file_response(chunks, name, downloads.CSV, export=True, what=what)
        handle = _xlsx_file(_rows(qs[:XLSX_LIMIT]))
        return downloads.file_response(handle, name, downloads.XLSX, export=True, what=what)
