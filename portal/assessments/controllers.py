"""Assessment API: staff send and review; suppliers answer through their link."""

from __future__ import annotations

import secrets
from typing import Annotated

from litestar import Controller, Request, Response, get, post, put
from litestar.params import Parameter

from portal.assessments import campaigns, service
from portal.assessments.schemas import (
    AnswerDecisionOut,
    AnswerIn,
    AnswerReviewIn,
    AnswerSaved,
    CampaignDetailOut,
    CampaignIn,
    CampaignListOut,
    CampaignOut,
    CampaignResult,
    ChasedOut,
    EvidenceOut,
    ExtendIn,
    QuestionnaireOut,
    ReplyIn,
    ReplySaved,
    ReviewIn,
    SendAssessment,
    SentAssessment,
    SentAssessmentDates,
    StaffAssessmentOut,
    StatusOut,
    SubmitResult,
    SupplierAssessmentOut,
)
from portal.core.context import current_actor
from portal.core.downloads import content_disposition
from portal.core.errors import InvalidInput, TooManyRequests
from portal.core.http import client_address
from portal.core.permissions import READ
from portal.core.ratelimit import FailureLimit
from portal.core.schemas import MAX_ID

AssessmentId = Annotated[int, Parameter(gt=0, le=MAX_ID, description="Assessment id")]
Token = Annotated[str, Parameter(max_length=100, description="The secret from the supplier link")]
QuestionIdParam = Annotated[str, Parameter(pattern=r"^[a-z][a-z0-9_]{1,60}$", max_length=61)]

# Wrong links from one client: 20 in 5 minutes, then 429 instead of 404 until the window
# passes. A valid link keeps working: 256 random bits can't be found by guessing, and a
# scanner behind the same NAT must not lock a supplier's staff out of their questionnaire.
link_misses = FailureLimit("link", limit=20, window_seconds=300)
SUPPLIER_LINK = {"supplier_link": True}


async def through_link(request: Request, call):
    """Run a supplier-link call, counting and limiting misses per client."""
    try:
        return await call()
    except service.LinkNotFound:
        if await link_misses.hit(client_address(request)):
            raise TooManyRequests("Too many invalid links from your address; "
                                  "wait a few minutes.") from None
        raise


class QuestionnaireController(Controller):
    path = "/api/v1/questionnaires"
    tags = ["Questionnaires"]

    @get("/", opt={"permission": READ}, summary="Questionnaires that can be sent")
    async def index(self) -> list[QuestionnaireOut]:
        return [QuestionnaireOut(key=d.key, version=d.version, title=d.title,
                                 content_hash=d.content_hash, questions=len(d.questions()))
                for d in service.available_questionnaires()]


class AssessmentController(Controller):
    path = "/api/v1/assessments"
    tags = ["Assessments"]

    @post("/", opt={"permission": "assessments.send"},
          summary="Send a questionnaire to a supplier contact")
    async def send(self, data: SendAssessment) -> SentAssessment:
        assessment, token = await service.send(
            supplier_id=data.supplier_id, contact_id=data.contact_id,
            questionnaire=data.questionnaire, due_date=data.due_date, force=data.force)
        return SentAssessment(id=assessment["id"], status=assessment["status"],
                              due_date=assessment["due_date"], link=service.link_url(token),
                              link_expires_at=assessment["link_expires_at"])

    @get("/{assessment_id:int}", opt={"permission": READ},
         summary="An assessment with answers, evidence and history")
    async def show(self, assessment_id: AssessmentId) -> StaffAssessmentOut:
        return StaffAssessmentOut(**await service.staff_view(assessment_id))

    @post("/{assessment_id:int}/revoke", opt={"permission": "assessments.send"}, status_code=200,
          summary="Revoke the supplier's link")
    async def revoke(self, assessment_id: AssessmentId) -> StatusOut:
        row = await service.revoke(assessment_id)
        return StatusOut(id=row["id"], status=row["status"])

    @post("/{assessment_id:int}/reissue", opt={"permission": "assessments.send"},
          status_code=200, summary="Send a new link; the old one stops working")
    async def reissue(self, assessment_id: AssessmentId) -> SentAssessment:
        row, token = await service.reissue(assessment_id)
        return SentAssessment(id=row["id"], status=row["status"], due_date=row["due_date"],
                              link=service.link_url(token), link_expires_at=row["link_expires_at"])

    @post("/{assessment_id:int}/extend", opt={"permission": "assessments.send"},
          status_code=200, summary="Move the due date later (the link lasts with it)")
    async def extend(self, assessment_id: AssessmentId, data: ExtendIn) -> SentAssessmentDates:
        row = await service.extend(assessment_id, due_date=data.due_date)
        return SentAssessmentDates(id=row["id"], status=row["status"], due_date=row["due_date"],
                                   link_expires_at=row["link_expires_at"])

    @post("/{assessment_id:int}/chase", opt={"permission": "assessments.send"},
          status_code=200, summary="Email the supplier contact a reminder now")
    async def chase(self, assessment_id: AssessmentId) -> ChasedOut:
        row = await service.chase(assessment_id)
        return ChasedOut(id=row["id"], status=row["status"])

    @post("/{assessment_id:int}/review", opt={"permission": "assessments.review"},
          status_code=200, summary="Accept, reject or ask for clarification")
    async def review(self, assessment_id: AssessmentId, data: ReviewIn) -> StatusOut:
        row = await service.review(assessment_id, decision=data.decision.value,
                                   comment=data.comment, question_ids=data.question_ids,
                                   reviewer=current_actor().name)
        return StatusOut(id=row["id"], status=row["status"])

    @post("/{assessment_id:int}/answers/{question_id:str}/review",
          opt={"permission": "assessments.review"}, status_code=200,
          summary="Accept or query one answer")
    async def review_answer(self, assessment_id: AssessmentId, question_id: QuestionIdParam,
                            data: AnswerReviewIn) -> AnswerDecisionOut:
        await service.review_answer(assessment_id, question_id, decision=data.decision,
                                    comment=data.comment, reviewer=current_actor().name)
        return AnswerDecisionOut(question_id=question_id, decision=data.decision)


class EvidenceController(Controller):
    path = "/api/v1/evidence"
    tags = ["Evidence"]

    @get("/{evidence_id:int}", opt={"permission": READ}, media_type="application/octet-stream",
         summary="Download an evidence file (its own type; or a redirect to S3)")
    async def download(self, evidence_id: Annotated[int, Parameter(gt=0, le=MAX_ID)]) -> Response:
        row, data, url = await service.fetch_evidence(evidence_id)
        if url:
            return Response(content=b"", status_code=302, headers={"Location": url})
        inline = row["content_type"] in {"application/pdf", "image/png", "image/jpeg"}
        return Response(content=data, media_type=row["content_type"], headers={
            "Content-Disposition": content_disposition(row["filename"], inline=inline),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        })


class RespondController(Controller):
    """The supplier's JSON API: the link token is the only credential."""

    path = "/api/v1/respond"
    tags = ["Supplier response"]

    @get("/{token:str}", opt=SUPPLIER_LINK, summary="The questionnaire, answers and progress")
    async def show(self, request: Request, token: Token) -> SupplierAssessmentOut:
        return SupplierAssessmentOut(**await through_link(request,
                                                          lambda: service.supplier_view(token)))

    @put("/{token:str}/answers/{question_id:str}", opt=SUPPLIER_LINK, summary="Save one answer")
    async def save(self, request: Request, token: Token, question_id: QuestionIdParam,
                   data: AnswerIn) -> AnswerSaved:
        version = await through_link(request, lambda: service.save_answer(
            token, question_id, value=data.value, comment=data.comment, version=data.version))
        return AnswerSaved(version=version)

    @put("/{token:str}/answers/{question_id:str}/reply", opt=SUPPLIER_LINK,
         summary="Reply in words to the reviewer's query on one answer")
    async def reply(self, request: Request, token: Token, question_id: QuestionIdParam,
                    data: ReplyIn) -> ReplySaved:
        saved = await through_link(request, lambda: service.save_reply(
            token, question_id, body=data.reply))
        return ReplySaved(**saved)

    @post("/{token:str}/evidence", opt=SUPPLIER_LINK, summary="Upload an evidence file (multipart)")
    async def upload(self, request: Request, token: Token) -> EvidenceOut:
        async def call():
            await service.open_link(token)  # a bad link is a 404 before we read the body
            form = await request.form()
            upload = form.get("file")
            question_id = form.get("question_id")
            if not isinstance(question_id, str) or not question_id:
                raise InvalidInput("Say which question the file is for (question_id).")
            if upload is None or isinstance(upload, str):
                raise InvalidInput("Choose a file to upload (field 'file').")
            data = await upload.read()
            return await service.add_evidence(token, question_id, filename=upload.filename,
                                              data=data)

        return EvidenceOut(**await through_link(request, call))

    @post("/{token:str}/submit", opt=SUPPLIER_LINK, status_code=200,
          summary="Submit the answers for review")
    async def submit(self, request: Request, token: Token) -> SubmitResult:
        status = await through_link(request, lambda: service.submit(token))
        return SubmitResult(status=status)


class CampaignController(Controller):
    path = "/api/v1/campaigns"
    tags = ["Campaigns"]

    @post("/", opt={"permission": "assessments.send"},
          summary="Send a questionnaire to every supplier a filter matches (dry_run: preview)")
    async def create(self, data: CampaignIn) -> CampaignResult:
        return CampaignResult(**await campaigns.start(
            name=data.name, questionnaire=data.questionnaire,
            rule=campaigns.filter_from(data.filter.model_dump()), due_date=data.due_date,
            request_key=data.request_key or secrets.token_urlsafe(24),
            created_by=current_actor().name, dry_run=data.dry_run))

    @get("/", opt={"permission": READ}, summary="Campaigns, newest first")
    async def index(self, limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
                    offset: Annotated[int, Parameter(ge=0, le=MAX_ID)] = 0) -> CampaignListOut:
        rows, total = await campaigns.list_campaigns(limit=limit, offset=offset)
        return CampaignListOut(items=[CampaignOut(**r) for r in rows], total=total)

    @get("/{campaign_id:int}", opt={"permission": READ},
         summary="A campaign: response rates, overdue, chased, members")
    async def show(self, campaign_id: Annotated[int, Parameter(gt=0, le=MAX_ID)]
                   ) -> CampaignDetailOut:
        return CampaignDetailOut(**await campaigns.detail(campaign_id))
