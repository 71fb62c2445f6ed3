from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T18:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "each stored score says whether its contracts lack required clauses (the dashboard counts it)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="SupplierScore",
        tablename="supplier_score",
        column_name="contract_gap",
        db_column_name="contract_gap",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    async def rescore_all() -> None:
        # NULL until the next rescoring; clearing the fingerprints makes it rewrite every row
        from models.tables import SupplierScore

        await SupplierScore.update({SupplierScore.fingerprint: ""}, force=True)

    manager.add_raw(rescore_all)
    return manager
