"""Which earlier answers may pre-fill a new questionnaire (issue #16 item 4): plain values in,
plain values out, no framework.

An answer given to question Q of definition A pre-fills question Q' of definition B when
- Q' has the same id as Q and the same question content (hash of its canonical JSON: text,
  type, options, condition... everything the supplier was asked), or
- a declared equivalence (questionnaires/equivalences.yaml) maps (A key, A version, Q) to (B key, B version, Q');
and never when the supplier already typed an answer to Q' in this assessment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

EQUIVALENCES_FILE = Path(__file__).with_name("equivalences.yaml")


def question_hash(question: Mapping[str, Any]) -> str:
    """The content hash of one question as a definition's canonical JSON holds it."""
    return hashlib.sha256(json.dumps(question, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


@dataclass(frozen=True)
class Equivalence:
    from_key: str
    from_version: str
    from_question: str
    to_key: str
    to_version: str
    to_question: str


def load_equivalences(path: Path = EQUIVALENCES_FILE) -> list[Equivalence]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for item in data.get("equivalences") or []:
        source, target = item["from"], item["to"]
        out.append(Equivalence(str(source["key"]), str(source["version"]), str(source["question"]),
                               str(target["key"]), str(target["version"]), str(target["question"])))
    return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def matching_answers(*, source_key: str, source_version: str,
                     source_questions: Iterable[Mapping[str, Any]],
                     source_answers: Mapping[str, Any],
                     target_key: str, target_version: str,
                     target_questions: Iterable[Mapping[str, Any]],
                     already_answered: Mapping[str, Any],
                     equivalences: Iterable[Equivalence] = ()) -> dict[str, tuple[str, Any]]:
    """{target question id: (source question id, value)} for the answers that may pre-fill.

    File answers are never carried over (their evidence ids belong to the other portal), and
    an answer the supplier already gave here (not empty) is never replaced."""
    by_id = {q["id"]: q for q in source_questions}
    mapped = {(e.to_question): e.from_question for e in equivalences
              if e.from_key == source_key and e.from_version == source_version
              and e.to_key == target_key and e.to_version == target_version}
    out: dict[str, tuple[str, Any]] = {}
    for target in target_questions:
        qid = target["id"]
        if target.get("type") == "file" or not _empty(already_answered.get(qid)):
            continue
        source_id = None
        if qid in by_id and question_hash(by_id[qid]) == question_hash(target):
            source_id = qid
        elif qid in mapped and mapped[qid] in by_id:
            source_id = mapped[qid]
        if source_id is None or by_id[source_id].get("type") == "file":
            continue
        value = source_answers.get(source_id)
        if _empty(value):
            continue
        out[qid] = (source_id, value)
    return out
