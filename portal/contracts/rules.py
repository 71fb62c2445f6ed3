"""Which clauses a contract requires: the one rule, read by the checklist, scoring and reports.

The policy is data: each clause's ``required_when`` expression (clauses.yaml) over a contract's
facts and the named conditions of requirements.yaml (each with what it means and its source).
This module only evaluates them. It is plain Python: it takes plain values (a contract row and
its supplier row, or :class:`ClauseFacts`) and imports neither Litestar nor Piccolo.

The expression language is a small, checked subset of Python expressions (names, string and
boolean constants, ``and``/``or``/``not``, ``==``/``!=``/``in``/``not in``, tuples), evaluated by
walking the syntax tree: never ``eval``.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from portal.contracts.library import library

REQUIREMENTS_FILE = Path(__file__).parent / "requirements.yaml"


@dataclass(frozen=True)
class ClauseFacts:
    """What the requirement rule looks at, for one contract of one supplier."""

    data_role: str = "none"
    personal_data: bool = False
    patient_data: bool = False
    special_category_data: bool = False
    system_access: str = "none"
    supports_essential_function: bool = False
    supplier_type: str = "it_service"
    affects_care: bool = False

    @classmethod
    def of(cls, contract: Mapping[str, Any] | Any, supplier: Mapping[str, Any] | Any = None
           ) -> ClauseFacts:
        """From a contract and its supplier, as rows (dicts) or objects with those attributes.
        A fact the row lacks takes the default above (supplier facts come from the supplier)."""
        values: dict[str, Any] = {}
        for source, names in ((contract, _CONTRACT_FACTS), (supplier, _SUPPLIER_FACTS)):
            if source is None:
                continue
            for name in names:
                # a plain dict first: the ABC check costs more than the lookup, per contract
                value = source.get(name) if type(source) is dict or isinstance(source, Mapping) \
                    else getattr(source, name, None)
                if value is not None:
                    values[name] = value
        return cls(**values)


_SUPPLIER_FACTS = ("supplier_type", "affects_care")
_CONTRACT_FACTS = tuple(f.name for f in fields(ClauseFacts) if f.name not in _SUPPLIER_FACTS)


@dataclass(frozen=True)
class Condition:
    name: str
    when: str
    means: str
    source: str


@dataclass(frozen=True)
class Requirement:
    """Why a clause is required of a contract: the conditions that made it so."""

    key: str
    required: bool
    because: tuple[Condition, ...] = ()
    applies: bool = True  # False: the clause is not for this kind of contract at all

    @property
    def reason(self) -> str:
        return "; ".join(c.means for c in self.because)


class RuleError(ValueError):
    """An expression in the policy data that the rule cannot evaluate."""


_ALLOWED = (ast.Expression, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.Compare,
            ast.Eq, ast.NotEq, ast.In, ast.NotIn, ast.Name, ast.Load, ast.Constant, ast.Tuple,
            ast.List)


def _parse(expression: str, known: set[str], where: str) -> ast.Expression:
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as error:
        raise RuleError(f"{where}: cannot read {expression!r} ({error.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise RuleError(f"{where}: {type(node).__name__} is not allowed in {expression!r}")
        if isinstance(node, ast.Name) and node.id not in known:
            raise RuleError(f"{where}: unknown name {node.id!r} in {expression!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (str, bool)):
            raise RuleError(f"{where}: only 'text' and true/false constants in {expression!r}")
    return tree


def _value(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _value(node.body, names)
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        return tuple(_value(e, names) for e in node.elts)
    if isinstance(node, ast.UnaryOp):
        return not _value(node.operand, names)
    if isinstance(node, ast.BoolOp):
        values = (_value(v, names) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    assert isinstance(node, ast.Compare)
    left = _value(node.left, names)
    for op, right_node in zip(node.ops, node.comparators, strict=True):
        right = _value(right_node, names)
        if isinstance(op, ast.Eq):
            ok = left == right
        elif isinstance(op, ast.NotEq):
            ok = left != right
        else:
            ok = (left in right) == isinstance(op, ast.In)
        if not ok:
            return False
        left = right
    return True


@dataclass(frozen=True)
class Agreement:
    """The kind of data protection agreement a contract needs (requirements.yaml)."""

    kind: str  # article_28, data_sharing_agreement, article_26_arrangement
    title: str
    source: str


@dataclass(frozen=True)
class _Policy:
    conditions: tuple[tuple[Condition, ast.Expression], ...]
    clauses: tuple[tuple[str, ast.Expression | None, frozenset[str]], ...]
    applies: dict[str, ast.Expression]
    agreements: tuple[tuple[Agreement, ast.Expression], ...]


def _words_in(tree: ast.Expression) -> frozenset[str]:
    return frozenset(n.id for n in ast.walk(tree) if isinstance(n, ast.Name))


@lru_cache(maxsize=1)
def policy() -> _Policy:
    """The conditions and every clause's expression, parsed and checked once."""
    raw = yaml.safe_load(REQUIREMENTS_FILE.read_text(encoding="utf-8"))
    known = {f.name for f in fields(ClauseFacts)}
    conditions = []
    for item in raw["conditions"]:
        condition = Condition(item["name"], item["when"], item["means"], item["source"])
        if condition.name in known:
            raise RuleError(f"condition {condition.name!r} is defined twice or shadows a fact")
        conditions.append((condition, _parse(condition.when, known, f"condition {condition.name}")))
        known.add(condition.name)
    names = {c.name for c, _ in conditions}
    clauses = []
    for key, clause in library().items():
        if clause.required_when.strip():
            tree = _parse(clause.required_when, known, f"clause {key}")
            clauses.append((key, tree, _words_in(tree) & names))
        else:
            clauses.append((key, None, frozenset()))
    applies = {key: _parse(clause.applies_when, known, f"clause {key} applies_when")
               for key, clause in library().items() if clause.applies_when.strip()}
    agreements = tuple(
        (Agreement(a["kind"], a["title"], a["source"]), _parse(a["when"], known, f"agreement {a['kind']}"))
        for a in raw.get("agreements", []))
    return _Policy(conditions=tuple(conditions), clauses=tuple(clauses), agreements=agreements,
                   applies=applies)


def conditions() -> dict[str, Condition]:
    return {c.name: c for c, _ in policy().conditions}


def _names(facts: ClauseFacts) -> dict[str, Any]:
    names: dict[str, Any] = {f.name: getattr(facts, f.name) for f in fields(ClauseFacts)}
    for condition, tree in policy().conditions:
        names[condition.name] = bool(_value(tree, names))
    return names


@lru_cache(maxsize=256)  # a few combinations, asked for every contract in every rescoring
def agreement(facts: ClauseFacts) -> Agreement | None:
    """The data protection agreement the contract needs; None when no personal data passes."""
    names = _names(facts)
    return next((a for a, tree in policy().agreements if _value(tree, names)), None)


def agreement_kind(facts: ClauseFacts) -> str | None:
    found = agreement(facts)
    return found.kind if found else None


@lru_cache(maxsize=256)  # a few combinations, asked for every contract in every rescoring
def _decide(facts: ClauseFacts) -> tuple[Requirement, ...]:
    names = _names(facts)
    rules = policy()
    by_name = {c.name: c for c, _ in rules.conditions}
    out = []
    for key, tree, used in rules.clauses:
        applies = key not in rules.applies or bool(_value(rules.applies[key], names))
        required = applies and tree is not None and bool(_value(tree, names))
        because = tuple(by_name[n] for n in sorted(used) if names[n]) if required else ()
        out.append(Requirement(key, required, because, applies))
    return tuple(out)


def requirements(facts: ClauseFacts) -> dict[str, Requirement]:
    """Every clause key with whether this contract requires it and why."""
    return {r.key: r for r in _decide(facts)}


@lru_cache(maxsize=256)
def required_clauses(facts: ClauseFacts) -> tuple[str, ...]:
    """The clause keys a contract must carry, in library order; the rest are recommended."""
    return tuple(r.key for r in _decide(facts) if r.required)


def required_for(contract: Mapping[str, Any] | Any, supplier: Mapping[str, Any] | Any = None
                 ) -> tuple[str, ...]:
    """:func:`required_clauses` for a contract row and its supplier row."""
    if type(contract) is dict and (supplier is None or type(supplier) is dict):
        # A portfolio's 30,000 contract rows share a few dozen combinations of these facts:
        # keyed by the raw values, ClauseFacts is built once per combination (building it
        # per row was 0.4 s of loading 10,000 suppliers' facts, profiled).
        return _required_by_values(
            tuple(contract.get(name) for name in _CONTRACT_FACTS),
            tuple(supplier.get(name) for name in _SUPPLIER_FACTS) if supplier else None)
    return required_clauses(ClauseFacts.of(contract, supplier))


@lru_cache(maxsize=1024)
def _required_by_values(contract: tuple, supplier: tuple | None) -> tuple[str, ...]:
    return required_clauses(ClauseFacts.of(
        dict(zip(_CONTRACT_FACTS, contract, strict=True)),
        dict(zip(_SUPPLIER_FACTS, supplier, strict=True)) if supplier is not None else None))


__all__ = ["Agreement", "ClauseFacts", "Condition", "Requirement", "RuleError", "agreement",
           "agreement_kind", "conditions", "policy", "required_clauses", "required_for",
           "requirements"]
