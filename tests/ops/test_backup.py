"""Backups from outside: `xiake backup`, change or delete data and files, `xiake restore`, compare.

Runs on whichever database DATABASE_URL names (SQLite by default, PostgreSQL in the second half of
`make test`). Transactional: pg_dump and the SQLite backup API read committed data only.
"""

import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.base import client_for
from xiake.ops.backup import current_counts, sha256_of

pytestmark = pytest.mark.django_db(transaction=True)

PDF = b"%PDF-1.4\n% backup test\n"


@pytest.fixture(autouse=True)
def isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MATCHING_INDEX_DIR = tmp_path / "index"
    settings.MATCHING_BACKGROUND_REBUILD = False
    return settings


def restore(*args):
    """The operator's messages are in the active language (a test request may have switched it
    to Chinese); these tests read the English ones."""
    with translation.override("en"):
        call_command("restore", *args)


def media_checksums(settings) -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix(): sha256_of(p) for p in root.rglob("*") if p.is_file()}


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def populated(orgs, users, settings):
    from xiake.catalog.models import Achievement

    achievements = [f.make_achievement(orgs["university"]) for _ in range(3)]
    f.make_demand(orgs["enterprise"])
    owner = client_for(users["university"])
    for index, achievement in enumerate(achievements[:2]):
        url = reverse("catalog:achievement_attachment_add", args=[achievement.pk])
        owner.post(url, {"file": SimpleUploadedFile(f"证书{index}.pdf", PDF + bytes([index]))})
    assert Achievement.objects.count() == 3
    assert len(media_checksums(settings)) == 2
    return achievements


def test_backup_then_restore_brings_back_rows_and_files(populated, settings, tmp_path):
    from xiake.catalog.models import Achievement
    from xiake.core.models import Attachment
    from xiake.matching.engine import engine

    archive = Path(run("backup", "--output", str(tmp_path / "backups")))
    assert archive.is_file() and archive.parent == tmp_path / "backups"
    counts_at_backup = current_counts()
    files_at_backup = media_checksums(settings)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["tables"] == counts_at_backup
    assert {
        k.removeprefix("media/"): v for k, v in manifest["files"].items() if k.startswith("media/")
    } == files_at_backup

    kept, edited, deleted = populated
    title = edited.title
    Achievement.objects.filter(pk=edited.pk).update(title="改过的标题")
    Achievement.objects.filter(pk=deleted.pk).delete()
    first_file = Attachment.objects.order_by("pk").first().file.path
    Path(first_file).write_bytes(b"%PDF-1.4 overwritten")
    Attachment.objects.order_by("pk").last().file.delete(save=False)
    (Path(settings.MEDIA_ROOT) / "stray.txt").write_text("not in the backup")
    assert current_counts() != counts_at_backup

    with pytest.raises(CommandError, match="--force"):
        restore(str(archive))
    assert Achievement.objects.get(pk=edited.pk).title == "改过的标题"

    output = run("restore", str(archive), "--force")
    assert "search index rebuilt" in output
    assert current_counts() == counts_at_backup
    assert media_checksums(settings) == files_at_backup
    assert Achievement.objects.get(pk=edited.pk).title == title
    assert Achievement.objects.filter(pk=deleted.pk).exists()
    # the index was rebuilt from the restored rows: every published achievement is a document again
    assert engine().status()["documents"] >= Achievement.objects.filter(status="published").count()
    # the files present before the restore are kept aside, not destroyed
    kept_aside = list(Path(settings.MEDIA_ROOT).parent.glob("media.before-restore-*"))
    assert len(kept_aside) == 1 and (kept_aside[0] / "stray.txt").is_file()


def test_restore_into_an_empty_database_needs_no_force(populated, settings, tmp_path):
    archive = run("backup", "--output", str(tmp_path))
    counts_at_backup = current_counts()
    call_command("flush", interactive=False)
    assert "rebuilt" in run("restore", archive)
    assert current_counts() == counts_at_backup


def test_check_only_verifies(populated, tmp_path):
    archive = run("backup", "--output", str(tmp_path))
    counts = current_counts()
    report = run("restore", archive, "--check")
    assert "verified" in report and f"{sum(counts.values())} rows" in report


def _assert_nothing_written(counts, files, settings):
    assert current_counts() == counts
    assert media_checksums(settings) == files
    assert not list(Path(settings.MEDIA_ROOT).parent.glob("media.before-restore-*"))


def test_a_damaged_archive_is_refused_and_writes_nothing(populated, settings, tmp_path):
    from xiake.catalog.models import Achievement

    archive = Path(run("backup", "--output", str(tmp_path)))
    Achievement.objects.filter(pk=populated[0].pk).delete()
    counts, files = current_counts(), media_checksums(settings)

    data = bytearray(archive.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(data))
    with pytest.raises(CommandError, match="damaged|does not match"):
        restore(str(damaged), "--force")
    _assert_nothing_written(counts, files, settings)

    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: len(data) // 3])
    with pytest.raises(CommandError, match="damaged"):
        restore(str(truncated), "--force")
    _assert_nothing_written(counts, files, settings)


def test_a_tampered_file_fails_its_checksum_and_writes_nothing(populated, settings, tmp_path):
    from xiake.catalog.models import Achievement

    archive = Path(run("backup", "--output", str(tmp_path)))
    Achievement.objects.filter(pk=populated[0].pk).delete()
    counts, files = current_counts(), media_checksums(settings)

    tampered = tmp_path / "tampered.tar.gz"
    victim = None
    with tarfile.open(archive) as source, tarfile.open(tampered, "w:gz") as target:
        for info in source:
            content = source.extractfile(info).read()
            if victim is None and info.name.startswith("media/"):
                victim = info.name
                content = content + b"tampered"
                info.size = len(content)
            target.addfile(info, io.BytesIO(content))
    with pytest.raises(CommandError, match=f"Checksum of {victim}"):
        restore(str(tampered), "--force")
    _assert_nothing_written(counts, files, settings)


def test_a_missing_archive_is_named(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        restore(str(tmp_path / "nothing.tar.gz"))
    with translation.override("zh-hans"), pytest.raises(CommandError, match="不存在"):
        call_command("restore", str(tmp_path / "nothing.tar.gz"))
