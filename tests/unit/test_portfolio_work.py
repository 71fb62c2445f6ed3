"""Portfolio-wide work holds the cycle collector off, and gives it back as it found it."""

import gc

import pytest

from portal.contracts.rules import ClauseFacts, required_clauses, required_for
from portal.core.bulk import HELD_BACK, portfolio_job, portfolio_work


def test_the_collector_is_held_back_during_the_work_and_restored_after_overlapping_jobs():
    before = gc.get_threshold()
    with portfolio_work():
        assert gc.get_threshold() == HELD_BACK and gc.isenabled()  # held back, never off
        with portfolio_work():  # a second job in the same worker
            assert gc.get_threshold() == HELD_BACK
        assert gc.get_threshold() == HELD_BACK  # the first is still running
    assert gc.get_threshold() == before


def test_the_collector_comes_back_after_a_failure():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), portfolio_work():
        raise RuntimeError("the job failed")
    assert gc.get_threshold() == before


async def test_a_job_restores_the_collector_when_cancelled():
    import asyncio

    before = gc.get_threshold()
    started = asyncio.Event()

    @portfolio_job
    async def long_job():
        started.set()
        await asyncio.sleep(60)

    task = asyncio.create_task(long_job())
    await started.wait()
    assert gc.get_threshold() == HELD_BACK
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gc.get_threshold() == before


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
