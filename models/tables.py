"""Piccolo tables: the portal's records.

Tables stay out of the HTTP boundary (schemas are written by hand in each domain), and
nothing is hard-deleted: suppliers, contacts, contracts and certifications carry
``archived_at``; audit events are append-only.
"""

from __future__ import annotations

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Organisation(Table):
    """The organisation using the portal (one row): named in emails and reports."""

    name = Varchar(length=200, required=True)
    ods_code = Varchar(length=20, default="")
    dspt_category = Integer(default=1, help_text="DSPT organisation category 1-4")
    ig_lead_name = Varchar(length=200, default="")
    ig_lead_email = Varchar(length=254, default="")
    siro_name = Varchar(length=200, default="")
    siro_email = Varchar(length=254, default="")
    address = Text(default="")
    # Shown on the supplier pages (footer links), written by an admin in the back office.
    contact_details = Text(default="", help_text="How suppliers contact you (supplier pages)")
    accessibility_statement = Text(default="", help_text="Accessibility statement (supplier pages)")
    privacy_notice = Text(default="", help_text="Privacy notice (supplier pages)")
    # Work queue policy: who a submission waits on (round_robin or unassigned), and where
    # staff mail goes when nobody is assigned ("" = every reviewer).
    review_assignment = Varchar(length=20, default="round_robin",
                                help_text="round_robin or unassigned")
    review_team_email = Varchar(length=254, default="",
                                help_text="team address for submissions nobody is assigned")
    # The base text of generated data protection schedules: the portal's model clauses, or the
    # national wording (Crown Commercial Service model clauses, PPN 03/17 lineage).
    schedule_wording = Varchar(length=20, default="portal", help_text="portal or national")
    updated_at = Timestamptz(default=TimestamptzNow())


class StaffMember(Table):
    """The portal role of a staff user (Piccolo's user table holds the login)."""

    user = ForeignKey(references=BaseUser, unique=True, on_delete=OnDelete.cascade)
    role = Varchar(length=20, default="auditor", index=True)
    totp_secret = Text(default="", secret=True, help_text="Authenticator secret, encrypted")
    totp_pending = Text(default="", secret=True, help_text="Secret being enrolled, encrypted")
    totp_last_step = BigInt(default=-1)
    notify_by_email = Boolean(default=True, help_text="emailed when a supplier submits or "
                                                      "answers a query (their own choice)")
    created_at = Timestamptz(default=TimestamptzNow())


class VerifiedSession(Table):
    """Back-office sessions that passed the second factor (by the session token's hash)."""

    session_hash = Varchar(length=64, unique=True, required=True)
    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade)
    verified_at = Timestamptz(default=TimestamptzNow())


class ApiToken(Table):
    """A bearer token for integrators; only the SHA-256 of the token is kept."""

    name = Varchar(length=100, required=True)
    role = Varchar(length=20, required=True)
    token_hash = Varchar(length=64, unique=True, index=True, secret=True)
    prefix = Varchar(length=16, default="")
    created_by = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    expires_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Supplier(Table):
    name = Varchar(length=200, required=True, index=True)
    legal_name = Varchar(length=200, default="")
    supplier_key = Varchar(length=100, null=True, default=None, unique=True,
                           help_text="Stable key from the finance or procurement system")
    companies_house_number = Varchar(length=8, default="")
    ico_registration_number = Varchar(length=20, default="")
    ods_code = Varchar(length=20, default="", index=True)
    website = Varchar(length=300, default="")
    handles_personal_data = Boolean(default=False)
    handles_patient_data = Boolean(default=False)
    affects_care = Boolean(default=False)
    supplier_type = Varchar(length=20, default="it_service",
                            help_text="it_system, it_service or non_it: which certificates apply")
    notes = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None, index=True)
    owner = ForeignKey(references=BaseUser, null=True, default=None, on_delete=OnDelete.set_null,
                       index=True, help_text="the staff member who looks after this supplier")


class SupplierContact(Table):
    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200, required=True)
    email = Varchar(length=254, required=True)
    role = Varchar(length=100, default="")
    phone = Varchar(length=40, default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)


class Contract(Table):
    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    title = Varchar(length=200, required=True)
    reference = Varchar(length=100, default="")
    start_date = Date(null=True, default=None)
    end_date = Date(null=True, default=None, index=True)
    notice_date = Date(null=True, default=None)
    annual_value = Numeric(digits=(14, 2), null=True, default=None)
    data_role = Varchar(length=20, default="none",
                        help_text="processor, controller, joint_controller or none")
    personal_data = Boolean(default=False)
    patient_data = Boolean(default=False)
    system_access = Varchar(length=20, default="none",
                            help_text="the supplier's access to our systems: none, user, remote, privileged")
    supports_essential_function = Boolean(default=False)
    special_category_data = Boolean(default=False,
                                    help_text="special-category data beyond patient data")
    # Processing particulars (UK GDPR Art 28(3)): the schedule's annex is generated from these.
    processing_subject_matter = Text(default="")
    processing_nature_purpose = Text(default="")
    personal_data_types = Text(default="")
    data_subject_categories = Text(default="")
    # Where the supplier holds our data and how a transfer out of the UK is protected (CAF A4.a NA6).
    data_locations = Varchar(length=300, default="", help_text="countries where our data is held")
    transfer_mechanism = Varchar(length=20, default="unknown",
                                 help_text="uk, adequacy, idta, uk_addendum, none or unknown")
    tra_reference = Varchar(length=100, default="", help_text="transfer risk assessment reference")
    # The supplier's access to our systems is restricted and monitored (CAF A4.a NA4).
    access_monitored = Boolean(default=False)
    # The supplier's systems connect to our network, and whether that connection is assured (PA5).
    third_party_connection = Boolean(default=False)
    connection_assured = Boolean(default=False)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None, index=True)


class ProductService(Table):
    """A product or service a supplier delivers, under a contract where known."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    contract = ForeignKey(references=Contract, null=True, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200, required=True)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class QuestionnaireDefinition(Table):
    """A questionnaire exactly as sent: assessments point at the version they used."""

    key = Varchar(length=100, required=True, index=True)
    version = Varchar(length=40, required=True)
    title = Varchar(length=200, required=True)
    content_hash = Varchar(length=64, unique=True, required=True)
    content = JSON(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class Assessment(Table):
    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    contact = ForeignKey(references=SupplierContact, on_delete=OnDelete.restrict)
    definition = ForeignKey(references=QuestionnaireDefinition, on_delete=OnDelete.restrict)
    status = Varchar(length=30, default="draft", index=True)
    link_hash = Varchar(length=64, null=True, default=None, unique=True, secret=True)
    link_nonce = Varchar(length=64, default="", secret=True,
                         help_text="Random value the link is derived from (with a server key); "
                                   "a new one on reissue")
    link_expires_at = Timestamptz(null=True, default=None)
    due_date = Date(null=True, default=None, index=True)
    reminder_stage = Varchar(length=20, default="")
    sent_by = Varchar(length=150, default="")
    sent_at = Timestamptz(null=True, default=None)
    opened_at = Timestamptz(null=True, default=None)
    submitted_at = Timestamptz(null=True, default=None)
    decided_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
    assigned_to = ForeignKey(references=BaseUser, null=True, default=None,
                             on_delete=OnDelete.set_null, index=True,
                             help_text="the reviewer this submission waits on")
    assigned_at = Timestamptz(null=True, default=None)
    review_comment = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class EvidenceFile(Table):
    """An uploaded file: stored under a key built from its content hash, never its name."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    assessment = ForeignKey(references=Assessment, null=True, on_delete=OnDelete.restrict,
                            index=True)
    question_id = Varchar(length=100, default="")
    storage_key = Varchar(length=200, required=True)
    filename = Varchar(length=255, required=True)
    content_type = Varchar(length=100, required=True)
    size = BigInt(default=0)
    sha256 = Varchar(length=64, required=True)
    uploaded_by = Varchar(length=150, default="")
    uploaded_at = Timestamptz(default=TimestamptzNow())
    withdrawn_at = Timestamptz(null=True, default=None)


class ContractDocument(Table):
    contract = ForeignKey(references=Contract, on_delete=OnDelete.restrict, index=True)
    evidence = ForeignKey(references=EvidenceFile, on_delete=OnDelete.restrict)
    breach_notification_hours = Integer(null=True, default=None)
    scanned_at = Timestamptz(null=True, default=None)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class ClauseDefinition(Table):
    """The clause library (loaded from portal/contracts definitions)."""

    key = Varchar(length=60, unique=True, required=True)
    title = Varchar(length=200, required=True)
    description = Text(default="")
    legal_basis = Text(default="")
    required_when = Varchar(length=40, default="recommended")
    model_clause = Text(default="")


class ContractClause(Table):
    """One per (contract, key): a unique index made by the migration."""

    contract = ForeignKey(references=Contract, on_delete=OnDelete.restrict, index=True)
    key = Varchar(length=60, required=True, index=True)
    status = Varchar(length=20, default="missing",
                     help_text="present, partial, missing or not_applicable")
    location = Varchar(length=200, default="")
    excerpt = Text(default="")
    note = Text(default="")
    source = Varchar(length=10, default="scan", help_text="scan or manual")
    hours = Integer(null=True, default=None,
                    help_text="breach window a reviewer recorded by hand (0 = immediately)")
    updated_by = Varchar(length=150, default="")
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())


class Certification(Table):
    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    scheme = Varchar(length=30, required=True, index=True,
                     help_text="dspt, cyber_essentials, cyber_essentials_plus, iso27001 or other")
    status = Varchar(length=100, default="")
    certificate_number = Varchar(length=100, default="")
    edition = Varchar(length=20, default="")
    certification_body = Varchar(length=200, default="")
    accreditation_body = Varchar(length=100, default="")
    legal_entity = Varchar(length=200, default="")
    scope = Text(default="")
    issued_on = Date(null=True, default=None)
    expires_on = Date(null=True, default=None, index=True)
    audited_on = Date(null=True, default=None)
    ods_code = Varchar(length=20, default="")
    scheme_name = Varchar(length=200, default="",
                          help_text="for scheme 'other': the scheme, e.g. BS EN 15713")
    verification = Varchar(length=30, default="self_declared")
    # unique (an index made by the migration): what created it, e.g. answers:<assessment>:iso27001
    source_key = Varchar(length=160, null=True, default=None)
    verified_by = Varchar(length=150, default="")
    verified_at = Timestamptz(null=True, default=None)
    verification_checked = Text(default="", help_text="what the reviewer looked up")
    flags_cleared = JSON(default="[]", help_text="coverage flags a reviewer cleared, with who and why")
    evidence = ForeignKey(references=EvidenceFile, null=True, on_delete=OnDelete.restrict)
    notes = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)


class DsptRegisterEntry(Table):
    """A row of the public DSPT organisation search export, imported by a person."""

    ods_code = Varchar(length=20, unique=True, required=True)
    organisation_name = Varchar(length=300, default="")
    status = Varchar(length=100, default="")
    published_on = Date(null=True, default=None)
    primary_sector = Varchar(length=200, default="")
    icb = Varchar(length=200, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class Answer(Table):
    """One per (assessment, question_id): a unique index made by the migration."""

    assessment = ForeignKey(references=Assessment, on_delete=OnDelete.restrict, index=True)
    question_id = Varchar(length=100, required=True)
    value = JSON(default="null")
    comment = Text(default="")
    version = Integer(default=1)
    open_for_clarification = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())
    # Pre-filled from earlier answers (issue #16 item 4): "bundle_verified" (a bundle signed
    # by a key on our trust list), "bundle_unverified" (a well-formed bundle whose key we
    # don't trust), "previous" (our own earlier accepted assessment); "" when typed here.
    prefill_kind = Varchar(length=20, default="")
    prefill_source = Varchar(length=300, default="")  # "North Moor ICB, accepted 3 March 2026"
    prefill_value = JSON(default="null", null=True)  # as pre-filled: changed if value differs
    prefill_reviewed_at = Timestamptz(default=None, null=True)  # its section saved since


class AnswerReview(Table):
    assessment = ForeignKey(references=Assessment, on_delete=OnDelete.restrict, index=True)
    question_id = Varchar(length=100, default="")
    decision = Varchar(length=20, required=True)
    comment = Text(default="")
    reviewer = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class ClarificationReply(Table):
    """The supplier's written reply to one reviewer query (one reply per query, a unique
    column): with the queries and decisions in AnswerReview it makes each answer's thread."""

    assessment = ForeignKey(references=Assessment, on_delete=OnDelete.restrict, index=True)
    question_id = Varchar(length=100, required=True)
    query = ForeignKey(references=AnswerReview, on_delete=OnDelete.restrict, unique=True)
    body = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Risk(Table):
    """A risk, dispute or incident involving a supplier."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=20, default="risk", help_text="risk, dispute or incident")
    title = Varchar(length=200, required=True)
    description = Text(default="")
    severity = Varchar(length=10, default="medium", help_text="low, medium or high")
    data_security_risk = Text(default="")
    owner = Varchar(length=150, default="")
    mitigation = Text(default="")
    status = Varchar(length=20, default="open", help_text="open, mitigated or closed")
    # unique (an index made by the migration: SQLite can't add a UNIQUE column)
    source_key = Varchar(length=160, null=True, default=None,
                         help_text="what opened it automatically, e.g. knockout:<assessment>:<question>")
    assessment_id = Integer(null=True, default=None)
    question_id = Varchar(length=100, default="")
    criterion = Varchar(length=200, default="", help_text="the criterion a knock-out breaks")
    gate = Varchar(length=60, default="", help_text="the gate this risk records, if any")
    accepted_by = Varchar(length=150, default="")
    accepted_role = Varchar(length=60, default="")
    accepted_reason = Text(default="")
    accepted_until = Date(null=True, default=None)
    accepted_at = Timestamptz(null=True, default=None)
    opened_on = Date(null=True, default=None)
    closed_on = Date(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SubProcessor(Table):
    """A supplier's sub-processor (UK GDPR Art 28(2)/(4)): who else handles our data, where."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=200, required=True)
    service = Varchar(length=300, default="", help_text="what it does for the supplier")
    data_processed = Text(default="", help_text="which of our data it processes")
    location = Varchar(length=200, default="", help_text="countries where it processes our data")
    transfer_mechanism = Varchar(length=20, default="unknown",
                                 help_text="uk, adequacy, idta, uk_addendum, none or unknown")
    tra_reference = Varchar(length=100, default="")
    since = Date(null=True, default=None)
    until = Date(null=True, default=None, help_text="when it stopped (kept for the record)")
    notes = Text(default="")
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    archived_at = Timestamptz(null=True, default=None)


class Attestation(Table):
    """The IG lead's answer to a CAF statement the records can't show (e.g. A4.a NA5: IG is
    part of procurement), for one toolkit year. Append-only: the latest row per (year,
    statement) is the answer; earlier ones stay as the record of who said what when."""

    toolkit_year = Varchar(length=7, required=True, index=True, help_text="e.g. 2026-27")
    statement_id = Varchar(length=10, required=True, help_text="e.g. NA5 (frameworks.yaml)")
    value = Boolean(help_text="whether the statement is true for the organisation")
    note = Text(default="", help_text="what the IG lead relies on")
    attested_by = Varchar(length=150, required=True)
    role = Varchar(length=60, default="IG lead")
    attested_at = Timestamptz(default=TimestamptzNow(), index=True)


class PackApproval(Table):
    """A sign-off of the DSPT evidence pack: which version (per toolkit year, numbered in
    order; one version is one content: category, "as at" date and manifest hash) was approved,
    by whom and in which capacity. One approval per role per version."""

    toolkit = Varchar(length=7, required=True, index=True, help_text="toolkit year, e.g. 2026-27")
    category = Integer(default=1, help_text="DSPT organisation category the pack answered for")
    as_at = Date(required=True, help_text="the date the pack's records stood at")
    version = Integer(required=True, help_text="version of the pack for this toolkit year")
    manifest_sha256 = Varchar(length=64, required=True,
                              help_text="SHA-256 over the pack's manifest: what was signed")
    approver_name = Varchar(length=200, required=True)
    role = Varchar(length=10, required=True, help_text="ig_lead or siro")
    approved_at = Timestamptz(default=TimestamptzNow())
    approved_by = Varchar(length=150, default="", help_text="the staff user who recorded it")
    approval_key = Varchar(length=40, unique=True, required=True,
                           help_text="toolkit:version:role (one approval per role per version)")


class NoticeLink(Table):
    """A supplier's standing link for sub-processor change notices (UK GDPR Art 28(2)):
    derived like assessment links (portal/assessments/links.py), only its SHA-256 and the
    nonce kept; one per supplier, revocable (a new nonce)."""

    supplier = ForeignKey(references=Supplier, unique=True, on_delete=OnDelete.restrict)
    link_hash = Varchar(length=64, null=True, default=None, unique=True, secret=True)
    link_nonce = Varchar(length=64, default="", secret=True)
    created_by = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)


class SubProcessorNotice(Table):
    """A supplier's notice of an intended sub-processor change, with our objection window."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    change = Varchar(length=10, default="add", help_text="add, replace or remove")
    subprocessor = ForeignKey(references=SubProcessor, null=True, on_delete=OnDelete.restrict,
                              help_text="the one replaced or removed")
    name = Varchar(length=200, default="")
    service = Varchar(length=300, default="")
    data_processed = Text(default="")
    location = Varchar(length=200, default="")
    transfer_mechanism = Varchar(length=20, default="unknown")
    tra_reference = Varchar(length=100, default="")
    intended_start = Date(required=True, index=True)
    received_at = Timestamptz(default=TimestamptzNow())
    source = Varchar(length=10, default="link", help_text="link (the supplier) or staff (from an email)")
    source_detail = Text(default="", help_text="who recorded it and from what")
    objection_deadline = Date(required=True, index=True)
    status = Varchar(length=20, default="open", index=True, help_text="open, decided, applied or withdrawn")
    decision = Varchar(length=30, default="",
                       help_text="no_objection, objection or accepted_with_conditions")
    decision_reasons = Text(default="")
    decided_by = Varchar(length=150, default="")
    decided_at = Timestamptz(null=True, default=None)
    reminded_at = Timestamptz(null=True, default=None)
    applied_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)


class TrustedIssuer(Table):
    """Another organisation's bundle-signing public key, trusted once a person has compared
    its fingerprint with the one the organisation gave them (confirmed_at)."""

    organisation_name = Varchar(length=200, required=True)
    ods_code = Varchar(length=20, default="")
    key_id = Varchar(length=16, unique=True, required=True)
    public_key = Varchar(length=64, required=True, help_text="base64 of the raw Ed25519 key")
    fingerprint = Varchar(length=64, required=True, help_text="SHA-256 of the raw key, hex")
    added_by = Varchar(length=150, default="")
    added_at = Timestamptz(default=TimestamptzNow())
    confirmed_by = Varchar(length=150, default="")
    confirmed_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class ReusedAssessment(Table):
    """An assessment another organisation accepted, imported from its signed bundle."""

    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    bundle_id = Varchar(length=64, unique=True, required=True)
    issuer = ForeignKey(references=TrustedIssuer, on_delete=OnDelete.restrict)
    issuer_name = Varchar(length=200, default="")
    issuer_ods_code = Varchar(length=20, default="")
    key_id = Varchar(length=16, default="")
    definition = ForeignKey(references=QuestionnaireDefinition, on_delete=OnDelete.restrict)
    accepted_at = Timestamptz(required=True)
    decided_by = Varchar(length=150, default="")
    expires_on = Date(required=True, index=True)
    answers = JSON(default="[]", help_text="question_id, value, comment, reviewer decision")
    certifications = JSON(default="[]")
    files = JSON(default="[]", help_text="name, type, size, SHA-256 (and storage key if included)")
    imported_by = Varchar(length=150, default="")
    imported_at = Timestamptz(default=TimestamptzNow())


class SupplierScore(Table):
    supplier = ForeignKey(references=Supplier, unique=True, on_delete=OnDelete.restrict)
    score = Integer(null=True, default=None, index=True)
    rating = Varchar(length=10, default="red", index=True)
    tier = Varchar(length=10, default="baseline", index=True)
    breakdown = JSON(default="[]")
    fingerprint = Varchar(length=40, default="", help_text="SHA-1 of the breakdown, to skip unchanged writes")
    computed_at = Timestamptz(default=TimestamptzNow())
    # the 'contracted' criterion is not met (from the breakdown, kept so the dashboard counts
    # clause gaps without reading every breakdown); NULL: not rescored since the column came
    contract_gap = Boolean(null=True, default=None)


class AuditEvent(Table):
    """Append-only record of every change: who, what, before and after."""

    occurred_at = Timestamptz(default=TimestamptzNow(), index=True)
    actor = Varchar(length=150, default="system")
    actor_type = Varchar(length=20, default="system", help_text="staff, token, supplier or system")
    action = Varchar(length=60, required=True, index=True)
    target_type = Varchar(length=40, default="")
    target_id = Varchar(length=40, default="", index=True)
    supplier_id = Integer(null=True, default=None, index=True)
    before = JSON(default="null")
    after = JSON(default="null")
    request_id = Varchar(length=64, default="")
    prev_hash = Varchar(length=64, default="")
    hash = Varchar(length=64, default="", help_text="SHA-256 over this event and prev_hash")
    # Unique through an index the migration makes (SQLite can't add a UNIQUE column).
    seq = BigInt(null=True, default=None,
                 help_text="place in the hash chain; empty until the event is sealed")
    txid = BigInt(null=True, default=None,
                  help_text="PostgreSQL transaction that wrote the event (sealing waits for it)")


class OutboundEmail(Table):
    """The outbox: written in the same transaction as the change that sends it."""

    to_address = Varchar(length=254, required=True)
    subject = Varchar(length=300, required=True)
    body = Text(default="")
    status = Varchar(length=20, default="queued", index=True,
                     help_text="queued, sending, sent, logged or failed")
    # While `sending`, next_attempt_at is the end of the sender's lease: a row still sending
    # after it (the worker died) goes back to the queue.
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    last_error = Text(default="")
    related_type = Varchar(length=40, default="")
    related_id = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class SavedFilter(Table):
    """A supplier-list filter a staff member saved by name (one name per person: a unique
    index made by the migration)."""

    user = ForeignKey(references=BaseUser, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=80, required=True)
    query = Varchar(length=1000, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Campaign(Table):
    """One questionnaire sent to every supplier a filter matched (e.g. annual reassessment)."""

    name = Varchar(length=200, required=True)
    definition_key = Varchar(length=100, required=True,
                             help_text="the questionnaire sent, or 'tier-bundle': each "
                                       "supplier's tier's required questionnaires")
    filter = JSON(default="{}", help_text="the filter that chose the suppliers, as chosen")
    due_date = Date(null=True, default=None)
    request_key = Varchar(length=64, unique=True, required=True,
                          help_text="one per Send press: a second press finds the first campaign")
    status = Varchar(length=20, default="sending", help_text="sending or sent")
    created_by = Varchar(length=150, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class CampaignMember(Table):
    """A supplier and one questionnaire in a campaign, once (a unique index on campaign,
    supplier and definition_key): a tier's bundle gives a supplier one row per questionnaire."""

    campaign = ForeignKey(references=Campaign, on_delete=OnDelete.restrict, index=True)
    supplier = ForeignKey(references=Supplier, on_delete=OnDelete.restrict, index=True)
    definition_key = Varchar(length=100, default="", help_text="the questionnaire this row sends")
    contact = ForeignKey(references=SupplierContact, on_delete=OnDelete.restrict, null=True)
    assessment = ForeignKey(references=Assessment, on_delete=OnDelete.restrict, null=True,
                            default=None, index=True)
    status = Varchar(length=20, default="pending", help_text="pending, sent or skipped")
    reason = Varchar(length=300, default="")
    updated_at = Timestamptz(default=TimestamptzNow())


class FailedAttempt(Table):
    """Wrong supplier links and failed sign-ins, counted in the database so that every worker
    process sees the same count. Short-lived: rows older than a day are pruned."""

    scope = Varchar(length=20, required=True, help_text="link, sign_in or second_factor")
    key = Varchar(length=200, required=True, index=True, help_text="a client address or a username")
    at = Timestamptz(default=TimestamptzNow())


# In dependency order: a table comes after every table it references.
ALL_TABLES: list[type[Table]] = [
    Organisation,
    StaffMember,
    VerifiedSession,
    ApiToken,
    Supplier,
    SupplierContact,
    Contract,
    ProductService,
    QuestionnaireDefinition,
    Assessment,
    EvidenceFile,
    ContractDocument,
    ClauseDefinition,
    ContractClause,
    Certification,
    DsptRegisterEntry,
    Answer,
    AnswerReview,
    ClarificationReply,
    Risk,
    SubProcessor,
    Attestation,
    PackApproval,
    NoticeLink,
    SubProcessorNotice,
    TrustedIssuer,
    ReusedAssessment,
    SupplierScore,
    AuditEvent,
    OutboundEmail,
    SavedFilter,
    FailedAttempt,
    Campaign,
    CampaignMember,
]
