"""Portfolio-wide work holds the cycle collector off, and gives it back as it found it."""

import gc

import pytest

from portal.contracts.rules import ClauseFacts, required_clauses, required_for
from portal.core.bulk import portfolio_work


def test_the_collector_is_off_during_the_work_and_back_on_after_overlapping_jobs():
    assert gc.isenabled()
    with portfolio_work():
        assert not gc.isenabled()
        with portfolio_work():  # a second job in the same worker
            assert not gc.isenabled()
        assert not gc.isenabled()  # the first is still running
    assert gc.isenabled()


def test_the_collector_comes_back_after_a_failure():
    with pytest.raises(RuntimeError), portfolio_work():
        raise RuntimeError("the job failed")
    assert gc.isenabled()


def test_a_collector_someone_had_turned_off_stays_off():
    gc.disable()
    try:
        with portfolio_work():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("contract, supplier", [
    ({"data_role": "processor", "personal_data": True, "patient_data": True,
      "system_access": "remote", "supports_essential_function": True}, {"supplier_type": "it_service",
                                                                        "affects_care": True}),
    ({"data_role": "controller", "personal_data": True}, {"supplier_type": "non_it"}),
    ({"data_role": "none", "personal_data": False, "system_access": None}, None),
])
def test_required_clauses_from_rows_are_those_of_the_facts_they_hold(contract, supplier):
    expected = required_clauses(ClauseFacts.of(contract, supplier))
    assert required_for(contract, supplier) == expected
    assert required_for(dict(contract), dict(supplier) if supplier else None) == expected  # kept
