"""Masking of contact details and confidential values for people who may not see them.

Models declare what is masked: ``contact_fields`` (phones, e-mails: masked unless
``policy.contact_visible``), ``identity_fields`` (identity document numbers, masked as
``3201**********123X`` unless ``policy.identity_visible``, which is narrower: no docking case
grants it) and ``confidential_fields`` with ``confidential_flag`` (on rows whose flag is set,
replaced by 保密 unless ``policy.confidential_visible``). List pages, detail pages, the API and
CSV/XLSX exports all go through :func:`masked_values`; pages and exports first ask which of their
rows a docking case grants (:func:`page_contact_grants`, one query per kind of record, not per
row). A full identity number shown on a detail
page or through the API, or exported, is written to the audit log (:func:`record_identity_reveal`).
"""

import re

from django.utils.translation import gettext as _

from xiake.core.identity import mask_id_number
from xiake.core.policies import contact_grants


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


def identity_revealed(obj, user, values: dict) -> list[str]:
    """The identity fields of ``obj`` that ``values`` (after :func:`masked_values`) shows in full
    to ``user``: what a reveal record names."""
    fields = getattr(obj, "identity_fields", ())
    if not fields or not type(obj).policy.identity_visible(user, obj):
        return []
    return [k for k in fields if values.get(k)]


def identity_reveal(obj, user, values: dict):
    """The (unsaved) audit record of ``values`` showing ``user`` a full identity number of
    ``obj``, or None; a page of the API saves those of its rows in one statement."""
    names = identity_revealed(obj, user, values)
    if not names:
        return None
    from xiake.core.changelog import build_record
    from xiake.core.models import ChangeAction

    labels = "、".join(str(obj._meta.get_field(n).verbose_name) for n in names)
    return build_record(obj, ChangeAction.REVEAL, comment=labels)


def record_identity_reveal(obj, user, values: dict) -> None:
    """One audit record when ``values`` shows ``user`` a full identity number of ``obj`` (detail
    page, API); exports are recorded as a whole by the exporter."""
    record = identity_reveal(obj, user, values)
    if record is not None:
        record.save()


def page_contact_grants(user, model, pks) -> set:
    """The keys among ``pks`` (a list, or a ``values("pk")`` queryset for an export) of rows of
    ``model`` whose contacts a grant (an accepted docking case) shows ``user``: asked once for a
    page or an export and passed to :func:`masked_values` for each of its rows."""
    if not getattr(model, "contact_fields", ()):
        return set()
    return contact_grants(user, model, pks)


def masked_values(obj, user, values: dict, granted: set | None = None) -> dict:
    """Replace the contact fields of ``obj`` in ``values`` unless ``user`` may see them, its
    identity numbers unless ``user`` may see those, and its confidential fields when the row is
    confidential and ``user`` may not see them. ``granted``: :func:`page_contact_grants` of the
    page or export ``obj`` belongs to; without it the row's grant is asked for on its own."""
    fields = getattr(obj, "contact_fields", ())
    if fields and not type(obj).policy.contact_visible(user, obj, granted):
        values = {k: (mask(k, v) if k in fields else v) for k, v in values.items()}
    identity = getattr(obj, "identity_fields", ())
    if identity and not type(obj).policy.identity_visible(user, obj):
        values = {k: (mask_id_number(v) if k in identity else v) for k, v in values.items()}
    secret = getattr(obj, "confidential_fields", ())
    if secret and confidential_hidden(obj, user):
        label = _("Confidential")
        values = {k: (label if k in secret else v) for k, v in values.items()}
    return values
