"""Registering for a public event without an account, the confirmation, and cancelling.

The registration itself is liaison's (``register_visitor``: capacity and deadline in one
conditional UPDATE, duplicates by phone or e-mail refused); these views add the form, the
honeypot and the per-address limit, and never show a phone number in full.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from xiake.core.masking import mask_email, mask_phone
from xiake.liaison.models import Event
from xiake.liaison.models.events import (
    CancelRefused,
    DuplicateRegistration,
    EventFull,
    cancel_visitor_registration,
    format_reference,
    register_visitor,
    visitor_registration,
)
from xiake.portal import public, ratelimit
from xiake.portal.forms import HONEYPOT, CancelForm, VisitorRegistrationForm


def _closed(event) -> str:
    """Why the form is not offered ("" when it is)."""
    if event.accepts_registrations:
        return ""
    if not event.registration_open or event.places_left:
        return _("Registration for this event is closed.")  # closed by hand, or past the deadline
    return _("The event is full: all %(n)d places are taken.") % {"n": event.capacity}


def _event_context(request, event, form):
    return {
        "section": "events",
        "closed": _closed(event),
        "event": event,
        "form": form,
        "fields": [f for f in form.visible_fields() if f.name != HONEYPOT],
        "honeypot": form[HONEYPOT],
        "member": request.user.is_authenticated,
    }


def event_page(request, pk):
    """The event's public page with the registration form (GET cached for visitors like the
    rest of the portal; POST registers)."""
    visible = Event.objects.restrict(request.user, "view").select_related("owner_org")
    if request.method == "POST":
        return _register(request, get_object_or_404(visible, pk=pk))

    def build():
        event = get_object_or_404(visible, pk=pk)
        return _event_context(request, event, VisitorRegistrationForm())

    return public._cached(request, "portal/event.html", build, public._event_models())


def _refuse(request, event, form, message, status):
    form.is_valid()  # the field errors are shown too
    form.add_error(None, message)
    return render(request, "portal/event.html", _event_context(request, event, form), status=status)


def _register(request, event):
    form = VisitorRegistrationForm(request.POST)
    if request.user.is_authenticated:
        # Members register through their account (their enterprise, their QR code).
        return redirect(event.get_absolute_url())
    if ratelimit.exceeded(request, "register"):
        return _refuse(
            request,
            event,
            form,
            _("Too many registrations from your network in the last hour. Please try later."),
            429,
        )
    if form.is_spam:
        # A robot filled the hidden field: nothing is written, and the message says no more.
        return _refuse(request, event, form, _("The registration could not be accepted."), 400)
    if not form.is_valid():
        return render(
            request, "portal/event.html", _event_context(request, event, form), status=400
        )
    data = form.cleaned_data
    try:
        reg = register_visitor(
            event,
            attendee_name=data["attendee_name"],
            organisation=data["organisation"],
            phone=data["phone"],
            email=data["email"],
        )
    except DuplicateRegistration as exc:
        return _refuse(request, event, form, exc.messages[0], 409)
    except EventFull as exc:
        event.refresh_from_db()
        return _refuse(request, event, form, exc.messages[0], 409)
    return redirect("portal:registration_done", reference=reg.reference)


@never_cache
def confirmation(request, reference):
    """What a visitor sees after registering: the event, the reference and how to cancel. The
    reference is the key: the page shows contact details masked."""
    reg = visitor_registration(reference)
    if reg is None:
        raise Http404(_("No registration has this reference."))
    return render(
        request,
        "portal/registration_done.html",
        {
            "reg": reg,
            "event": reg.event,
            "reference": format_reference(reg.reference),
            "phone": mask_phone(reg.phone),
            "email": mask_email(reg.email),
            "cancel_url": f"{reverse('portal:registration_cancel')}?reference={reg.reference}",
        },
    )


@never_cache
def cancel(request):
    """Cancel a visitor's registration with its reference and the phone or e-mail given."""
    if request.method != "POST":
        form = CancelForm(initial={"reference": request.GET.get("reference", "")[:20]})
        return render(request, "portal/cancel.html", {"form": form, "fields": _fields(form)})
    form = CancelForm(request.POST)
    valid = form.is_valid()
    status = 400
    if ratelimit.exceeded(request, "cancel"):
        form.add_error(
            None, _("Too many attempts from your network in the last hour. Please try later.")
        )
        status = 429
    elif form.data.get(HONEYPOT, "").strip():
        form.add_error(None, _("The request could not be accepted."))
    elif valid:
        try:
            reg = cancel_visitor_registration(
                form.cleaned_data["reference"], form.cleaned_data["contact"]
            )
        except CancelRefused as exc:
            form.add_error(None, exc.messages[0])
        else:
            messages.success(
                request,
                _("Your registration for “%(event)s” is cancelled; the place is free again.")
                % {"event": reg.event},
            )
            return redirect("portal:events")
    return render(
        request, "portal/cancel.html", {"form": form, "fields": _fields(form)}, status=status
    )


def _fields(form):
    return [f for f in form.visible_fields() if f.name != HONEYPOT]
