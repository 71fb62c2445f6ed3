"""The permission matrix, as the README states it."""

from __future__ import annotations

import pytest

from portal.core.permissions import MATRIX, READ, ROLES, allowed, is_read_only, markdown_table


def test_every_role_reads():
    assert all(allowed(role, READ) for role in ROLES)


def test_auditor_writes_nothing():
    assert is_read_only("auditor")
    assert not any(allowed("auditor", p) for p in MATRIX if p != READ)


def test_admin_may_do_everything():
    assert all(allowed("admin", p) for p in MATRIX)


@pytest.mark.parametrize("role,permission,expected", [
    ("procurement", "register.write", True),
    ("procurement", "assessments.send", True),
    ("procurement", "assessments.review", False),
    ("procurement", "certifications.write", False),
    ("reviewer", "assessments.review", True),
    ("reviewer", "certifications.write", True),
    ("reviewer", "clauses.write", True),
    ("reviewer", "register.write", False),
    ("reviewer", "staff.manage", False),
])
def test_role_rules(role, permission, expected):
    assert allowed(role, permission) is expected


def test_no_role_means_no_permission_and_unknown_permissions_fail_loudly():
    assert not allowed(None, READ)
    with pytest.raises(KeyError):
        allowed("admin", "made.up")


def test_readme_table_lists_every_permission():
    table = markdown_table()
    for permission in MATRIX:
        assert f"`{permission}`" in table
