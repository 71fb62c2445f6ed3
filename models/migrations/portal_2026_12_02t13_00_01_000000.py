from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-02T13:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = ("a campaign member is unique per questionnaire: unique index on campaign_member "
               "(campaign, supplier, definition_key)")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="portal", description=DESCRIPTION
    )

    async def member_once_per_questionnaire():
        # Existing members hold their campaign's one questionnaire; a member is then unique per
        # (campaign, supplier, questionnaire), so a bundle's double press or a second worker
        # still never sends twice. Plain SQL, so SQLite and PostgreSQL alike.
        from models.tables import CampaignMember

        await CampaignMember.raw(
            "UPDATE campaign_member SET definition_key = (SELECT campaign.definition_key "
            "FROM campaign WHERE campaign.id = campaign_member.campaign) "
            "WHERE definition_key = ''")
        await CampaignMember.raw("DROP INDEX IF EXISTS campaign_member_once")
        await CampaignMember.raw(
            "CREATE UNIQUE INDEX IF NOT EXISTS campaign_member_once_per_questionnaire "
            "ON campaign_member (campaign, supplier, definition_key)")

    manager.add_raw(member_once_per_questionnaire)

    return manager
