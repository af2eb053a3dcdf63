"""The one way a file leaves the platform: every export and download answer is built here, and each
is written to the audit log (actor, IP, time and request id come from the request's context).

``tests/core/test_audit_downloads.py`` fails when a view builds an attachment answer by itself.
"""

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from xiake.core.changelog import record_event
from xiake.core.models import ChangeAction

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
CSV = "text/csv; charset=utf-8"


def file_response(
    content,
    filename: str,
    content_type: str,
    *,
    obj=None,
    what: str = "",
    export: bool = False,
    inline: bool = False,
):
    """The answer that hands ``content`` to the user as ``filename``, recorded in the audit log.

    ``content`` is bytes/str (built in memory), an open file (streamed by FileResponse) or an
    iterator of chunks (streamed). ``export`` marks data the user selected (a list, statistics)
    rather than a stored document; ``obj`` is the record the file belongs to; ``what`` says more
    than the file name (filters, format).
    """
    record_event(
        ChangeAction.EXPORT if export else ChangeAction.DOWNLOAD,
        comment=f"{filename} {what}".strip()[:2000],
        obj=obj,
    )
    disposition = content_disposition_header(not inline, filename)
    if isinstance(content, (bytes, str)):
        response = HttpResponse(content, content_type=content_type)
    elif hasattr(content, "read"):
        response = FileResponse(content, content_type=content_type)
    else:
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = disposition
    return response
