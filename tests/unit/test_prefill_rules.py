"""Which earlier answers pre-fill a new questionnaire: same id and content, or a declared
equivalence; never over an answer already typed; never files."""

from __future__ import annotations

from questionnaires.prefill import (
    Equivalence,
    load_equivalences,
    matching_answers,
    question_hash,
)


def q(qid, text="Do you hold Cyber Essentials?", type_="yes_no", **extra):
    return {"id": qid, "text": text, "type": type_, **extra}


def match(source, answers, target, typed=None, equivalences=(), source_version="2026.1",
          target_version="2026.2"):
    return matching_answers(source_key="k", source_version=source_version,
                            source_questions=source, source_answers=answers,
                            target_key="k", target_version=target_version,
                            target_questions=target, already_answered=typed or {},
                            equivalences=equivalences)


def test_same_id_and_same_content_prefills():
    assert match([q("ce")], {"ce": "yes"}, [q("ce")]) == {"ce": ("ce", "yes")}


def test_same_id_but_changed_text_does_not():
    assert match([q("ce")], {"ce": "yes"}, [q("ce", text="Do you hold Cyber Essentials Plus?")]) == {}


def test_changed_options_count_as_changed_content():
    source = [q("hosting", type_="single_choice", options=[{"value": "uk", "label": "UK"}])]
    target = [q("hosting", type_="single_choice",
                options=[{"value": "uk", "label": "UK"}, {"value": "eea", "label": "EEA"}])]
    assert match(source, {"hosting": "uk"}, target) == {}


def test_declared_equivalence_maps_a_renamed_question():
    eq = Equivalence("k", "2026.1", "ce_held", "k", "2026.2", "ce")
    assert match([q("ce_held")], {"ce_held": "no"}, [q("ce", text="Other words")],
                 equivalences=[eq]) == {"ce": ("ce_held", "no")}


def test_equivalence_for_other_versions_does_not_apply():
    eq = Equivalence("k", "2025.1", "ce_held", "k", "2026.2", "ce")
    assert match([q("ce_held")], {"ce_held": "no"}, [q("ce")], equivalences=[eq]) == {}


def test_never_overwrites_what_the_supplier_typed():
    assert match([q("ce")], {"ce": "yes"}, [q("ce")], typed={"ce": "no"}) == {}
    # an empty saved answer is not an answer
    assert match([q("ce")], {"ce": "yes"}, [q("ce")], typed={"ce": ""}) == {"ce": ("ce", "yes")}


def test_files_and_empty_answers_are_not_carried():
    assert match([q("cert", type_="file")], {"cert": [3]}, [q("cert", type_="file")]) == {}
    assert match([q("ce")], {"ce": None}, [q("ce")]) == {}
    assert match([q("ce")], {}, [q("ce")]) == {}


def test_question_hash_ignores_key_order():
    assert question_hash({"id": "a", "text": "t"}) == question_hash({"text": "t", "id": "a"})


def test_shipped_equivalences_file_loads():
    assert isinstance(load_equivalences(), list)
