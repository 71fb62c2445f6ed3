from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-11-21T08:09:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "number the audit events already chained; index the ones waiting to be sealed"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    async def run():
        # A separate migration: Piccolo runs raw steps before the columns of their own one.
        from piccolo.querystring import QueryString

        from models.tables import AuditEvent

        db = AuditEvent._meta.db
        for statement in (
            # Events before this release were chained in id order.
            "UPDATE audit_event SET seq = numbered.n FROM (SELECT id, row_number() OVER "
            "(ORDER BY id) AS n FROM audit_event) AS numbered WHERE audit_event.id = numbered.id",
            "CREATE UNIQUE INDEX IF NOT EXISTS audit_event_seq ON audit_event (seq)",
            "CREATE INDEX IF NOT EXISTS audit_event_unsealed ON audit_event (id) WHERE seq IS NULL",
        ):
            await db.run_querystring(QueryString(statement))

    async def run_backwards():
        from piccolo.querystring import QueryString

        from models.tables import AuditEvent

        for name in ("audit_event_unsealed", "audit_event_seq"):
            await AuditEvent._meta.db.run_querystring(QueryString(f"DROP INDEX IF EXISTS {name}"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
