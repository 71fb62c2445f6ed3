"""The portal's Piccolo app: its tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from models.tables import ALL_TABLES

APP_CONFIG = AppConfig(
    app_name="portal",
    migrations_folder_path=os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations"),
    table_classes=list(ALL_TABLES),
    migration_dependencies=["piccolo.apps.user.piccolo_app", "piccolo_api.session_auth.piccolo_app"],
    commands=[],
)
