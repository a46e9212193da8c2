"""The `planflow study` command: its arguments and what it prints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `planflow study`."""
    parser.add_argument("flow_a", type=Path, metavar="FLOW_A", help="the flow studied (A)")
    parser.add_argument("flow_b", type=Path, metavar="FLOW_B", help="the flow it is compared with (B)")
    parser.add_argument("--case", default="lung", help="simulated case family: lung, lung_left, esophagus")
    parser.add_argument("--patients", type=Path, nargs="+", default=None, metavar="DIR",
                        help="DICOM patients instead of phantoms: each DIR a patient folder (CT + RTSTRUCT) or a "
                             "folder of patient folders")
    parser.add_argument("--cohort", type=int, default=10, metavar="N", help="number of patients")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="first patient seed (S, S+1, ...)")
    parser.add_argument("--grid", type=float, default=5.0, metavar="MM", help="simulated dose grid (mm)")
    parser.add_argument("--jobs", type=int, default=1, metavar="J", help="patients run in parallel processes")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="run on this Dask scheduler (e.g. tcp://host:8786) instead of local processes")
    parser.add_argument("--set", dest="sweep", action="append", default=[], metavar="NODE_ID.PARAM=V1,V2",
                        help="sweep a parameter of FLOW_A (repeatable: the grid of all combinations)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default studies/FLOW_A-vs-FLOW_B-CASE)")
    parser.add_argument("--no-matched", dest="matched", action="store_false",
                        help="skip the iteration-matched control (B run with as many iterations as A spent)")
    parser.add_argument("--fresh", action="store_true", help="discard earlier results in the output folder")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run_command(args: argparse.Namespace) -> int:
    """Run `planflow study`; print the table and the output paths."""
    from planflow_qt.cli_options import simulated_option_problems
    from planflow_qt.model.errors import FlowFileError
    from planflow_qt.patients.errors import PatientError
    from planflow_qt.study.report import comparisons
    from planflow_qt.study.runner import run_study
    from planflow_qt.study.spec import StudyError, StudySpec, parse_sweep
    from planflow_qt.study.table import markdown
    from planflow_qt.study.verdict import study_verdict

    problems = simulated_option_problems(args.case, args.grid, args.seed)
    if args.cohort < 1 or args.jobs < 1:
        problems.append("--cohort and --jobs must be at least 1")
    if problems:
        sys.stderr.write("".join(f"planflow study: {problem}\n" for problem in problems))
        return EXIT_INVALID
    patients = []
    if args.patients:
        from planflow_qt.patients.dicom_import import patient_folders

        try:
            patients = patient_folders(args.patients)
        except PatientError as exc:
            sys.stderr.write(f"planflow study: {exc}\n")
            return EXIT_UNREADABLE
    case = "dicom" if patients else args.case
    stem = f"{args.flow_a.stem}-vs-{args.flow_b.stem}-{'patients' if patients else args.case}"
    out = args.out or Path("studies") / stem
    try:
        spec = StudySpec(args.flow_a, args.flow_b, case, args.grid, len(patients) or args.cohort, args.seed,
                         parse_sweep(args.sweep), matched=args.matched, patients=patients)
        study = run_study(spec, out, jobs=args.jobs, scheduler=args.scheduler, fresh=args.fresh,
                          show_progress=not args.quiet)
    except FlowFileError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_UNREADABLE
    except PatientError as exc:
        sys.stderr.write(f"planflow study: {exc}\n")
        return EXIT_UNREADABLE
    except StudyError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_INVALID
    except KeyboardInterrupt:
        sys.stderr.write(f"interrupted: finished results are kept in {out / 'results'}; run the same command "
                         "again to resume\n")
        return EXIT_INTERRUPTED
    for variant in study.variants:
        for other, rows in comparisons(study, variant):
            name = other.key.upper()
            sys.stdout.write(f"\n{variant.label} (A) vs {other.label} ({name})\n\n{markdown(rows, 'A', name)}\n"
                             f"{study_verdict('A', name, rows)}\n")
    sys.stdout.write(f"\n{study.computed} result(s) computed, {study.reused} reused, {len(study.failed)} failed\n"
                     f"table:    {(out / 'table.md').resolve()}\nsummary:  {(out / 'study.html').resolve()}\n"
                     f"patients: {(out / 'patients.csv').resolve()}\n")
    for name in study.failed:
        sys.stderr.write(f"failed: {name}: {study.results[name].get('error', '')}\n")
    return EXIT_FAILED if study.failed else EXIT_OK
