"""Bulk imports over HTTP: the DSPT register export and the supplier spreadsheet."""
