"""Attachments: only the record's editors upload; whoever sees the record downloads; bad files refused."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f
from tests.base import client_for

PDF = b"%PDF-1.4\n% test\n"


def test_owner_uploads_and_visitors_download(orgs, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ach = f.make_achievement(orgs["university"])
    url = reverse("catalog:achievement_attachment_add", args=[ach.pk])
    owner = client_for(users["university"])
    owner.post(url, {"file": SimpleUploadedFile("专利证书.pdf", PDF)})
    item = ach.attachments.get()
    assert item.name == "专利证书.pdf" and item.size == len(PDF)
    download = reverse("catalog:achievement_attachment", args=[ach.pk, item.pk])
    response = client_for().get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF

    assert (
        client_for(users["university2"])
        .post(url, {"file": SimpleUploadedFile("x.pdf", PDF)})
        .status_code
        == 403
    )
    draft = f.make_achievement(orgs["university"], status="draft")
    assert (
        client_for()
        .get(reverse("catalog:achievement_attachment", args=[draft.pk, item.pk]))
        .status_code
        == 404
    )


def test_mismatched_or_forbidden_files_are_refused(orgs, users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    ach = f.make_achievement(orgs["university"])
    url = reverse("catalog:achievement_attachment_add", args=[ach.pk])
    owner = client_for(users["university"])
    for name, content in (("fake.pdf", b"MZ\x90\x00"), ("run.exe", b"MZ"), ("m.xlsm", b"PK")):
        response = owner.post(url, {"file": SimpleUploadedFile(name, content)}, follow=True)
        assert response.status_code == 200
    assert ach.attachments.count() == 0
