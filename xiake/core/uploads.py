"""Upload scanning: the one set of rules every uploaded file passes before anything stores or parses it.

* **size**: at most ``settings.UPLOAD_MAX_BYTES`` (a field may set less);
* **type by name**: the suffix of the (sanitised) name must be one the field allows; a double
  suffix counts by its last part (``a.pdf.exe`` is an ``.exe``);
* **type by content**: the first bytes must be those of that type (``%PDF-``, PNG, JPEG); a text
  file (.txt, .csv) holds no NUL byte and decodes as UTF-8 or GB18030; an Office file (.docx,
  .xlsx, .pptx) must be a genuine OOXML package;
* **OOXML packages are opened as zip archives without decompressing anything** and refused when
  they could exhaust the machine once parsed: more than ``MAX_ENTRIES`` members, more than
  ``MAX_UNCOMPRESSED`` bytes once uncompressed, a member (or the whole) compressed more than
  ``MAX_RATIO`` times, an encrypted member, a member path that climbs out (``..``, absolute), a
  nested archive (refused outright in spreadsheets to import; in attachments allowed only as an
  Office embedding, and counted in the totals), macros (``vbaProject``, macro-enabled types).
  Python's zipfile never yields more bytes than a member declares (it stops there and then fails
  the CRC check), so bounding the declared sizes bounds what openpyxl can be made to read;
  openpyxl itself parses the XML with defusedxml (no entity expansion);
* **names** are sanitised: directory parts, control characters and characters that are unsafe in
  file systems or headers are removed, the length is bounded, the suffix kept.

Forms use ``ScannedFileField`` (the error is the field's, so the page names the field); code that
has bytes (the import command, a stored import file) calls ``scan_bytes``. A refused file is
never stored.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

MAX_ENTRIES = 2000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
# a member this small cannot be a bomb whatever its ratio (a repetitive styles.xml compresses well)
RATIO_FLOOR = 1024 * 1024
NAME_LENGTH = 120

ATTACHMENT_TYPES = (".pdf", ".png", ".jpg", ".jpeg", ".docx", ".xlsx", ".pptx", ".txt")
IMPORT_TYPES = (".xlsx", ".csv")

SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
}
# OOXML suffix → the folder of its main part
OOXML = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
TEXT = (".txt", ".csv")
ARCHIVE_SUFFIXES = (
    ".zip", ".jar", ".7z", ".rar", ".gz", ".tgz", ".bz2", ".xz", ".tar", ".cab",
    ".docx", ".xlsx", ".xlsm", ".pptx", ".docm", ".pptm", ".odt", ".ods",
)  # fmt: skip
ARCHIVE_MAGIC = (b"PK\x03\x04", b"7z\xbc\xaf", b"Rar!", b"\x1f\x8b", b"BZh", b"\xfd7zXZ")


class UploadRejected(ValueError):
    """The upload breaks a rule; the message says which, in the user's language."""


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*;]+')


def sanitise_filename(name: str) -> str:
    """A name safe to store and to offer again as the download's file name, suffix kept."""
    name = unicodedata.normalize("NFKC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # directory parts of any system
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")  # control, format
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    path = PurePosixPath(name)
    suffix = path.suffix.lower() if len(path.suffix) <= 8 else ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    stem = stem.strip(" .")[: NAME_LENGTH - len(suffix)] or "file"
    return stem + suffix


def _megabytes(n: int) -> int:
    return max(1, n // (1024 * 1024))


def scan(upload, allowed, max_bytes: int | None = None, nested_ok: bool = False) -> str:
    """Check an uploaded file (Django ``UploadedFile``); its sanitised name, or UploadRejected."""
    name = sanitise_filename(upload.name)
    limit = min(max_bytes or settings.UPLOAD_MAX_BYTES, settings.UPLOAD_MAX_BYTES)
    if upload.size > limit:
        raise UploadRejected(_("The file is larger than %(mb)d MB.") % {"mb": _megabytes(limit)})
    suffix = _suffix(name, allowed)
    upload.seek(0)
    try:
        _check_content(upload, suffix, nested_ok)
    finally:
        upload.seek(0)
    return name


def scan_bytes(name: str, data: bytes, allowed, nested_ok: bool = False) -> str:
    """``scan`` for bytes already in memory (import command, stored import files)."""
    name = sanitise_filename(name)
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise UploadRejected(
            _("The file is larger than %(mb)d MB.") % {"mb": _megabytes(settings.UPLOAD_MAX_BYTES)}
        )
    _check_content(io.BytesIO(data), _suffix(name, allowed), nested_ok)
    return name


def _suffix(name: str, allowed) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in allowed:
        raise UploadRejected(_("Allowed file types: %(types)s.") % {"types": "、".join(allowed)})
    return suffix


def _check_content(fh, suffix: str, nested_ok: bool) -> None:
    head = fh.read(8)
    fh.seek(0)
    mismatch = UploadRejected(
        _("The content of the file does not match its type %(suffix)s.") % {"suffix": suffix}
    )
    if suffix in SIGNATURES:
        if not head.startswith(SIGNATURES[suffix]):
            raise mismatch
    elif suffix in OOXML:
        if not head.startswith(b"PK\x03\x04"):
            raise mismatch
        check_package(fh, suffix, nested_ok)
    elif suffix in TEXT:
        _check_text(fh, mismatch)


def _check_text(fh, mismatch) -> None:
    sample = fh.read(64 * 1024)
    if b"\x00" in sample:
        raise mismatch
    for encoding in ("utf-8", "gb18030"):
        try:
            # a multi-byte character may be cut at the end of the sample
            sample.decode(encoding) if len(sample) < 64 * 1024 else sample[:-4].decode(encoding)
            return
        except UnicodeDecodeError:
            continue
    raise mismatch


def check_package(fh, suffix: str, nested_ok: bool = False) -> None:
    """Refuse an OOXML package (zip) that is malformed, a bomb, nested, encrypted or has macros.
    Reads the central directory only (and the first bytes of small members that could be
    archives), never decompresses a whole member."""
    invalid = UploadRejected(_("The file is not a valid %(suffix)s document.") % {"suffix": suffix})
    try:
        archive = zipfile.ZipFile(fh)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise invalid from None
    if len(members) > MAX_ENTRIES:
        raise UploadRejected(
            _("The document holds more than %(n)d parts; refused.") % {"n": MAX_ENTRIES}
        )
    names = set()
    total = compressed = 0
    for info in members:
        lowered = info.filename.lower()
        names.add(lowered)
        if info.flag_bits & 0x1:
            raise UploadRejected(_("The document is encrypted; save it without a password."))
        path = PurePosixPath(lowered)
        if path.is_absolute() or ".." in path.parts or lowered.startswith("\\"):
            raise invalid
        if "vbaproject" in lowered or lowered.endswith(".bin") and "vba" in lowered:
            raise UploadRejected(_("The document contains macros; save it without macros."))
        total += info.file_size
        compressed += info.compress_size
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise UploadRejected(
                _("The document is suspiciously compressed (a zip bomb); refused.")
            )
        if _is_archive(archive, info) and not (nested_ok and "/embeddings/" in lowered):
            raise UploadRejected(_("The document contains another archive; refused."))
    if total > MAX_UNCOMPRESSED:
        raise UploadRejected(
            _("The document is larger than %(mb)d MB once uncompressed; refused.")
            % {"mb": _megabytes(MAX_UNCOMPRESSED)}
        )
    if total > RATIO_FLOOR and total > MAX_RATIO * max(compressed, 1):
        raise UploadRejected(_("The document is suspiciously compressed (a zip bomb); refused."))
    if "[content_types].xml" not in names or not any(n.startswith(OOXML[suffix]) for n in names):
        raise invalid
    content_types = archive.read("[Content_Types].xml")  # bounded: its size was checked above
    if b"macroEnabled" in content_types:
        raise UploadRejected(_("The document contains macros; save it without macros."))


def _is_archive(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    if info.is_dir():
        return False
    if info.filename.lower().endswith(ARCHIVE_SUFFIXES):
        return True
    # a renamed archive: look at its first bytes (decompresses a few bytes only)
    try:
        with archive.open(info) as member:
            head = member.read(6)
    except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError):
        return True  # unreadable member: treat as hostile
    return head.startswith(ARCHIVE_MAGIC)


class ScannedFileField(forms.FileField):
    """A FileField that applies the upload rules in ``clean``: the error belongs to the field (the
    page shows it under the field's label), and the cleaned file carries the sanitised name."""

    def __init__(self, *args, allowed=ATTACHMENT_TYPES, max_bytes=None, nested_ok=False, **kw):
        self.allowed, self.max_bytes, self.nested_ok = tuple(allowed), max_bytes, nested_ok
        super().__init__(*args, **kw)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload and upload is not initial:
            try:
                upload.name = scan(upload, self.allowed, self.max_bytes, self.nested_ok)
            except UploadRejected as exc:
                raise forms.ValidationError(str(exc), code="upload_rejected") from None
        return upload
