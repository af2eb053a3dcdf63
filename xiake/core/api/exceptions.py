from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import Throttled
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    """DRF's handler, plus model validation and integrity errors as 400 instead of 500."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError):
        from xiake.core.views import protected_reason

        return Response(
            {"detail": f"Referenced by {protected_reason(exc)}; not deleted."},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, IntegrityError):
        return Response(
            {"detail": "A record with the same key already exists."},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Throttled):
        # the same words as the page limits (xiake.core.ratelimit); DRF adds Retry-After
        wait = int(exc.wait or 1)
        exc.detail = _("Too many requests. Please try again in %(seconds)d seconds.") % {
            "seconds": wait
        }
    return drf_exception_handler(exc, context)
