"""Masking of contact details and confidential values for people who may not see them.

Models declare what is masked: ``contact_fields`` (phones, e-mails: masked unless
``policy.contact_visible``) and ``confidential_fields`` with ``confidential_flag`` (on rows whose
flag is set, replaced by 保密 unless ``policy.confidential_visible``). List pages, detail pages,
the API and CSV/XLSX exports all go through :func:`masked_values`.
"""

import re

from django.utils.translation import gettext as _


def mask_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value or "")
    if not value:
        return ""
    if len(digits) >= 7:
        return f"{digits[:3]}****{digits[-4:]}"
    return "****"


def mask_email(value: str) -> str:
    if not value or "@" not in value:
        return "****" if value else ""
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask(field_name: str, value):
    if not value:
        return value
    if "email" in field_name:
        return mask_email(str(value))
    return mask_phone(str(value))


def confidential_hidden(obj, user) -> bool:
    """Is ``obj`` a confidential row whose confidential values ``user`` may not see?"""
    flag = getattr(obj, "confidential_flag", "")
    if not flag or not getattr(obj, flag, False):
        return False
    return not type(obj).policy.confidential_visible(user, obj)


def masked_values(obj, user, values: dict) -> dict:
    """Replace the contact fields of ``obj`` in ``values`` unless ``user`` may see them, and its
    confidential fields when the row is confidential and ``user`` may not see them."""
    fields = getattr(obj, "contact_fields", ())
    if fields and not type(obj).policy.contact_visible(user, obj):
        values = {k: (mask(k, v) if k in fields else v) for k, v in values.items()}
    secret = getattr(obj, "confidential_fields", ())
    if secret and confidential_hidden(obj, user):
        label = _("Confidential")
        values = {k: (label if k in secret else v) for k, v in values.items()}
    return values
