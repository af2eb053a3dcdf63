"""Generic pages built from a Resource: list, detail, edit, delete, review, history, import, export.

Every view obtains its rows through ``Model.objects.restrict(user, action)``; a record outside the
user's scope answers 404, an action the user may not take answers 403.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, models, transaction
from django.forms import modelform_factory
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views import View

from xiake.core import downloads, exporter, importer, pagecache
from xiake.core.filtersets import unknown_params
from xiake.core.forms import StyledFormMixin, style_form
from xiake.core.masking import masked_values, record_identity_reveal
from xiake.core.models import ChangeRecord, ImportJob
from xiake.core.pagination import IdPaginator
from xiake.core.review import TransitionError
from xiake.core.roles import is_bureau
from xiake.core.tables import Table
from xiake.core.uploads import IMPORT_TYPES, ScannedFileField

PAGE_SIZES = (20, 50, 100)
SHORT_SCHEMES = {"coop_mode", "ip_type"}
EXPORT_LIMIT = 100_000


class ResourceView(View):
    resource = None  # set by core.urls for each registered resource

    def get_object(self, pk, action="view"):
        """The record if ``action`` is allowed; 404 when it is not even visible, 403 otherwise."""
        visible = self.resource.model.objects.restrict(self.request.user, "view")
        obj = get_object_or_404(visible, pk=pk)
        if action != "view" and not self.resource.policy().can(self.request.user, obj, action):
            raise PermissionDenied
        return obj

    def context(self, **extra):
        return {"resource": self.resource, "opts": self.resource.model._meta, **extra}


class ObjectListView(ResourceView):
    template_name = "core/object_list.html"
    body_template = "core/object_list_body.html"

    def get(self, request):
        resource = self.resource
        bad = unknown_params(request.GET, resource.filterset_class)
        if bad:
            return render(
                request,
                "400.html",
                {"message": _("Unknown filter parameter: %(p)s") % {"p": ", ".join(bad)}},
                status=400,
            )
        cache_key = None
        if pagecache.cacheable(request):
            cache_key = pagecache.response_key(resource.model, request, "html")
            cached = pagecache.get(cache_key)
            if cached is not None:
                return HttpResponse(pagecache.with_csrf_token(request, cached))
        filterset = resource.filterset_class(
            request.GET, queryset=resource.queryset(request.user), request=request
        )
        style_form(filterset.form, small=True)
        if not filterset.is_valid():
            body = render_to_string(
                self.body_template,
                self.context(filterset=filterset, table=None, page_obj=None),
                request,
            )
            return self.page(request, body, status=400)
        qs = filterset.qs
        export = request.GET.get("export")
        if export in ("csv", "xlsx"):
            return exporter.export_response(
                resource, qs[:EXPORT_LIMIT], request.user, export, what=request.GET.urlencode()
            )
        try:
            per_page = int(request.GET.get("page_size", PAGE_SIZES[0]))
        except ValueError:
            per_page = PAGE_SIZES[0]
        per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
        page_obj = IdPaginator(qs, per_page).get_page(request.GET.get("page"))
        table = Table(
            resource, page_obj.object_list, request.user, ordering=request.GET.get("ordering", "")
        )
        policy = resource.policy()
        body = render_to_string(
            self.body_template,
            self.context(
                filterset=filterset,
                table=table,
                page_obj=page_obj,
                can_create=policy.can_create(request.user),
                can_import=policy.can_import(request.user),
                page_sizes=PAGE_SIZES,
            ),
            request,
        )
        if cache_key:
            # The whole page is kept, with a marker where each visitor's CSRF token goes.
            html = render_to_string(
                self.template_name,
                self.context(body=mark_safe(body), csrf_token=pagecache.CSRF_MARKER),
                request,
            )
            pagecache.put(cache_key, html)
            return HttpResponse(pagecache.with_csrf_token(request, html))
        return self.page(request, body)

    def page(self, request, body, status=200):
        return render(
            request, self.template_name, self.context(body=mark_safe(body)), status=status
        )


# Other apps add sections to every detail page (matching: the "matches" panel) without core
# knowing them: functions ``(request, resource, obj) -> HTML or None``, rendered below the fields.
detail_section_providers: list = []


class ObjectDetailView(ResourceView):
    template_name = "core/object_detail.html"

    def get(self, request, pk):
        obj = self.get_object(pk)
        resource, policy = self.resource, self.resource.policy()
        fields = []
        raw = {}
        for name in resource.detail_field_names:
            f = resource.field(name)
            value = getattr(obj, name)
            if f.many_to_many:
                value = list(value.all())
            elif f.choices:
                value = obj._get_FIELD_display(f)
            raw[name] = value
        raw = masked_values(obj, request.user, raw)
        record_identity_reveal(obj, request.user, raw)
        for name in resource.detail_field_names:
            fields.append((resource.field(name), raw[name]))
        transitions = obj.available_transitions(request.user) if resource.is_reviewed else []
        return render(
            request,
            self.template_name,
            self.context(
                object=obj,
                fields=fields,
                transitions=transitions,
                can_change=policy.can(request.user, obj, "change"),
                can_delete=policy.can(request.user, obj, "delete"),
                related=self.related(obj),
                attachments=obj.attachments.all() if hasattr(obj, "attachments") else (),
                extra_sections=[
                    html
                    for provider in detail_section_providers
                    if (html := provider(request, resource, obj))
                ],
            ),
        )

    def related(self, obj):
        """Lists of child records to show under the fields (declared by the resource)."""
        return [
            (label, getattr(obj, attr).all()[:50])
            for label, attr in getattr(self.resource, "detail_related", ())
        ]


class ObjectEditView(LoginRequiredMixin, ResourceView):
    template_name = "core/object_edit.html"

    def form_class(self):
        resource = self.resource
        fields = list(resource.form_fields)
        if resource.owner_field and not is_bureau(self.request.user):
            fields.remove(resource.owner_field)
        form_class = modelform_factory(
            resource.model,
            form=type("StyledModelForm", (StyledFormMixin, forms.ModelForm), {}),
            fields=fields,
            widgets=self.widgets(fields),
        )
        self.limit_term_choices(form_class)
        return form_class

    def widgets(self, fields):
        """Checkboxes for short multiple-choice lists (e.g. the six cooperation modes)."""
        widgets = {}
        for name in fields:
            f = self.resource.field(name)
            if f.many_to_many and f.related_model._meta.label == "taxonomy.Term":
                scheme = (f.remote_field.limit_choices_to or {}).get("scheme__code")
                if scheme in SHORT_SCHEMES:
                    widgets[name] = forms.CheckboxSelectMultiple
        return widgets

    def narrow_choices(self, form):
        """Pickers offer only records the user may see (a draft's or a confidential demand's
        title must not leak through a drop-down); a posted id outside them is a form error."""
        # The relation a record's ownership runs through (a faculty's university) must be one
        # the user may change: nobody files records under another organisation's university.
        owner_path = getattr(self.resource.policy(), "owner_field", "")
        owning_relation = owner_path.split("__")[0] if "__" in owner_path else None
        for name, field in form.fields.items():
            qs = getattr(field, "queryset", None)
            if qs is not None and hasattr(qs, "restrict") and hasattr(qs.model, "policy"):
                action = "change" if name == owning_relation else "view"
                field.queryset = qs.restrict(self.request.user, action)
        return form

    def limit_term_choices(self, form_class):
        """Offer only the current version of each taxonomy in forms."""
        for field in form_class.base_fields.values():
            qs = getattr(field, "queryset", None)
            if qs is not None and qs.model._meta.label == "taxonomy.Term":
                field.queryset = qs.filter(scheme__is_current=True).order_by("sort_order", "code")

    def get_instance(self, pk):
        if pk is None:
            if not self.resource.policy().can_create(self.request.user):
                raise PermissionDenied
            return self.resource.model()
        return self.get_object(pk, "change")

    def get(self, request, pk=None):
        obj = self.get_instance(pk)
        form = self.narrow_choices(self.form_class()(instance=obj))
        return render(request, self.template_name, self.context(form=form, object=obj))

    def post(self, request, pk=None):
        obj = self.get_instance(pk)
        form = self.narrow_choices(self.form_class()(request.POST, request.FILES, instance=obj))
        if form.is_valid():
            instance = form.save(commit=False)
            if pk is None:
                instance.created_by = request.user
                owner = self.resource.owner_field
                if owner and not is_bureau(request.user):
                    setattr(instance, f"{owner}_id", request.user.organization_id)
            try:
                with transaction.atomic():
                    instance.save()
                    form.save_m2m()
            except IntegrityError:
                form.add_error(
                    None, _("A record with the same name already exists for this organisation.")
                )
            else:
                messages.success(request, _("Saved “%(obj)s”.") % {"obj": instance})
                return redirect(instance.get_absolute_url())
        return render(request, self.template_name, self.context(form=form, object=obj), status=400)


def protected_reason(exc: models.ProtectedError) -> str:
    """“3 docking assignments, 1 contact log”: what keeps a record from being deleted."""
    counts: dict = {}
    for obj in exc.protected_objects:
        counts[type(obj)] = counts.get(type(obj), 0) + 1
    return "，".join(
        f"{n} {m._meta.verbose_name_plural if n > 1 else m._meta.verbose_name}"
        for m, n in counts.items()
    )


class ObjectDeleteView(LoginRequiredMixin, ResourceView):
    template_name = "core/object_delete.html"

    def get(self, request, pk):
        obj = self.get_object(pk, "delete")
        return render(request, self.template_name, self.context(object=obj))

    def post(self, request, pk):
        obj = self.get_object(pk, "delete")
        try:
            obj.delete()
        except models.ProtectedError as exc:
            messages.error(
                request,
                _("“%(obj)s” cannot be deleted: %(reason)s refer to it.")
                % {"obj": obj, "reason": protected_reason(exc)},
            )
            return redirect(obj.get_absolute_url())
        messages.success(request, _("Deleted “%(obj)s”.") % {"obj": obj})
        return redirect(self.resource.url_name("list"))


class ObjectReviewView(LoginRequiredMixin, ResourceView):
    """POST action=submit|withdraw|publish|return|reject|unpublish with an optional comment."""

    def post(self, request, pk):
        obj = self.get_object(pk)
        try:
            obj.transition(
                request.POST.get("action", ""), request.user, request.POST.get("comment", "")
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("“%(obj)s” is now %(status)s.")
                % {"obj": obj, "status": obj.get_status_display()},
            )
        return redirect(obj.get_absolute_url())


class ObjectHistoryView(ResourceView):
    template_name = "core/object_history.html"

    def get(self, request, pk):
        obj = self.get_object(pk)
        ct = ContentType.objects.get_for_model(self.resource.model)
        records = ChangeRecord.objects.filter(content_type=ct, object_id=str(obj.pk))
        records = records.select_related("actor")[:200]
        return render(request, self.template_name, self.context(object=obj, records=records))


class ImportForm(StyledFormMixin, forms.Form):
    file = ScannedFileField(label=_("Spreadsheet (.xlsx or .csv)"), allowed=IMPORT_TYPES)
    publish = forms.BooleanField(
        label=_("Publish imported records at once (bureau only)"), required=False
    )


class ObjectImportView(LoginRequiredMixin, ResourceView):
    """Upload → validation report → explicit import (all rows, or the valid rows only)."""

    template_name = "core/object_import.html"

    def check(self):
        if not self.resource.policy().can_import(self.request.user):
            raise PermissionDenied

    def get(self, request):
        self.check()
        return render(request, self.template_name, self.context(form=ImportForm()))

    def post(self, request):
        self.check()
        if "job" in request.POST:
            return self.apply(request)
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, self.context(form=form), status=400)
        upload = form.cleaned_data["file"]  # size, type and content checked by the field
        data = upload.read()
        try:
            header, rows = importer.read_table(upload.name, data)
        except importer.ImportRejected as exc:
            form.add_error("file", str(exc))
            return render(request, self.template_name, self.context(form=form), status=400)
        validation = importer.validate(self.resource, request.user, header, rows)
        job = ImportJob(
            resource=self.resource.model_name,
            file_name=upload.name[:255],
            user=request.user,
            total_rows=validation.total,
            valid_rows=len(validation.valid_rows),
            errors=[e.as_dict() for e in validation.errors[:5000]],
            status=ImportJob.Status.VALIDATED if validation.ok else ImportJob.Status.FAILED,
        )
        from django.core.files.base import ContentFile

        from xiake.core.storage import FileNotStored

        try:
            job.file.save(upload.name, ContentFile(data), save=False)
        except FileNotStored as exc:  # disk full: no file, no job
            form.add_error("file", str(exc))
            return render(request, self.template_name, self.context(form=form), status=507)
        job.save()
        return render(
            request,
            self.template_name,
            self.context(
                form=ImportForm(initial={"publish": form.cleaned_data["publish"]}),
                job=job,
                publish=form.cleaned_data["publish"],
                updates=sum(1 for r in validation.rows if r.existing_pk),
                notices=importer.notices(self.resource, request.user, validation),
            ),
        )

    def apply(self, request):
        job = get_object_or_404(
            ImportJob, pk=request.POST["job"], user=request.user, resource=self.resource.model_name
        )
        if job.status == ImportJob.Status.IMPORTED:
            messages.info(request, _("This file has already been imported."))
            return redirect(self.resource.url_name("list"))
        valid_only = request.POST.get("valid_only") == "1"
        job.file.open("rb")
        data = job.file.read()
        job.file.close()
        header, rows = importer.read_table(job.file_name, data)
        validation = importer.validate(self.resource, request.user, header, rows)
        try:
            counts = importer.apply(
                self.resource,
                request.user,
                validation,
                valid_only=valid_only,
                publish=request.POST.get("publish") == "on",
            )
        except importer.ImportRejected as exc:
            messages.error(request, str(exc))
            return render(
                request, self.template_name, self.context(form=ImportForm(), job=job), status=400
            )
        job.status = ImportJob.Status.IMPORTED
        job.created_count, job.updated_count = counts["created"], counts["updated"]
        job.save()
        messages.success(
            request,
            _("Imported: %(c)d created, %(u)d updated, %(n)d unchanged, %(s)d rows skipped.")
            % {
                "c": counts["created"],
                "u": counts["updated"],
                "n": counts["unchanged"],
                "s": validation.total - len(validation.valid_rows),
            },
        )
        return redirect(self.resource.url_name("list"))


class ImportTemplateView(LoginRequiredMixin, ResourceView):
    def get(self, request):
        return exporter.template_response(self.resource)


class ImportErrorReportView(LoginRequiredMixin, ResourceView):
    def get(self, request, job):
        job = get_object_or_404(ImportJob.objects.filter(user=request.user), pk=job)
        return downloads.file_response(
            importer.error_report(job.errors), f"import-errors-{job.pk}.xlsx", downloads.XLSX
        )
