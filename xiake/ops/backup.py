"""Backups of the database and the uploaded files, and their verified restore.

An archive is one ``.tar.gz`` holding

* ``database/xiake.sqlite3`` (SQLite, copied with sqlite3's online backup API, so the server keeps
  serving) or ``database/xiake.dump`` (PostgreSQL, ``pg_dump --format=custom``),
* ``media/…``, every file under ``MEDIA_ROOT`` (attachments, import uploads),
* ``manifest.json``: engine, time, the row count of every table and the SHA-256 of every other
  member.

The counts are taken from the same state the dump holds: from the copied SQLite file, or inside the
REPEATABLE READ transaction whose exported snapshot ``pg_dump --snapshot`` reads.

A restore first extracts and checks the whole archive (manifest readable, every listed file
present with its checksum, nothing unlisted, same engine); only then does it write, so a damaged
archive writes nothing. After writing it compares the restored tables' counts with the manifest
and rebuilds the search index.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/xiake.sqlite3"
POSTGRES_MEMBER = "database/xiake.dump"
MEDIA_PREFIX = "media/"


class BackupError(Exception):
    """A backup or restore that cannot proceed; the message says why, for the operator."""


@dataclass
class RestoreResult:
    archive: Path
    tables: int
    rows: int
    files: int
    reindexed: bool


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def engine_name() -> str:
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(vendor)s.") % {"vendor": vendor}
        )
    return vendor


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _sqlite_counts(db: sqlite3.Connection) -> dict[str, int]:
    names = [
        row[0]
        for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    return {
        name: db.execute(f"SELECT COUNT(*) FROM {_quote(name)}").fetchone()[0] for name in names
    }


def _pg_env() -> dict[str, str]:
    params = connection.settings_dict
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return env


def _pg_args() -> list[str]:
    params = connection.settings_dict
    args = []
    if params.get("HOST"):
        args += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        args += ["--port", str(params["PORT"])]
    if params.get("USER"):
        args += ["--username", str(params["USER"])]
    return args


def _pg_counts(cursor) -> dict[str, int]:
    cursor.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(name)}")
        counts[name] = cursor.fetchone()[0]
    return counts


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError as exc:
        raise BackupError(
            _("%(tool)s is not installed (Debian package postgresql-client).")
            % {"tool": command[0]}
        ) from exc
    if done.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s") % {"tool": command[0], "error": done.stderr.strip()}
        )


def _dump_sqlite(target: Path) -> dict[str, int]:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        # The backup API copies a consistent snapshot while other processes keep reading and writing.
        connection.connection.backup(destination)
        return _sqlite_counts(destination)
    finally:
        destination.close()


def _dump_postgres(target: Path) -> dict[str, int]:
    import psycopg

    params = connection.get_connection_params()
    with psycopg.connect(**params) as snapshot_holder:
        snapshot_holder.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snapshot_holder.read_only = True
        with snapshot_holder.cursor() as cursor:
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = _pg_counts(cursor)
            # pg_dump reads the very snapshot the counts were taken in, while this transaction is open.
            _run(
                [
                    "pg_dump",
                    *_pg_args(),
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    connection.settings_dict["NAME"],
                ],
                _pg_env(),
            )
        snapshot_holder.rollback()
    return counts


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def create_backup(output_dir: Path | str | None = None) -> Path:
    """Write a backup archive into ``output_dir`` (default ``VAR_DIR/backups``); return its path."""
    engine = engine_name()
    output = Path(output_dir) if output_dir else Path(settings.VAR_DIR) / "backups"
    output.mkdir(parents=True, exist_ok=True)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
    final = output / f"xiake-backup-{stamp}.tar.gz"
    with tempfile.TemporaryDirectory(prefix="xiake-backup-", dir=output) as work:
        work_dir = Path(work)
        member = SQLITE_MEMBER if engine == "sqlite" else POSTGRES_MEMBER
        dump = work_dir / member
        dump.parent.mkdir(parents=True)
        counts = _dump_sqlite(dump) if engine == "sqlite" else _dump_postgres(dump)
        media_root = _media_root()
        files = {member: sha256_of(dump)}
        media = _media_files(media_root)
        for path in media:
            files[MEDIA_PREFIX + path.relative_to(media_root).as_posix()] = sha256_of(path)
        manifest = {
            "format": FORMAT_VERSION,
            "engine": engine,
            "created": timezone.now().isoformat(),
            "tables": counts,
            "files": files,
        }
        manifest_path = work_dir / MANIFEST
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), "utf-8")
        partial = work_dir / "archive.partial"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(manifest_path, MANIFEST)
            archive.add(dump, member)
            for path in media:
                archive.add(path, MEDIA_PREFIX + path.relative_to(media_root).as_posix())
        # The archive appears under its final name only once complete.
        os.replace(partial, final)
    return final


def _read_archive(archive: Path, into: Path) -> dict:
    """Extract and verify ``archive`` into ``into``; return the manifest or raise BackupError."""
    if not archive.is_file():
        raise BackupError(_("Archive %(path)s does not exist.") % {"path": archive})
    try:
        with tarfile.open(archive, "r:gz") as tar:
            names = set()
            for info in tar:
                if not info.isfile():
                    raise BackupError(
                        _("Archive member %(name)s is not a regular file.") % {"name": info.name}
                    )
                names.add(info.name)
            tar.extractall(into, filter="data")
    except BackupError:
        raise
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise BackupError(
            _("Archive %(path)s is damaged and cannot be read (%(error)s); nothing was restored.")
            % {"path": archive, "error": exc}
        ) from exc
    try:
        manifest = json.loads((into / MANIFEST).read_text("utf-8"))
        listed = manifest["files"]
        engine = manifest["engine"]
        tables = manifest["tables"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            _("Archive %(path)s has no readable manifest; nothing was restored.")
            % {"path": archive}
        ) from exc
    unlisted = sorted(names - set(listed) - {MANIFEST})
    if unlisted:
        raise BackupError(
            _(
                "Archive %(path)s holds files its manifest does not list (%(names)s); nothing was restored."
            )
            % {"path": archive, "names": ", ".join(unlisted[:5])}
        )
    for name, expected in listed.items():
        path = into / name
        if not path.is_file():
            raise BackupError(
                _("Archive %(path)s lacks %(name)s listed in its manifest; nothing was restored.")
                % {"path": archive, "name": name}
            )
        if sha256_of(path) != expected:
            raise BackupError(
                _(
                    "Checksum of %(name)s in %(path)s does not match its manifest; nothing was restored."
                )
                % {"path": archive, "name": name}
            )
    if engine != engine_name():
        raise BackupError(
            _("Archive %(path)s is a %(archive)s backup; this database is %(database)s.")
            % {"path": archive, "archive": engine, "database": engine_name()}
        )
    if not isinstance(tables, dict):
        raise BackupError(_("Archive %(path)s has no table counts.") % {"path": archive})
    return manifest


def database_holds_data() -> bool:
    """Whether the current database has organisations or users (data migrations alone do not count)."""
    tables = set(connection.introspection.table_names())
    from xiake.accounts.models import Organization, User

    for model in (User, Organization):
        if model._meta.db_table in tables and model.objects.exists():
            return True
    return False


def current_counts() -> dict[str, int]:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return _sqlite_counts(connection.connection)
    with connection.cursor() as cursor:
        return _pg_counts(cursor)


def _restore_sqlite(dump: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        # Pages are copied into the live database under its own lock; other processes see either
        # the old or the restored database, never a mixture.
        source.backup(connection.connection)
    finally:
        source.close()


def _restore_postgres(dump: Path) -> None:
    for other in connections.all():
        other.close()
    _run(
        [
            "pg_restore",
            *_pg_args(),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={connection.settings_dict['NAME']}",
            str(dump),
        ],
        _pg_env(),
    )


def _swap_media(extracted: Path) -> Path | None:
    """Put the archive's media in place of MEDIA_ROOT; the previous files are kept beside it."""
    media_root = _media_root()
    media_root.parent.mkdir(parents=True, exist_ok=True)
    staged = media_root.parent / f".{media_root.name}-restoring"
    if staged.exists():
        shutil.rmtree(staged)
    if extracted.is_dir():
        shutil.copytree(extracted, staged)
    else:
        staged.mkdir()
    kept = None
    if media_root.exists():
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S-%f")
        kept = media_root.parent / f"{media_root.name}.before-restore-{stamp}"
        os.replace(media_root, kept)
    os.replace(staged, media_root)
    return kept


def restore_backup(archive: Path | str, force: bool = False, reindex: bool = True) -> RestoreResult:
    """Verify ``archive`` completely, then restore the database and MEDIA_ROOT from it."""
    archive = Path(archive)
    work_parent = Path(settings.VAR_DIR)
    with tempfile.TemporaryDirectory(prefix="xiake-restore-", dir=work_parent) as work:
        work_dir = Path(work)
        manifest = _read_archive(archive, work_dir)
        if not force and database_holds_data():
            raise BackupError(
                _(
                    "The database already holds data; restoring would replace it. "
                    "Run again with --force to replace it."
                )
            )
        engine = manifest["engine"]
        if engine == "sqlite":
            _restore_sqlite(work_dir / SQLITE_MEMBER)
        else:
            _restore_postgres(work_dir / POSTGRES_MEMBER)
        _swap_media(work_dir / MEDIA_PREFIX.rstrip("/"))
    for other in connections.all():
        other.close()
    expected = manifest["tables"]
    found = current_counts()
    differences = [
        f"{table}: {expected[table]} → {found.get(table)}"
        for table in sorted(expected)
        if found.get(table) != expected[table]
    ]
    if differences:
        raise BackupError(
            _("Restored tables differ from the manifest: %(tables)s")
            % {"tables": "; ".join(differences)}
        )
    wrong_files = verify_media(manifest["files"])
    if wrong_files:
        raise BackupError(
            _("Restored files differ from the manifest: %(names)s")
            % {"names": ", ".join(wrong_files[:5])}
        )
    reindexed = False
    if reindex:
        reindexed = rebuild_search_index()
    return RestoreResult(
        archive=archive,
        tables=len(expected),
        rows=sum(expected.values()),
        files=sum(1 for name in manifest["files"] if name.startswith(MEDIA_PREFIX)),
        reindexed=reindexed,
    )


def verify_media(manifest_files: dict[str, str]) -> list[str]:
    """Names of manifest media files that are missing or differ under MEDIA_ROOT now."""
    media_root = _media_root()
    wrong = []
    for name, expected in manifest_files.items():
        if not name.startswith(MEDIA_PREFIX):
            continue
        path = media_root / name[len(MEDIA_PREFIX) :]
        if not path.is_file() or sha256_of(path) != expected:
            wrong.append(name)
    return wrong


def rebuild_search_index() -> bool:
    """Run the matching app's public ``reindex`` command when it is installed."""
    from django.core.management import call_command, get_commands

    if "reindex" not in get_commands():
        return False
    with open(os.devnull, "w") as quiet:
        call_command("reindex", stdout=quiet, stderr=quiet)
    return True


def read_manifest(archive: Path | str) -> dict:
    """The verified manifest of ``archive`` (used by ``xiake restore --check``)."""
    with tempfile.TemporaryDirectory(prefix="xiake-check-", dir=settings.VAR_DIR) as work:
        return _read_archive(Path(archive), Path(work))
