"""The bureau's page of locked accounts, with an unlock button per username."""

from axes.utils import reset
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from xiake.core.roles import is_bureau
from xiake.ops.lockout import locked_usernames, record_unlock


class BureauOnlyMixin:
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        if not is_bureau(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class LockoutListView(BureauOnlyMixin, TemplateView):
    template_name = "ops/lockouts.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(locked=locked_usernames(), **kwargs)


class UnlockView(BureauOnlyMixin, View):
    def post(self, request):
        username = request.POST.get("username", "").strip()
        if not username:
            messages.error(request, _("Field username: choose the account to unlock."))
        elif reset(username=username):
            record_unlock(username, request.user)
            messages.success(
                request, _("Account %(username)s is unlocked.") % {"username": username}
            )
        else:
            messages.info(
                request, _("Account %(username)s was not locked.") % {"username": username}
            )
        return redirect("ops:lockouts")
