"""The stall witness (tests/machine_stalls.py) that the wall-clock tests subtract: a machine that ran throughout
excuses nothing, and a stall counts only where it overlaps the stretch asked about."""

from __future__ import annotations

from machine_stalls import MachineStalls


def test_a_machine_that_ran_excuses_nothing():
    with MachineStalls() as stalls:
        pass
    assert stalls.spans == [] and stalls.seconds == 0.0 and stalls.within(0.0, 1e12) == 0.0
    assert stalls.describe() == "the machine ran throughout"


def test_only_the_overlap_of_a_stall_is_counted():
    stalls = MachineStalls()
    stalls.spans = [(10.0, 12.0), (20.0, 21.5)]
    assert stalls.seconds == 3.5 and stalls.gaps == [2.0, 1.5]
    assert stalls.within(11.0, 20.5) == 1.5  # the end of the first, the start of the second
    assert stalls.within(12.0, 20.0) == 0.0
    assert stalls.within(0.0, 100.0) == 3.5
