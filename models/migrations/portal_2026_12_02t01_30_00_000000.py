from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = ("supplier links derived from a server key (nonce per assessment); no link left in "
               "the outbox; one answer per question and one clause per key")

# A link in an outbox body written before this release: `<base>/respond/<token>`.
OLD_LINK = r"\S*/respond/[A-Za-z0-9_\-]{20,}"
REMOVED = "[link removed when links stopped being stored; reissue the questionnaire for a new one]"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="portal", description=DESCRIPTION)

    manager.add_column(
        table_class_name="Assessment",
        tablename="assessment",
        column_name="link_nonce",
        db_column_name="link_nonce",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": True,
        },
        schema=None,
    )

    async def run():
        import re

        from piccolo.querystring import QueryString

        from models.tables import OutboundEmail

        db = OutboundEmail._meta.db
        # Duplicates from concurrent first saves: keep the newest row of each.
        for table, parent, key in (("answer", "assessment", "question_id"),
                                   ("contract_clause", "contract", "key")):
            await db.run_querystring(QueryString(
                f"DELETE FROM {table} WHERE id IN (SELECT a.id FROM {table} a WHERE EXISTS ("
                f"SELECT 1 FROM {table} b WHERE b.{parent} = a.{parent} AND b.{key} = a.{key} "
                "AND (b.updated_at > a.updated_at OR (b.updated_at = a.updated_at AND b.id > a.id))))"))
        for statement in (
            "CREATE UNIQUE INDEX IF NOT EXISTS answer_assessment_question "
            "ON answer (assessment, question_id)",
            "CREATE UNIQUE INDEX IF NOT EXISTS contract_clause_contract_key "
            "ON contract_clause (contract, key)",
        ):
            await db.run_querystring(QueryString(statement))
        # Links written into mail bodies before: blanked (only their hash may persist).
        pattern = re.compile(OLD_LINK)
        rows = await OutboundEmail.select(OutboundEmail.id, OutboundEmail.body).where(
            OutboundEmail.body.like("%/respond/%"))
        for row in rows:
            body = pattern.sub(REMOVED, row["body"])
            if body != row["body"]:
                await OutboundEmail.update({OutboundEmail.body: body}).where(
                    OutboundEmail.id == row["id"])

    async def run_backwards():
        from piccolo.querystring import QueryString

        from models.tables import Answer

        for name in ("answer_assessment_question", "contract_clause_contract_key"):
            await Answer._meta.db.run_querystring(QueryString(f"DROP INDEX IF EXISTS {name}"))

    manager.add_raw(run)
    manager.add_raw_backwards(run_backwards)
    return manager
