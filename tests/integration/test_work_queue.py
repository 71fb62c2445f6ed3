"""The work queue: assignment on submit (round robin or not), by hand; my queue and the
unassigned tab; staff emails; the review page's filter and "accept all compliant answers"."""

from __future__ import annotations

import re

from piccolo.apps.user.tables import BaseUser

from models.tables import Answer, AnswerReview, Assessment, AuditEvent, Organisation, OutboundEmail
from portal.assessments import assignment
from portal.assessments import service as assessments
from portal.core import staff
from tests import factories
from tests.integration.journeys import PASSWORD, csrf_of, sign_in


async def organisation(**values) -> None:
    await Organisation.insert(Organisation(name="Royal County Hospital NHS Trust", **values))


async def reviewer(name: str, role: str = "reviewer") -> int:
    return await staff.create_user(username=name, password=PASSWORD, role=role,
                                   email=f"{name}@trust.example")


async def submitted(**supplier) -> tuple[dict, str]:
    made = await factories.supplier(**supplier)
    contact = await factories.contact(made["id"])
    sent, token = await factories.submitted_assessment(made["id"], contact["id"])
    row = await Assessment.select().where(Assessment.id == sent["id"]).first()
    return row, token


async def test_round_robin_shares_submissions_out_evenly_among_those_who_can_review(client):
    await organisation()
    rita, sam = await reviewer("rita"), await reviewer("sam")
    await staff.create_user(username="paul", password=PASSWORD, role="procurement",
                            email="paul@trust.example")
    picked = [(await submitted())[0]["assigned_to"] for _ in range(4)]
    assert sorted(picked) == sorted([rita, sam, rita, sam])
    assert picked[0] == rita and picked[1] == sam  # fewest open, then never-assigned, then id
    events = await AuditEvent.select(AuditEvent.after).where(
        AuditEvent.action == "assessment.assigned")
    assert len(events) == 4 and all("round_robin" in str(e["after"]) for e in events)
    # The staff email goes to the assigned reviewer only, naming supplier and questionnaire.
    mail = await OutboundEmail.select().where(
        OutboundEmail.related_type == "assessment_staff").order_by(OutboundEmail.id)
    assert [m["to_address"] for m in mail] == [
        f"{'rita' if p == rita else 'sam'}@trust.example" for p in picked]
    assert "Meridian Health Records" in mail[0]["subject"] and "'" in mail[0]["subject"]
    assert "/staff/assessments/" in mail[0]["body"]


async def test_leave_unassigned_policy_mails_the_review_team_address(client):
    await organisation(review_assignment="unassigned", review_team_email="ig@trust.example")
    await reviewer("rita")
    row, _ = await submitted()
    assert row["assigned_to"] is None
    mail = await OutboundEmail.select().where(OutboundEmail.related_type == "assessment_staff")
    assert [m["to_address"] for m in mail] == ["ig@trust.example"]


async def test_reply_to_a_query_mails_the_reviewer_who_queried_naming_the_question(client):
    await organisation(review_assignment="unassigned")
    await reviewer("rita")
    quentin = await reviewer("quentin")
    row, token = await submitted()
    await assessments.review_answer(row["id"], "mfa", decision="query",
                                    comment="Which systems lack MFA?", reviewer="quentin")
    await assessments.review(row["id"], decision="clarify", comment="Please clarify.",
                             question_ids=["mfa"], reviewer="quentin")
    await assessments.save_reply(token, "mfa", body="Only the test rig.")
    before = await OutboundEmail.count().where(OutboundEmail.related_type == "assessment_staff")
    await assessments.submit(token)
    mails = await OutboundEmail.select().where(
        OutboundEmail.related_type == "assessment_staff").order_by(OutboundEmail.id)
    reply_mail = mails[before:]
    assert [m["to_address"] for m in reply_mail] == ["quentin@trust.example"]
    definition = await assessments.frozen_definition(row["definition"])
    assert definition.question("mfa").text in reply_mail[0]["body"]
    assert "written reply" in reply_mail[0]["body"]
    # ... and it is in quentin's queue, though nobody is assigned.
    queue = await assignment.my_queue(user_id=quentin, username="quentin")
    assert [r["id"] for r in queue] == [row["id"]]


async def test_my_queue_lists_my_work_oldest_first_and_reviewers_pick_up_unassigned(client):
    await organisation(review_assignment="unassigned")
    first, _ = await submitted(name="Alpha Records")
    second, _ = await submitted(name="Beta Pathology")
    await sign_in(client, "reviewer")
    me = (await BaseUser.select(BaseUser.id).where(BaseUser.username == "reviewer1").first())["id"]
    page = await client.get("/staff/queue")
    assert page.status_code == 200 and "Waiting on me (0)" in page.text
    assert 'href="/staff/queue"' in page.text  # the staff nav links to it
    unassigned = await client.get("/staff/queue?tab=unassigned")
    text = unassigned.text
    assert "Unassigned (2)" in text and text.index("Alpha Records") < text.index("Beta Pathology")
    assert "0 days" in text
    taken = await client.post(f"/staff/assessments/{second['id']}/assign",
                              data={"csrf": csrf_of(unassigned), "reviewer": "me", "back": "queue"})
    assert taken.status_code == 303
    mine = await client.get("/staff/queue")
    assert "Waiting on me (1)" in mine.text and "Beta Pathology" in mine.text
    assert "Alpha Records" not in mine.text
    assert (await Assessment.select(Assessment.assigned_to).where(
        Assessment.id == second["id"]).first())["assigned_to"] == me
    bad_tab = await client.get("/staff/queue?tab=everything")
    assert bad_tab.status_code == 400 and "no such tab" in bad_tab.text


async def test_reassigning_by_hand_on_the_review_page_is_audited_and_checked(client):
    await organisation()
    rita, sam = await reviewer("rita"), await reviewer("sam")
    paul = await staff.create_user(username="paul", password=PASSWORD, role="procurement")
    row, _ = await submitted()
    assert row["assigned_to"] == rita
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/assessments/{row['id']}")
    assert 'id="assigned-reviewer">rita' in page.text
    moved = await client.post(f"/staff/assessments/{row['id']}/assign",
                              data={"csrf": csrf_of(page), "reviewer": str(sam)})
    assert moved.status_code == 303
    page = await client.get(f"/staff/assessments/{row['id']}")
    assert 'id="assigned-reviewer">sam' in page.text
    event = await AuditEvent.select().where(AuditEvent.action == "assessment.assigned").order_by(
        AuditEvent.id, ascending=False).first()
    assert event["actor"] == "reviewer1" and str(rita) in str(event["before"])
    refused = await client.post(f"/staff/assessments/{row['id']}/assign",
                                data={"csrf": csrf_of(page), "reviewer": str(paul)})
    assert refused.status_code == 400 and "active reviewer" in refused.text
    nonsense = await client.post(f"/staff/assessments/{row['id']}/assign",
                                 data={"csrf": csrf_of(page), "reviewer": "rita"})
    assert nonsense.status_code == 400


async def test_auditor_sees_an_empty_queue_and_no_unassigned_tab(client):
    await organisation()
    await sign_in(client, "auditor")
    page = await client.get("/staff/queue")
    assert page.status_code == 200 and "tab=unassigned" not in page.text
    assert (await client.get("/staff/queue?tab=unassigned")).status_code == 400


async def test_admin_sets_the_assignment_policy_as_data(client):
    await organisation()
    await sign_in(client, "admin")
    page = await client.get("/staff/queue")
    saved = await client.post("/staff/queue/policy",
                              data={"csrf": csrf_of(page), "policy": "unassigned"})
    assert saved.status_code == 303
    assert await assignment.policy() == "unassigned"
    bad = await client.post("/staff/queue/policy", data={"csrf": csrf_of(page), "policy": "x"})
    assert bad.status_code == 400


async def unmet_submission() -> tuple[dict, str, list[str]]:
    """A submission with one answer that doesn't meet its requirement (mfa = none)."""
    row, token = await submitted()
    definition = await assessments.frozen_definition(row["definition"])
    await Answer.update({Answer.value: '"none"'}).where(
        (Answer.assessment == row["id"]) & (Answer.question_id == "mfa"))
    assert "none" not in definition.question("mfa").compliant
    view = await assessments.staff_view(row["id"])
    compliant = [q["question_id"] for q in assessments.compliant_undecided(view)]
    assert "mfa" not in compliant and len(compliant) > 5
    return row, token, compliant


async def test_review_filter_shows_unmet_or_queried_answers_without_javascript(client):
    await organisation()
    row, _, _ = await unmet_submission()
    await assessments.review_answer(row["id"], "backups_offline", decision="query",
                                    comment="How often?", reviewer="someone")
    await sign_in(client, "reviewer")
    url = f"/staff/assessments/{row['id']}"
    everything = await client.get(url)
    unmet = await client.get(f"{url}?show=unmet")
    queried = await client.get(f"{url}?show=queried")
    cards = re.compile(r'id="q-([a-z0-9_]+)"')
    assert len(cards.findall(everything.text)) > 10
    view = await assessments.staff_view(row["id"])
    expected = [q["question_id"] for q in view["questions"] if q["visible"] and q["meets"] is False]
    assert "mfa" in expected and cards.findall(unmet.text) == expected
    assert len(expected) < len(cards.findall(everything.text))
    assert cards.findall(queried.text) == ["backups_offline"]
    assert 'aria-current="page" class="portal-queue-tabs__current">Only answers that don' \
        in unmet.text
    bad = await client.get(f"{url}?show=some")
    assert bad.status_code == 400 and "meet the requirement, or only queried" in bad.text


async def test_accept_all_compliant_answers_confirms_then_accepts_each_once(client):
    await organisation()
    row, _, compliant = await unmet_submission()
    await assessments.review_answer(row["id"], compliant[0], decision="query", comment="Why?",
                                    reviewer="someone")
    waiting = compliant[1:]
    await sign_in(client, "reviewer")
    page = await client.get(f"/staff/assessments/{row['id']}")
    assert f"Accept all compliant answers ({len(waiting)})" in page.text
    confirm = await client.get(f"/staff/assessments/{row['id']}/accept-compliant")
    assert confirm.status_code == 200
    assert f"Accept {len(waiting)} compliant answers" in confirm.text
    assert confirm.text.count('name="question_ids"') == len(waiting)
    form = {"csrf": csrf_of(confirm), "question_ids": waiting + ["mfa", compliant[0]]}
    done = await client.post(f"/staff/assessments/{row['id']}/accept-compliant", data=form)
    assert done.status_code == 303 and f"n={len(waiting)}" in done.headers["location"]
    again = await client.post(f"/staff/assessments/{row['id']}/accept-compliant", data=form)
    assert again.status_code == 303 and "n=0" in again.headers["location"]
    reviews = await AnswerReview.select().where(AnswerReview.assessment == row["id"])
    accepted = [r["question_id"] for r in reviews if r["decision"] == "accepted"]
    assert sorted(accepted) == sorted(waiting)  # never mfa (unmet), never the queried one
    per_answer = await AuditEvent.count().where(AuditEvent.action == "answer.reviewed")
    assert per_answer == len(waiting) + 1
    batches = await AuditEvent.count().where(AuditEvent.action == "assessment.compliant_accepted")
    assert batches == 2
    empty = await client.post(f"/staff/assessments/{row['id']}/accept-compliant",
                              data={"csrf": csrf_of(confirm)})
    assert empty.status_code == 400 and "no compliant answers" in empty.text
