"""Writes the change feed: every save or delete of searchable text adds an ``IndexChange`` row.

The signal handlers run inside the caller's transaction (the generic views, the API and the
importer all write in ``transaction.atomic``), so a change and its feed row commit together and a
crashed indexer loses nothing: it replays the feed from its cursor. Bulk writes that bypass
signals (the spreadsheet importer, the demo generator) call :func:`record_many` or
:func:`record_rebuild`.

An enterprise's document is made of its public demands (``enterprises``), so a demand's change
is also a change of its enterprise: saving or deleting a demand records ``enterprise:<owner>``
too (and the former owner's when the demand changed hands), in the same transaction.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from xiake.matching.models import IndexChange

# kind → "app_label.ModelName"; the searchable libraries.
KINDS = {
    "achievement": "catalog.Achievement",
    "demand": "catalog.Demand",
    "expert": "catalog.Expert",
    "platform": "catalog.Platform",
    # enterprises only (enterprises.queryset); other organisations' rows are never indexed
    "enterprise": "accounts.Organization",
}


def kind_of(model) -> str | None:
    label = f"{model._meta.app_label}.{model.__name__}"
    for kind, name in KINDS.items():
        if name == label:
            return kind
    return None


def record(kind: str, pk, action: str = IndexChange.Action.UPSERT) -> None:
    IndexChange.objects.create(kind=kind, object_id=pk, action=action)


def record_many(kind: str, pks, action: str = IndexChange.Action.UPSERT) -> None:
    IndexChange.objects.bulk_create(
        [IndexChange(kind=kind, object_id=pk, action=action) for pk in pks], batch_size=1000
    )


def record_rebuild() -> None:
    """Ask every node to rebuild its index from the database (after bulk writes)."""
    IndexChange.objects.create(kind="*", action=IndexChange.Action.REBUILD)


# What a save may take away from an enterprise's profile: a demand's owner, an organisation's type.
_BEFORE = {"demand": "owner_org_id", "enterprise": "org_type"}


def _before_save(sender, instance, raw=False, **kwargs):
    """Read the stored owner (demand) or type (organisation) before the save overwrites it: one
    primary-key read. Not the instance's loaded values, which a second save of the same instance
    would leave stale."""
    field = _BEFORE.get(kind_of(sender))
    if raw or field is None or instance.pk is None:
        return
    instance._index_before = (
        sender._default_manager.filter(pk=instance.pk).values_list(field, flat=True).first()
    )


def _enterprises_of_demand(instance) -> set:
    """The enterprises whose profile a demand's change touches: its owner, and its former owner
    when it changed hands."""
    return {pk for pk in (instance.owner_org_id, getattr(instance, "_index_before", None)) if pk}


def _is_enterprise(instance) -> bool:
    """An organisation that is, or was until this save, an enterprise (a change of type drops
    its document: the sync finds it no longer among enterprises)."""
    from xiake.accounts.models import OrgType

    return OrgType.ENTERPRISE in (instance.org_type, getattr(instance, "_index_before", None))


def _on_save(sender, instance, raw=False, **kwargs):
    if raw:
        return
    kind = kind_of(sender)
    if kind == "enterprise" and not _is_enterprise(instance):
        return
    if kind:
        record(kind, instance.pk)
    if kind == "demand":
        record_many("enterprise", _enterprises_of_demand(instance))


def _on_delete(sender, instance, **kwargs):
    kind = kind_of(sender)
    if kind == "enterprise" and not _is_enterprise(instance):
        return
    if kind:
        record(kind, instance.pk, IndexChange.Action.DELETE)
    if kind == "demand":
        record_many("enterprise", _enterprises_of_demand(instance))


def _on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        kind = kind_of(type(instance))
        if kind:
            record(kind, instance.pk)
        return
    kind = kind_of(model)  # e.g. achievement.experts.add(expert): the expert's text changed
    if kind and pk_set:
        record_many(kind, pk_set)


def _on_import(sender, resource=None, pks=(), **kwargs):
    kind = kind_of(resource.model) if resource is not None else None
    if kind and pks:
        record_many(kind, pks)
    if kind == "demand" and pks:  # their enterprises' profiles changed too
        model = resource.model
        owners = model._default_manager.filter(pk__in=pks).values_list("owner_org_id", flat=True)
        record_many("enterprise", set(owners))


def connect() -> None:
    from django.apps import apps

    for kind, label in KINDS.items():
        model = apps.get_model(label)
        uid = f"matching-{kind}"
        post_save.connect(_on_save, sender=model, dispatch_uid=uid + "-save")
        if kind in _BEFORE:
            pre_save.connect(_before_save, sender=model, dispatch_uid=uid + "-before-save")
        post_delete.connect(_on_delete, sender=model, dispatch_uid=uid + "-delete")
        for field in model._meta.many_to_many:
            m2m_changed.connect(
                _on_m2m, sender=field.remote_field.through, dispatch_uid=f"{uid}-{field.name}"
            )
    try:
        from xiake.core.importer import records_imported
    except ImportError:  # pragma: no cover - older core without the hook
        return
    records_imported.connect(_on_import, dispatch_uid="matching-import")
