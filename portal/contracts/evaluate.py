"""Measuring the scanner against labelled contracts: precision, recall and F1 per clause key.

A labelled folder holds documents and a ``labels.json`` in the shared corpus's format::

    {"<file>": {"present": [keys...], "breach_notification_hours": int | null,
                "breach_notification_wording": "...", ...}}

A key the scanner reports as present or partial counts as found, for the keys a document was
labelled against: an entry's ``labelled_keys`` when given, otherwise the 21 keys of domain.md §3
that the shared corpus was read against (keys added to the library later are measured where a
labelled document covers them, never counted as extras on documents nobody read for them). The breach window is right
when the scanner's hours equal the label's; a label whose wording says "immediately" (and gives
no hours) is right only when the scanner reports "immediately" too. Plain Python: no database.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from portal.contracts.library import KEYS
from portal.contracts.scanner import ScanResult, scan_document

ORIGINAL_KEYS = frozenset(KEYS[:21])  # domain.md §3: what the shared corpus was labelled against

_IMMEDIATE_LABEL = re.compile(r"'immediately', no number of hours", re.IGNORECASE)


@dataclass(frozen=True)
class Labels:
    present: frozenset[str]
    breach_hours: int | None
    breach_immediate: bool = False
    keys: frozenset[str] = frozenset(KEYS)  # the keys this document was labelled against


@dataclass
class DocumentResult:
    name: str
    found: frozenset[str]
    labels: Labels
    hours: int | None
    immediate: bool

    @property
    def false_positives(self) -> set[str]:
        return set(self.found - self.labels.present) & self.labels.keys

    @property
    def false_negatives(self) -> set[str]:
        return set(self.labels.present - self.found)

    @property
    def window_stated(self) -> bool:
        return self.labels.breach_hours is not None or self.labels.breach_immediate

    @property
    def window_right(self) -> bool:
        return (self.hours, self.immediate) == (self.labels.breach_hours,
                                                self.labels.breach_immediate)


@dataclass
class Report:
    documents: list[DocumentResult] = field(default_factory=list)

    def counts(self) -> tuple[Counter, Counter, Counter]:
        tp, fp, fn = Counter(), Counter(), Counter()
        for doc in self.documents:
            for key in KEYS:
                if key not in doc.labels.keys:
                    continue
                if key in doc.found and key in doc.labels.present:
                    tp[key] += 1
                elif key in doc.found:
                    fp[key] += 1
                elif key in doc.labels.present:
                    fn[key] += 1
        return tp, fp, fn

    @staticmethod
    def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1

    def micro(self) -> tuple[float, float, float]:
        tp, fp, fn = self.counts()
        return self._prf(sum(tp.values()), sum(fp.values()), sum(fn.values()))

    @property
    def micro_f1(self) -> float:
        return self.micro()[2]

    def window_accuracy(self) -> tuple[int, int, int, int]:
        """(right over all documents, documents, right over stated windows, stated windows)."""
        stated = [d for d in self.documents if d.window_stated]
        return (sum(d.window_right for d in self.documents), len(self.documents),
                sum(d.window_right for d in stated), len(stated))

    def lines(self, *, title: str = "", detail: bool = False) -> list[str]:
        tp, fp, fn = self.counts()
        out = [title] if title else []
        out.append(f"{'clause key':38} {'precision':>9} {'recall':>6} {'F1':>5}  tp/fp/fn")
        for key in KEYS:
            p, r, f = self._prf(tp[key], fp[key], fn[key])
            out.append(f"{key:38} {p:9.2f} {r:6.2f} {f:5.2f}  {tp[key]}/{fp[key]}/{fn[key]}")
        p, r, f = self.micro()
        out.append(f"{'micro-average':38} {p:9.2f} {r:6.2f} {f:5.2f}  "
                   f"{sum(tp.values())}/{sum(fp.values())}/{sum(fn.values())}")
        right, total, stated_right, stated = self.window_accuracy()
        out.append(f"breach window right: {right}/{total} documents; "
                   f"{stated_right}/{stated} stated windows")
        if detail:
            for doc in self.documents:
                wrong = []
                if doc.false_positives:
                    wrong.append("extra " + ", ".join(sorted(doc.false_positives)))
                if doc.false_negatives:
                    wrong.append("missed " + ", ".join(sorted(doc.false_negatives)))
                if not doc.window_right:
                    wrong.append(f"window {_window(doc.hours, doc.immediate)} (labelled "
                                 f"{_window(doc.labels.breach_hours, doc.labels.breach_immediate)})")
                out.append(f"  {doc.name}: {'; '.join(wrong) or 'all right'}")
        return out


def _window(hours: int | None, immediate: bool) -> str:
    return "immediately" if immediate else (f"{hours} hours" if hours is not None else "none")


def labels_from_json(entry: dict) -> Labels:
    keys = frozenset(entry.get("labelled_keys") or ORIGINAL_KEYS)
    unknown = (set(entry.get("present", [])) | keys) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown clause keys in labels: {sorted(unknown)}")
    if not set(entry.get("present", [])) <= keys:
        raise ValueError("a present key is outside the document's labelled_keys")
    hours = entry.get("breach_notification_hours")
    wording = entry.get("breach_notification_wording") or ""
    return Labels(frozenset(entry.get("present", [])), hours,
                  hours is None and bool(_IMMEDIATE_LABEL.search(wording)), keys)


def judge(name: str, result: ScanResult, labels: Labels) -> DocumentResult:
    found = frozenset(f.key for f in result.clauses if f.present)
    return DocumentResult(name, found, labels, result.breach_hours_reported,
                          result.breach_immediate)


def evaluate(items: Iterable[tuple[str, bytes, Labels]]) -> Report:
    report = Report()
    for name, data, labels in items:
        report.documents.append(judge(name, scan_document(data, filename=name), labels))
    return report


def labelled_folder(folder: Path) -> list[tuple[str, bytes, Labels]]:
    labels_file = folder / "labels.json"
    if not labels_file.is_file():
        raise FileNotFoundError(f"{folder} has no labels.json")
    raw = json.loads(labels_file.read_text(encoding="utf-8"))
    items = []
    for name, entry in sorted(raw.items()):
        path = folder / name
        if not path.is_file():
            raise FileNotFoundError(f"labels.json names {name}, which is not in {folder}")
        items.append((name, path.read_bytes(), labels_from_json(entry)))
    return items


def evaluate_folder(folder: Path, *, exclude: Iterable[str] = ()) -> Report:
    skip = set(exclude)
    return evaluate(i for i in labelled_folder(folder) if i[0] not in skip)
