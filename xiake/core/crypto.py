"""Encryption at rest of personal and confidential fields (docs/operations.md, "Data protection").

One mechanism for every app:

- :class:`EncryptedCharField` — a text field stored as a Fernet token (AES-128-CBC + HMAC-SHA256,
  from the ``cryptography`` package). The application reads and writes plain text; SQL sees only
  tokens, so the field cannot be searched, compared or ordered in SQL (lookups other than
  ``isnull`` are refused with a message saying so). A row read from the database keeps the token
  (:class:`Ciphertext`) until the attribute is first read: a list or an export that never shows
  the phone (or the phone of a ``select_related`` organisation) decrypts nothing. ``.values()`` and
  ``.values_list()`` of the project's querysets (:class:`PlaintextValuesMixin`, part of
  ``RestrictedQuerySet``) still give plain text.
- :class:`BlindIndexField` — beside an encrypted field where equality is needed (duplicate
  detection, idempotent imports): the HMAC-SHA256 of the *normalised* value under a separate key,
  kept by ``pre_save``. ``Model.objects.filter(phone_index=blind_index(value))`` finds equal values
  without decrypting a table.
- :class:`SealedValuesField` + :class:`SealableDecimalField` — for values that are secret only on
  some rows (the amounts of a confidential contract): while the row's flag is set, the plain
  columns hold zero and the real values sit encrypted in the sealed field; instances read from
  the database get the real values back (``post_init``), ``.values()`` rows through
  :meth:`SealedValuesField.unseal_row`.

Keys come from the environment: ``FIELD_ENCRYPTION_KEYS`` (comma-separated Fernet keys; the first
encrypts, all decrypt, so a new key is put first and ``xiake rotate_field_keys`` re-encrypts) and
``FIELD_INDEX_KEY`` (the blind-index HMAC key). With no key set, one pair is generated into
``VAR_DIR/field-keys.json`` for development and the embedded demo; the system check refuses that
at ``migrate`` unless ``DEBUG`` or ``FIELD_ENCRYPTION_DEV_KEY=1`` says this is not production.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core import checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.query_utils import DeferredAttribute

# Fernet tokens are url-safe base64 of a version byte 0x80 followed by a timestamp: "gAAAAA…".
TOKEN_PREFIX = "gAAAAA"


class FieldDecryptionError(RuntimeError):
    """A stored value cannot be decrypted: refused loudly rather than shown as garbage."""


class Keys(NamedTuple):
    all: MultiFernet  # encrypts with the first key, decrypts with any
    primary: Fernet
    index: bytes  # the blind-index HMAC key


@functools.lru_cache(maxsize=8)
def _keyring(keys: tuple[str, ...], index_key: str) -> Keys:
    fernets = []
    for number, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode() if isinstance(key, str) else key))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEYS: key {number} is not a Fernet key (32 bytes, url-safe "
                f"base64; make one with `xiake rotate_field_keys --new-key`): {exc}"
            ) from None
    if not fernets:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
    if not index_key:
        raise ImproperlyConfigured(
            "FIELD_INDEX_KEY is not set: the blind indexes (equality lookups on encrypted "
            "fields) need their own HMAC key beside FIELD_ENCRYPTION_KEYS."
        )
    return Keys(MultiFernet(fernets), fernets[0], index_key.encode())


@functools.lru_cache(maxsize=4)
def _dev_keys(path: Path) -> dict:
    """The generated development/demo keys, created once (atomically: workers may race), read
    once per process (reading the file for every value made each one cost a millisecond)."""
    for _attempt in range(50):
        if path.exists():
            data = json.loads(path.read_text() or "{}")
            if data.get("encryption_keys") and data.get("index_key"):
                return data
        else:
            data = {
                "encryption_keys": [Fernet.generate_key().decode()],
                "index_key": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            }
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(data, fh)
            try:
                os.link(tmp, path)  # fails if another process won the race: use its keys
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
    raise ImproperlyConfigured(f"The development key file {path} is empty or damaged.")


def configured_from_environment() -> bool:
    return bool(getattr(settings, "FIELD_ENCRYPTION_KEYS", None))


def keyring() -> Keys:
    """The keys in force (read from settings on every call, so tests can override them; the
    work is cached by their values: this runs once per encrypted value)."""
    keys = tuple(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or ())
    return _resolve(keys, getattr(settings, "FIELD_INDEX_KEY", "") or "", settings.FIELD_KEY_FILE)


@functools.lru_cache(maxsize=8)
def _resolve(keys: tuple[str, ...], index_key: str, key_file) -> Keys:
    if not keys:
        data = _dev_keys(Path(key_file))
        keys, index_key = tuple(data["encryption_keys"]), index_key or data["index_key"]
    return _keyring(keys, index_key)


def encrypt(text: str) -> str:
    return keyring().all.encrypt(text.encode()).decode()


def decrypt(token: str, label: str = "value") -> str:
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        raise FieldDecryptionError(
            f"{label}: the stored value is not encrypted (run `xiake migrate`, whose data "
            "migrations encrypt existing rows)."
        )
    try:
        return keyring().all.decrypt(token.encode()).decode()
    except InvalidToken:
        raise FieldDecryptionError(
            f"{label}: the stored value cannot be decrypted with the keys in "
            "FIELD_ENCRYPTION_KEYS (the key that encrypted it is missing or wrong, or the value "
            "was altered)."
        ) from None


def rotate_token(token: str) -> str:
    """The same plain text under the first key (raises FieldDecryptionError like ``decrypt``)."""
    decrypt(token)  # the clear error when no key opens it
    return keyring().all.rotate(token.encode()).decode()


def is_primary(token: str) -> bool:
    """Was ``token`` made with the first (current) key?"""
    try:
        keyring().primary.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def normalise_phone(value: str) -> str:
    """Digits only, full-width folded, mainland country code dropped: '+86 138-0000-0000' and
    '13800000000' give the same index."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value or ""))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix) :]
    return digits


def normalise_text(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()


NORMALISERS = {"phone": normalise_phone, "text": normalise_text}


def blind_index(value: str, normaliser: str = "phone") -> str:
    """HMAC-SHA256 (hex) of the normalised value; empty for an empty value."""
    norm = NORMALISERS[normaliser](value)
    if not norm:
        return ""
    return hmac.new(keyring().index, norm.encode(), hashlib.sha256).hexdigest()


def _label(field) -> str:
    model = getattr(field, "model", None)
    return f"{model._meta.label}.{field.name}" if model is not None else field.name


class _EncryptedColumn:
    """A column holding a token of the field's text (empty stays empty). Tokens look random: any
    comparison in SQL would silently be wrong, so only ``isnull`` is allowed; the message points
    to the blind index."""

    sensitive = True

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value, _label(self))

    def get_db_prep_value(self, value, connection, prepared=False):
        if isinstance(value, Ciphertext):  # read and written back unread: already a token
            return value.token
        value = self.get_prep_value(value) if not prepared else value
        if value in (None, ""):
            return value
        return encrypt(str(value))

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{_label(self)} is encrypted and cannot be compared in SQL ('{lookup_name}'); "
            "use its blind index field (xiake.core.crypto.blind_index) for equality."
        )

    def get_transform(self, lookup_name):
        raise FieldError(f"{_label(self)} is encrypted and cannot be transformed in SQL.")


class Ciphertext:
    """A token as read from the database, decrypted only when its plain text is asked for.

    Model attributes never show it (:class:`_DecryptOnRead` swaps it for the plain text on first
    read), nor do ``.values()`` rows of a :class:`PlaintextValuesMixin` queryset. Anywhere else it
    behaves as its plain text where that is unambiguous (``str()``, ``==``, ``hash``).
    """

    __slots__ = ("token", "label")

    def __init__(self, token: str, label: str):
        self.token, self.label = token, label

    def plain(self) -> str:
        return decrypt(self.token, self.label)

    __str__ = plain

    def __eq__(self, other):
        if isinstance(other, Ciphertext):
            return self.token == other.token or self.plain() == other.plain()
        return self.plain() == other if isinstance(other, str) else NotImplemented

    def __hash__(self):
        return hash(self.plain())

    def __repr__(self):
        return f"<Ciphertext of {self.label}>"


def plain(value):
    """``value`` with a :class:`Ciphertext` replaced by its plain text."""
    return value.plain() if isinstance(value, Ciphertext) else value


class _DecryptOnRead(DeferredAttribute):
    """The attribute of an :class:`EncryptedCharField`: holds the row's :class:`Ciphertext` and
    decrypts it the first time it is read (then keeps the plain text). A data descriptor, so the
    instance's ``__dict__`` does not shadow it; deferred loading works as for any field."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        data = instance.__dict__
        name = self.field.attname
        value = data[name] if name in data else super().__get__(instance, cls)
        if isinstance(value, Ciphertext):
            value = data[name] = value.plain()
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedCharField(_EncryptedColumn, models.CharField):
    """A short text (phone, ID number) stored encrypted; ``max_length`` limits the plain text.

    The column is unlimited text (a token is about 100 characters for an 11-digit number). Empty
    values stay empty, so "not given" remains visible; everything else is a token, decrypted when
    the attribute is first read (:class:`Ciphertext`).
    """

    descriptor_class = _DecryptOnRead

    def get_internal_type(self):
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return Ciphertext(value, _label(self))

    def from_db_value_eagerly(self, value, expression, connection):
        """What ``from_db_value`` did before decryption became lazy (the benchmark's baseline)."""
        return super().from_db_value(value, expression, connection)

    def audit_value(self, value, row):
        """What the change log keeps: a short digest that shows a change, never the value."""
        value = plain(value)
        if not value or str(value).startswith("[encrypted"):  # already hidden (a re-snapshot)
            return value
        return f"[encrypted #{blind_index(str(value), 'text')[:8]}]"


def _reveal(row):
    """A ``.values()``/``.values_list()`` row with its :class:`Ciphertext` values decrypted."""
    if isinstance(row, Ciphertext):
        return row.plain()
    if isinstance(row, dict):
        if any(isinstance(v, Ciphertext) for v in row.values()):
            return {k: plain(v) for k, v in row.items()}
        return row
    if isinstance(row, tuple) and any(isinstance(v, Ciphertext) for v in row):
        values = [plain(v) for v in row]
        return type(row)(*values) if hasattr(row, "_fields") else tuple(values)
    return row


@functools.cache
def _plaintext_iterable(iterable_class):
    class PlaintextIterable(iterable_class):
        def __iter__(self):
            return map(_reveal, super().__iter__())

    PlaintextIterable.__name__ = f"Plaintext{iterable_class.__name__}"
    return PlaintextIterable


class PlaintextValuesMixin:
    """QuerySet mixin: ``.values()``/``.values_list()`` rows hold the plain text of encrypted
    fields (also across relations, ``owner_org__contact_phone``), as model attributes do."""

    def values(self, *fields, **expressions):
        clone = super().values(*fields, **expressions)
        clone._iterable_class = _plaintext_iterable(clone._iterable_class)
        return clone

    def values_list(self, *fields, flat=False, named=False):
        clone = super().values_list(*fields, flat=flat, named=named)
        clone._iterable_class = _plaintext_iterable(clone._iterable_class)
        return clone


class BlindIndexField(models.CharField):
    """HMAC of another field's normalised value, kept on every save (see the module docstring)."""

    def __init__(self, *args, source: str = "", normaliser: str = "phone", **kwargs):
        self.source, self.normaliser = source, normaliser
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normaliser != "phone":
            kwargs["normaliser"] = self.normaliser
        defaults = {"max_length": 64, "blank": True, "editable": False, "default": ""}
        for key, value in defaults.items():
            if kwargs.get(key) == value:
                del kwargs[key]
        # db_index defaults to True here (False in Field): spell out only a departure from it
        kwargs.pop("db_index", None)
        if not self.db_index:
            kwargs["db_index"] = False
        return name, path, args, kwargs

    def compute(self, instance) -> str:
        return blind_index(getattr(instance, self.source) or "", self.normaliser)

    def pre_save(self, instance, add):
        value = self.compute(instance)
        setattr(instance, self.attname, value)
        return value


class SealedValuesField(_EncryptedColumn, models.TextField):
    """The encrypted values of ``fields`` on rows whose boolean ``flag`` is set (else empty)."""

    def __init__(self, *args, fields: tuple = (), flag: str = "", **kwargs):
        self.sealed_fields, self.flag = tuple(fields), flag
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(fields=self.sealed_fields, flag=self.flag)
        for key, value in (("blank", True), ("editable", False), ("default", "")):
            if kwargs.get(key) == value:
                del kwargs[key]
        return name, path, args, kwargs

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not cls._meta.abstract:
            models.signals.post_init.connect(self._unseal_instance, sender=cls)

    def seal(self, instance) -> str:
        if not getattr(instance, self.flag):
            return ""
        return json.dumps(
            {name: _plain(getattr(instance, name)) for name in self.sealed_fields}, sort_keys=True
        )

    def pre_save(self, instance, add):
        value = self.seal(instance)
        setattr(instance, self.attname, value)
        return value

    def values_of(self, sealed: str) -> dict:
        """The sealed values (decrypted text of this field) by field name, as Python values."""
        data = json.loads(sealed)
        opts = self.model._meta
        return {name: opts.get_field(name).to_python(data[name]) for name in self.sealed_fields}

    def _unseal_instance(self, sender, instance, **kwargs):
        state = instance.__dict__
        sealed = state.get(self.attname)
        if sealed and state.get(self.flag):
            for name, value in self.values_of(sealed).items():
                if name in state:  # deferred fields stay deferred
                    state[name] = value

    def unseal_row(self, row: dict) -> dict:
        """A ``.values()`` row (which must hold the flag and this field) with the real values."""
        sealed = row.get(self.attname)
        if sealed and row.get(self.flag):
            row.update({k: v for k, v in self.values_of(sealed).items() if k in row})
        return row

    def audit_value(self, value, row):
        return "[encrypted]" if value else value


def _plain(value):
    return str(value) if isinstance(value, Decimal) else value


class SealableDecimalField(models.DecimalField):
    """A decimal whose column holds zero while the row's ``sealed_by`` flag is set (the real value
    is then in the model's :class:`SealedValuesField`), so SQL sums leave sealed rows out."""

    def __init__(self, *args, sealed_by: str = "", **kwargs):
        self.sealed_by = sealed_by
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["sealed_by"] = self.sealed_by
        return name, path, args, kwargs

    def pre_save(self, instance, add):
        if getattr(instance, self.sealed_by):
            return Decimal(0)
        return super().pre_save(instance, add)

    def audit_value(self, value, row):
        return "[confidential]" if row.get(self.sealed_by) else value


def audit_values(model, row: dict) -> dict:
    """``row`` (attname → value, as for the change log) with encrypted and sealed values hidden."""
    out = dict(row)
    for f in model._meta.concrete_fields:
        if f.attname in out and hasattr(f, "audit_value"):
            out[f.attname] = f.audit_value(out[f.attname], row)
    return out


def update_values(obj, names) -> dict:
    """Column values for ``QuerySet.update()`` after setting ``names`` on ``obj``: what those
    fields and the ones derived from them (blind indexes, sealed values) must store. ``update()``
    calls no ``pre_save``, so without this a sealed amount would be written in the clear."""
    names = set(names)
    out = {}
    for f in obj._meta.concrete_fields:
        derived = (
            (isinstance(f, BlindIndexField) and f.source in names)
            or (isinstance(f, SealedValuesField) and names & {f.flag, *f.sealed_fields})
            or (isinstance(f, SealableDecimalField) and names & {f.sealed_by, f.name})
        )
        if derived or f.name in names or f.attname in names:
            out[f.attname] = f.pre_save(obj, False) if derived else getattr(obj, f.attname)
    return out


def unique_blind_indexes(model) -> list[BlindIndexField]:
    """The blind indexes of ``model`` that a unique constraint covers alone (one expert per
    identity number): forms, the API and the importer name the clash before the constraint does."""
    fields = {f.name: f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)}
    return [
        fields[c.fields[0]]
        for c in model._meta.constraints
        if isinstance(c, models.UniqueConstraint) and len(c.fields) == 1 and c.fields[0] in fields
    ]


def encrypted_fields(model=None):
    """``(model, [EncryptedCharField | SealedValuesField …], [BlindIndexField …])`` per model."""
    from django.apps import apps

    out = []
    for m in [model] if model else apps.get_models():
        enc = [f for f in m._meta.concrete_fields if getattr(f, "sensitive", False)]
        idx = [f for f in m._meta.concrete_fields if isinstance(f, BlindIndexField)]
        if enc or idx:
            out.append((m, enc, idx))
    return out


# -- data migrations: encrypt the plain values already stored ----------------------------------------


def _migrate_columns(apps, schema_editor, specs, forward: bool):
    """``specs``: ``[(app_label, model_name, [field names])]``. Reads and writes the raw columns
    (historical models would try to decrypt the plain values), so it is idempotent: values
    already in the wanted form are left alone."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    for app_label, model_name, fields in specs:
        model = apps.get_model(app_label, model_name)
        table, pk = model._meta.db_table, model._meta.pk.column
        for name in fields:
            column = model._meta.get_field(name).column
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {qn(pk)}, {qn(column)} FROM {qn(table)} "  # noqa: S608
                    f"WHERE {qn(column)} IS NOT NULL AND {qn(column)} <> ''"
                )
                rows = cursor.fetchall()
            changes = []
            for pk_value, value in rows:
                is_token = value.startswith(TOKEN_PREFIX)
                if forward and not is_token:
                    changes.append((encrypt(value), pk_value))
                elif not forward and is_token:
                    changes.append((decrypt(value, f"{table}.{column}"), pk_value))
            if changes:
                with connection.cursor() as cursor:
                    cursor.executemany(
                        f"UPDATE {qn(table)} SET {qn(column)} = %s WHERE {qn(pk)} = %s",  # noqa: S608
                        changes,
                    )


def _fill_indexes(apps, schema_editor, specs):
    """``specs``: ``[(app_label, model_name, index field, source field)]``."""
    for app_label, model_name, index, source in specs:
        model = apps.get_model(app_label, model_name)
        objs = list(model.objects.only("pk", source))
        for obj in objs:
            setattr(obj, index, blind_index(getattr(obj, source) or ""))
        model.objects.bulk_update(objs, [index], batch_size=1000)


def encrypt_columns(specs, indexes=()):
    """A reversible ``RunPython`` that encrypts existing plain values (and fills blind indexes);
    its reverse decrypts them again (with the key), for ``migrate app <earlier>``."""
    from django.db import migrations

    def forward(apps, schema_editor):
        _migrate_columns(apps, schema_editor, specs, forward=True)
        _fill_indexes(apps, schema_editor, indexes)

    def backward(apps, schema_editor):
        _migrate_columns(apps, schema_editor, specs, forward=False)

    return migrations.RunPython(forward, backward, elidable=False)


# -- system check: no production deployment with a generated key -------------------------------------


def _key_errors() -> list:
    errors = []
    if not configured_from_environment():
        if not settings.DEBUG and not getattr(settings, "FIELD_ENCRYPTION_DEV_KEY", False):
            errors.append(
                checks.Error(
                    "FIELD_ENCRYPTION_KEYS is not set, and DEBUG is off.",
                    hint=(
                        "Personal and confidential fields are encrypted with a key from the "
                        "environment. Set FIELD_ENCRYPTION_KEYS and FIELD_INDEX_KEY (see "
                        "docs/operations.md, Data protection), or FIELD_ENCRYPTION_DEV_KEY=1 "
                        f"for a demo with a key generated into {settings.FIELD_KEY_FILE}."
                    ),
                    id="xiake.E101",
                )
            )
        return errors
    try:
        _keyring(
            tuple(settings.FIELD_ENCRYPTION_KEYS), getattr(settings, "FIELD_INDEX_KEY", "") or ""
        )
    except ImproperlyConfigured as exc:
        errors.append(checks.Error(str(exc), id="xiake.E102"))
    return errors


@checks.register(checks.Tags.security)
def check_field_keys(app_configs=None, databases=None, **kwargs):
    """Runs where the database is about to be used (``migrate``, ``check --database``), so a
    production start without a key stops at its migrate step; ``makemigrations`` is not hit."""
    if not databases:
        return []
    return _key_errors()


@checks.register(checks.Tags.security, deploy=True)
def check_field_keys_deploy(app_configs=None, databases=None, **kwargs):
    return [] if databases else _key_errors()  # else check_field_keys reports it
