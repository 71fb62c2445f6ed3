"""Staff users and API tokens: the only way to create or change them (workspace, CLI), each
change checked against the actor's permission and audited in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from piccolo.apps.user.tables import BaseUser
from piccolo_api.session_auth.tables import SessionsBase

from models.tables import ApiToken, StaffMember, VerifiedSession
from portal.core import audit
from portal.core.context import Actor
from portal.core.db import engine, write_transaction
from portal.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from portal.core.permissions import ROLES, allowed, is_role
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


def _may_manage(actor: Actor | None) -> None:
    """A person changing staff accounts needs `staff.manage`; trusted callers (the CLI, run
    by whoever runs the server) pass no actor."""
    if actor is not None and not allowed(actor.role, "staff.manage"):
        raise PermissionDenied(f"Your role ({actor.role}) may not manage staff accounts.")


async def create_user(*, username: str, password: str, role: str, email: str = "",
                      actor: Actor | None = None) -> int:
    _may_manage(actor)
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
        # piccolo-admin lets only `admin` users in, so every staff user has the flag; what
        # they may do there is decided by their role (admin/gate.py), never by these flags.
        user = await BaseUser.create_user(
            username=username, password=password, email=email, active=True,
            admin=True, superuser=False,
        )
        await StaffMember.insert(StaffMember(user=user.id, role=role))
        await audit.record("staff.created", target_type="staff", target_id=user.id,
                           after={"username": username, "role": role, "email": email})
    return int(user.id)


async def set_role(*, username: str, role: str, actor: Actor | None = None) -> None:
    """Change a role by username (the CLI); see change_role."""
    user = await BaseUser.select(BaseUser.id).where(BaseUser.username == username).first()
    if user is None:
        raise InvalidInput(f"no user called {username!r}")
    await change_role(user_id=user["id"], role=role, actor=actor)


async def _member(user_id: int) -> dict:
    user = await BaseUser.select(BaseUser.id, BaseUser.username, BaseUser.active).where(
        BaseUser.id == user_id).first()
    member = await StaffMember.select(StaffMember.role).where(StaffMember.user == user_id).first()
    if user is None or member is None:
        raise NotFound(f"No staff member with id {user_id}.")
    return {**user, "role": member["role"]}


async def _lock_admins() -> None:
    """Serialise changes that could leave no active admin (SQLite's write transactions are
    serial already)."""
    from piccolo.engine.postgres import PostgresEngine
    from piccolo.querystring import QueryString

    if isinstance(engine(), PostgresEngine):
        await engine().run_querystring(QueryString(
            "SELECT id FROM staff_member WHERE role = 'admin' ORDER BY id FOR UPDATE"))


async def _keep_an_admin() -> None:
    remaining = await StaffMember.count().where(
        (StaffMember.role == "admin") & (StaffMember.user.active == True))  # noqa: E712
    if remaining == 0:
        raise Conflict("That would leave no active administrator; make someone else an "
                       "administrator first.")


def _not_yourself(actor: Actor | None, user_id: int, what: str) -> None:
    if actor is not None and actor.user_id == user_id:
        raise Conflict(f"You can't {what} your own account; ask another administrator.")


async def _sign_out_everywhere(user_id: int) -> None:
    await SessionsBase.delete().where(SessionsBase.user_id == user_id)
    await VerifiedSession.delete().where(VerifiedSession.user == user_id)


async def change_role(*, user_id: int, role: str, actor: Actor | None = None) -> dict:
    _may_manage(actor)
    _check_role(role)
    async with write_transaction():
        await _lock_admins()
        before = await _member(user_id)
        if before["role"] == role:
            return before
        if before["role"] == "admin":
            _not_yourself(actor, user_id, "remove the administrator role from")
        await StaffMember.update({StaffMember.role: role}).where(StaffMember.user == user_id)
        await BaseUser.update({BaseUser.superuser: False, BaseUser.admin: True}).where(
            BaseUser.id == user_id)
        await _keep_an_admin()
        # A session that passed no second factor must not carry over into a role that needs one.
        await _sign_out_everywhere(user_id)
        await audit.record("staff.role_changed", target_type="staff", target_id=user_id,
                           before={"role": before["role"]}, after={"role": role})
    return await _member(user_id)


async def set_active(*, user_id: int, active: bool, actor: Actor | None = None) -> dict:
    """Deactivate (signed out at once, can't sign in) or reactivate a staff account."""
    _may_manage(actor)
    async with write_transaction():
        await _lock_admins()
        before = await _member(user_id)
        if before["active"] == active:
            return before
        if not active:
            _not_yourself(actor, user_id, "deactivate")
        await BaseUser.update({BaseUser.active: active}).where(BaseUser.id == user_id)
        if not active:
            await _keep_an_admin()
            await _sign_out_everywhere(user_id)
        await audit.record("staff.reactivated" if active else "staff.deactivated",
                           target_type="staff", target_id=user_id,
                           before={"active": before["active"]}, after={"active": active})
    return await _member(user_id)


async def reset_authenticator(*, user_id: int, actor: Actor | None = None) -> dict:
    """Clear the enrolment: the person enrols a new authenticator at their next sign-in
    (their sessions end now). The audit event says so; it holds no secret."""
    _may_manage(actor)
    # Your own second factor is reset by another administrator, who knows it's really you.
    _not_yourself(actor, user_id, "reset the authenticator of")
    async with write_transaction():
        before = await _member(user_id)
        await StaffMember.update({StaffMember.totp_secret: "", StaffMember.totp_pending: "",
                                  StaffMember.totp_last_step: -1}).where(
            StaffMember.user == user_id)
        await _sign_out_everywhere(user_id)
        await audit.record("staff.authenticator_reset", target_type="staff", target_id=user_id,
                           after={"username": before["username"]})
    return before


async def set_notifications(*, on: bool, actor: Actor) -> dict:
    """Turn on or off, for yourself only, the emails about a supplier submitting or answering
    a query. Audited; the mail then goes to whoever else would get it, or the review team."""
    if actor.kind != "staff" or not actor.user_id:
        raise PermissionDenied("Only a signed-in staff member can change their own emails.")
    async with write_transaction():
        member = await StaffMember.select(StaffMember.notify_by_email).where(
            StaffMember.user == actor.user_id).first()
        if member is None:
            raise NotFound(f"No staff member with id {actor.user_id}.")
        if member["notify_by_email"] != on:
            await StaffMember.update({StaffMember.notify_by_email: on}).where(
                StaffMember.user == actor.user_id)
            await audit.record("staff.notifications_changed", target_type="staff",
                               target_id=actor.user_id,
                               before={"notify_by_email": member["notify_by_email"]},
                               after={"notify_by_email": on})
    return {"notify_by_email": on}


async def notifications_on(user_id: int) -> bool:
    member = await StaffMember.select(StaffMember.notify_by_email).where(
        StaffMember.user == user_id).first()
    if member is None:
        raise NotFound(f"No staff member with id {user_id}.")
    return bool(member["notify_by_email"])


async def list_staff() -> list[dict]:
    members = await StaffMember.select(
        StaffMember.user.id.as_alias("id"), StaffMember.user.username.as_alias("username"),
        StaffMember.user.email.as_alias("email"), StaffMember.user.active.as_alias("active"),
        StaffMember.user.last_login.as_alias("last_login"), StaffMember.role,
        StaffMember.totp_secret, StaffMember.notify_by_email,
    ).order_by(StaffMember.user.username)
    # Whether someone has enrolled, never what with.
    return [{**{k: v for k, v in m.items() if k != "totp_secret"},
             "enrolled": bool(m["totp_secret"])} for m in members]


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
