"""The system administrator's user management: list, create, change role/organisation, deactivate.

A change of role, organisation or active flag is a change of permissions: each save writes one
audit record with the account's values before and after. The system administrator cannot change
their own role or deactivate themselves, and does not manage superusers (the installation's
break-glass accounts, kept in Django's admin).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, password_validation
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import View

from xiake.accounts.permissions import RoleRequiredMixin
from xiake.core.forms import StyledFormMixin
from xiake.core.roles import Role, is_system_admin

# What an audit record of an account holds: the fields that decide what the account may do.
AUDITED_FIELDS = (
    "username",
    "role",
    "organization_id",
    "is_active",
    "last_name",
    "first_name",
    "email",
    "phone",
    "job_title",
)
EDIT_FIELDS = ("last_name", "first_name", "email", "phone", "job_title", "role", "organization")


def snapshot(user) -> dict:
    return {name: getattr(user, name) for name in AUDITED_FIELDS}


def record_account_change(user, action, before, actor):
    from xiake.core.changelog import build_record

    build_record(user, action, before=before, after=snapshot(user), actor=actor).save()


class UserEditForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = get_user_model()
        fields = (*EDIT_FIELDS, "is_active")

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        if actor is not None and self.instance.pk == actor.pk:
            # no one raises, lowers or switches off their own account
            for name in ("role", "is_active"):
                self.fields[name].disabled = True


class UserCreateForm(UserEditForm):
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput, strip=False)
    password2 = forms.CharField(
        label=_("Password (again)"), widget=forms.PasswordInput, strip=False
    )

    class Meta:
        model = get_user_model()
        fields = ("username", *EDIT_FIELDS)

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("password1"), cleaned.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords differ."))
        elif one:
            self.instance.username = cleaned.get("username", "")
            try:
                password_validation.validate_password(one, self.instance)
            except forms.ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


def managed_users():
    """Accounts the system administrator manages: everyone but superusers."""
    return get_user_model().objects.filter(is_superuser=False).select_related("organization")


class SystemAdminOnly(RoleRequiredMixin):
    allowed = staticmethod(is_system_admin)


class UserListView(SystemAdminOnly, View):
    def get(self, request):
        users = managed_users().order_by("username")
        q = request.GET.get("q", "").strip()
        if q:
            users = users.filter(
                Q(username__icontains=q)
                | Q(last_name__icontains=q)
                | Q(first_name__icontains=q)
                | Q(organization__name__icontains=q)
            )
        role = request.GET.get("role", "")
        if role in Role.values:
            users = users.filter(role=role)
        page = Paginator(users, 50).get_page(request.GET.get("page"))
        context = {"page": page, "q": q, "role": role, "roles": Role.choices}
        return render(request, "accounts/user_list.html", context)


class UserCreateView(SystemAdminOnly, View):
    def get(self, request):
        return self._render(request, UserCreateForm(actor=request.user))

    def post(self, request):
        from xiake.core.models import ChangeAction

        form = UserCreateForm(request.POST, actor=request.user)
        if not form.is_valid():
            return self._render(request, form, status=400)
        with transaction.atomic():
            user = form.save()
            record_account_change(user, ChangeAction.CREATE, None, request.user)
        messages.success(
            request, gettext("Account %(username)s created.") % {"username": user.username}
        )
        return redirect("accounts:user_list")

    def _render(self, request, form, status=200):
        context = {"form": form, "creating": True}
        return render(request, "accounts/user_form.html", context, status=status)


class UserEditView(SystemAdminOnly, View):
    def get(self, request, pk):
        user = get_object_or_404(managed_users(), pk=pk)
        return self._render(request, UserEditForm(instance=user, actor=request.user), user)

    def post(self, request, pk):
        from xiake.core.models import ChangeAction

        user = get_object_or_404(managed_users(), pk=pk)
        before = snapshot(user)
        form = UserEditForm(request.POST, instance=user, actor=request.user)
        if not form.is_valid():
            return self._render(request, form, user, status=400)
        with transaction.atomic():
            user = form.save()
            if snapshot(user) != before:
                record_account_change(user, ChangeAction.UPDATE, before, request.user)
        messages.success(
            request, gettext("Account %(username)s saved.") % {"username": user.username}
        )
        return redirect("accounts:user_list")

    def _render(self, request, form, account, status=200):
        context = {"form": form, "account": account, "creating": False}
        return render(request, "accounts/user_form.html", context, status=status)
