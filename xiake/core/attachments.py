"""Attachments of any record: upload checked by the upload rules (xiake/core/uploads.py); download as
the record allows."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.contenttypes.models import ContentType
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiake.core import downloads
from xiake.core.changelog import record_event
from xiake.core.models import Attachment, ChangeAction
from xiake.core.storage import FileNotStored
from xiake.core.uploads import ATTACHMENT_TYPES, ScannedFileField
from xiake.core.views import ResourceView


class AttachmentForm(forms.Form):
    # Office embeddings (a chart's workbook inside a .pptx) are allowed in attachments: the server
    # stores them and never opens them (xiake/core/uploads.py)
    file = ScannedFileField(
        label=gettext_lazy("Attachment"), allowed=ATTACHMENT_TYPES, nested_ok=True
    )


class AttachmentUploadView(LoginRequiredMixin, ResourceView):
    def post(self, request, pk):
        obj = self.get_object(pk, "change")
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            # the field's own message (type, size, content), named by the field's label
            reason = "；".join(form.errors.get("file", [])) or _("Choose a file to upload.")
            messages.error(request, f"{form.fields['file'].label}：{reason}")
            return redirect(obj.get_absolute_url())
        upload = form.cleaned_data["file"]
        attachment = Attachment(
            parent=obj,
            name=upload.name,  # sanitised by the field
            size=upload.size,
            uploaded_by=request.user,
        )
        try:
            attachment.file.save(upload.name, upload, save=False)
        except FileNotStored as exc:  # disk full: no file, no row
            messages.error(request, str(exc))
            return redirect(obj.get_absolute_url())
        attachment.save()
        record_event(
            ChangeAction.UPDATE,
            comment=_("Attachment added: %(name)s") % {"name": attachment.name},
            obj=obj,
        )
        messages.success(request, _("Uploaded “%(name)s”.") % {"name": attachment.name})
        return redirect(obj.get_absolute_url())


class AttachmentDownloadView(ResourceView):
    def get(self, request, pk, attachment):
        obj = self.get_object(pk)
        ct = ContentType.objects.get_for_model(self.resource.model)
        item = get_object_or_404(Attachment, pk=attachment, content_type=ct, object_id=obj.pk)
        return downloads.file_response(
            item.file.open("rb"), item.name, "application/octet-stream", obj=obj
        )


class AttachmentDeleteView(LoginRequiredMixin, ResourceView):
    def post(self, request, pk, attachment):
        obj = self.get_object(pk, "change")
        ct = ContentType.objects.get_for_model(self.resource.model)
        item = get_object_or_404(Attachment, pk=attachment, content_type=ct, object_id=obj.pk)
        name = item.name
        item.file.delete(save=False)
        item.delete()
        record_event(
            ChangeAction.UPDATE, comment=_("Attachment removed: %(name)s") % {"name": name}, obj=obj
        )
        return redirect(obj.get_absolute_url())
