"""Supplier assurance and contract management portal (NDG data security standard 10)."""

import os

# Piccolo finds its engine through this module; set before any table is used.
os.environ.setdefault("PICCOLO_CONF", "portal.piccolo_conf")

__version__ = "0.1.0"
