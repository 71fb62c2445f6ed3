"""HTTP schemas for sending, answering and reviewing questionnaires."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from portal.core.schemas import MAX_ID, Id, InputModel, OutputModel, ReasonableDate

QuestionId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,60}$")]
Comment = Annotated[str, StringConstraints(max_length=5000)]


class SendAssessment(InputModel):
    supplier_id: Id
    contact_id: Id
    questionnaire: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    due_date: ReasonableDate
    force: bool = Field(False, description=(
        "Send even though the supplier already has this questionnaire open. Without it such a "
        "send is refused with 409, a message naming the open one, and `open_assessment_id`."))


class ExtendIn(InputModel):
    due_date: ReasonableDate = Field(description="The new due date: after the current one, "
                                                 "today or later, within a year")


class ChasedOut(OutputModel):
    id: int
    status: str
    chased: bool = Field(True, description="A reminder email is queued in the outbox")


class SentAssessment(OutputModel):
    id: int
    status: str
    due_date: dt.date
    link: str = Field(description="Shown only here and in the email (built when it is sent); "
                                  "only its hash is kept")
    link_expires_at: dt.datetime


class SentAssessmentDates(OutputModel):
    id: int
    status: str
    due_date: dt.date
    link_expires_at: dt.datetime


class AnswerIn(InputModel):
    value: Any = None
    comment: Comment = ""
    version: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None


class AnswerSaved(OutputModel):
    version: int


class ReplyIn(InputModel):
    # Length and characters are checked by the rule (questionnaires.rules.clean_reply), so the
    # API and the form refuse the same things in the same words.
    reply: Annotated[str, StringConstraints(max_length=20_000)] = Field(
        "", description="The supplier's written reply to the reviewer's query (up to 5,000 "
                    "characters; empty withdraws it)")


class ReplySaved(OutputModel):
    question_id: str
    reply: str
    version: int


class EvidenceOut(OutputModel):
    id: int
    filename: str
    size: int
    sha256: str
    content_type: str
    question_id: str


class SubmitResult(OutputModel):
    status: str


class Decision(StrEnum):
    accept = "accept"
    reject = "reject"
    clarify = "clarify"


class ReviewIn(InputModel):
    decision: Decision
    comment: Comment = ""
    question_ids: list[QuestionId] | None = Field(None, max_length=200)


class AnswerReviewIn(InputModel):
    decision: Annotated[str, StringConstraints(pattern=r"^(accepted|query)$")]
    comment: Comment = ""


# What the read endpoints show. Nested parts that follow the frozen questionnaire definition
# keep its own keys (extra="allow"), so a newer definition never loses a field on the way out.
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class QuestionnaireOut(OutputModel):
    key: str
    version: str
    title: str
    content_hash: str
    questions: int = Field(description="How many questions it asks")


class StatusOut(OutputModel):
    id: int
    status: str = Field(description="The assessment's state (see questionnaires/states.py)")


class AnswerDecisionOut(OutputModel):
    question_id: str
    decision: str


class StaffQuestionOut(_Open):
    question_id: str
    section: str
    text: str
    type: str
    visible: bool
    required: bool
    value: Any = None
    version: int | None = None
    open_for_clarification: bool = False
    evidence: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []


class StaffAssessmentOut(_Open):
    id: int
    status: str
    due_date: dt.date
    version: int
    supplier: dict[str, Any]
    contact: dict[str, Any] | None
    questionnaire: dict[str, Any]
    sent_at: dt.datetime | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    review_comment: str
    progress: dict[str, Any]
    questions: list[StaffQuestionOut]
    evidence: list[dict[str, Any]]
    schedule: dict[str, Any] | None = Field(
        None, description="What the jobs will do next: the next reminder and the link expiry")
    previous: dict[str, Any] | None
    history: list[dict[str, Any]]


class SupplierAssessmentOut(_Open):
    assessment: dict[str, Any] = Field(description="State, due date, progress, what is missing")
    questionnaire: dict[str, Any] = Field(description="The frozen definition: sections, questions")
    answers: dict[str, dict[str, Any]] = Field(
        description="By question id: value, version, any query, reply and thread, evidence ids")
    evidence: list[dict[str, Any]]


# Campaigns -----------------------------------------------------------------------------

Tier = Annotated[str, StringConstraints(pattern=r"^(critical|elevated|baseline)$")]
Rating = Annotated[str, StringConstraints(pattern=r"^(green|amber|red)$")]
SupplierType = Annotated[str, StringConstraints(pattern=r"^(it_system|it_service|non_it)$")]


class CampaignFilterIn(InputModel):
    tiers: list[Tier] = Field([], max_length=3, description="Any of these tiers (empty: any)")
    ratings: list[Rating] = Field([], max_length=3)
    supplier_types: list[SupplierType] = Field([], max_length=3)
    diligence_older_than_months: Annotated[int, Field(ge=0, le=120)] | None = Field(
        None, description="Last accepted assessment of this questionnaire older than this "
                          "many months, or never (11: annual reassessment)")
    contract_ends_before: ReasonableDate | None = Field(
        None, description="Has a current contract ending before this date")
    skip_open: bool = Field(True, description="Leave out suppliers who already have this "
                                              "questionnaire open")


class CampaignIn(InputModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    questionnaire: Annotated[str, StringConstraints(min_length=1, max_length=100)] = Field(
        description="A questionnaire key, or 'tier-bundle': every questionnaire each matched "
                    "supplier's tier needs (scoring/policy.yaml due_diligence.required)")
    due_date: ReasonableDate
    filter: CampaignFilterIn = CampaignFilterIn()
    dry_run: bool = Field(False, description="Only preview who would get it; nothing is sent")
    request_key: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{8,64}$")] | None = \
        Field(None, description="Send the same key again (a retry) and you get the campaign "
                                "the first request made, not a second one")


class CampaignRecipientOut(OutputModel):
    supplier_id: int
    name: str
    tier: str | None
    rating: str | None
    last_accepted: dt.date | None
    questionnaire: str = Field("", description="The title of the questionnaire it sends")


class CampaignSkippedOut(OutputModel):
    supplier_id: int
    name: str
    reason: str
    questionnaire: str = Field("", description="The questionnaire left out (a bundle's item)")


class CampaignPreviewOut(OutputModel):
    questionnaire: dict[str, str]
    recipients: list[CampaignRecipientOut]
    skipped: list[CampaignSkippedOut]


class CampaignStatsOut(OutputModel):
    total: int = Field(description="Questionnaires it is being sent as (one per supplier, or "
                                   "one per supplier and bundle item)")
    sent: int
    pending: int
    skipped: int
    opened: int
    opened_pct: int
    submitted: int
    submitted_pct: int
    accepted: int
    accepted_pct: int
    overdue: int
    chased: int


class CampaignOut(OutputModel):
    id: int
    name: str
    questionnaire: dict[str, str]
    filter: dict[str, Any]
    due_date: dt.date | None
    status: str = Field(description="sending or sent")
    created_by: str
    created_at: dt.datetime
    stats: CampaignStatsOut


class CampaignMemberOut(OutputModel):
    supplier_id: int
    supplier: str
    questionnaire: str = Field("", description="The title of the questionnaire this row sends")
    status: str = Field(description="pending, sending, sent or skipped")
    reason: str
    assessment_id: int | None
    assessment_status: str | None
    due_date: dt.date | None
    overdue: bool


class CampaignDetailOut(CampaignOut):
    members: list[CampaignMemberOut]


class CampaignResult(OutputModel):
    dry_run: bool
    preview: CampaignPreviewOut
    campaign: CampaignOut | None = Field(None, description="The campaign (absent on a dry run)")
    created: bool = Field(False, description="False when this request key had made it already")


class CampaignListOut(OutputModel):
    items: list[CampaignOut]
    total: int
