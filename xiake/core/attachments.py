"""Attachments of any record: upload checked by type, size and content; download as the record allows."""

from pathlib import PurePath

from django import forms
from django.conf import settings
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
from xiake.core.views import ResourceView

# Suffix → the first bytes every genuine file of that type starts with.
SIGNATURES = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".docx": (b"PK\x03\x04",),
    ".xlsx": (b"PK\x03\x04",),
    ".pptx": (b"PK\x03\x04",),
    ".txt": (b"",),
}


def check_attachment(upload) -> str | None:
    """The reason an upload is refused, or None."""
    suffix = PurePath(upload.name).suffix.lower()
    if suffix not in SIGNATURES:
        return _("Allowed file types: %(types)s.") % {"types": "、".join(sorted(SIGNATURES))}
    if upload.size > settings.UPLOAD_MAX_BYTES:
        return _("The file is larger than %(mb)d MB.") % {
            "mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)
        }
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(SIGNATURES[suffix]):
        return _("The content of the file does not match its type %(suffix)s.") % {"suffix": suffix}
    return None


class AttachmentForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Attachment"))


class AttachmentUploadView(LoginRequiredMixin, ResourceView):
    def post(self, request, pk):
        obj = self.get_object(pk, "change")
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _("Choose a file to upload."))
            return redirect(obj.get_absolute_url())
        upload = form.cleaned_data["file"]
        reason = check_attachment(upload)
        if reason:
            messages.error(request, reason)
            return redirect(obj.get_absolute_url())
        attachment = Attachment(
            parent=obj,
            name=PurePath(upload.name).name[:200],
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
