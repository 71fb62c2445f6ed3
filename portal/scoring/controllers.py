"""The standard 10 score of a supplier, with every criterion's reasons."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from portal.core.permissions import READ
from portal.core.schemas import MAX_ID
from portal.scoring.schemas import ScoreOut
from portal.scoring.service import get_score


@get("/api/v1/suppliers/{supplier_id:int}/score", opt={"permission": READ}, tags=["Scores"],
     summary="The supplier's accountability score against standard 10, with reasons")
async def supplier_score(supplier_id: Annotated[int, Parameter(gt=0, le=MAX_ID)]) -> ScoreOut:
    return ScoreOut.model_validate(await get_score(supplier_id))
