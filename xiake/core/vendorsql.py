"""Database objects the ORM does not model (triggers, functional indexes, full-text tables),
written per engine: one place runs their creation and removal for migrations and commands."""

from dataclasses import dataclass


@dataclass(frozen=True)
class VendorSQL:
    """The statements that create and drop one set of database objects, by
    ``connection.vendor``. An engine not named gets none: the Python side must then suffice."""

    install_sql: dict[str, list[str]]
    remove_sql: dict[str, list[str]]

    def install(self, connection) -> None:
        self._run(connection, self.install_sql)

    def remove(self, connection) -> None:
        self._run(connection, self.remove_sql)

    @staticmethod
    def _run(connection, by_vendor: dict[str, list[str]]) -> None:
        with connection.cursor() as cursor:
            for sql in by_vendor.get(connection.vendor, ()):
                cursor.execute(sql)
