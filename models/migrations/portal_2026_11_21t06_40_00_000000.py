from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T06:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "indexes for the supplier list and score ordering"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        # Composite indexes Piccolo's columns can't declare; plain SQL both engines accept.
        from piccolo.querystring import QueryString

        from models.tables import Supplier

        db = Supplier._meta.db
        for statement in (
            "CREATE INDEX IF NOT EXISTS supplier_name_id ON supplier (name, id)",
            "CREATE INDEX IF NOT EXISTS supplier_score_score_supplier ON supplier_score (score, supplier)",
            "CREATE INDEX IF NOT EXISTS assessment_supplier_status ON assessment (supplier, status)",
        ):
            await db.run_querystring(QueryString(statement))

    async def run_backwards():
        from piccolo.querystring import QueryString

        from models.tables import Supplier

        db = Supplier._meta.db
        for name in ("supplier_name_id", "supplier_score_score_supplier",
                     "assessment_supplier_status"):
            await db.run_querystring(QueryString(f"DROP INDEX IF EXISTS {name}"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
