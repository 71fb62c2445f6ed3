"""Recognising clauses in contract text: obligations, not keywords.

The rules are data (clauses.yaml, one entry per clause key: the concept's phrasings, what else
the sentence must say, what excludes it, what makes it complete); this module applies them to
the document model of reader.py / pdf.py:

- sentences are split as a lawyer reads them (not at "Art." or "(a)"), and a list item is
  read together with its lead-in ("The Processor shall: (a) …");
- the document's own defined terms are collected and read as what they stand for
  ("Protected Data" means Personal Data; "Protective Measures" are technical and
  organisational measures; "Data Loss Event" is a personal data breach), and the supplier's
  own names ("GitHub", "Provider", "we") are known as the supplier;
- only the supplier's duties count: a duty the customer owes the supplier is not the
  supplier's clause, and a breach window the customer must meet is not the supplier's window;
- a definition, a negation ("is not required to"), a permission or a mention is not an
  obligation; a document that says it is not binding (or is a privacy notice) imposes
  nothing; a reference to a schedule that is not in the document is not the clause;
- qualified obligations ("reasonable endeavours", "where the Supplier considers it
  relevant") and incomplete ones (no "at the controller's choice") are partial, with the
  reason.

Plain Python and regular expressions: no NLP library earns its place here. Sentence
segmentation for contracts needs contract-specific abbreviations and list markers that
general segmenters (NLTK's Punkt needs a downloaded model; pysbd, syntok) get wrong on
"Art. 28(3)(a)" and "(a) …; (b) …", and the morphology needed is a handful of word families
that the rules spell out (notify/notifies/notification).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from portal.contracts.library import KEYS, Clause, library
from portal.contracts.reader import TOO_LARGE, Block, ContractTooLarge, UnreadableContract

# A scan never takes longer than this (the reader's size bounds normally stop it first).
MAX_SCAN_SECONDS = 10.0

_MODAL = (r"shall|must|will|agrees?\s+to|undertakes?\s+to|(?:is|are)\s+(?:required|obliged|obligated|"
          r"responsible\s+for|to)\b|ensures?|commits?\s+to|warrants?|needs?\s+to|has\s+to|have\s+to|"
          r"covenants?|promises?\s+to")
OBLIGATION = re.compile(
    rf"\b(?:{_MODAL})\b|\b(?:data|information)(?:\s*\([^)]{{0,40}}\))?\s+(?:is|are)\s+(?:not\s+|only\s+|always\s+)?"
    r"(?:stored|transferred|processed|hosted|kept|held|encrypted|deleted|returned|located)\b", re.IGNORECASE)
NOT_AN_OBLIGATION = re.compile(
    r"\b(not\s+(be\s+)?(required|obliged|obligated|expected|bound|need(ed)?)\s+to|"
    r"no\s+(obligation|requirement|duty)\s+to|need\s+not|under\s+no\s+obligation|"
    r"(is|are|shall\s+be|will\s+be)\s+exempt(ed)?\s+from|does\s+not\s+need\s+to|"
    r"do\s+not\s+need\s+to|waives?\b|is\s+not\s+necessary|shall\s+not\s+apply|"
    r"will\s+not\s+apply|does\s+not\s+apply|not\s+(be\s+)?responsible\s+for|"
    r"(?:is|are)\s+not\s+subject\s+to|(?:does|do)\s+not\s+(?:ensure|guarantee|provide|maintain|offer)|"
    r"at\s+(its|the\s+supplier's|our)\s+(sole\s+)?discretion|may\s+be\s+discussed)", re.IGNORECASE)
DEFINITION = re.compile(
    r"^\s*(\d+(\.\d+)*\.?\s+)?[\"'][A-Z][\w\s\-/()]{0,60}?[\"']?\s+"
    r"(means|shall\s+mean|has\s+the\s+meanings?|have\s+the\s+meanings?|includes|is\s+defined\s+as|refers\s+to)\b"
    r"|^\s*(\d+(\.\d+)*\.?\s+)?[A-Z][\w\-/()]*(\s+[A-Z][\w\-/()]*){0,5}\s+(means|shall\s+mean|has\s+the\s+meanings?)\b")
QUALIFIED = re.compile(
    r"\b(where\s+the\s+\w+\s+considers\s+(it\s+)?(relevant|appropriate|necessary)|"
    r"(commercially\s+)?reasonable\s+(endeavours|endeavors|efforts)|best\s+(endeavours|efforts)|"
    r"where\s+(practicable|possible|feasible)|to\s+the\s+extent\s+(practicable|possible|feasible|"
    r"reasonably\s+practicable)|insofar\s+as\s+(is\s+)?(practicable|feasible))\b", re.IGNORECASE)
NOT_BINDING = re.compile(
    r"\b(does\s+not\s+form\s+(any\s+)?part\s+of\s+(a|any|the|your|our)\s+(contract|agreement)|"
    r"is\s+not\s+(a\s+)?(legally\s+|contractually\s+)binding|not\s+contractually\s+binding|"
    r"does\s+not\s+create\s+(any\s+)?(contractual|legal)\s+(obligations|rights))", re.IGNORECASE)
NOTICE_TITLE = re.compile(
    r"\b(privacy\s+(policy|notice|statement)|cookie\s+(policy|notice)|how\s+we\s+(use|look\s+after)\s+"
    r"your\s+(personal\s+)?(data|information))\b", re.IGNORECASE)
CONTRACT_TITLE = re.compile(
    r"\b(agreement|addendum|contract|terms\s+of\s+service|schedule|terms\s+and\s+conditions|clauses)\b",
    re.IGNORECASE)

SUPPLIER_WORDS = (r"supplier|processor|data\s+processor|(?:service\s+)?provider|contractor|vendor|"
                  r"data\s+importer|sub-?processor|we|us")
CUSTOMER_WORDS = (r"customer|buyer|client|controller|data\s+controller|(?:relevant\s+)?authority|ccs|"
                  r"purchaser|trust|council|commissioner|data\s+exporter|you|user|subscriber|licensee")

WORD_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90, "hundred": 100,
}
_PERIOD = re.compile(
    r"(?P<words>(?:(?:[a-z]+)[\s-]){0,3})\(?\s*(?P<digits>\d{1,3})?\s*\)?\s*"
    r"(?P<business>business\s+|working\s+|calendar\s+|clear\s+)?(?P<unit>hours?|hrs?|days?)\b",
    re.IGNORECASE)
IMMEDIATE = re.compile(
    r"\b(?:(?:notify|inform|tell|report|alert|advise)\w*\b(?:\W+(?!and\b|or\b|then\b)\w+){0,4}?\W+immediately|"
    r"immediately\s+(?:notify|inform|tell|report|alert|advise|give\s+notice)|"
    r"immediate\s+(?:notice|notification|written\s+notice))\b", re.IGNORECASE)

_ABBREVIATIONS = re.compile(
    r"\b(arts?|nos?|cl|paras?|secs?|ss|e\.g|i\.e|etc|inc|ltd|co|corp|plc|llc|u\.s|u\.k|vs?|viz|cf|"
    r"approx|incl|regs?|sch|pt|ch|mr|mrs|ms|dr|st|pp?|fig|et\s+al|no|art)\.(?=\s)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[(\"“'‘A-Z0-9•])")
_INLINE_ITEM = re.compile(r"(?:(?<=:)|(?<=;)|(?<=;\sand)|(?<=;\sor)|(?<=,\sand)|(?<=,\sor))\s+"
                          r"(?=\(?(?:[a-z]{1,2}|[ivxl]{1,5}|\d{1,2})\)\s)")
_REFERENCE = re.compile(
    r"\b(?:(?:joint|call-off|call\s+off|framework|order\s+form)\s+)?(schedules?|annex(?:es)?|appendix|appendices|"
    r"attachments?|exhibits?)\s+([A-Z0-9]{1,4}(?:\.\d+)?)\b", re.IGNORECASE)
_REFERENCE_TITLED = re.compile(_REFERENCE.pattern + r"(?:\s*\([^)]{0,80}\))?", re.IGNORECASE)
_EXTERNAL = re.compile(
    r"\b(?:of|in|under)\s+the\s+(?:services|master|main|principal|customer|subscription|underlying)\s+"
    r"agreement\b|\bcover\s+page\b|\border\s+form\b", re.IGNORECASE)


_PROVISO = re.compile(r"[;,]?\s*provided(?:,?\s+however,?)?\s+that\b|[;,]\s*except\s+(?:that|where)\b",
                      re.IGNORECASE)


def _normalise(text: str) -> str:
    text = (text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
            .replace("\u00a0", " ").replace("‐", "-").replace("‑", "-"))
    text = re.sub(r"\bArts?\.\s*(?=\d)", "Article ", text, flags=re.IGNORECASE)  # "Art. 33 and 34"
    return re.sub(r"\borgani[sz]ation(al)?\b", lambda m: "organisation" + (m.group(1) or ""), text,
                  flags=re.IGNORECASE)


@dataclass
class Finding:
    key: str
    status: str  # present, partial, missing
    location: str = ""
    excerpt: str = ""
    reason: str = ""

    @property
    def present(self) -> bool:
        return self.status in ("present", "partial")


@dataclass
class ScanResult:
    clauses: list[Finding] = field(default_factory=list)
    # 0 means "immediately" (full credit in the scoring rules); None means no stated window.
    breach_notification_hours: int | None = None
    breach_immediate: bool = False
    breach_wording: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def breach_hours_reported(self) -> int | None:
        return None if self.breach_immediate else self.breach_notification_hours

    def as_json(self) -> dict:
        return {
            "clauses": [{"key": f.key, "present": f.present, "status": f.status,
                         "location": f.location or None, "excerpt": f.excerpt or None,
                         "reason": f.reason or None}
                        for f in self.clauses],
            "breach_notification_hours": self.breach_hours_reported,
            "breach_notification_immediate": self.breach_immediate,
            "breach_notification_wording": self.breach_wording or None,
            "notes": self.notes,
        }

    def by_key(self) -> dict[str, Finding]:
        return {f.key: f for f in self.clauses}


def _words_to_number(words: str) -> int | None:
    total = 0
    found = False
    for word in re.split(r"[\s-]+", words.lower().strip()):
        if word in WORD_NUMBERS:
            value = WORD_NUMBERS[word]
            total = total * value if value == 100 and total else total + value
            found = True
        elif found:
            break
        else:
            total, found = 0, False
    return total if found else None


_PERIOD_DIGITS = re.compile(
    r"\b(?P<digits>\d{1,3})\s*(?:\([a-z\s-]+\)\s*)?-?\s*(?P<business>business\s+|working\s+|calendar\s+)?"
    r"(?P<unit>hours?|hrs?|h|days?)\b", re.IGNORECASE)


def hours_in(text: str) -> int | None:
    """The shortest stated period, in hours: '48 hours', 'forty-eight (48) hours', '2 days',
    '24 (twenty-four) hours', '24h', 'a 48-hour period'.

    Days and business (working) days count 24 hours each, as the labelling rules do.
    """
    best: int | None = None
    for match in _PERIOD_DIGITS.finditer(text):
        number = int(match.group("digits"))
        hours = number * 24 if match.group("unit").lower().startswith("day") else number
        if 0 < hours <= 24 * 30:
            best = hours if best is None else min(best, hours)
    for match in _PERIOD.finditer(text):
        number = int(match.group("digits")) if match.group("digits") else None
        if number is None:
            tail = match.group("words") or ""
            number = _words_to_number(tail)
        if not number:
            continue
        unit = match.group("unit").lower()
        hours = number * 24 if unit.startswith("day") else number
        if 0 < hours <= 24 * 30:
            best = hours if best is None else min(best, hours)
    return best


def sentences(text: str) -> list[str]:
    protected = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", "\x00"), text)
    parts = _SENTENCE_END.split(protected)
    return [p.replace("\x00", ".").strip() for p in parts if len(p.strip()) > 3]


def _items(sentence: str) -> list[str]:
    """An inline list read as lead-in + item: 'shall: (a) X; (b) Y' → 'shall: (a) X', 'shall: (b) Y'."""
    parts = _INLINE_ITEM.split(sentence)
    if len(parts) < 2 or not parts[0].rstrip().endswith(":"):
        return [sentence]
    lead = parts[0].strip()
    return [sentence] + [f"{lead} {item.strip()}" for item in parts[1:] if item.strip()]


@dataclass
class Unit:
    text: str          # the sentence as written, with its lead-in
    analysis: str      # normalised, defined terms read as what they stand for
    location: str
    block: int
    whole_table: bool = False
    in_table: bool = False
    heading: bool = False
    section: str = ""
    lower: str = ""

    def __post_init__(self) -> None:
        self.lower = self.analysis.lower()
        self.section = _normalise(self.section).lower()


@dataclass
class Vocabulary:
    """What this document calls things: its defined terms and the parties' names."""
    substitutions: list[tuple[str, str]] = field(default_factory=list)  # (defined term, meaning)
    supplier: re.Pattern = re.compile(rf"\b(?:the\s+)?(?:{SUPPLIER_WORDS})\b", re.IGNORECASE)
    customer: re.Pattern = re.compile(rf"\b(?:the\s+)?(?:{CUSTOMER_WORDS})\b", re.IGNORECASE)
    included: set[str] = field(default_factory=set)  # "schedule 7", "annex 1" … in this document
    _terms: re.Pattern | None = None
    _meaning: dict[str, str] = field(default_factory=dict)

    def read(self, text: str) -> str:
        text = _normalise(text)
        text = _DATA_NAMES.sub(lambda m: f"{m.group(0)} (personal data)", text)
        if self.substitutions:
            if self._terms is None:  # every defined term in one expression, longest first
                self._meaning = dict(self.substitutions)
                alternatives = sorted(self._meaning, key=len, reverse=True)
                self._terms = re.compile(
                    r"\b(" + "|".join(re.escape(t) for t in alternatives) + r")s?\b(?!\s*\()")
            text = self._terms.sub(lambda m: f"{m.group(0)} ({self._meaning[m.group(1)]})", text)
        return text


# What contracts call the customer's personal data without always defining it.
_DATA_NAMES = re.compile(
    r"\b(?:customer|client|controller|buyer|authority|government|protected)(?:'s)?\s+"
    r"(?:personal\s+)?(?:data|information|content)\b(?!\s*\()|\bpersonal\s+information\b(?!\s*\()",
    re.IGNORECASE)
_DEFINED = re.compile(r"[\"']([A-Z][\w\-/&]*(?:\s+[A-Za-z][\w\-/&]*){0,5})[\"']")
_PARTY_ALIAS = re.compile(
    r"\b([A-Z][\w&.,\- ]{1,60}?)\s*\((?:hereinafter\s+)?(?:the\s+)?[\"']([A-Z0-9][\w\- ]{0,30})[\"']"
    r"(?:,?\s+(?:or|and)\s+[\"'](\w+)[\"'])?", re.UNICODE)
# A defined term is read as the concept its definition names, when its head noun is of that kind
# ("Data Loss Event" means … unauthorised access to Personal Data → a personal data breach).
_MEANINGS = [
    ({"event", "incident", "breach"},
     re.compile(r"personal\s+data\s+breach|unauthori[sz]ed\s+(access|disclosure|processing)|accidental\s+"
                r"(or\s+unlawful\s+)?(loss|destruction)|loss\s+of\s+(personal\s+)?data|security\s+(incident|breach)",
                re.IGNORECASE), "personal data breach"),
    ({"measure", "safeguard", "control"},
     re.compile(r"technical\s+and\s+organi[sz]ational|security\s+measures|protect", re.IGNORECASE),
     "technical and organisational measures"),
    ({"data", "information"},
     re.compile(r"\bpersonal\s+data\b|\bpersonal\s+information\b", re.IGNORECASE), "personal data"),
    ({"clause", "scc", "addendum"},
     re.compile(r"standard\s+contractual\s+clauses|transfer", re.IGNORECASE), "standard contractual clauses"),
    ({"subprocessor", "sub-processor", "processor", "subcontractor"},
     re.compile(r"sub-?processor|another\s+processor|third[- ]party|engaged\s+by", re.IGNORECASE), "sub-processor"),
]
_NOT_A_NAME = {
    "the", "each", "either", "party", "parties", "neither", "it", "this", "such", "any", "no", "data",
    "personal", "that", "which", "who", "they", "there", "these", "those", "all", "nothing", "agreement",
    "dpa", "addendum", "clause", "section", "schedule", "annex", "law", "laws", "you", "we", "i", "he",
    "she", "a", "an", "if", "where", "and", "or", "notice", "services", "service", "contract",
}
_SUBJECT = re.compile(r"(?<![\w.])([A-Z0-9][\w&\-]*[A-Za-z0-9])\s+(?:shall|will|must|agrees|undertakes|"
                      r"maintains|implements|uses|ensures|provides|has|may)\b")


def vocabulary(blocks: list[Block]) -> Vocabulary:
    vocab = Vocabulary()
    supplier_names: set[str] = set()
    customer_names: set[str] = set()
    unknown: list[list[str]] = []
    seen: set[str] = set()
    for block in blocks:
        text = _normalise(block.text)
        # Definitions: '"Protected Data" means …', '"Data Loss Event": any event …'
        for match in _DEFINED.finditer(text[:300]):
            term = match.group(1).strip()
            tail = text[match.end(): match.end() + 400]
            if not re.match(r"\s*(?:\)|,)?\s*(means|shall\s+mean|has\s+the\s+meaning|:|-|–|is|refers\s+to|includes)",
                            tail, re.IGNORECASE):
                continue
            if term.lower() in seen or len(term) < 3:
                continue
            head = term.split()[-1].lower().rstrip("s")
            for heads, pattern, meaning in _MEANINGS:
                if head not in heads or meaning.lower() in term.lower():
                    continue
                if pattern.search(tail):
                    seen.add(term.lower())
                    vocab.substitutions.append((term, meaning))
                    break
        # Parties: 'GitHub, Inc. ("GitHub", "we")', 'Pydantic Services Inc. ("PSI")', '("Processor")'
        for match in _PARTY_ALIAS.finditer(text[:600]):
            names = [n for n in match.groups()[1:] if n]
            context = text[max(0, match.start() - 80): match.end() + 200].lower()
            near = (match.group(1) + " " + text[match.end(): match.end() + 40]).lower()
            role = _role_of(names[0], context, near)
            if role == "supplier":
                supplier_names.update(names)
            elif role == "customer":
                customer_names.update(names)
            elif names[0].lower() not in _NOT_A_NAME and len(names[0]) > 1:
                unknown.append(names)
    if customer_names and not supplier_names and len(unknown) == 1:
        supplier_names.update(unknown[0])  # two parties: the one that isn't the customer
    # The supplier's own name: the subject of most duties that is not a customer's word.
    counts: dict[str, int] = {}
    for block in blocks:
        for match in _SUBJECT.finditer(block.text):
            name = match.group(1)
            if name.lower() in _NOT_A_NAME or re.fullmatch(rf"(?:{CUSTOMER_WORDS})", name, re.IGNORECASE):
                continue
            if re.fullmatch(r"\d+(\.\d+)*", name):
                continue
            counts[name] = counts.get(name, 0) + 1
    if counts:
        top = max(counts.values())
        supplier_names.update(n for n, c in counts.items() if c >= max(3, top / 3))
    supplier_names -= {"Customer", "You"} | customer_names
    supplier_names = {n for n in supplier_names
                      if not re.fullmatch(rf"(?:{CUSTOMER_WORDS})", n, re.IGNORECASE)}
    if supplier_names:
        extra = "|".join(re.escape(n) for n in sorted(supplier_names, key=len, reverse=True))
        vocab.supplier = re.compile(rf"\b(?:the\s+)?(?:{SUPPLIER_WORDS}|{extra})\b", re.IGNORECASE)
    if customer_names:
        extra = "|".join(re.escape(n) for n in sorted(customer_names, key=len, reverse=True))
        vocab.customer = re.compile(rf"\b(?:the\s+)?(?:{CUSTOMER_WORDS}|{extra})\b", re.IGNORECASE)
    for block in blocks:
        if block.heading or len(block.text) < 160 or block.whole_table:
            head = block.text if not block.whole_table else block.text[:160]
            for match in _REFERENCE.finditer(head[:160]):
                if match.start() < 40:
                    vocab.included.add(_reference_key(match))
    return vocab


def _role_of(name: str, context: str, near: str = "") -> str | None:
    """A party's role from its short name, then its full name and the words just after the
    alias ('Northgate Trust ("Company", the customer)'), then the sentence around it."""
    lowered = name.lower()
    if re.search(rf"\b({SUPPLIER_WORDS})\b", lowered):
        return "supplier"
    if re.search(rf"\b({CUSTOMER_WORDS})\b", lowered):
        return "customer"
    near = re.split(r"\band\b|;", near.split(")", 1)[0] if ")" in near else near)[0]
    customer_near = re.search(r"\b(customer|controller|buyer|client|trust|council|authority|purchaser)\b", near)
    supplier_near = re.search(r"\b(supplier|processor|provider|vendor|contractor)\b", near)
    if customer_near and not supplier_near:
        return "customer"
    if supplier_near and not customer_near:
        return "supplier"
    if re.search(r"\b(processor|supplier|provider|service|we|us|our)\b", context) and not re.search(
            rf"^\s*(the\s+)?({CUSTOMER_WORDS})\b", lowered):
        return "supplier"
    return None


def _reference_key(match: re.Match) -> str:
    kind = match.group(1).lower().rstrip("s")
    kind = {"annexe": "annex", "appendice": "appendix"}.get(kind, kind)
    return f"{kind} {match.group(2).lower()}"


def _matches(patterns: Iterable[re.Pattern], text: str) -> int:
    return sum(1 for p in patterns if p.search(text))


def _first(patterns: Iterable[re.Pattern], text: str) -> re.Match | None:
    for pattern in patterns:
        match = pattern.search(text)
        if match:
            return match
    return None


_SUBJECT_VERB = re.compile(rf"\b(?:{_MODAL}|may)\b", re.IGNORECASE)


def _subject_is_customer(analysis: str, vocab: Vocabulary) -> bool:
    """Whether the party bound by the sentence's obligation is the customer, not the supplier."""
    verb = _SUBJECT_VERB.search(analysis)
    if verb is None:
        return False
    before = analysis[max(0, verb.start() - 120): verb.start()]
    # the last party named before the verb that is not an object ("to the Supplier", "of Customer")
    last_party, last_role = -1, None
    for role, pattern in (("supplier", vocab.supplier), ("customer", vocab.customer)):
        for match in pattern.finditer(before):
            preceding = before[max(0, match.start() - 12): match.start()].lower()
            if re.search(r"\b(to|of|by|from|with|for|on|against|and|behalf)\s*$", preceding):
                continue
            if re.match(r"[\s,]*'s\b|\s+(personal\s+)?(data|information|content|materials?|systems?)\b",
                        before[match.end(): match.end() + 24], re.IGNORECASE):
                continue  # "Customer's instructions", "Customer Personal Data": not a subject
            if match.start() > last_party:
                last_party, last_role = match.start(), role
    return last_role == "customer"


def _supplier_commits(analysis: str, vocab: Vocabulary) -> bool:
    """Present-tense commitments with the supplier as subject: 'Provider implements', 'We maintain'."""
    for match in vocab.supplier.finditer(analysis):
        rest = analysis[match.end(): match.end() + 40]
        if re.match(r"\s+(?:\w+ly\s+)?(?!is\b|was\b|may\b|might\b|can\b|could\b|would\b|uses?\s+cookies)"
                    r"(?:has\s+(?:entered|implemented|put|adopted|appointed|established)|\w{3,}s\b)",
                    rest, re.IGNORECASE):
            if match.group(0).strip().lower() in ("we", "us"):
                continue
            return True
        if match.group(0).strip().lower() == "we" and re.match(
                r"\s+(?:\w+ly\s+)?(?!may\b|might\b|can\b|could\b|would\b|are\b|were\b|have\s+been\b|do\s+not\b)"
                r"(?:have\s+(?:entered|implemented|put|adopted)|[a-z]{3,})\b", rest):
            return True
    return False


@dataclass(frozen=True)
class _Rule:
    """A clause's recognition as plain values (read once; pydantic attribute access is slow)."""
    key: str
    keywords: tuple[str, ...]
    rx: dict
    min_hints: int
    needs_obligation: bool
    reference_must_be_included: bool
    partial_reason: str
    section_hints: bool
    heading_counts: bool


@lru_cache(maxsize=1)
def _rules() -> tuple[_Rule, ...]:
    out = []
    for key, clause in library().items():
        r = clause.recognition
        out.append(_Rule(key, tuple(k.lower() for k in r.keywords), r.compiled(), r.min_hints,
                         r.needs_obligation, r.reference_must_be_included, r.partial_reason,
                         bool(r.section_hints), r.heading_counts))
    return tuple(out)


def _judge(clause: Clause | _Rule, unit: Unit, vocab: Vocabulary) -> tuple[str, str] | None:
    """('present' | 'partial' | 'negated' | 'reference', reason) for one unit, or None."""
    rule = clause if isinstance(clause, _Rule) else next(r for r in _rules() if r.key == clause.key)
    low = unit.lower
    if not any(k in low for k in rule.keywords):
        if not (rule.heading_counts and unit.section and any(k in unit.section for k in rule.keywords)):
            return None
        # "5. Security incidents" / "Provider will notify Customer within 48 hours.": the
        # heading names the subject the sentence is about.
        low = f"{unit.section}: {low}"
    rx = rule.rx
    text = unit.analysis
    topic = _matches(rx["topic"], low)
    by_reference = _first(rx["by_reference"], low) if rx["by_reference"] else None
    if topic >= rule.min_hints and _REFERENCE.search(text):
        # Is the concept carried only by a reference ("only in accordance with Schedule 9
        # (Processing Instructions)")? Then it counts only if the schedule is in the document.
        if _matches(rx["topic"], _REFERENCE_TITLED.sub(" the schedule ", low)) < rule.min_hints:
            by_reference, topic = by_reference or _REFERENCE.search(text), 0
    if topic < rule.min_hints and not by_reference:
        return None
    if rx["also"] and not _matches(rx["also"], low):
        return None
    if rx["exclude"] and _matches(rx["exclude"], low):
        return None
    if DEFINITION.search(_normalise(unit.text)) and not unit.whole_table:
        return None
    if NOT_AN_OBLIGATION.search(_PROVISO.split(text, maxsplit=1)[0]):
        return "negated", "The contract says this is not required."
    if rule.needs_obligation:
        if not (OBLIGATION.search(text) or _supplier_commits(text, vocab)):
            return None
        if _subject_is_customer(text, vocab):
            return None
    if rule.reference_must_be_included or (by_reference and topic < rule.min_hints):
        reference = _REFERENCE.search(text)
        if reference and _reference_key(reference) not in vocab.included:
            return "reference", (f"Refers to {reference.group(0)}, which is not in this document: "
                                 "upload the schedule too, or check it by hand.")
        if reference is None and _EXTERNAL.search(text) and rule.reference_must_be_included:
            return "reference", "Refers to another document that is not included."
        if reference is None and by_reference and topic < rule.min_hints:
            return "reference", f"Only refers to \"{by_reference.group(0)}\", defined elsewhere."
    qualified = QUALIFIED.search(text)
    if rx["complete"] and _matches(rx["complete"], low) < len(rx["complete"]):
        return "partial", rule.partial_reason or "An element of the clause is missing."
    if qualified and rule.needs_obligation:
        return "partial", f"The obligation is qualified (\"{qualified.group(0)}\")."
    return "present", ""


def _particulars(rule: _Rule, units: list[Unit]) -> Unit | None:
    """Processing particulars spread over a schedule's headed sections (or a table's rows)."""
    hints = rule.rx["section_hints"]
    if not hints:
        return None
    window = 14
    labels = [u for u in units if len(u.text) < 200 or u.heading]
    for start, unit in enumerate(labels):
        seen: set[int] = set()
        first: Unit | None = None
        for other in labels[start:]:
            if other.block - unit.block > window:
                break
            label = other.lower.lstrip(" -•0123456789.()\t").strip()
            for number, pattern in enumerate(hints):
                if pattern.match(label):
                    seen.add(number)
                    first = first or other
        if len(seen) >= rule.rx["section_min"]:
            return first
    return None


def _excerpt(text: str) -> str:
    return text if len(text) <= 400 else text[:397] + "…"


def units_of(blocks: list[Block], vocab: Vocabulary) -> list[Unit]:
    units: list[Unit] = []
    for index, block in enumerate(blocks):
        if block.whole_table:
            pieces = [block.text]
        elif block.in_table:
            pieces = [block.text, *sentences(block.text)]
        else:
            pieces = []
            for sentence in sentences(block.text):
                pieces.extend(_items(sentence))
        for piece in pieces:
            text = f"{block.lead_in} {piece}".strip() if block.lead_in else piece
            units.append(Unit(text, vocab.read(text), block.location, index,
                              block.whole_table, block.in_table, block.heading,
                              "" if block.heading else block.section))
    return units


def _genre(blocks: list[Block]) -> str | None:
    """Why this document imposes nothing at all, or None."""
    opening = " ".join(b.text for b in blocks[:4])[:600]
    title = next((b.text for b in blocks[:3] if b.heading), blocks[0].text if blocks else "")[:120]
    if (NOTICE_TITLE.search(opening) or re.search(r"\b(privacy|cookies?)\b", title, re.IGNORECASE)
            and not CONTRACT_TITLE.search(title)) and not re.search(
            r"\b(processing|processor)\s+(agreement|addendum|terms|schedule)|data\s+protection\s+"
            r"(agreement|addendum)", opening, re.IGNORECASE):
        return "This is a privacy notice, not a contract: it tells people about processing but binds no one."
    for block in blocks:
        if NOT_BINDING.search(block.text):
            return "The document says it is not binding, so it imposes no obligations."
    return None


def scan_blocks(blocks: list[Block], *, deadline: float | None = None) -> ScanResult:
    deadline = deadline if deadline is not None else time.monotonic() + MAX_SCAN_SECONDS
    rules = _rules()
    genre = _genre(blocks)
    if genre:
        return ScanResult(clauses=[Finding(k, "missing", reason=genre) for k in KEYS], notes=[genre])
    vocab = vocabulary(blocks)
    units = units_of(blocks, vocab)
    found: dict[str, tuple[Finding, int]] = {}
    negated: dict[str, Finding] = {}
    breach_units: list[int] = []
    for position, unit in enumerate(units):
        if position % 256 == 0 and time.monotonic() > deadline:
            raise ContractTooLarge(TOO_LARGE.format(what=f"{MAX_SCAN_SECONDS:.0f} seconds of scanning"))
        for rule in rules:
            key = rule.key
            if unit.whole_table and not rule.section_hints:
                continue  # a whole table only shows particulars (processing details)
            verdict = _judge(rule, unit, vocab)
            if verdict is None:
                continue
            status, reason = verdict
            finding = Finding(key, status, unit.location, _excerpt(unit.text), reason)
            if status in ("negated", "reference"):
                negated.setdefault(key, Finding(key, "missing", unit.location, finding.excerpt, reason))
                continue
            if key == "breach.notification":
                breach_units.append(position)
            rank = {"present": 2, "partial": 1}[status]
            current = found.get(key)
            if current is None or rank > current[1]:
                found[key] = (finding, rank)
    for rule in rules:
        key = rule.key
        if key not in found:
            unit = _particulars(rule, units)
            if unit is not None:
                found[key] = (Finding(key, "present", unit.location, _excerpt(unit.text),
                                      "The particulars are set out under their own headings."), 2)
    hours, immediate, wording = _breach_window(units, breach_units)
    result = ScanResult(breach_notification_hours=0 if immediate and hours is None else hours,
                        breach_immediate=immediate and hours is None, breach_wording=wording)
    for key in KEYS:
        entry = found.get(key)
        if entry is None:
            result.clauses.append(negated.get(key) or Finding(key, "missing",
                                                              reason="Not found in the contract."))
            continue
        finding = entry[0]
        if key == "breach.notification":
            finding = _grade_breach(finding, result)
        result.clauses.append(finding)
    return result


# Deadlines that are not the supplier's to the customer: the controller's to the regulator or to
# data subjects ("to enable the Customer to notify the ICO within 72 hours").
_NOT_OURS = re.compile(
    r"(?:supervisory\s+authorit\w*|information\s+commissioner\w*|commissioner|\bico\b|regulators?|"
    r"data\s+subjects?|(?:enable|allow|assist|help)\w*\s+(?:the\s+)?(?:customer|controller|buyer|authority)\s+to)"
    r"\W+(?:[\w'()]+\W+){0,10}?(?:within|no\s+later\s+than|not\s+later\s+than)\s+[^.;]{0,40}?\b(?:hours?|days?)\b",
    re.IGNORECASE)
_NOTICE_VERB = re.compile(r"\b(notif|inform|report|tell|alert|advise|notice)\w*", re.IGNORECASE)


def _breach_window(units: list[Unit], positions: list[int]) -> tuple[int | None, bool, str]:
    """The supplier's window: the shortest hours stated for a breach notice (that sentence or the
    next one in the same clause), or 'immediately'."""
    best: int | None = None
    immediate = False
    wording = ""
    for position in positions:
        unit = units[position]
        text = _NOT_OURS.sub(" ", unit.analysis)
        verb = _NOTICE_VERB.search(text)
        hours = hours_in(text[verb.start(): verb.start() + 250]) if verb else None
        said = unit.text
        if hours is None and position + 1 < len(units):
            following = units[position + 1]
            if following.block - unit.block <= 1 and not re.search(
                    r"\b(customer|controller|you)\s+(shall|must|will)\b", following.analysis, re.IGNORECASE):
                if re.search(r"\b(notif|notice|inform|report|within)\w*", following.analysis, re.IGNORECASE):
                    hours = hours_in(_NOT_OURS.sub(" ", following.analysis))
                    if hours is not None:
                        said = f"{unit.text} {following.text}"  # the clause and its hours, as written
        if hours is not None and (best is None or hours < best):
            best, wording = hours, said
        if IMMEDIATE.search(unit.analysis) and not immediate:
            immediate = True
            if best is None:
                wording = unit.text
    return best, immediate, _excerpt(wording) if wording else ""


def _grade_breach(finding: Finding, result: ScanResult) -> Finding:
    if result.breach_immediate:
        return Finding(finding.key, "present", finding.location,
                       _excerpt(result.breach_wording or finding.excerpt),
                       "Breaches are reported immediately.")
    hours = result.breach_notification_hours
    if hours is None:
        return Finding(finding.key, "partial", finding.location, finding.excerpt,
                       "No time limit in hours is stated (\"without undue delay\" alone).")
    if hours > 48:
        return Finding(finding.key, "partial", finding.location,
                       _excerpt(result.breach_wording or finding.excerpt),
                       f"Breaches are reported within {hours} hours; 24 (or at most 48) is expected.")
    return Finding(finding.key, finding.status, finding.location,
                   _excerpt(result.breach_wording or finding.excerpt), finding.reason)


def scan_docx(data: bytes) -> ScanResult:
    from portal.contracts.reader import read_blocks

    deadline = time.monotonic() + MAX_SCAN_SECONDS
    return scan_blocks(read_blocks(data), deadline=deadline)


def scan_pdf(data: bytes) -> ScanResult:
    from portal.contracts.pdf import read_pdf_blocks

    deadline = time.monotonic() + MAX_SCAN_SECONDS
    return scan_blocks(read_pdf_blocks(data, deadline=deadline), deadline=deadline)


def scan_document(data: bytes, *, filename: str = "") -> ScanResult:
    """A .docx or a PDF, told apart by their first bytes (not by the name)."""
    if data[:5] == b"%PDF-" or data[:1024].lstrip().startswith(b"%PDF-"):
        return scan_pdf(data)
    if data[:2] == b"PK":
        return scan_docx(data)
    raise UnreadableContract("This is neither a Word (.docx) document nor a PDF.")
