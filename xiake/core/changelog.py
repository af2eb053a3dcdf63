"""The audit trail: every save, delete, review, import, export and login becomes a ChangeRecord."""

from django.contrib.auth import signals as auth_signals
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from xiake.core import context
from xiake.core.models import AuditedModel, ChangeAction, ChangeRecord


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


def record_event(action, comment="", actor=None, obj=None) -> ChangeRecord:
    """Record something that is not a change of one record (an export, a login)."""
    fields = _actor_fields(actor)
    record = ChangeRecord(action=action, comment=comment, **fields)
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
