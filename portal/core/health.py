"""Liveness with a database check, for load balancers and `make run`'s users."""

from __future__ import annotations

import asyncio

from litestar import Response, get
from pydantic import BaseModel

from portal.core.db import ping
from portal.core.logging import get_logger

log = get_logger("portal.health")


class HealthOut(BaseModel):
    status: str  # ok or unavailable
    database: str  # ok or unreachable


@get("/health", opt={"public": True}, tags=["Health"], summary="Is the portal and its database up?")
async def health() -> Response[HealthOut]:
    try:
        await asyncio.wait_for(ping(), timeout=3)
    except Exception as error:  # any failure means "not healthy", never a 500
        log.warning("health_check_failed", error=type(error).__name__)
        return Response(HealthOut(status="unavailable", database="unreachable"), status_code=503,
                        headers={"Retry-After": "5"})
    return Response(HealthOut(status="ok", database="ok"), status_code=200)
