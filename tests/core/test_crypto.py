"""Encryption at rest (xiake/core/crypto.py): what SQL sees, what the application reads, wrong and
missing keys, rotation, blind indexes, the key check, the data migration and the change log."""

import io
import json
import os
import pickle
from types import SimpleNamespace

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from tests import factories as f
from tests.base import all_text, raw
from xiake.accounts.models import Organization, User
from xiake.catalog.models import Achievement, Expert
from xiake.core import crypto
from xiake.core.models import ChangeRecord

PHONE = "13812345678"
KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
INDEX = "test-index-key-0123456789abcdef"


def test_sql_sees_no_plain_phone_and_the_application_reads_it(orgs, users, db):
    org = f.make_org("加密测试公司", "enterprise", contact_phone=PHONE)
    user = f.make_user("crypto_u", "enterprise", org, phone="025-85550000")
    expert = f.make_expert(orgs["university"], phone=PHONE)
    achievement = f.make_achievement(orgs["university"], contact_phone=PHONE)
    for model, obj, column, plain in (
        (Organization, org, "contact_phone", PHONE),
        (User, user, "phone", "025-85550000"),
        (Expert, expert, "phone", PHONE),
        (Achievement, achievement, "contact_phone", PHONE),
    ):
        stored = raw(model, column, obj.pk)
        assert stored.startswith(crypto.TOKEN_PREFIX) and plain not in stored
        assert plain not in all_text(model, obj.pk)
        assert getattr(model.objects.get(pk=obj.pk), column) == plain
        assert model.objects.filter(pk=obj.pk).values_list(column, flat=True)[0] == plain
    # two rows with the same phone have different tokens (no equality leak)
    assert raw(Expert, "phone", expert.pk) != raw(Achievement, "contact_phone", achievement.pk)


def test_empty_stays_empty_and_sql_comparisons_are_refused(orgs, db):
    expert = f.make_expert(orgs["university"], phone="")
    assert raw(Expert, "phone", expert.pk) == ""
    assert Expert.objects.filter(phone__isnull=True).count() == 0
    with pytest.raises(FieldError, match="catalog.Expert.phone is encrypted.*blind index"):
        list(Expert.objects.filter(phone=PHONE))
    with pytest.raises(FieldError, match="encrypted"):
        list(Expert.objects.filter(phone__icontains="138"))


def test_a_wrong_or_missing_key_is_a_clear_error_not_garbage(orgs, db):
    expert = f.make_expert(orgs["university"], phone=PHONE)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B], FIELD_INDEX_KEY=INDEX):
        row = Expert.objects.get(pk=expert.pk)  # decryption waits for the first read
        assert row.name == expert.name
        with pytest.raises(crypto.FieldDecryptionError) as exc:
            row.phone  # noqa: B018 - the read is the test
        assert "catalog.Expert.phone" in str(exc.value)
        assert "FIELD_ENCRYPTION_KEYS" in str(exc.value)
    # a plain value left in the column (data migration not run) is named as such
    Expert.objects.filter(pk=expert.pk).update(phone="")  # then write plain past the ORM
    with connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_expert SET phone = %s WHERE id = %s", [PHONE, expert.pk])
    with pytest.raises(crypto.FieldDecryptionError, match="not encrypted"):
        Expert.objects.get(pk=expert.pk).phone  # noqa: B018
    with pytest.raises(crypto.FieldDecryptionError, match="not encrypted"):
        list(Expert.objects.values_list("phone", flat=True))


@pytest.mark.parametrize(
    "keys, message",
    [(["not-a-key"], "key 1 is not a Fernet key"), ([KEY_A, "short"], "key 2 is not a Fernet")],
)
def test_a_malformed_key_is_refused_by_name(keys, message):
    with override_settings(FIELD_ENCRYPTION_KEYS=keys, FIELD_INDEX_KEY=INDEX):
        with pytest.raises(Exception, match=message):
            crypto.encrypt("x")
        errors = crypto.check_field_keys(databases=["default"])
        assert [e.id for e in errors] == ["xiake.E102"]


def test_a_key_without_an_index_key_is_refused():
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=""):
        with pytest.raises(Exception, match="FIELD_INDEX_KEY is not set"):
            crypto.blind_index(PHONE)


def test_rotation_keeps_data_readable_and_moves_it_to_the_new_key(orgs, users, db):
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=INDEX):
        expert = f.make_expert(orgs["university"], phone=PHONE)
        org = f.make_org("轮换测试公司", "enterprise", contact_phone="025-1234567")
        token_a = raw(Expert, "phone", expert.pk)
    # new key first, old key still there to decrypt
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A], FIELD_INDEX_KEY=INDEX):
        assert Expert.objects.get(pk=expert.pk).phone == PHONE  # old tokens still open
        out = io.StringIO()
        with pytest.raises(SystemExit):
            call_command("rotate_field_keys", "--check", stdout=out)
        assert "0 value(s)" not in out.getvalue()
        call_command("rotate_field_keys", stdout=io.StringIO())
        out = io.StringIO()
        call_command("rotate_field_keys", "--check", stdout=out)
        assert out.getvalue().startswith("0 value(s)")
        assert raw(Expert, "phone", expert.pk) != token_a
    # the old key removed: everything still reads
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B], FIELD_INDEX_KEY=INDEX):
        assert Expert.objects.get(pk=expert.pk).phone == PHONE
        assert Organization.objects.get(pk=org.pk).contact_phone == "025-1234567"
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=INDEX):
        with pytest.raises(crypto.FieldDecryptionError):
            Expert.objects.get(pk=expert.pk).phone  # noqa: B018


def test_rotation_check_counts_values_under_old_keys(orgs, db):
    """``--check`` exits 1 while a value is still under an old key."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=INDEX):
        f.make_expert(orgs["university"], phone=PHONE)
        f.make_expert(orgs["university"], phone="13900000000")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A], FIELD_INDEX_KEY=INDEX):
        out = io.StringIO()
        with pytest.raises(SystemExit) as exc:
            call_command("rotate_field_keys", "--check", stdout=out)
        assert exc.value.code == 1
        assert int(out.getvalue().split()[0]) >= 2


def test_blind_index_finds_a_registration_by_its_normalised_phone(orgs, users, db):
    from tests.liaison.factories import make_event
    from xiake.liaison.models import Registration

    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=INDEX):
        event = make_event(orgs["bureau"])
        reg = Registration.objects.create(
            event=event, kind="expert", attendee_name="张三", phone="+86 138-1234-5678"
        )
        assert raw(Registration, "phone_index", reg.pk) == crypto.blind_index(PHONE)
        assert PHONE not in all_text(Registration, reg.pk)
        for typed in (PHONE, "138 1234 5678", "１３８１２３４５６７８", "0086-13812345678"):
            found = Registration.objects.filter(event=event, phone_index=crypto.blind_index(typed))
            assert list(found) == [reg]
        assert not Registration.objects.filter(phone_index=crypto.blind_index("13900000000"))
        assert list(Registration.with_phone(event, "138-1234-5678")) == [reg]
        assert not Registration.with_phone(event, "").exists()
    # a new index key: `rotate_field_keys` recomputes the indexes, the same rows are found
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A], FIELD_INDEX_KEY=INDEX + "-new"):
        assert not Registration.objects.filter(phone_index=crypto.blind_index(PHONE))
        call_command("rotate_field_keys", stdout=io.StringIO())
        assert list(Registration.objects.filter(phone_index=crypto.blind_index(PHONE))) == [reg]


def test_the_key_check_refuses_production_without_a_key(settings, tmp_path):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_DEV_KEY = False
    errors = crypto.check_field_keys(databases=["default"])
    assert [e.id for e in errors] == ["xiake.E101"]
    assert "FIELD_ENCRYPTION_KEYS" in errors[0].msg
    assert [e.id for e in crypto.check_field_keys_deploy()] == ["xiake.E101"]
    assert crypto.check_field_keys(databases=None) == []  # makemigrations is not stopped
    settings.FIELD_ENCRYPTION_DEV_KEY = True
    assert crypto.check_field_keys(databases=["default"]) == []
    settings.FIELD_ENCRYPTION_DEV_KEY = False
    settings.DEBUG = True
    assert crypto.check_field_keys(databases=["default"]) == []
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]
    settings.FIELD_INDEX_KEY = INDEX
    assert crypto.check_field_keys(databases=["default"]) == []


def test_migrate_refuses_to_start_production_without_a_key(tmp_path):
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("FIELD_") and k not in ("DEBUG", "DATABASE_URL")
    }
    env["XIAKE_VAR_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "xiake", "migrate", "--plan"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "xiake.E101" in result.stderr and "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_the_development_key_is_generated_once_and_private(settings, tmp_path):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.FIELD_INDEX_KEY = ""
    settings.FIELD_KEY_FILE = tmp_path / "field-keys.json"
    token = crypto.encrypt(PHONE)
    path = settings.FIELD_KEY_FILE
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    first = json.loads(path.read_text())
    assert crypto.decrypt(token) == PHONE
    crypto.encrypt("again")
    assert json.loads(path.read_text()) == first  # reused, not regenerated
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_the_change_log_never_holds_the_plain_phone(orgs, users, db):
    expert = f.make_expert(orgs["university"], phone=PHONE)
    expert = Expert.objects.get(pk=expert.pk)
    expert.phone = "13900001111"
    expert.save()
    records = ChangeRecord.objects.filter(object_id=str(expert.pk), content_type__model="expert")
    assert records.count() >= 2
    dumped = json.dumps([[r.before, r.after] for r in records], ensure_ascii=False)
    assert PHONE not in dumped and "13900001111" not in dumped
    update = records.filter(action="update").latest("pk")
    # the log still shows that the phone changed
    assert update.before["phone"] != update.after["phone"]
    assert update.after["phone"].startswith("[encrypted #")


def test_the_data_migration_encrypts_plain_rows_and_reverses(orgs, db):
    from django.apps import apps

    org = f.make_org("迁移测试公司", "enterprise")
    with connection.cursor() as cursor:  # a row as an older version stored it
        cursor.execute(
            "UPDATE accounts_organization SET contact_phone = %s WHERE id = %s", [PHONE, org.pk]
        )
    spec = [("accounts", "organization", ["contact_phone"])]
    editor = SimpleNamespace(connection=connection)  # all the operation uses of its editor
    crypto._migrate_columns(apps, editor, spec, forward=True)
    token = raw(Organization, "contact_phone", org.pk)
    assert token.startswith(crypto.TOKEN_PREFIX)
    crypto._migrate_columns(apps, editor, spec, forward=True)  # idempotent
    assert raw(Organization, "contact_phone", org.pk) == token
    assert Organization.objects.get(pk=org.pk).contact_phone == PHONE
    crypto._migrate_columns(apps, editor, spec, forward=False)
    assert raw(Organization, "contact_phone", org.pk) == PHONE


def test_an_import_writes_encrypted_phones_and_a_reimport_changes_nothing(orgs, users, db):
    from xiake.core import importer
    from xiake.core.resources import resource_for

    resource = resource_for(Expert)
    header = [c.header for c in importer.columns_for(resource)]
    row = {c.name: "" for c in importer.columns_for(resource)}
    row.update(name="导入专家", owner_org=orgs["university"].name, phone=PHONE)
    values = [row[c.name] for c in importer.columns_for(resource)]
    result = importer.apply(
        resource, users["bureau"], importer.validate(resource, users["bureau"], header, [values])
    )
    assert result["created"] == 1
    expert = Expert.objects.get(name="导入专家")
    assert raw(Expert, "phone", expert.pk).startswith(crypto.TOKEN_PREFIX)
    again = importer.apply(
        resource, users["bureau"], importer.validate(resource, users["bureau"], header, [values])
    )
    assert again == {"created": 0, "updated": 0, "unchanged": 1}
    values[header.index(resource.header("phone"))] = "13900001111"
    changed = importer.apply(
        resource, users["bureau"], importer.validate(resource, users["bureau"], header, [values])
    )
    assert changed["updated"] == 1
    assert raw(Expert, "phone", expert.pk).startswith(crypto.TOKEN_PREFIX)
    assert Expert.objects.get(pk=expert.pk).phone == "13900001111"


# -- decryption on first read -------------------------------------------------------------------


def test_rows_read_without_their_phone_decrypt_nothing(orgs, db):
    """Under a key that opens none of the tokens, whatever does not read the phone still works:
    so it decrypted nothing (a list or an export without the column, a select_related owner)."""
    org = f.make_org("懒解密测试公司", "enterprise", contact_phone="025-1234567")
    experts = [f.make_expert(org, name=f"懒解密专家{i}", phone=f"1381234000{i}") for i in range(3)]
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B], FIELD_INDEX_KEY=INDEX):
        rows = list(Expert.objects.filter(owner_org=org).select_related("owner_org").order_by("pk"))
        assert [e.name for e in rows] == [e.name for e in experts]
        assert rows[0].owner_org.name == "懒解密测试公司"
        with pytest.raises(crypto.FieldDecryptionError, match="catalog.Expert.phone"):
            rows[0].phone  # noqa: B018
        with pytest.raises(crypto.FieldDecryptionError, match="accounts.Organization"):
            rows[0].owner_org.contact_phone  # noqa: B018
    again = Expert.objects.get(pk=experts[2].pk)
    assert isinstance(again.__dict__["phone"], crypto.Ciphertext)  # unread: still the token
    assert again.phone == "13812340002"
    assert again.__dict__["phone"] == "13812340002"  # read once: the plain text is kept


def test_values_give_plain_text_also_across_relations_and_in_every_shape(orgs, db):
    org = f.make_org("值查询测试公司", "enterprise", contact_phone="025-7654321")
    expert = f.make_expert(org, phone=PHONE)
    qs = Expert.objects.filter(pk=expert.pk)
    assert list(qs.values("phone", "owner_org__contact_phone")) == [
        {"phone": PHONE, "owner_org__contact_phone": "025-7654321"}
    ]
    assert list(qs.values_list("pk", "phone")) == [(expert.pk, PHONE)]
    assert list(qs.values_list("phone", flat=True)) == [PHONE]
    named = qs.values_list("phone", named=True)[0]
    assert named.phone == PHONE and type(named.phone) is str
    org_phone = Organization.objects.filter(pk=org.pk).values_list("contact_phone", flat=True)
    assert list(org_phone) == ["025-7654321"]
    # a plain Django manager (no PlaintextValuesMixin) hands out the token, which still reads as
    # its plain text where that is unambiguous
    token = Expert._base_manager.filter(pk=expert.pk).values_list("phone", flat=True)[0]
    assert isinstance(token, crypto.Ciphertext) and PHONE not in repr(token)
    assert str(token) == PHONE and token == PHONE and f"{token}" == PHONE


def test_every_model_with_an_encrypted_field_gives_plain_values():
    for model, fields, _indexes in crypto.encrypted_fields():
        if any(isinstance(x, crypto.EncryptedCharField) for x in fields):
            assert isinstance(model._default_manager.all(), crypto.PlaintextValuesMixin), model


def test_an_unread_phone_survives_save_deferral_and_pickling_unchanged(orgs, users, db):
    expert = f.make_expert(orgs["university"], phone=PHONE)
    loaded = Expert.objects.get(pk=expert.pk)
    loaded.name = "只改了姓名的专家"
    loaded.save()  # the phone was never read
    assert Expert.objects.get(pk=expert.pk).phone == PHONE
    update = ChangeRecord.objects.filter(
        object_id=str(expert.pk), content_type__model="expert", action="update"
    ).latest("pk")
    assert update.before.get("phone") == update.after.get("phone")  # no phone change logged
    deferred = Expert.objects.only("name").get(pk=expert.pk)
    assert deferred.phone == PHONE
    copied = pickle.loads(pickle.dumps(Expert.objects.get(pk=expert.pk)))
    assert copied.phone == PHONE
