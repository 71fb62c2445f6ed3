from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T13:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = ("pre-filled answers (issue #16 item 4): where each came from, the value as "
               "pre-filled (to tell whether the supplier changed it) and when the supplier "
               "reviewed its section")


def _params(**extra):
    return {"null": False, "primary_key": False, "unique": False, "index": False,
            "index_method": IndexMethod.btree, "choices": None, "db_column_name": None,
            "secret": False, **extra}


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)
    for name, cls, params in (
        ("prefill_kind", Varchar, _params(length=20, default="")),
        ("prefill_source", Varchar, _params(length=300, default="")),
        ("prefill_value", JSON, _params(default="null", null=True)),
        ("prefill_reviewed_at", Timestamptz, _params(default=None, null=True)),
    ):
        manager.add_column(table_class_name="Answer", tablename="answer", column_name=name,
                           db_column_name=name, column_class_name=cls.__name__,
                           column_class=cls, params=params, schema=None)
    return manager
