"""Liveness with a database check, for load balancers and `make run`'s users."""

from __future__ import annotations

import asyncio

from litestar import Response, get

from portal.core.db import ping
from portal.core.logging import get_logger

log = get_logger("portal.health")


@get("/health", opt={"public": True}, tags=["Health"], summary="Is the portal and its database up?")
async def health() -> Response[dict[str, str]]:
    try:
        await asyncio.wait_for(ping(), timeout=3)
    except Exception as error:  # any failure means "not healthy", never a 500
        log.warning("health_check_failed", error=type(error).__name__)
        return Response({"status": "unavailable", "database": "unreachable"}, status_code=503,
                        headers={"Retry-After": "5"})
    return Response({"status": "ok"}, status_code=200)
