"""Signed answer bundles: the organisation's signing key, exporting an accepted assessment as
a signed file, the list of other organisations' keys we trust, and importing their bundles."""
