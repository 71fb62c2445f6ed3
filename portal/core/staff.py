"""Staff users and API tokens: created from the CLI (and the admin), always audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.apps.user.tables import BaseUser

from models.tables import ApiToken, StaffMember
from portal.core import audit
from portal.core.db import write_transaction
from portal.core.errors import Conflict, InvalidInput
from portal.core.permissions import ROLES, is_role
from portal.core.security import hash_secret, new_secret, now

MIN_PASSWORD_LENGTH = 12


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    role: str
    token: str  # shown once, never stored


def _check_role(role: str) -> None:
    if not is_role(role):
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}")


async def create_user(*, username: str, password: str, role: str, email: str = "") -> int:
    _check_role(role)
    username = username.strip()
    if not username or len(username) > 100:
        raise InvalidInput("username must be 1-100 characters")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 128:
        raise InvalidInput("password must be at most 128 characters")
    # Piccolo's user table wants a unique email; a reserved domain stands in when none is given.
    email = email.strip() or f"{username}@staff.invalid"
    async with write_transaction():
        if await BaseUser.exists().where(BaseUser.username == username):
            raise Conflict(f"a user called {username!r} already exists")
        if await BaseUser.exists().where(BaseUser.email == email):
            raise Conflict(f"another user already has the email {email!r}")
        # Every staff role may sign in to the back office; the admin's validators keep
        # auditors read-only and the superuser flag is only for the admin role.
        user = await BaseUser.create_user(
            username=username, password=password, email=email, active=True,
            admin=True, superuser=(role == "admin"),
        )
        await StaffMember.insert(StaffMember(user=user.id, role=role))
        await audit.record("staff.created", target_type="staff", target_id=user.id,
                           after={"username": username, "role": role, "email": email})
    return int(user.id)


async def set_role(*, username: str, role: str) -> None:
    _check_role(role)
    async with write_transaction():
        user = await BaseUser.select(BaseUser.id).where(BaseUser.username == username).first()
        if user is None:
            raise InvalidInput(f"no user called {username!r}")
        before = await StaffMember.select().where(StaffMember.user == user["id"]).first()
        if before is None:
            await StaffMember.insert(StaffMember(user=user["id"], role=role))
        else:
            await StaffMember.update({StaffMember.role: role}).where(StaffMember.user == user["id"])
        await BaseUser.update({BaseUser.superuser: role == "admin", BaseUser.admin: True}).where(
            BaseUser.id == user["id"])
        await audit.record("staff.role_changed", target_type="staff", target_id=user["id"],
                           before={"role": before["role"] if before else None}, after={"role": role})


async def create_token(*, name: str, role: str, expires_in_days: int | None = None) -> IssuedToken:
    _check_role(role)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("token name must be 1-100 characters")
    secret = new_secret()
    expires_at = now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
    async with write_transaction():
        row = ApiToken(name=name, role=role, token_hash=hash_secret(secret), prefix=secret[:8],
                       expires_at=expires_at)
        await row.save()
        await audit.record("token.created", target_type="api_token", target_id=row.id,
                           after={"name": name, "role": role, "expires_at": expires_at})
    return IssuedToken(id=int(row.id), name=name, role=role, token=secret)


async def revoke_token(*, token_id: int) -> None:
    async with write_transaction():
        updated = await ApiToken.update({ApiToken.revoked_at: now()}).where(
            (ApiToken.id == token_id) & ApiToken.revoked_at.is_null()).returning(ApiToken.id)
        if not updated:
            raise InvalidInput(f"no active token with id {token_id}")
        await audit.record("token.revoked", target_type="api_token", target_id=token_id)
