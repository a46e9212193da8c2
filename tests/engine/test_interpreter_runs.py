"""How a run ends and what it leaves: failures, the audit log, stop requests, preflight, loop scheduling."""

from __future__ import annotations

from planflow_qt.backends.base import UserStopped
from planflow_qt.engine.events import EventKind, JsonlLog, read_log
from planflow_qt.engine.interpreter import Interpreter
from planflow_qt.engine.recording import RecordingBackend
from planflow_qt.model.builder import FlowBuilder


def loop_flow(max_rounds: int = 3) -> FlowBuilder:
    """plan -> iso -> arcs -> rx -> f_ptv -> lb -> run -> v20 / le -> save."""
    b = FlowBuilder("loop")
    b.add("plan.create", "plan", {"name": "P"})
    b.add("plan.isocenter", "iso", {"method": "coordinates"})
    b.add("plan.vmat_arcs", "arcs", {"arcs": [{"name": "A1", "gantry_start_deg": 181, "gantry_stop_deg": 179}]})
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("roi.match", "lung", {"name": "Lung_Both"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.function", "f_ptv", {"type": "MinDose", "dose_cgy": 5800, "tag": "PTV_min"})
    b.add("loop.begin", "lb", {"max_rounds": max_rounds})
    b.add("opt.run", "run")
    b.add("cond.dvh", "v20", {"metric": "volume_at_dose", "dose_cgy": 2000, "comparison": ">", "threshold": 28})
    b.add("loop.end", "le")
    b.add("flow.save", "save")
    b.chain("plan", "iso", "arcs", "rx", "f_ptv", "lb", "run", "le", "save")
    b.wire("ptv.roi", "rx.roi")
    b.wire("ptv.roi", "f_ptv.roi")
    b.wire("run", "v20")
    b.wire("lung.roi", "v20.roi")
    return b


def as_records(events) -> list[tuple[str, str | None, int | None]]:
    return [(e.kind.value, e.node_id, e.round) for e in events]


def test_backend_error_in_round_two_fails_the_run_naming_node_type_and_call(tmp_path):
    log_path = tmp_path / "run.jsonl"
    events = []
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], fail=("run_optimization", 2))

    result = Interpreter(loop_flow().build(), rb, [JsonlLog(log_path), events.append]).run()

    assert result.status == "failed"
    assert result.rounds == 2
    assert result.error.startswith("node run (opt.run) failed in round 2 calling run_optimization(): ")
    assert "BackendError: run_optimization refused (scripted failure)" in result.error
    assert result.node_states["run"] == "failed"
    assert result.node_states["le"] == "done"          # from round 1
    assert result.node_states["save"] == "pending"
    assert rb.names() == ["create_plan", "set_isocenter", "add_vmat_arcs", "set_prescription", "add_function",
                          "run_optimization", "volume_at_dose",
                          "run_optimization"]

    logged = read_log(log_path)
    assert [(r["kind"], r["node_id"], r["round"]) for r in logged] == as_records(events)
    assert as_records(events)[-7:] == [
        ("round_finished", "le", 1),
        ("round_started", "lb", 2),
        ("node_started", "lb", 2), ("node_finished", "lb", 2),
        ("node_started", "run", 2), ("node_failed", "run", 2),
        ("run_failed", "run", 2),
    ]
    assert logged[0]["kind"] == "run_started"
    failed = logged[-1]
    assert failed["kind"] == "run_failed"
    assert failed["node_type"] == "opt.run"
    assert failed["data"]["call"] == "run_optimization()"
    assert failed["message"] == result.error
    node_failed = logged[-2]
    assert node_failed["kind"] == "node_failed" and node_failed["data"]["call"] == "run_optimization()"


def test_failure_message_names_the_call_with_its_arguments():
    b = FlowBuilder("bad roi")
    b.add("plan.create", "plan")
    b.add("roi.match", "ptv", {"name": "PTV"})
    b.add("plan.prescription", "rx", {"dose_cgy": 6000})
    b.add("opt.function", "f", {"type": "MaxDose", "dose_cgy": 3000, "tag": "PTV_max"})
    b.chain("plan", "rx", "f")
    b.wire("ptv.roi", "rx.roi")
    b.wire("ptv.roi", "f.roi")
    rb = RecordingBackend(rois=["PTV"], fail=("add_function", 1))

    result = Interpreter(b.build(), rb).run()

    assert result.status == "failed"
    assert "node f (opt.function) failed calling add_function(FunctionSpec(" in result.error
    assert " in round " not in result.error


def test_audit_log_is_written_while_the_run_goes(tmp_path):
    log_path = tmp_path / "audit" / "run.jsonl"
    seen: dict[str, list[str]] = {}

    def reader(event):
        if event.kind is EventKind.NODE_FINISHED and event.round in (None, 2):
            key = f"{event.node_id}@{event.round}"
            seen[key] = [f"{r['kind']}:{r['node_id']}:{r['round']}" for r in read_log(log_path)]

    rb = RecordingBackend(rois=["PTV", "Lung_Both"])
    result = Interpreter(loop_flow().build(), rb, [JsonlLog(log_path), reader]).run()

    assert result.status == "completed", result.error
    assert seen["plan@None"] == ["run_started:None:None", "node_started:plan:None", "node_finished:plan:None"]
    mid = seen["run@2"]
    assert mid[-1] == "node_finished:run:2"
    assert "round_finished:le:1" in mid
    assert not any(line.startswith("run_finished") for line in mid)
    final = read_log(log_path)
    assert final[-1]["kind"] == "run_finished"
    assert len(final) > len(seen["save@None"])


def test_request_stop_stops_after_the_running_node():
    b = loop_flow()
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])
    events = []
    interpreter = Interpreter(b.build(), rb, [events.append])

    def stop_after_rx(event):
        if event.kind is EventKind.NODE_FINISHED and event.node_id == "rx":
            interpreter.request_stop()

    interpreter.observers.append(stop_after_rx)
    result = interpreter.run()

    assert result.status == "stopped"
    assert rb.names() == ["create_plan", "set_isocenter", "add_vmat_arcs", "set_prescription"]
    assert result.node_states["rx"] == "done"
    assert result.node_states["f_ptv"] == "pending"
    assert events[-1].kind is EventKind.RUN_STOPPED
    assert events[-2].kind is EventKind.NODE_FINISHED and events[-2].node_id == "rx"


def test_request_stop_inside_a_loop_ends_within_the_round():
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])
    interpreter = Interpreter(loop_flow(max_rounds=5).build(), rb)

    def stop_in_round_two(event):
        if event.kind is EventKind.NODE_FINISHED and event.node_id == "run" and event.round == 2:
            interpreter.request_stop()

    interpreter.observers.append(stop_in_round_two)
    result = interpreter.run()

    assert result.status == "stopped"
    assert result.rounds == 2
    assert rb.names().count("run_optimization") == 2
    assert rb.names()[-1] == "run_optimization"


def test_preflight_refuses_a_missing_required_roi_before_any_change():
    events = []
    rb = RecordingBackend(rois=["PTV", "Heart"])

    result = Interpreter(loop_flow().build(), rb, [events.append]).run()

    assert result.status == "refused"
    assert [name for name, _ in rb.calls] == ["roi_names"]
    [problem] = result.problems
    assert (problem.node_id, problem.node_type, problem.field) == ("lung", "roi.match", "params.name")
    assert problem.message.startswith("required ROI 'Lung_Both' is not in the case")
    assert "Heart, PTV" in problem.message
    assert [e.kind for e in events] == [EventKind.RUN_FAILED]


def test_preflight_accepts_an_alias_and_skips_a_missing_optional_roi():
    b = loop_flow(max_rounds=1)
    b.flow.node("lung").params = {"name": "Lung_Both", "aliases": ["Lungs"]}
    b.add("roi.match", "cord", {"name": "SpinalCord", "required": False})
    b.add("opt.function", "f_cord", {"type": "MaxDose", "dose_cgy": 4500})
    b.wire("cord.roi", "f_cord.roi")
    b.wire("save", "f_cord")
    rb = RecordingBackend(rois=["PTV", "lungs"])
    events = []

    result = Interpreter(b.build(), rb, [events.append]).run()

    assert result.status == "completed", result.error
    assert ("volume_at_dose", {"roi": "lungs", "dose_cgy": 2000.0, "absolute": False}) in rb.calls
    skipped = {e.node_id: e.message for e in events if e.kind is EventKind.NODE_SKIPPED}
    assert skipped == {"f_cord": "input roi has no value (cord skipped)"}
    warnings = [e.message for e in events if e.kind is EventKind.WARNING]
    assert warnings == ["optional ROI 'SpinalCord' not in the case: nodes using it are skipped"]


def test_preflight_refuses_a_created_roi_name_the_case_already_has():
    b = loop_flow(max_rounds=1)
    b.add("roi.ring", "ring", {"name": "Ring"})
    b.wire("ptv.roi", "ring.roi")
    rb = RecordingBackend(rois=["PTV", "Lung_Both", "Ring"])

    result = Interpreter(b.build(), rb).run()

    assert result.status == "refused"
    assert rb.names() == []
    assert [(p.node_id, p.field) for p in result.problems] == [("ring", "params.name")]
    assert "the case already has an ROI 'Ring'" in result.problems[0].message


def test_invalid_flow_is_not_run_and_the_log_says_why(tmp_path):
    b = loop_flow()
    b.flow.node("rx").params = {"dose_cgy": -5}
    rb = RecordingBackend(rois=["PTV", "Lung_Both"])
    log = JsonlLog(tmp_path / "run.jsonl")

    result = Interpreter(b.build(), rb, [log]).run()

    assert result.status == "invalid"
    assert rb.calls == []
    assert [(p.node_id, p.field) for p in result.problems] == [("rx", "params.dose_cgy")]
    assert result.error.startswith("the flow is invalid: node rx (plan.prescription): params.dose_cgy: ")
    [logged] = read_log(tmp_path / "run.jsonl")
    assert logged["kind"] == "run_failed"
    assert logged["message"] == result.error
    assert logged["data"]["problems"] == [p.format() for p in result.problems]


class StoppingBackend(RecordingBackend):
    """The user presses Stop while the flow waits for them."""

    def wait_for_user(self, message: str) -> None:
        super().wait_for_user(message)
        raise UserStopped("the user pressed Stop")


def test_user_stopping_at_a_wait_stops_the_run():
    b = loop_flow()
    b.add("flow.wait_user", "wait", {"message": "Check the prescription"})
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("f_ptv", "plan")]
    b.chain("rx", "wait", "f_ptv")
    rb = StoppingBackend(rois=["PTV", "Lung_Both"])
    events = []

    result = Interpreter(b.build(), rb, [events.append]).run()

    assert result.status == "stopped"
    assert result.error == "stopped by the user at wait: the user pressed Stop"
    assert rb.names() == ["create_plan", "set_isocenter", "add_vmat_arcs", "set_prescription", "wait_for_user"]
    assert events[-1].kind is EventKind.RUN_STOPPED
    assert not any(e.kind is EventKind.RUN_FAILED for e in events)


def test_loop_runs_after_an_outside_node_defined_later_that_feeds_its_body():
    b = loop_flow(max_rounds=2)
    b.add("opt.function", "f_cord", {"type": "MaxDose", "dose_cgy": 4500, "tag": "Cord_max"})
    b.wire("lb", "f_cord")
    b.flow.edges = [e for e in b.flow.edges if e.dst != ("run", "plan")]
    b.wire("f_cord", "run")
    b.add("roi.margin", "prv", {"name": "Cord_prv", "margin": {"superior_cm": 0.5, "inferior_cm": 0.5}})
    b.wire("prv.roi", "f_cord.roi")
    b.add("roi.match", "cord", {"name": "SpinalCord"})  # defined last, needed by the loop body
    b.wire("cord.roi", "prv.roi")
    rb = RecordingBackend(rois=["PTV", "Lung_Both", "SpinalCord"])
    events = []

    result = Interpreter(b.build(), rb, [events.append]).run()

    assert result.status == "completed", result.error
    assert rb.names() == ["create_plan", "set_isocenter", "add_vmat_arcs", "set_prescription", "add_function",
                          "create_roi_margin",
                          "add_function", "run_optimization", "volume_at_dose",
                          "update_function", "run_optimization", "volume_at_dose", "save"]
    started = [(e.kind, e.node_id) for e in events if e.kind in (EventKind.NODE_STARTED, EventKind.ROUND_STARTED)]
    first_round = started.index((EventKind.ROUND_STARTED, "lb"))
    assert (EventKind.NODE_STARTED, "cord") in started[:first_round]
    assert (EventKind.NODE_STARTED, "prv") in started[:first_round]
    assert (EventKind.NODE_STARTED, "save") in started[first_round:]
    assert sum(1 for e in events if e.kind is EventKind.NODE_STARTED and e.node_id == "prv") == 1


def test_events_of_a_completed_loop_run_are_bracketed_by_rounds():
    events = []
    rb = RecordingBackend(rois=["PTV", "Lung_Both"], answers={"volume_at_dose:Lung_Both": [31, 27]})

    result = Interpreter(loop_flow(max_rounds=2).build(), rb, [events.append]).run()

    assert result.status == "completed", result.error
    rounds = [(e.kind.value, e.round) for e in events if e.kind in (EventKind.ROUND_STARTED, EventKind.ROUND_FINISHED)]
    assert rounds == [("round_started", 1), ("round_finished", 1), ("round_started", 2), ("round_finished", 2)]
    assert events[0].kind is EventKind.RUN_STARTED and events[-1].kind is EventKind.RUN_FINISHED
    assert events[-1].data["rounds"] == 2
    v20 = [e.data["outputs"] for e in events if e.kind is EventKind.NODE_FINISHED and e.node_id == "v20"]
    assert v20 == [{"result": True, "value": 31}, {"result": False, "value": 27}]


def test_a_node_passes_its_plan_on_and_may_not_invent_outputs():
    from planflow_qt.catalog.registry import Registry, default_registry
    from planflow_qt.catalog.spec import Category, NodeSpec, NodeType, Port, PortType
    from planflow_qt.engine.interpreter import Interpreter
    from planflow_qt.engine.recording import RecordingBackend
    from planflow_qt.model.builder import FlowBuilder
    from planflow_qt.model.planning import NoParams

    plan = Port("plan", PortType.PLAN)

    class Quiet(NodeType):
        """Returns nothing: its plan goes on."""

        spec = NodeSpec("test.quiet", "Quiet", Category.FLOW, NoParams, inputs=(plan,), outputs=(plan,))

        @classmethod
        def run(cls, ctx, params, inputs):
            return {}

    class Inventive(Quiet):
        """Returns an output it does not declare."""

        spec = NodeSpec("test.inventive", "Inventive", Category.FLOW, NoParams, inputs=(plan,), outputs=(plan,))

        @classmethod
        def run(cls, ctx, params, inputs):
            return {"extra": 1.0}

    registry = Registry()
    for node_type in default_registry():
        registry.register(node_type)
    registry.register(Quiet)
    registry.register(Inventive)
    b = FlowBuilder("pass on")
    b.add("plan.create", "plan", {"name": "P", "beam_set": "BS"})
    b.add("test.quiet", "quiet")
    b.add("flow.save", "save")
    b.chain("plan", "quiet", "save")
    result = Interpreter(b.build(), RecordingBackend(), registry=registry).run()
    assert result.status == "completed" and result.node_states["save"] == "done"
    b.add("test.inventive", "inventive")
    b.wire("save", "inventive.plan")
    result = Interpreter(b.build(), RecordingBackend(), registry=registry).run()
    assert result.status == "failed" and "does not declare: extra" in result.error
