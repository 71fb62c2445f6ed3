"""Piccolo tables and migrations."""

import os

# Tables find their engine through portal.piccolo_conf, whoever imports them first.
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")
