from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T06:22:35:000000"
VERSION = "1.38.0"
DESCRIPTION = "a supplier is in a campaign once: unique index on campaign_member (campaign, supplier)"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    async def member_once():
        # A second Send (a double-click, a re-run) finds the member already there. A unique
        # index, so SQLite and PostgreSQL alike.
        from models.tables import CampaignMember

        await CampaignMember.raw("CREATE UNIQUE INDEX IF NOT EXISTS campaign_member_once "
                                 "ON campaign_member (campaign, supplier)")

    manager.add_raw(member_once)

    return manager
