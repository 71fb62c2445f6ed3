from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T01:17:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "a knock-out opens its risk once: unique index on risk.source_key and certification.source_key"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    async def unique_source_key():
        # SQLite can't add a UNIQUE column, so the constraint is a unique index (both engines;
        # NULLs don't collide): insert-if-absent on it opens each knock-out risk once.
        from models.tables import Risk

        await Risk.raw("CREATE UNIQUE INDEX IF NOT EXISTS risk_source_key_unique "
                       "ON risk (source_key)")
        await Risk.raw("CREATE UNIQUE INDEX IF NOT EXISTS certification_source_key_unique "
                       "ON certification (source_key)")

    manager.add_raw(unique_source_key)

    return manager
