"""The `planflow` command: nodes, validate, run, study, phantom, convert (and edit, when the editor is installed).

Exit codes: 0 success; 1 flow or option invalid; 2 file unreadable or not JSON (a flow, or a DICOM patient
folder), or an output not writable; 3 run failed; 130 interrupted (Ctrl+C).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from planflow_qt.engine.states import RunStatus

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_RUN_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def _cmd_nodes(args: argparse.Namespace) -> int:
    from planflow_qt.catalog.reference import catalog_json, catalog_markdown
    from planflow_qt.catalog.registry import default_registry

    registry = default_registry()
    if args.json:
        sys.stdout.write(json.dumps(catalog_json(registry), indent=2) + "\n")
    elif args.markdown:
        sys.stdout.write(catalog_markdown(registry))
    else:
        for entry in catalog_json(registry):
            ins = ", ".join(p["name"] for p in entry["inputs"]) or "-"
            outs = ", ".join(p["name"] for p in entry["outputs"]) or "-"
            sys.stdout.write(f"{entry['id']:<22} {entry['category']:<13} {entry['title']:<22} in: {ins}  "
                             f"out: {outs}\n")
    return EXIT_OK


def _read_flow(path: Path):
    """A native flow, or a legacy Planning-Flow file converted on the fly (its warnings on stderr)."""
    from planflow_qt.model.legacy import load_any

    flow, warnings = load_any(path)
    for warning in warnings:
        sys.stderr.write(f"{path}: warning: {warning}\n")
    return flow


def _cmd_validate(args: argparse.Namespace) -> int:
    from planflow_qt.engine.validation import validate
    from planflow_qt.model.errors import FlowDocumentError
    from planflow_qt.model.files import FlowFileError

    worst = EXIT_OK
    for path in args.flows:
        try:
            flow = _read_flow(path)
        except FlowDocumentError as exc:
            sys.stderr.write("".join(f"{line}\n" for line in exc.lines()))
            worst = max(worst, EXIT_INVALID)
            continue
        except FlowFileError as exc:
            sys.stderr.write(f"{exc}\n")
            worst = max(worst, EXIT_UNREADABLE)
            continue
        problems = validate(flow)
        for problem in problems:
            sys.stderr.write(problem.format(path) + "\n")
        errors = [p for p in problems if p.is_error]
        if errors:
            worst = max(worst, EXIT_INVALID)
        else:
            sys.stdout.write(f"{path}: valid ({len(flow.nodes)} nodes, {len(flow.edges)} wires)\n")
    return worst


def _load_for_run(path: Path):
    from planflow_qt.engine.validation import validate
    from planflow_qt.model.errors import FlowDocumentError
    from planflow_qt.model.files import FlowFileError

    try:
        flow = _read_flow(path)
    except FlowDocumentError as exc:
        sys.stderr.write("".join(f"{line}\n" for line in exc.lines()))
        return None, EXIT_INVALID
    except FlowFileError as exc:
        sys.stderr.write(f"{exc}\n")
        return None, EXIT_UNREADABLE
    problems = [p for p in validate(flow) if p.is_error]
    for problem in problems:
        sys.stderr.write(problem.format(str(path)) + "\n")
    return (None, EXIT_INVALID) if problems else (flow, EXIT_OK)


def _run_one(flow, args: argparse.Namespace, out_dir: Path, patient=None, quiet: bool = False):
    from planflow_qt.cli_options import stop_cleanly_on_ctrl_c
    from planflow_qt.progress import ConsoleProgress
    from planflow_qt.runner import execute

    backend = _make_backend(args, patient)
    case = patient.label if patient is not None else args.case
    progress = ConsoleProgress(quiet=quiet)
    try:
        with stop_cleanly_on_ctrl_c() as hook:
            return execute(flow, backend, out_dir, case=case, observers=[progress], interpreter_hook=hook)
    finally:
        progress.close()


def _make_backend(args: argparse.Namespace, patient=None):
    """The backend of `planflow run` (on `patient` when one was read); `BadOption` saying why when it cannot be
    made."""
    from planflow_qt.backends import BackendError, make_backend
    from planflow_qt.cli_options import BadOption, simulated_option_problems

    if patient is not None:
        from planflow_qt.backends.simulated import SimulatedBackend

        return SimulatedBackend(patient=patient)
    if args.backend == "simulated":
        problems = simulated_option_problems(args.case, args.grid, args.seed)
        if problems:
            raise BadOption("\n".join(f"planflow run: {problem}" for problem in problems))
    try:
        return make_backend(args.backend, case=args.case, grid_mm=args.grid, seed=args.seed)
    except BackendError as exc:
        raise BadOption(f"planflow run: --backend {args.backend}: {exc}") from None


def _read_patient(args: argparse.Namespace):
    """The DICOM patient of `--patient` on the `--grid` dose grid (None without `--patient`); its notes on
    stderr. `PatientError` when the folder cannot be used; `BadOption` for options that do not go with it."""
    from planflow_qt.cli_options import BadOption, patient_option_problems
    from planflow_qt.patients.calibration import read_calibration
    from planflow_qt.patients.dicom_import import read_patient

    if args.patient is None:
        if args.calibration is not None:
            raise BadOption("planflow run: --calibration applies to a DICOM patient: give --patient DIR too")
        return None
    problems = patient_option_problems(args.backend, args.grid, args.seed)
    if problems:
        raise BadOption("\n".join(f"planflow run: {problem}" for problem in problems))
    calibration = read_calibration(args.calibration) if args.calibration else None
    patient = read_patient(args.patient, grid_mm=args.grid, calibration=calibration)
    sys.stderr.write(f"patient: {patient.label} from {args.patient} ({len(patient.rois)} ROIs, dose grid "
                     f"{patient.grid.voxel_mm:g} mm)\n")
    for note in patient.notes:
        sys.stderr.write(f"{args.patient}: note: {note}\n")
    return patient


def _export_dicom(outcome, out_dir: Path) -> int:
    """Write the run's plan as DICOM RT into `out_dir/dicom` (`--export-dicom`)."""
    from planflow_qt.backends import BackendError

    if outcome.result.status != RunStatus.COMPLETED:
        sys.stderr.write("planflow run: --export-dicom: the run did not complete, nothing exported\n")
        return EXIT_RUN_FAILED
    folder = out_dir / "dicom"
    try:
        outcome.backend.export_dicom(str(folder))
    except BackendError as exc:
        sys.stderr.write(f"planflow run: --export-dicom: {exc}\n")
        return EXIT_RUN_FAILED
    sys.stdout.write(f"dicom:   {folder.resolve()}\n")
    return EXIT_OK


def _cmd_run(args: argparse.Namespace) -> int:
    from planflow_qt.report.writer import write_report
    from planflow_qt.study.matching import matched_flow

    flow, code = _load_for_run(args.flow)
    if flow is None:
        return code
    baseline_flow = None
    if args.baseline:
        baseline_flow, code = _load_for_run(args.baseline)
        if baseline_flow is None:
            return code
    patient = _read_patient(args)
    out_dir = args.out or Path("runs") / args.flow.name.removesuffix(".json").removesuffix(".planflow")
    outcome = _run_one(flow, args, out_dir, patient)
    baseline = matched = None
    if baseline_flow is not None:
        sys.stderr.write(f"baseline: {args.baseline}\n")
        baseline = _run_one(baseline_flow, args, out_dir / "baseline", patient)
        write_report(baseline)
        control = matched_flow(baseline_flow, outcome.recorder.optimization_iterations)
        if control is not None:
            sys.stderr.write(f"iteration-matched control: {control.meta.description}\n")
            matched = _run_one(control, args, out_dir / "matched", patient)
            write_report(matched)
    report = write_report(outcome, baseline, matched=matched)
    result = outcome.result
    incomplete = (f"; report incomplete: {len(outcome.report_warnings)} measurement(s) failed (see run.jsonl)"
                  if outcome.report_warnings else "")
    sys.stdout.write(f"status {result.status}; {result.rounds} round(s); {result.elapsed_s:.1f} s{incomplete}\n"
                     f"report:  {report.resolve()}\nsummary: {(out_dir / 'summary.json').resolve()}\n"
                     f"log:     {(out_dir / 'run.jsonl').resolve()}\n")
    if result.status != RunStatus.COMPLETED:
        sys.stderr.write(f"{result.error}\n" + "".join(f"{line}\n" for line in outcome.unsaved))
        exits = {RunStatus.INVALID: EXIT_INVALID, RunStatus.STOPPED: EXIT_INTERRUPTED}
        return exits.get(result.status, EXIT_RUN_FAILED)
    return _export_dicom(outcome, out_dir) if args.export_dicom else EXIT_OK


def _cmd_phantom(args: argparse.Namespace) -> int:
    from planflow_qt.cli_options import BadOption, simulated_option_problems
    from planflow_qt.patients.dicom_phantom import write_patient_dicom
    from planflow_qt.patients.phantoms import make_case

    problems = simulated_option_problems(args.case, args.grid, args.seed)
    if problems:
        raise BadOption("\n".join(f"planflow phantom: {problem}" for problem in problems))
    patient = make_case(args.case, grid_mm=args.grid, seed=args.seed)
    identity = write_patient_dicom(patient, args.dicom, position=args.position)
    sys.stdout.write(f"{args.dicom.resolve()}: {identity.patient_name} ({identity.patient_id}), "
                     f"{patient.grid.shape[2]} CT slices of {patient.grid.shape[0]} x {patient.grid.shape[1]} "
                     f"pixels ({args.grid:g} mm), RTSTRUCT with {len(patient.rois)} ROIs\n")
    return EXIT_OK


def _cmd_edit(args: argparse.Namespace) -> int:
    from planflow_qt.editor.app import main as edit

    return edit(args.flow, screenshot=args.screenshot, run=args.run, case=args.case, grid_mm=args.grid,
                select=args.select)


def _cmd_study(args: argparse.Namespace) -> int:
    from planflow_qt.study.cli import run_command

    return run_command(args)


def _cmd_convert(args: argparse.Namespace) -> int:
    from planflow_qt.engine.validation import validate
    from planflow_qt.model.errors import FileSaveError
    from planflow_qt.model.files import FlowFileError, read_json, save_flow
    from planflow_qt.model.legacy import convert_legacy, is_legacy

    try:
        data = read_json(args.legacy)
        if not is_legacy(data):
            raise FlowFileError(args.legacy, "not a Planning-Flow file (no 'flow_name'; a PlanFlow file needs no "
                                             "conversion)")
        flow, warnings = convert_legacy(data, args.legacy)
    except FlowFileError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_UNREADABLE
    for warning in warnings:
        sys.stderr.write(f"{args.legacy}: warning: {warning}\n")
    problems = validate(flow)
    for problem in problems:
        sys.stderr.write(problem.format(str(args.output)) + "\n")
    try:
        save_flow(flow, args.output)
    except FileSaveError as exc:
        sys.stderr.write(f"planflow convert: -o {exc}\n")
        return EXIT_UNREADABLE
    sys.stdout.write(f"{args.output}: {len(flow.nodes)} nodes, {len(flow.edges)} wires, {len(warnings)} warning(s)\n")
    return EXIT_INVALID if problems else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="planflow", description="Automate treatment planning as node graphs.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    nodes = sub.add_parser("nodes", help="list the node catalog")
    fmt = nodes.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="ports and parameter schemas as JSON")
    fmt.add_argument("--markdown", action="store_true", help="the node reference as Markdown")
    nodes.set_defaults(func=_cmd_nodes)

    check = sub.add_parser("validate", help="check flow files without running them")
    check.add_argument("flows", nargs="+", type=Path, metavar="FLOW")
    check.set_defaults(func=_cmd_validate)

    run = sub.add_parser("run", help="run a flow and write its log, report and summary")
    run.add_argument("flow", type=Path, metavar="FLOW")
    run.add_argument("--backend", default="simulated", choices=["simulated", "raystation"])
    run.add_argument("--case", default="lung", help="simulated case: lung, lung_left, esophagus")
    run.add_argument("--grid", type=float, default=5.0, metavar="MM", help="simulated dose grid (mm)")
    run.add_argument("--seed", type=int, default=None, help="simulated patient variant (tumor size, position)")
    run.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default runs/FLOW)")
    run.add_argument("--patient", type=Path, default=None, metavar="DIR",
                     help="plan on the DICOM patient in DIR (a CT series and its RTSTRUCT) instead of a phantom")
    run.add_argument("--calibration", type=Path, default=None, metavar="CSV",
                     help="CT calibration of --patient: HU, relative electron density lines (default: a typical "
                          "120 kV table, see docs/dicom.md)")
    run.add_argument("--export-dicom", action="store_true",
                     help="write the final plan, dose and every ROI as DICOM RT into OUT/dicom")
    run.add_argument("--baseline", type=Path, default=None, metavar="FLOW",
                     help="also run this flow on the same case, and again with as many optimization iterations "
                          "as FLOW ran in total (iteration-matched control); compare side by side in the report")
    run.set_defaults(func=_cmd_run)

    phantom = sub.add_parser("phantom", help="write a phantom patient as DICOM (CT series + RTSTRUCT)")
    phantom.add_argument("case", metavar="CASE", help="phantom case: lung, lung_left, esophagus, prostate")
    phantom.add_argument("--seed", type=int, default=None, help="patient variant (tumor size, position)")
    phantom.add_argument("--dicom", type=Path, required=True, metavar="DIR", help="folder to write the files into")
    phantom.add_argument("--grid", type=float, default=2.5, metavar="MM", help="CT voxel size (mm), default 2.5")
    phantom.add_argument("--position", default="HFS", choices=["HFS", "HFP", "FFS", "FFP"],
                         help="patient position the CT is written in")
    phantom.set_defaults(func=_cmd_phantom)

    convert = sub.add_parser("convert", help="convert a Planning-Flow file into a PlanFlow flow")
    convert.add_argument("legacy", type=Path, metavar="LEGACY")
    convert.add_argument("-o", "--output", type=Path, required=True, metavar="FLOW")
    convert.set_defaults(func=_cmd_convert)

    edit = sub.add_parser("edit", help="open the node-graph editor (needs the gui extra)")
    edit.add_argument("flow", type=Path, nargs="?", default=None, metavar="FLOW")
    edit.add_argument("--screenshot", type=Path, default=None, metavar="PNG",
                      help="render the window with the flow loaded to a PNG and exit")
    edit.add_argument("--run", action="store_true", help="with --screenshot: run on the simulated case first")
    edit.add_argument("--case", default="lung", help="simulated case of --run: lung, lung_left, esophagus")
    edit.add_argument("--grid", type=float, default=10.0, metavar="MM", help="simulated dose grid of --run (mm)")
    edit.add_argument("--select", default=None, metavar="NODE", help="with --screenshot: select this node")
    edit.set_defaults(func=_cmd_edit)

    study = sub.add_parser("study", help="compare two flows over a cohort of simulated patients")
    from planflow_qt.study.cli import add_arguments

    add_arguments(study)
    study.set_defaults(func=_cmd_study)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `planflow` command."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    from planflow_qt.engine.backend_log import NotShownTwice

    for handler in logging.getLogger().handlers:
        handler.addFilter(NotShownTwice())
    from planflow_qt.cli_options import BadOption, forget_interrupt
    from planflow_qt.patients.errors import PatientError
    from planflow_qt.run_folder import RunFolderError

    forget_interrupt()
    try:
        return args.func(args)
    except BadOption as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_INVALID
    except PatientError as exc:  # a DICOM patient folder or calibration that cannot be used
        sys.stderr.write(f"planflow {args.command}: {exc}\n")
        return EXIT_UNREADABLE
    except (RunFolderError, OSError) as exc:  # an output folder or file that cannot be written
        sys.stderr.write(f"planflow {args.command}: {exc}\n")
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        sys.stderr.write(f"planflow {args.command}: interrupted (Ctrl+C)\n")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
