from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T06:05:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "one saved supplier-list filter per name per person"

# Raw steps run before a migration's own table changes, so this index has its own file
# after the one that creates saved_filter.


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        from piccolo.querystring import QueryString

        from models.tables import SavedFilter

        await SavedFilter._meta.db.run_querystring(QueryString(
            'CREATE UNIQUE INDEX IF NOT EXISTS saved_filter_user_name ON saved_filter ("user", name)'))

    async def run_backwards():
        from piccolo.querystring import QueryString

        from models.tables import SavedFilter

        await SavedFilter._meta.db.run_querystring(QueryString(
            "DROP INDEX IF EXISTS saved_filter_user_name"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
