"""Where uploaded files go: Django's file system storage that never leaves half a file behind.

A write that fails part-way (disk full, quota exceeded, I/O error) leaves Django's
FileSystemStorage with a truncated file on disk that no row points to. :class:`MediaStorage`
removes it and raises :class:`FileNotStored`, whose message says why in the user's language; the
upload views show it and create no row (tests/ops/test_faults_disk.py fills a real tmpfs).
"""

from __future__ import annotations

import errno
import os

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _


class FileNotStored(Exception):
    """A file could not be written; nothing of it was kept."""


class MediaStorage(FileSystemStorage):
    """``STORAGES["default"]``: FileSystemStorage plus clean-up when a write fails."""

    def _save(self, name, content):
        path = self.path(name)
        existed = os.path.exists(path)
        try:
            return super()._save(name, content)
        except FileExistsError:
            raise
        except OSError as exc:
            # save() chose an unused name, so a file there now is the one this write began
            if not existed:
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                reason = _("the server's disk is full")
            else:
                reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise FileNotStored(
                _("The server could not store the file (%(reason)s); nothing was saved.")
                % {"reason": reason}
            ) from exc
