"""Gantry avoidance sectors split arcs (RayStation has no avoidance-sector call)."""

from __future__ import annotations

from planflow_qt.model.planning import Arc, Direction, GantrySector, split_arcs

CW = Arc(name="A1", gantry_start_deg=181, gantry_stop_deg=179)
CCW = Arc(name="A2", gantry_start_deg=179, gantry_stop_deg=181, direction=Direction.CCW)


def spans(arcs):
    return [(a.name, a.gantry_start_deg, a.gantry_stop_deg, a.direction.value) for a in arcs]


def test_arcs_outside_every_sector_are_kept_as_they_are():
    assert split_arcs([CW, CCW], []) == [CW, CCW]
    assert split_arcs([Arc(name="S", gantry_start_deg=200, gantry_stop_deg=250)],
                      [GantrySector(start_deg=60, stop_deg=120)])[0].name == "S"


def test_a_sector_splits_clockwise_and_counter_clockwise_arcs_around_it():
    sector = [GantrySector(start_deg=60, stop_deg=120)]
    assert spans(split_arcs([CW, CCW], sector)) == [
        ("A1a", 181.0, 60.0, "Clockwise"), ("A1b", 120.0, 179.0, "Clockwise"),
        ("A2a", 179.0, 120.0, "CounterClockwise"), ("A2b", 60.0, 181.0, "CounterClockwise")]


def test_a_sector_across_zero_and_short_pieces():
    sectors = [GantrySector(start_deg=350, stop_deg=10)]
    assert spans(split_arcs([Arc(name="A1", gantry_start_deg=340, gantry_stop_deg=100)], sectors)) == [
        ("A1a", 340.0, 350.0, "Clockwise"), ("A1b", 10.0, 100.0, "Clockwise")]
    narrow = [GantrySector(start_deg=345, stop_deg=10)]
    assert spans(split_arcs([Arc(name="A1", gantry_start_deg=340, gantry_stop_deg=100)], narrow)) == [
        ("A1a", 10.0, 100.0, "Clockwise")], "a piece shorter than 10 degrees is not delivered"
