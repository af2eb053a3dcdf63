from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import resolve_url
from django.views.generic import TemplateView

from xiake.core.roles import Role

# Where the three administrators land: their own work, never the business home page.
ADMIN_HOMES = {
    Role.SYSTEM_ADMIN: "accounts:user_list",
    Role.SECURITY_ADMIN: "ops:lockouts",
    Role.AUDIT_ADMIN: "core:changerecord_list",
}


class XiakeLoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        home = ADMIN_HOMES.get(getattr(self.request.user, "role", None))
        if home and not self.request.user.is_superuser:
            return resolve_url(home)
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if getattr(settings, "XIAKE_SHOW_DEMO_LOGINS", True):
            from xiake.accounts.models import User

            try:
                from xiake.demo.accounts import DEMO_ACCOUNTS
            except ImportError:
                DEMO_ACCOUNTS = ()
            names = [u for u, _r in DEMO_ACCOUNTS]
            existing = set(
                User.objects.filter(username__in=names).values_list("username", flat=True)
            )
            context["demo_logins"] = [(u, Role(r).label) for u, r in DEMO_ACCOUNTS if u in existing]
            context["demo_password"] = settings.XIAKE_DEMO_PASSWORD
        return context


class ProfileView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/profile.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        from xiake.accounts.mfa import mfa_required

        context.update(
            user=user,
            organization=user.organization,
            staff=getattr(user, "transfer_staff", None),
            second_factor=mfa_required(user),
        )
        return context
