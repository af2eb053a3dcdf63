"""One gate for the pages of one role (the three administrators' pages): anonymous visitors go to
the login page, everyone else but that role gets 403."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class RoleRequiredMixin:
    """``allowed`` is a predicate of xiake.core.roles (is_system_admin, is_security_admin…)."""

    allowed = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not type(self).allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)
