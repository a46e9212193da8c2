"""The interpreter: runs a validated flow against a backend, node by node, round by round.

Semantics (DESIGN section 3): topological order, loop zones run once per round, `when` gates,
`active_rounds`, `disabled`, skip propagation, loop stop rules. Every step is an event to the observers;
a failing node stops the run with a message naming the node, its type and the backend call.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from planflow_qt.backends.base import Backend, UserStopped
from planflow_qt.catalog.registry import Registry
from planflow_qt.catalog.spec import NodeSpec, PortType
from planflow_qt.engine.backend_log import backend_warnings
from planflow_qt.engine.events import EventKind, Observer, RunEvent
from planflow_qt.engine.graph import LoopZone
from planflow_qt.engine.ledger import ChangeLedger, Leftovers
from planflow_qt.engine.preflight import preflight
from planflow_qt.engine.schedule import schedule
from planflow_qt.engine.states import NodeState, RunStatus
from planflow_qt.engine.tracing import TracedBackend
from planflow_qt.engine.validation import Analysis, Problem, analyze
from planflow_qt.model.document import Edge, Flow
from planflow_qt.model.rounds import parse_rounds


class NodeFailed(RuntimeError):
    """A node failed: names the node, its type, the round and the backend call."""

    def __init__(self, node_id: str, node_type: str, round_number: int | None, call: str | None, error: str):
        where = f" in round {round_number}" if round_number else ""
        during = f" calling {call}" if call else ""
        super().__init__(f"node {node_id} ({node_type}) failed{where}{during}: {error}")
        self.node_id, self.node_type, self.round, self.call, self.error = node_id, node_type, round_number, call, error


@dataclass
class RunResult:
    """How a run ended, and what it measured."""

    status: RunStatus
    rounds: int = 0
    error: str = ""
    problems: list[Problem] = field(default_factory=list)
    metrics: dict[int, dict[str, float]] = field(default_factory=dict)
    node_states: dict[str, NodeState] = field(default_factory=dict)
    elapsed_s: float = 0.0


class _StopRun(Exception):
    pass


@dataclass
class _Context:
    """The RunContext a node sees."""

    interpreter: Interpreter
    backend: Backend
    round: int | None
    node_id: str
    node_title: str
    node_type: str
    tags: list[str]
    idle_flag: bool = False

    def case_roi(self, flow_name: str) -> str:
        return self.interpreter.roi_map.get(flow_name, flow_name)

    def register_roi(self, flow_name: str, case_name: str) -> None:
        self.interpreter.roi_map[flow_name] = case_name

    def _emit(self, kind: EventKind, message: str, **data: Any) -> None:
        self.interpreter.emit(RunEvent(kind, message, self.node_id, self.node_type, self.round, data))

    def log(self, message: str, **data: Any) -> None:
        self._emit(EventKind.LOG, message, **data)

    def warn(self, message: str) -> None:
        self._emit(EventKind.WARNING, message)

    def metric(self, name: str, value: float, unit: str = "") -> None:
        self.interpreter.record_metric(self.round or 0, name, float(value))
        self._emit(EventKind.METRIC, f"{name} = {value:.4g} {unit}".rstrip(), name=name, value=float(value),
                   unit=unit)

    def idle(self) -> None:
        self.idle_flag = True


class Interpreter:
    """Runs one flow on one backend. Create one per run.

    `analysis` is the flow's analysis when the caller has made it (and shown its problems) already.
    """

    def __init__(self, flow: Flow, backend: Backend, observers: list[Observer] | tuple[Observer, ...] = (),
                 registry: Registry | None = None, leftovers: Leftovers | None = None,
                 analysis: Analysis | None = None):
        self.flow = flow
        self.ledger = ChangeLedger()
        self.backend = TracedBackend(backend, self.ledger)
        self.leftovers = leftovers
        self.observers = list(observers)
        self.registry = registry
        self.roi_map: dict[str, str] = {}
        self.values: dict[tuple[str, str], Any] = {}
        self.result = RunResult(RunStatus.COMPLETED)
        self._stop = threading.Event()
        self._analysis: Analysis | None = analysis
        self._nodes = {node.id: node for node in flow.nodes}
        self._edges_in: dict[str, list[Edge]] = {}
        for edge in flow.edges:
            self._edges_in.setdefault(edge.dst[0], []).append(edge)

    # -- observers and state -----------------------------------------------------------------------------------
    def emit(self, event: RunEvent) -> None:
        for observer in self.observers:
            observer(event)

    def record_metric(self, round_number: int, name: str, value: float) -> None:
        self.result.metrics.setdefault(round_number, {})[name] = value

    def request_stop(self) -> None:
        """Ask the run to stop cleanly after the node that is running."""
        self._stop.set()

    # -- the run -------------------------------------------------------------------------------------------------
    def run(self, check_case: bool = True) -> RunResult:
        """Validate, preflight (when `check_case`), then execute. Never raises for a flow or backend error."""
        started = time.perf_counter()
        analysis = self._analysis = self._analysis or analyze(self.flow, self.registry)
        result = self.result
        if not analysis.ok:
            result.status, result.problems = RunStatus.INVALID, analysis.problems
            result.error = "the flow is invalid: " + "; ".join(p.format() for p in analysis.problems[:5])
            self.emit(RunEvent(EventKind.RUN_FAILED, result.error,
                               data={"problems": [p.format() for p in analysis.problems]}))
            return result
        if check_case:
            problems = preflight(analysis, self.backend.inner)
            if problems and self.leftovers is not None:
                problems = self.leftovers.explain(problems)
            if problems:
                result.status, result.problems = RunStatus.REFUSED, problems
                result.error = "preflight refused the run: " + "; ".join(p.format() for p in problems)
                self.emit(RunEvent(EventKind.RUN_FAILED, result.error,
                                   data={"problems": [p.format() for p in problems]}))
                return result
        result.node_states = dict.fromkeys(analysis.order, NodeState.PENDING)
        self.emit(RunEvent(EventKind.RUN_STARTED, f"run of {self.flow.meta.name!r} on {self.backend.name}",
                           data={"flow": self.flow.meta.name, "backend": self.backend.name,
                                 "nodes": len(self.flow.nodes)}))
        try:
            for step in schedule(analysis.graph, analysis.loops):
                if isinstance(step, LoopZone):
                    self._run_loop(step)
                else:
                    self._run_node(step, None)
        except NodeFailed as exc:
            result.status, result.error = RunStatus.FAILED, str(exc)
            result.elapsed_s = time.perf_counter() - started
            self.emit(RunEvent(EventKind.RUN_FAILED, str(exc), exc.node_id, exc.node_type, exc.round,
                               {"call": exc.call, "error": exc.error, "elapsed_s": result.elapsed_s,
                                **self.ledger.report(self.backend.name)}))
            return result
        except (_StopRun, KeyboardInterrupt) as exc:
            result.status = RunStatus.STOPPED
            result.error = str(exc) if isinstance(exc, _StopRun) else "interrupted (Ctrl+C) between nodes"
            result.elapsed_s = time.perf_counter() - started
            self.emit(RunEvent(EventKind.RUN_STOPPED, result.error, data={"elapsed_s": result.elapsed_s,
                                                                      **self.ledger.report(self.backend.name)}))
            return result
        result.elapsed_s = time.perf_counter() - started
        self.emit(RunEvent(EventKind.RUN_FINISHED, f"completed in {result.elapsed_s:.1f} s",
                           data={"rounds": result.rounds, "elapsed_s": result.elapsed_s}))
        return result

    def _run_loop(self, zone: LoopZone) -> None:
        analysis = self._analysis
        begin_params = analysis.params[zone.begin]
        end_params = analysis.params[zone.end]
        gated = [n for n in zone.body if self._is_gated(n)]
        for round_number in range(1, begin_params.max_rounds + 1):
            self.result.rounds = round_number
            self.emit(RunEvent(EventKind.ROUND_STARTED, f"round {round_number} of at most "
                               f"{begin_params.max_rounds}", zone.begin, self._nodes[zone.begin].type, round_number))
            fired = 0
            eligible = [n for n in gated if not self._nodes[n].disabled
                        and round_number in parse_rounds(self._nodes[n].active_rounds)]
            for node_id in [zone.begin, *zone.body, zone.end]:
                if self._run_node(node_id, round_number) and node_id in gated:
                    fired += 1
            end_inputs, _ = self._gather(zone.end)
            stop = end_inputs.get("stop") is True
            reason = ""
            if stop:
                reason = "stop condition true"
            elif end_params.stop_when_idle and eligible and not fired:
                reason = "no gated action fired"
            elif round_number == begin_params.max_rounds:
                reason = "maximum rounds reached"
            self.emit(RunEvent(EventKind.ROUND_FINISHED, f"round {round_number} finished"
                               + (f": {reason}" if reason else ""), zone.end, self._nodes[zone.end].type, round_number,
                               {"fired": fired, "stop_reason": reason}))
            if reason:
                break

    @staticmethod
    def _with_plan(spec: NodeSpec, inputs: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
        """The node's outputs, with its plan passed on when it returned none (the plan wire is the order of side
        effects, not a value a node makes); an output the node type does not declare fails the node."""
        undeclared = sorted(set(outputs) - {port.name for port in spec.outputs})
        if undeclared:
            raise ValueError(f"the node returned outputs its type does not declare: {', '.join(undeclared)}")
        plan = [p.name for p in spec.outputs if p.type is PortType.PLAN and p.name not in outputs]
        return {**outputs, **{name: inputs[name] for name in plan if name in inputs}}

    def _is_gated(self, node_id: str) -> bool:
        analysis = self._analysis
        node = self._nodes[node_id]
        return (analysis.types[node_id].spec.self_gated or self._wired(node_id, "when")
                or not parse_rounds(node.active_rounds).is_all)

    def _wired(self, node_id: str, port: str) -> bool:
        return any(e.dst[1] == port for e in self._edges_in.get(node_id, []))

    def _gather(self, node_id: str) -> tuple[dict[str, Any], list[str]]:
        """Input values by port (lists for multi ports) and the ports whose value is absent."""
        spec = self._analysis.types[node_id].spec
        inputs: dict[str, Any] = {}
        absent: list[str] = []
        edges = self._edges_in.get(node_id, [])
        for port in spec.all_inputs():
            sources = [e.src for e in edges if e.dst[1] == port.name]
            present = [self.values[tuple(s)] for s in sources if tuple(s) in self.values]
            if port.multi:
                inputs[port.name] = present
                if sources and len(present) < len(sources):
                    absent.append(port.name)
            elif present:
                inputs[port.name] = present[0]
            elif sources:
                absent.append(port.name)
        return inputs, absent

    def _skip_reason(self, node_id: str, round_number: int | None, inputs: dict[str, Any],
                     absent: list[str]) -> str:
        node = self._nodes[node_id]
        if node.disabled:
            return "switched off"
        if round_number is not None and round_number not in parse_rounds(node.active_rounds):
            return f"not active in round {round_number} (active rounds {node.active_rounds})"
        if "when" in inputs and inputs["when"] is not True:
            return "its condition is false"
        missing = [p for p in absent if p != "when"]
        if missing:
            sources = [e.src[0] for e in self._edges_in.get(node_id, []) if e.dst[1] in missing]
            return f"input {', '.join(missing)} has no value ({', '.join(sorted(set(sources)))} skipped)"
        if "when" in absent:
            return "its condition was not evaluated"
        return ""

    def _run_node(self, node_id: str, round_number: int | None) -> bool:
        """Run or skip one node; True if it ran and acted."""
        if self._stop.is_set():
            raise _StopRun(f"stopped by the user before node {node_id}")
        analysis = self._analysis
        node = self._nodes[node_id]
        node_type = analysis.types[node_id]
        spec = node_type.spec
        inputs, absent = self._gather(node_id)
        reason = self._skip_reason(node_id, round_number, inputs, absent)
        if reason:
            self._skip(node_id, node.type, round_number, inputs, reason)
            return False
        title = node.title or spec.title
        ctx = _Context(self, self.backend, round_number, node_id, title, node.type, analysis.names.get(node_id, []))
        self.result.node_states[node_id] = NodeState.RUNNING
        self.emit(RunEvent(EventKind.NODE_STARTED, title, node_id, node.type, round_number))
        started = time.perf_counter()
        self.backend.last_call = None
        self.ledger.node = (node_id, node.type, round_number)
        try:
            with self.backend.step(title), backend_warnings(ctx.warn):
                outputs = node_type.run(ctx, analysis.params[node_id], {k: v for k, v in inputs.items()
                                                                        if k != "when"})
            outputs = self._with_plan(spec, inputs, outputs or {})
        except UserStopped as exc:
            self.result.node_states[node_id] = NodeState.FAILED
            raise _StopRun(f"stopped by the user at {node_id}: {exc}") from None
        except KeyboardInterrupt:
            self.result.node_states[node_id] = NodeState.FAILED
            raise _StopRun(f"interrupted (Ctrl+C) during node {node_id} ({node.type}): it may be half done") from None
        except Exception as exc:
            self.result.node_states[node_id] = NodeState.FAILED
            call = self.backend.last_call
            failure = NodeFailed(node_id, node.type, round_number, call, f"{type(exc).__name__}: {exc}")
            self.emit(RunEvent(EventKind.NODE_FAILED, str(failure), node_id, node.type, round_number,
                               {"call": call, "error": failure.error}))
            raise failure from exc
        for port, value in outputs.items():
            self.values[(node_id, port)] = value
        for port in spec.outputs:
            if port.name not in outputs:
                self.values.pop((node_id, port.name), None)
        self.result.node_states[node_id] = NodeState.DONE
        self.emit(RunEvent(EventKind.NODE_FINISHED, title, node_id, node.type, round_number,
                           {"seconds": round(time.perf_counter() - started, 4), "idle": ctx.idle_flag,
                            "outputs": {k: v for k, v in (outputs or {}).items()
                                        if isinstance(v, (bool, int, float, str))}}))
        return not ctx.idle_flag

    def _skip(self, node_id: str, node_type: str, round_number: int | None, inputs: dict[str, Any],
              reason: str) -> None:
        """A skipped node passes plan and function inputs through; bools are false; other outputs absent."""
        for port in self._analysis.types[node_id].spec.outputs:
            key = (node_id, port.name)
            if port.type in (PortType.PLAN, PortType.FUNCTION) and port.name in inputs:
                self.values[key] = inputs[port.name]
            elif port.type is PortType.BOOL:
                self.values[key] = False
            else:
                self.values.pop(key, None)
        self.result.node_states[node_id] = NodeState.SKIPPED
        self.emit(RunEvent(EventKind.NODE_SKIPPED, reason, node_id, node_type, round_number, {"reason": reason}))
