"""The audit trail: every save, delete, review, import, export, download, login and permission
change becomes a ChangeRecord carrying actor, IP, time and request id (docs/operations.md, Audit)."""

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth import signals as auth_signals
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver
from django_tasks.signals import task_enqueued, task_finished, task_started

from xiake.core import context
from xiake.core.models import AuditedModel, ChangeAction, ChangeRecord

logger = logging.getLogger("xiake.audit")


def _actor_fields(actor=None) -> dict:
    ctx = context.current()
    actor = actor or ctx.actor()
    return {
        "actor": actor,
        "actor_name": actor.get_username() if actor else "system",
        "request_id": ctx.request_id,
        "ip": ctx.ip,
    }


def build_record(instance, action, before=None, after=None, comment="", actor=None) -> ChangeRecord:
    return ChangeRecord(
        action=action,
        content_type=ContentType.objects.get_for_model(instance),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        before=before,
        after=after,
        comment=comment,
        **_actor_fields(actor),
    )


def record_change(instance, action, before=None, comment="", actor=None) -> ChangeRecord:
    """Write one change record for ``instance`` now (after-snapshot taken from the instance)."""
    after = None if action == ChangeAction.DELETE else instance.snapshot()
    record = build_record(
        instance, action, before=before, after=after, comment=comment, actor=actor
    )
    record.save()
    return record


def record_event(action, comment="", actor=None, obj=None, before=None, after=None) -> ChangeRecord:
    """Record something that is not a change of one record (an export, a login)."""
    fields = _actor_fields(actor)
    record = ChangeRecord(action=action, comment=comment, before=before, after=after, **fields)
    if obj is not None:
        record.content_type = ContentType.objects.get_for_model(obj)
        record.object_id = str(obj.pk)
        record.object_repr = str(obj)[:200]
    record.save()
    return record


@receiver(post_save)
def _log_save(sender, instance, created, raw=False, **kwargs):
    if raw or not isinstance(instance, AuditedModel) or getattr(instance, "_skip_changelog", False):
        return
    before = None if created else instance.loaded_snapshot()
    record_change(instance, ChangeAction.CREATE if created else ChangeAction.UPDATE, before=before)
    # The next save of the same instance compares against what is stored now.
    instance._loaded_values = instance.snapshot()


@receiver(post_delete)
def _log_delete(sender, instance, **kwargs):
    if not isinstance(instance, AuditedModel):
        return
    record_change(instance, ChangeAction.DELETE, before=instance.snapshot())


@receiver(m2m_changed)
def _log_m2m(sender, instance, action, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if not isinstance(instance, AuditedModel) or getattr(instance, "_skip_changelog", False):
        return
    field = next((f for f in instance._meta.many_to_many if f.remote_field.through is sender), None)
    if field is None:
        return
    ids = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    comment = f"{field.name}: {action.removeprefix('post_')} {sorted(pk_set or [])}"
    build_record(instance, ChangeAction.UPDATE, after={field.name: ids}, comment=comment).save()


# -- permission changes: what a user may do (role, organisation, flags, groups, permissions) --------

PERMISSION_FIELDS = ("role", "organization_id", "is_active", "is_staff", "is_superuser")


def _permission_state(user) -> dict:
    return {name: getattr(user, name, None) for name in PERMISSION_FIELDS}


@receiver(pre_save)
def _remember_permissions(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or sender is not get_user_model() or instance.pk is None:
        return
    wanted = {f.replace("_id", "") for f in PERMISSION_FIELDS}
    if update_fields is not None and not wanted & {f.replace("_id", "") for f in update_fields}:
        return  # e.g. last_login at each login: no permission can have changed
    stored = sender._default_manager.filter(pk=instance.pk).values(*PERMISSION_FIELDS).first()
    instance._permissions_before = stored


@receiver(post_save)
def _log_permission_change(sender, instance, created, raw=False, **kwargs):
    if raw or sender is not get_user_model():
        return
    before = None if created else getattr(instance, "_permissions_before", None)
    instance._permissions_before = None
    after = _permission_state(instance)
    if not created:
        if before is None:
            return
        changed = [k for k in PERMISSION_FIELDS if before.get(k) != after.get(k)]
        if not changed:
            return
        before = {k: before[k] for k in changed}
        after = {k: after[k] for k in changed}
    record_event(
        ChangeAction.PERMISSION,
        comment=("account created" if created else "account: " + ", ".join(sorted(after))),
        obj=instance,
        before=before,
        after=after,
    )


def _m2m_ids(instance, field_name) -> list:
    return sorted(getattr(instance, field_name).values_list("pk", flat=True))


def _permission_links() -> dict:
    user_model = get_user_model()
    return {
        user_model.groups.through: "groups",
        user_model.user_permissions.through: "user_permissions",
        Group.permissions.through: "permissions",
    }


@receiver(m2m_changed)
def _log_permission_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Groups and permissions of a user or group, from either side of the relation."""
    field_name = _permission_links().get(sender)
    if field_name is None:
        return
    # The records whose rights change: the instance, or on the reverse side (group.user_set.add)
    # the objects named in pk_set (for clear: everyone linked before).
    if not reverse:
        targets = [instance]
    elif pk_set is not None:
        targets = list(model._default_manager.filter(pk__in=pk_set))
    elif action == "pre_clear":
        targets = list(model._default_manager.filter(**{field_name: instance}))
    else:
        targets = list(model._default_manager.filter(pk__in=getattr(instance, "_audit_m2m", {})))
    if action in {"pre_add", "pre_remove", "pre_clear"}:
        instance._audit_m2m = {t.pk: _m2m_ids(t, field_name) for t in targets}
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    befores = getattr(instance, "_audit_m2m", {})
    for target in targets:
        before, after = befores.get(target.pk), _m2m_ids(target, field_name)
        if before == after:
            continue
        record_event(
            ChangeAction.PERMISSION,
            comment=f"{field_name}: {action.removeprefix('post_')} {sorted(pk_set or [])}",
            obj=target,
            before={field_name: before},
            after={field_name: after},
        )


@receiver(auth_signals.user_logged_in)
def _log_login(sender, request, user, **kwargs):
    record_event(ChangeAction.LOGIN, actor=user, obj=user)


@receiver(auth_signals.user_logged_out)
def _log_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(ChangeAction.LOGOUT, actor=user, obj=user)


@receiver(auth_signals.user_login_failed)
def _log_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    record = ChangeRecord(action=ChangeAction.LOGIN_FAILED, comment=username, **_actor_fields(None))
    record.actor_name = username or "?"
    record.save()


# -- background tasks: what a task writes carries the enqueuing request's id or ``task-<id>`` ------

_task_tokens: dict = {}


@receiver(task_enqueued)
def _log_task_enqueued(sender, task_result, **kwargs):
    # The log line carries the enqueuing request's id (RequestIdFilter): it links the request to
    # the records the task writes later under ``task-<id>``.
    logger.info("task %s %s enqueued", task_result.id, task_result.task.module_path)


@receiver(task_started)
def _enter_task(sender, task_result, **kwargs):
    if context._current.get() is not None:
        return  # run inside the enqueuing request (immediate backend): keep its id and actor
    ctx = context.ActionContext(request_id=f"task-{task_result.id}"[:64])
    _task_tokens[task_result.id] = context._current.set(ctx)


@receiver(task_finished)
def _leave_task(sender, task_result, **kwargs):
    token = _task_tokens.pop(task_result.id, None)
    if token is not None:
        context._current.reset(token)
