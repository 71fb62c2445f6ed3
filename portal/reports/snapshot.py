"""The records a report summarises, today or as they stood at the end of a date.

`portfolio()` reads today's tables. `portfolio(as_at=day)` rebuilds the same rows from the
audit trail: for each record, its events up to the end of that day in UK time are folded in
order (a create carries the whole row, an update the fields it changed, an archive its
`archived_at`), then the rows are filtered and ordered as today's query would. Scores as at a
date are not read from the stored score (that is today's); they are recomputed by the scoring
rules from the rebuilt records, with the day as "today".

Bookkeeping columns (`version`, `updated_at`) are left out of every row in both modes: they
say when a row was last touched, not what it said, and the trail carries them only partly.

Records written without an audit event (bulk demo data) have no history: as at a date they
appear as they are now if they were created by then, and `unaudited` counts them so the pack
can say so.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
from collections import defaultdict
from typing import Any

from piccolo.columns import JSON, Date, Numeric, Timestamptz
from piccolo.table import Table

from models.tables import (
    Answer,
    Assessment,
    AuditEvent,
    Certification,
    Contract,
    ContractClause,
    ContractDocument,
    EvidenceFile,
    Organisation,
    ProductService,
    QuestionnaireDefinition,
    ReusedAssessment,
    Risk,
    SubProcessor,
    Supplier,
    SupplierContact,
    SupplierScore,
)
from portal.core.dates import UK, end_of_uk_day, uk_today
from portal.core.errors import InvalidInput
from questionnaires.states import State

BOOKKEEPING = ("version", "updated_at")
# keys of a portfolio that describe it rather than hold records
ABOUT = ("as_at", "unaudited", "records_begin", "recorded_later")
SCORE_COLUMNS = ("supplier", "score", "rating", "tier", "breakdown")
ASSESSMENT_COLUMNS = ("id", "supplier", "status", "sent_at", "submitted_at", "decided_at",
                      "due_date")
# audit target_type -> the table whose rows its events carry whole (create) or in part
_FOLDED: dict[str, type[Table]] = {
    "supplier": Supplier, "supplier_contact": SupplierContact, "contract": Contract,
    "certification": Certification, "risk": Risk, "sub_processor": SubProcessor,
    "assessment": Assessment, "organisation": Organisation,
}
# events on those targets that describe something else (rows hanging off the record)
_NOT_THE_ROW = {"contract.products_changed", "contract.clause_set", "contract.document_scanned",
                "answer.saved", "answer.replied", "answer.reviewed", "evidence.uploaded",
                "assessment.reminded"}


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in BOOKKEEPING}


def _records(table: type[Table]):
    """A select of the record's own columns (not the bookkeeping ones): the same rows as
    `_plain` makes, without reading and then dropping two columns of every row (profiled:
    about a tenth of a 10,000-supplier pack)."""
    return table.select(*(c for c in table._meta.columns if c._meta.name not in BOOKKEEPING))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# Today ---------------------------------------------------------------------------------


async def _today(*, breakdowns: bool = True, only: list[int] | None = None) -> dict[str, Any]:
    """Every record the reports summarise, loaded in a fixed number of queries; without
    `breakdowns`, the scores come without their breakdown (6 KB of JSON each, read only by
    the pack's local certification bar, never by the readiness itself); with `only`, the
    records of those suppliers alone (see `refreshed`)."""
    def scoped(query, column):  # every row, or those of the suppliers asked for
        return query.where(column.is_in(only)) if only is not None else query

    suppliers = await scoped(_records(Supplier).where(Supplier.archived_at.is_null()),
                             Supplier.id).order_by(Supplier.name, Supplier.id)
    contacts = await scoped(_records(SupplierContact).where(
        SupplierContact.archived_at.is_null()), SupplierContact.supplier).order_by(SupplierContact.id)
    contracts = await scoped(_records(Contract).where(Contract.archived_at.is_null()),
                             Contract.supplier).order_by(Contract.id)
    products = await scoped(ProductService.select(
        ProductService.supplier, ProductService.contract, ProductService.name),
        ProductService.supplier).order_by(ProductService.id)
    clauses_query = ContractClause.select(ContractClause.contract, ContractClause.key,
                                          ContractClause.status)
    if only is not None:  # the clauses of those suppliers' contracts, archived ones included
        clauses_query = clauses_query.where(ContractClause.contract.is_in(
            Contract.select(Contract.id).where(Contract.supplier.is_in(only))))
    clauses = await clauses_query.order_by(ContractClause.id)
    certifications = await scoped(_records(Certification).where(
        Certification.archived_at.is_null()), Certification.supplier).order_by(Certification.id)
    assessments = await scoped(Assessment.select(
        *(Assessment._meta.get_column_by_name(c) for c in ASSESSMENT_COLUMNS),
        Assessment.definition.title.as_alias("questionnaire")), Assessment.supplier).order_by(
        Assessment.id)
    risks = await scoped(_records(Risk), Risk.supplier).order_by(Risk.id)
    subprocessors = await scoped(_records(SubProcessor).where(SubProcessor.archived_at.is_null()),
                                 SubProcessor.supplier).order_by(SubProcessor.id)
    scores = await scoped(SupplierScore.select(
        *(SupplierScore._meta.get_column_by_name(c) for c in SCORE_COLUMNS
          if breakdowns or c != "breakdown")), SupplierScore.supplier).order_by(SupplierScore.supplier)
    organisation = await Organisation.select().order_by(Organisation.id).first()
    listed = {s["id"] for s in suppliers}
    scores = [r for r in scores if r["supplier"] in listed]
    return {"suppliers": suppliers, "contacts": contacts,
            "contracts": contracts, "products": products, "clauses": clauses,
            "certifications": certifications, "assessments": assessments,
            "risks": risks, "subprocessors": subprocessors, "scores": scores,
            "organisation": _plain(organisation) if organisation else None,
            "as_at": None, "unaudited": {}}


# what each record type of today's portfolio is kept in order by (suppliers: their names)
BY_SUPPLIER = ("contacts", "contracts", "products", "certifications", "assessments", "risks",
                "subprocessors", "scores")


async def refreshed(previous: dict[str, Any], supplier_ids: set[int]) -> dict[str, Any] | None:
    """Today's portfolio (as `portfolio(None, breakdowns=False)` gives it) from `previous`,
    one such portfolio, with the records of `supplier_ids` read again: what the dashboard
    needs after a few changes, without reading 10,000 suppliers' records for each one.

    Each supplier's records come out as a full read gives them, and in the same order
    within the supplier; the suppliers stay in register (name) order. Only the order of
    rows across suppliers in the lists other than `suppliers` may differ, which no reader
    of today's portfolio for the readiness depends on (the pack loads its own, whole).
    None when the register holds a supplier neither `previous` nor the new read has.
    A record is taken to stay with its supplier (no write moves a contract, certificate or
    sub-processor to another supplier; one that did would have to name both)."""
    only = sorted(supplier_ids)
    fresh = await _today(breakdowns=False, only=only)
    touched = set(only)
    old_contracts = {c["id"] for c in previous["contracts"] if c["supplier"] in touched}
    new_contracts = {c["id"] for c in fresh["contracts"]}
    out = dict(previous)
    for key in BY_SUPPLIER:
        out[key] = [r for r in previous[key] if r["supplier"] not in touched] + fresh[key]
    gone = old_contracts | new_contracts
    out["clauses"] = [r for r in previous["clauses"] if r["contract"] not in gone] + [
        r for r in fresh["clauses"] if r["contract"] in new_contracts]
    # the register's order as a full read gives it, from the index of live names
    order = [r["id"] for r in await Supplier.select(Supplier.id).where(
        Supplier.archived_at.is_null()).order_by(Supplier.name, Supplier.id)]
    rows = {s["id"]: s for s in previous["suppliers"] if s["id"] not in touched}
    rows.update({s["id"]: s for s in fresh["suppliers"]})
    if any(i not in rows for i in order):
        return None  # a supplier no event named (written behind the portal's back)
    out["suppliers"] = [rows[i] for i in order]
    out["organisation"] = fresh["organisation"]
    return out


# As at a date --------------------------------------------------------------------------


def _coerce(table: type[Table], values: dict[str, Any]) -> dict[str, Any]:
    """A row from an audit snapshot (JSON) back into the types a select returns."""
    out: dict[str, Any] = {}
    for column in table._meta.columns:
        name = column._meta.name
        if name not in values or name in BOOKKEEPING:
            continue
        value = values[name]
        if value is not None and isinstance(value, str):
            if isinstance(column, Timestamptz):
                value = dt.datetime.fromisoformat(value)
            elif isinstance(column, Date):
                value = dt.date.fromisoformat(value)
            elif isinstance(column, Numeric):
                value = decimal.Decimal(value)
        if isinstance(column, JSON) and not isinstance(value, str):
            value = json.dumps(value)
        out[name] = value
    return out


def _full_row(table: type[Table], row: dict[str, Any]) -> dict[str, Any]:
    """Every column of the table, in the table's order (as a select returns it)."""
    return {c._meta.name: row.get(c._meta.name) for c in table._meta.columns
            if c._meta.name not in BOOKKEEPING}


class _Trail:
    """The audit events up to a moment, folded into rows."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
        self.products: dict[int, tuple[int, list[str]]] = {}  # contract -> (event id, names)
        self.clauses: dict[tuple[int, str], dict[str, Any]] = {}  # (contract, key) -> row
        self.answers: dict[tuple[int, str], Any] = {}
        self.reviews: list[dict[str, Any]] = []

    def apply(self, event: dict[str, Any]) -> None:
        kind, action = event["target_type"], event["action"]
        if not str(event["target_id"]).isdigit():
            return
        target = int(event["target_id"])
        after = _json(event["after"])
        if not isinstance(after, dict):
            return
        if action == "contract.products_changed":
            self.products[target] = (event["id"], list(dict.fromkeys(after.get("products_services")
                                                                    or [])))
        elif action == "contract.clause_set":
            self._clause(target, after["key"], after.get("status", "missing"), after.get("hours"))
        elif action == "contract.document_scanned":
            for key, status in (after.get("clauses") or {}).items():
                self._clause(target, key, status)
        elif action == "answer.saved" and "value" in after:
            self.answers[(target, after["question_id"])] = after["value"]
        elif action == "answer.reviewed":
            self.reviews.append({"assessment": target, "question_id": after.get("question_id", ""),
                                 "decision": after.get("decision", "")})
        elif kind in _FOLDED and action not in _NOT_THE_ROW:
            row = self.rows[kind].setdefault(target, {"id": target})
            row.update(_coerce(_FOLDED[kind], after))

    def _clause(self, contract: int, key: str, status: str, hours: int | None = None) -> None:
        row = self.clauses.setdefault((contract, key), {"contract": contract, "key": key,
                                                        "hours": None})
        row["status"] = status
        if key == "breach.notification" and status is not None:
            row["hours"] = hours


async def _events_before(moment: dt.datetime) -> list[dict[str, Any]]:
    return await AuditEvent.select(
        AuditEvent.id, AuditEvent.action, AuditEvent.target_type, AuditEvent.target_id,
        AuditEvent.after).where(AuditEvent.occurred_at < moment).order_by(AuditEvent.id)


async def first_record_day() -> dt.date | None:
    """The UK date of the organisation's first audited record, if any."""
    first = await AuditEvent.select(AuditEvent.occurred_at).where(
        AuditEvent.target_type.is_in(list(_FOLDED))).order_by(AuditEvent.occurred_at).first()
    return first["occurred_at"].astimezone(UK).date() if first else None


async def _as_at(day: dt.date) -> dict[str, Any]:
    moment = end_of_uk_day(day)
    trail = _Trail()
    for event in await _events_before(moment):
        trail.apply(event)

    unaudited: dict[str, int] = {}

    loaded: dict[str, list[dict[str, Any]]] = {}

    async def rows_of(kind: str) -> list[dict[str, Any]]:
        if kind in loaded:
            return loaded[kind]
        table = _FOLDED[kind]
        columns = {c._meta.name for c in table._meta.columns if not c._meta.secret} \
            - set(BOOKKEEPING)  # the audit never carries secrets
        now = {r["id"]: _plain(r) for r in await table.select()}
        folded = trail.rows[kind]
        rows, partial = {}, 0
        for i, r in folded.items():
            if columns - set(r):  # its creation was not audited: the rest as it is now
                partial += 1
            rows[i] = _full_row(table, {**now.get(i, {}), **r})
        # records with no history at all (bulk demo data): as they are now, if they existed.
        # One whose trail starts after the moment was entered later (a table without a
        # created_at, the organisation's profile, says so only there).
        later = {int(e["target_id"]) for e in await AuditEvent.select(AuditEvent.target_id).where(
            (AuditEvent.target_type == kind) & (AuditEvent.occurred_at >= moment))
            if str(e["target_id"]).isdigit()}
        for i, r in now.items():
            created = r.get("created_at")
            if i in folded or (i in later and (created is None or created >= moment)):
                continue
            if created is None or created < moment:
                partial += 1
                rows[i] = r
        if partial:
            unaudited[kind] = partial
        loaded[kind] = [rows[i] for i in sorted(rows)]
        return loaded[kind]

    def current(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r.get("archived_at") is None or r["archived_at"] >= moment]

    suppliers = sorted(current(await rows_of("supplier")), key=lambda r: (r["name"], r["id"]))
    contacts = current(await rows_of("supplier_contact"))
    contracts = current(await rows_of("contract"))
    all_contracts = {c["id"]: c for c in await rows_of("contract")}
    certifications = current(await rows_of("certification"))
    risks = await rows_of("risk")
    subprocessors = current(await rows_of("sub_processor"))
    organisations = await rows_of("organisation")
    definitions = {r["id"]: r for r in await QuestionnaireDefinition.select(
        QuestionnaireDefinition.id, QuestionnaireDefinition.title, QuestionnaireDefinition.key)}
    assessments = []
    assessment_rows = [r for r in await rows_of("assessment") if r.get("status") != State.draft]
    for a in assessment_rows:
        definition = definitions.get(a.get("definition"), {})
        assessments.append({**{c: a.get(c) for c in ASSESSMENT_COLUMNS},
                            "questionnaire": definition.get("title")})
    products = [{"supplier": all_contracts[contract]["supplier"], "contract": contract,
                 "name": name}
                for contract, (_, names) in sorted(trail.products.items(), key=lambda p: p[1][0])
                if contract in all_contracts for name in names]
    # contracts whose products were never audited (bulk demo data): as they are now
    products = [r for r in await ProductService.select(
        ProductService.supplier, ProductService.contract, ProductService.name).order_by(
        ProductService.id) if r["contract"] in all_contracts
        and r["contract"] not in trail.products] + products
    # listed in today's order (the clause rows' ids), so the manifest of the same records
    # hashes the same whichever way they were read
    order = {(r["contract"], r["key"]): r["id"] for r in await ContractClause.select(
        ContractClause.id, ContractClause.contract, ContractClause.key)}
    clauses = [{"contract": r["contract"], "key": r["key"], "status": r["status"]}
               for r in sorted(trail.clauses.values(), key=lambda r: (
                   order.get((r["contract"], r["key"]), float("inf")), r["contract"], r["key"]))]
    data = {"suppliers": suppliers, "contacts": contacts, "contracts": contracts,
            "products": products, "clauses": clauses, "certifications": certifications,
            "assessments": assessments, "risks": risks, "subprocessors": subprocessors,
            "organisation": organisations[0] if organisations else None}
    data["scores"] = await _scores(data, trail, assessment_rows, definitions, day=day,
                                   moment=moment)
    data["as_at"] = day
    data["unaudited"] = unaudited
    data["records_begin"] = await first_record_day()
    data["recorded_later"] = await _recorded_later(day, data)
    return data


# (portfolio key, table, the date on a row that says when it began in the world)
_DESCRIBES = (("contracts", Contract, "start_date"), ("certifications", Certification, "issued_on"),
              ("subprocessors", SubProcessor, "since"), ("risks", Risk, "opened_on"))


async def _recorded_later(day: dt.date, data: dict[str, Any]) -> dict[str, int]:
    """Records entered after the end of `day` that describe that earlier time (a contract
    that had started by then, a certificate issued by then, a sub-processor engaged by then,
    a risk opened by then): they are not in the pack as at `day`, and the cover says so.
    {portfolio key: count}, only the non-zero ones."""
    out: dict[str, int] = {}
    for key, table, column in _DESCRIBES:
        known = {r["id"] for r in data[key]}
        date = table._meta.get_column_by_name(column)
        query = table.select(table.id).where(date.is_not_null() & (date <= day))
        if "archived_at" in {c._meta.name for c in table._meta.columns}:
            query = query.where(table._meta.get_column_by_name("archived_at").is_null())
        count = sum(1 for r in await query if r["id"] not in known)
        if count:
            out[key] = count
    return out


async def _scores(data: dict[str, Any], trail: _Trail, assessment_rows: list[dict[str, Any]],
                  definitions: dict[int, dict], *, day: dt.date, moment: dt.datetime
                  ) -> list[dict[str, Any]]:
    """Each supplier's score as at the day, by the scoring rules over the rebuilt records."""
    from portal.assessments.service import frozen_definition
    from portal.scoring.rules import score
    from portal.scoring.service import (
        breakdown_json,
        facts_from_rows,
        reading_of,
        reused_query,
        reused_reading,
    )

    contacts: dict[int, int] = defaultdict(int)
    for c in data["contacts"]:
        contacts[c["supplier"]] += 1
    products: dict[int, int] = defaultdict(int)
    for p in data["products"]:
        products[p["contract"]] += 1
    clauses: dict[int, dict[str, str]] = defaultdict(dict)
    for c in data["clauses"]:
        clauses[c["contract"]][c["key"]] = c["status"]
    breach: dict[int, int | None] = {}
    for row in await ContractDocument.select(
            ContractDocument.contract, ContractDocument.breach_notification_hours).where(
            ContractDocument.uploaded_at < moment).order_by(ContractDocument.id):
        breach[row["contract"]] = row["breach_notification_hours"]
    for (contract, key), row in trail.clauses.items():  # a reviewer's hours beat the scan's
        if key == "breach.notification" and row["hours"] is not None:
            breach[contract] = row["hours"]
    assessments = [{**a, "definition.key": definitions.get(a.get("definition"), {}).get("key"),
                    "definition.title": definitions.get(a.get("definition"), {}).get("title")}
                   for a in assessment_rows]
    window = moment - dt.timedelta(days=400)
    readings = {}
    accepted = [a for a in assessments if a.get("status") == State.accepted
                and a.get("decided_at") and window <= a["decided_at"] < moment]
    if accepted:
        ids = [a["id"] for a in accepted]
        evidenced: dict[int, set[str]] = defaultdict(set)
        for row in await EvidenceFile.select(EvidenceFile.assessment, EvidenceFile.question_id,
                                             EvidenceFile.withdrawn_at).where(
                EvidenceFile.assessment.is_in(ids) & (EvidenceFile.uploaded_at < moment)):
            if row["withdrawn_at"] is None or row["withdrawn_at"] >= moment:
                evidenced[row["assessment"]].add(row["question_id"])
        checked: dict[int, set[str]] = defaultdict(set)
        for review in trail.reviews:
            if review["decision"] == "accepted":
                checked[review["assessment"]].add(review["question_id"])
        values: dict[int, dict[str, Any]] = defaultdict(dict)
        for (assessment, question), value in trail.answers.items():
            values[assessment][question] = value
        # answers saved before the trail carried their values: the stored value
        for row in await Answer.select(Answer.assessment, Answer.question_id, Answer.value).where(
                Answer.assessment.is_in(ids)):
            if row["question_id"] not in values[row["assessment"]]:
                values[row["assessment"]][row["question_id"]] = _json(row["value"])
        for a in accepted:
            definition = await frozen_definition(a["definition"])
            readings[a["id"]] = reading_of(definition, values[a["id"]],
                                           evidenced=evidenced[a["id"]], checked=checked[a["id"]])
    # Another organisation's accepted assessments we had imported by then (they are never
    # changed after import, so the stored row is the row as it stood).
    reused = [(r, await reused_reading(r)) for r in await reused_query().where(
        (ReusedAssessment.imported_at < moment) & (ReusedAssessment.accepted_at >= window)
        & (ReusedAssessment.accepted_at < moment))]
    facts = facts_from_rows(suppliers=data["suppliers"], contacts=contacts,
                            contracts=data["contracts"], products=products, clauses=clauses,
                            breach=breach, certs=data["certifications"], assessments=assessments,
                            risks=data["risks"], readings=readings, reused=reused)
    rows = []
    for f in sorted(facts, key=lambda f: f.id):
        result = score(f, today=day)
        rows.append({"supplier": f.id, "score": result.score, "rating": result.rating,
                     "tier": result.tier, "breakdown": breakdown_json(result)})
    return rows


async def portfolio(as_at: dt.date | None = None, *, breakdowns: bool = True) -> dict[str, Any]:
    """The records the DSPT evidence pack summarises: suppliers, contacts, contracts,
    products, clauses, certifications, assessments, risks (incidents and disputes among
    them), sub-processors, scores and the organisation; today's, or as at the end of `as_at`
    (UK time) rebuilt from the audit trail. Lists of plain dicts, ordered as the pack lists
    them; `as_at` (the date or None) and `unaudited` ({record type: count}) describe it.
    `breakdowns=False` leaves today's scores' breakdowns out (see `_today`)."""
    if as_at is None:
        return await _today(breakdowns=breakdowns)
    return await _as_at(as_at)


async def as_at_date(value: str | dt.date | None) -> dt.date | None:
    """The "as at" date a person asked for, checked: a real date (YYYY-MM-DD), not in the
    future. None or "" means today's records. A date before the organisation's first record
    is allowed: the pack is built from no records and says so on its cover (a portal set up
    after a deadline can still show what it held, and what was entered later, at that date)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput(f"'{value[:20]}' is not a date: give the 'as at' date as "
                               "YYYY-MM-DD, for example 2026-06-30.") from None
    else:
        day = value
    today = uk_today()
    if day > today:
        raise InvalidInput(f"The 'as at' date {day:%d %B %Y} is in the future; choose today "
                           f"({today:%d %B %Y}) or an earlier date.")
    return None if day == today else day
