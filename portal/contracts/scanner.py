"""Recognising clauses in contract text: obligations, not keywords.

A definition ("'Sub-processor' means …") imposes nothing; a negation ("is not required to
hold Cyber Essentials") is the opposite of the clause; a permission ("may") or a mention is
not an obligation. Plain Python over located blocks of text (see reader.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.contracts.library import KEYS, Clause, library
from portal.contracts.reader import Block

OBLIGATION = re.compile(
    r"\b(shall|must|will|agrees?\s+to|undertakes?\s+to|is\s+required\s+to|are\s+required\s+to|"
    r"is\s+obliged\s+to|are\s+obliged\s+to|ensures?|is\s+responsible\s+for|commits?\s+to|"
    r"warrants?|is\s+to|are\s+to|needs?\s+to|has\s+to|have\s+to|"
    # plain-English drafting states commitments in the present tense
    r"we\s+(?:only\s+|always\s+)?(?:act|process|use|keep|return|delete|notify|tell))\b",
    re.IGNORECASE)
NOT_AN_OBLIGATION = re.compile(
    r"\b(not\s+(be\s+)?(required|obliged|obligated|expected|bound|need(ed)?)\s+to|"
    r"no\s+(obligation|requirement|duty)\s+to|need\s+not|under\s+no\s+obligation|"
    r"(is|are|shall\s+be|will\s+be)\s+exempt(ed)?\s+from|does\s+not\s+need\s+to|"
    r"do\s+not\s+need\s+to|waives?\b|is\s+not\s+necessary|shall\s+not\s+apply|"
    r"will\s+not\s+apply|does\s+not\s+apply|not\s+(be\s+)?responsible\s+for)", re.IGNORECASE)
DEFINITION = re.compile(
    r"^\s*(\d+(\.\d+)*\.?\s+)?[\"“'‘]?[A-Z][\w\s\-/()]{0,60}?[\"”'’]?\s+"
    r"(means|shall\s+mean|has\s+the\s+meaning|have\s+the\s+meanings?|includes|is\s+defined\s+as)\b")
SENTENCE_END = re.compile(r"(?<=[.;:!?])\s+(?=[(\"“A-Z0-9])")

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
    breach_notification_hours: int | None = None
    breach_immediate: bool = False

    @property
    def breach_hours_reported(self) -> int | None:
        return None if self.breach_immediate else self.breach_notification_hours

    def as_json(self) -> dict:
        return {
            "clauses": [{"key": f.key, "present": f.present, "status": f.status,
                         "location": f.location or None, "excerpt": f.excerpt or None}
                        for f in self.clauses],
            "breach_notification_hours": self.breach_notification_hours,
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


def hours_in(text: str) -> int | None:
    """The shortest stated period, in hours: '48 hours', 'forty-eight (48) hours', '2 days'."""
    best: int | None = None
    for match in _PERIOD.finditer(text):
        number = int(match.group("digits")) if match.group("digits") else None
        if number is None:
            tail = match.group("words") or ""
            number = _words_to_number(tail)
        if not number:
            continue
        unit = match.group("unit").lower()
        hours = number * 24 if unit.startswith("day") else number
        if 0 < hours <= 24 * 90:
            best = hours if best is None else min(best, hours)
    return best


def sentences(text: str) -> list[str]:
    parts = SENTENCE_END.split(text)
    return [p.strip() for p in parts if len(p.strip()) > 3]


def _matches(patterns: Iterable[str], text: str) -> int:
    return sum(1 for p in patterns if re.search(p, text, re.IGNORECASE))


def _judge(clause: Clause, sentence: str, block: Block) -> str | None:
    """'present', 'partial', 'negated' or None for one sentence."""
    rule = clause.recognition
    hints = _matches(rule.topic, sentence)
    if hints < rule.min_hints:
        return None
    if rule.also and not _matches(rule.also, sentence):
        return None
    if DEFINITION.search(sentence):
        return None
    if NOT_AN_OBLIGATION.search(sentence):
        return "negated"
    if rule.needs_obligation and not OBLIGATION.search(sentence):
        return None
    if rule.complete and _matches(rule.complete, sentence) < len(rule.complete):
        return "partial"
    return "present"


def scan_blocks(blocks: list[Block]) -> ScanResult:
    found: dict[str, Finding] = {}
    negated: dict[str, Finding] = {}
    breach_hours: int | None = None
    clauses = library()
    for block in blocks:
        # Table rows are judged whole too: schedules put the obligation in one cell and the
        # subject in another.
        if block.whole_table:
            units = [block.text]
        elif block.in_table:
            units = [block.text, *sentences(block.text)]
        else:
            units = sentences(block.text)
        for sentence in units:
            for key, clause in clauses.items():
                if block.whole_table and clause.recognition.needs_obligation:
                    continue  # a whole table only shows descriptive clauses (processing details)
                verdict = _judge(clause, sentence, block)
                if verdict is None:
                    continue
                excerpt = sentence if len(sentence) <= 400 else sentence[:397] + "…"
                if verdict == "negated":
                    negated.setdefault(key, Finding(key, "missing", block.location, excerpt,
                                                    "The contract says this is not required."))
                    continue
                if key == "breach.notification":
                    hours = hours_in(sentence)
                    if hours is not None:
                        breach_hours = hours if breach_hours is None else min(breach_hours, hours)
                current = found.get(key)
                if current is None or (current.status == "partial" and verdict == "present"):
                    found[key] = Finding(key, verdict, block.location, excerpt)
    result = ScanResult(breach_notification_hours=breach_hours)
    for key in KEYS:
        finding = found.get(key)
        if finding is None:
            result.clauses.append(negated.get(key) or Finding(key, "missing",
                                                              reason="Not found in the contract."))
            continue
        if key == "breach.notification":
            finding = _grade_breach(finding, breach_hours)
        result.clauses.append(finding)
    return result


def _grade_breach(finding: Finding, hours: int | None) -> Finding:
    if hours is None:
        return Finding(finding.key, "partial", finding.location, finding.excerpt,
                       "No time limit in hours is stated (\"without undue delay\" alone).")
    if hours > 48:
        return Finding(finding.key, "partial", finding.location, finding.excerpt,
                       f"Breaches are reported within {hours} hours; 24 (or at most 48) is expected.")
    return finding


def scan_docx(data: bytes) -> ScanResult:
    from portal.contracts.reader import read_blocks

    return scan_blocks(read_blocks(data))





def scan_document(data: bytes, *, filename: str = "") -> ScanResult:
    return scan_docx(data)
