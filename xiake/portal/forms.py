"""The public registration and cancellation forms: every field labelled, every error named."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from xiake.core.forms import StyledFormMixin
from xiake.liaison.models.events import normalise_phone

# A mainland mobile number (11 digits from 1[3-9]) or a landline with its area code (0xx / 0xxx
# followed by 7–8 digits), after spaces, hyphens and a +86 prefix are dropped.
PHONE = re.compile(r"1[3-9]\d{9}|0\d{2,3}\d{7,8}")

#: The honeypot's name: a word autofilling robots fill, hidden from people and screen readers.
HONEYPOT = "website"


class VisitorRegistrationForm(StyledFormMixin, forms.Form):
    """A visitor without an account registers for a public event."""

    attendee_name = forms.CharField(
        label=_("Name"),
        max_length=60,
        error_messages={"required": _("Enter the name of the person who will attend.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=120,
        help_text=_("Enterprise, university or institution you come from."),
        error_messages={"required": _("Enter your organisation (or “个人” if none).")},
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        help_text=_("A mobile number, or a landline with its area code. Shown only to the bureau."),
        error_messages={"required": _("Enter a phone number so the organiser can reach you.")},
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        error_messages={"invalid": _("Enter an e-mail address such as name@example.com.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my data is used for this event."),
        error_messages={"required": _("Registration needs your consent to the privacy notice.")},
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].widget.attrs["aria-describedby"] = "privacy-notice"
        honeypot = self.fields[HONEYPOT].widget.attrs
        honeypot.update({"tabindex": "-1", "autocomplete": "off"})

    def clean_attendee_name(self):
        return " ".join(self.cleaned_data["attendee_name"].split())

    def clean_organisation(self):
        return " ".join(self.cleaned_data["organisation"].split())

    def clean_phone(self):
        phone = normalise_phone(self.cleaned_data["phone"])
        if not PHONE.fullmatch(phone):
            raise forms.ValidationError(
                _(
                    "Enter an 11-digit mobile number or a landline with its area code, e.g. 025-85551234."
                )
            )
        return phone

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class CancelForm(StyledFormMixin, forms.Form):
    """Cancel a visitor's registration with its reference and the phone or e-mail given."""

    reference = forms.CharField(
        label=_("Registration reference"),
        max_length=20,
        help_text=_("Shown on the confirmation page, e.g. ABCDE-FGH23."),
        error_messages={"required": _("Enter the reference of your registration.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    contact = forms.CharField(
        label=_("Phone or e-mail given when registering"),
        max_length=120,
        error_messages={
            "required": _("Enter the phone number or e-mail address you registered with.")
        },
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
