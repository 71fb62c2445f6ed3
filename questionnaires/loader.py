"""Loading and checking the questionnaire definitions shipped in questionnaires/definitions/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from questionnaires.schema import Definition

DEFINITIONS_DIR = Path(__file__).parent / "definitions"


@dataclass(frozen=True)
class DefinitionFault:
    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.message}"


def _describe(error: ValidationError, raw: dict) -> list[str]:
    messages = []
    for item in error.errors():
        location = list(item["loc"])
        where = []
        node: object = raw
        for part in location:
            try:
                node = node[part]  # type: ignore[index]
            except (KeyError, IndexError, TypeError):
                break
            if isinstance(node, dict) and "id" in node and isinstance(node["id"], str):
                kind = "question" if "type" in node else "section"
                where.append(f"{kind} {node['id']}")
        prefix = ", ".join(where) or ".".join(str(p) for p in location) or "definition"
        messages.append(f"{prefix}: {item['msg'].removeprefix('Value error, ')}")
    return messages


def load_file(path: Path) -> Definition:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Definition.model_validate(raw)


def check_all(directory: Path = DEFINITIONS_DIR) -> tuple[list[Definition], list[DefinitionFault]]:
    definitions, faults = [], []
    keys: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            faults.append(DefinitionFault(path.name, f"not valid YAML: {error}"))
            continue
        try:
            definition = Definition.model_validate(raw)
        except ValidationError as error:
            faults.extend(DefinitionFault(path.name, m) for m in _describe(error, raw or {}))
            continue
        if definition.key in keys:
            faults.append(DefinitionFault(path.name, f"key {definition.key} is also used by {keys[definition.key]}"))
            continue
        if path.stem != definition.key:
            faults.append(DefinitionFault(path.name, f"file name should be {definition.key}.yaml"))
            continue
        keys[definition.key] = path.name
        definitions.append(definition)
    return definitions, faults


@lru_cache(maxsize=1)
def shipped() -> dict[str, Definition]:
    definitions, faults = check_all()
    if faults:
        raise ValueError("questionnaire definitions are invalid: " + "; ".join(map(str, faults)))
    return {d.key: d for d in definitions}
