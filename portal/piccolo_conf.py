"""Piccolo's configuration, built from the portal settings (PICCOLO_CONF points here)."""

from piccolo.conf.apps import AppRegistry

from portal.core.db import build_engine
from portal.settings import get_settings

DB = build_engine(get_settings())

APP_REGISTRY = AppRegistry(
    apps=[
        "piccolo.apps.user.piccolo_app",
        "piccolo_api.session_auth.piccolo_app",
        "models.piccolo_app",
    ]
)
