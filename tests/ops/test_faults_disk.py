"""A full disk while an upload is written: a clear message, no half-written file, no row.

MEDIA_ROOT is a real 1 MB tmpfs (mounted for the test; needs root, as in CI and the development
machine) filled until less than an upload's size is left, so the kernel itself answers ENOSPC in
the middle of the write. Both kinds of upload are tried: an attachment and an import file.
"""

import os
import subprocess
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests import factories as f
from tests.base import client_for
from xiake.core.models import Attachment, ImportJob

UPLOAD = 600 * 1024  # bigger than what is left, smaller than the file system


@pytest.fixture
def small_disk(tmp_path, settings):
    mount = tmp_path / "media"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        pytest.skip(f"NOT RUN: cannot mount a small tmpfs (needs root): {done.stderr.strip()}")
    settings.MEDIA_ROOT = mount
    try:
        stat = os.statvfs(mount)
        free = stat.f_bavail * stat.f_frsize
        (mount / "filler").write_bytes(b"\0" * (free - UPLOAD // 2))
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_an_attachment_on_a_full_disk_is_refused_whole(small_disk, orgs, users):
    achievement = f.make_achievement(orgs["university"])
    url = reverse("catalog:achievement_attachment_add", args=[achievement.pk])
    client = client_for(users["university"])
    pdf = b"%PDF-1.4\n" + b"x" * UPLOAD
    response = client.post(url, {"file": SimpleUploadedFile("检测报告.pdf", pdf)}, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "服务器无法保存该文件（服务器磁盘已满），未保存任何内容。" in messages
    assert not Attachment.objects.exists()
    assert files_under(small_disk) == ["filler"]  # no partial file anywhere

    (small_disk / "filler").unlink()  # room again: the same upload is stored whole
    client.post(url, {"file": SimpleUploadedFile("检测报告.pdf", pdf)})
    stored = Attachment.objects.get()
    assert stored.size == len(pdf) and Path(stored.file.path).read_bytes() == pdf


def test_an_import_file_on_a_full_disk_is_refused_whole(small_disk, users, orgs):
    client = client_for(users["bureau"])
    keywords = "、".join(["钙钛矿叠层电池"] * 100)  # ~2 KB a row
    rows = [f"大容量导入成果{i:03d},{orgs['university'].name},7,{keywords}" for i in range(300)]
    data = ("成果名称,所属单位,技术成熟度,关键词\n" + "\n".join(rows) + "\n").encode()
    assert len(data) > UPLOAD
    response = client.post(
        reverse("catalog:achievement_import"), {"file": SimpleUploadedFile("成果.csv", data)}
    )
    assert response.status_code == 507
    assert response.context["form"].errors["file"] == [
        "服务器无法保存该文件（服务器磁盘已满），未保存任何内容。"
    ]
    assert not ImportJob.objects.exists()
    assert files_under(small_disk) == ["filler"]
