"""Masking of contact details for people who may not see them."""

import re


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


def masked_values(obj, user, values: dict) -> dict:
    """Replace the contact fields of ``obj`` in ``values`` unless ``user`` may see them."""
    fields = getattr(obj, "contact_fields", ())
    if not fields or type(obj).policy.contact_visible(user, obj):
        return values
    return {k: (mask(k, v) if k in fields else v) for k, v in values.items()}
