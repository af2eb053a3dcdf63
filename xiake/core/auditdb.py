"""The database's own guard of the audit log: triggers that refuse UPDATE always and DELETE of
records younger than the legal minimum retention (MLPS 2.0 level 3: six months).

Installed by migration ``core.0004_audit_log_append_only``; the SQL lives here so that the
``flush`` command (which empties every table, an operator's act) can lift and restore the SQLite
triggers around its DELETE. On SQLite a migration that rebuilds ``core_changerecord`` (most
AlterField operations) drops its triggers: such a migration must call ``install`` again
(``tests/core/test_audit_append_only.py`` fails when they are missing).

The floor is a constant, not ``AUDIT_RETENTION_DAYS``: the setting may only lengthen retention
(``xiake prune_audit`` keeps everything younger than it); the database never lets the application
delete anything younger than ``MIN_RETENTION_DAYS`` whatever the settings say.
"""

from xiake.core.vendorsql import VendorSQL

MIN_RETENTION_DAYS = 183
TABLE = "core_changerecord"

POSTGRESQL_INSTALL = [
    f"""
CREATE OR REPLACE FUNCTION core_changerecord_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'the audit log is append-only: UPDATE of {TABLE} refused'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.time > now() - interval '{MIN_RETENTION_DAYS} days' THEN
        RAISE EXCEPTION 'the audit log is append-only: record % is younger than {MIN_RETENTION_DAYS} days', OLD.id
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql
""",
    f"DROP TRIGGER IF EXISTS core_changerecord_append_only ON {TABLE}",
    f"""
CREATE TRIGGER core_changerecord_append_only BEFORE UPDATE OR DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION core_changerecord_append_only()
""",
]
POSTGRESQL_REMOVE = [
    f"DROP TRIGGER IF EXISTS core_changerecord_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS core_changerecord_append_only()",
]

# Django stores SQLite datetimes as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]', which compares in
# time order with datetime('now', ...).
SQLITE_INSTALL = [
    "DROP TRIGGER IF EXISTS core_changerecord_no_update",
    f"""
CREATE TRIGGER core_changerecord_no_update BEFORE UPDATE ON {TABLE}
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE of {TABLE} refused');
END
""",
    "DROP TRIGGER IF EXISTS core_changerecord_no_young_delete",
    f"""
CREATE TRIGGER core_changerecord_no_young_delete BEFORE DELETE ON {TABLE}
WHEN OLD.time > datetime('now', '-{MIN_RETENTION_DAYS} days')
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only: record younger than {MIN_RETENTION_DAYS} days');
END
""",
]
SQLITE_TRIGGERS = ("core_changerecord_no_update", "core_changerecord_no_young_delete")
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]


# another engine: the model's Python guard only (docs/operations.md)
OBJECTS = VendorSQL(
    install_sql={"postgresql": POSTGRESQL_INSTALL, "sqlite": SQLITE_INSTALL},
    remove_sql={"postgresql": POSTGRESQL_REMOVE, "sqlite": SQLITE_REMOVE},
)
install = OBJECTS.install
remove = OBJECTS.remove


def installed(connection) -> bool:
    """Whether the triggers are in place (a health check for the operations page and tests)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = 'core_changerecord_append_only'"
                " AND NOT tgisinternal"
            )
            return cursor.fetchone()[0] == 1
        if connection.vendor == "sqlite":
            # by name: the free-text index has triggers on the table too (core.auditsearch)
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s"
                " AND name IN (%s, %s)",
                [TABLE, *SQLITE_TRIGGERS],
            )
            return cursor.fetchone()[0] == len(SQLITE_TRIGGERS)
    return False
