"""The outbox, for admins: who is being mailed what (subject only), and whether it went."""

from __future__ import annotations

from litestar import Request, get
from litestar.response import Template

from portal.core import mail
from portal.staff.rendering import render

PAGE_SIZE = 50


@get("/outbox", opt={"permission": "outbox.read"})
async def outbox_page(request: Request) -> Template:
    params = request.query_params
    status = params.get("status") if params.get("status") in mail.STATUSES else None
    try:
        page = max(1, min(int(params.get("page", "1")), 100_000))
    except ValueError:
        page = 1
    rows, total = await mail.outbox(status=status, limit=PAGE_SIZE,
                                    offset=(page - 1) * PAGE_SIZE)
    return render(request, "staff/outbox.html", page_title="Outbox", rows=rows, total=total,
                  status=status, statuses=mail.STATUSES, page=page,
                  pages=max(1, -(-total // PAGE_SIZE)))


HANDLERS = [outbox_page]
