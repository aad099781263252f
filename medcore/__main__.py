"""Command line: ``python -m medcore models | train | evaluate | export | bench | score | report``.

``models`` lists the registered models (name, title, kind, whether it is built).
``train NAME`` fits a model on its real data and writes ``assets/models/NAME.keras`` + card
(and ``NAME.tflite``, see ``export``).
``evaluate NAME --json`` recomputes the test metrics of the shipped model and its baselines and
prints one JSON object; the output is also stored in the card under ``"evaluation"``.
``export NAME`` (or ``--all``) converts the shipped ``NAME.keras`` to ``NAME.tflite`` for serving
with LiteRT, without retraining, and records it in the card under ``"serving"``.
``bench --json`` prints latency and throughput figures as one JSON object.
``score NAME --input PATH --output PATH`` scores a whole file or folder (:mod:`medcore.scoring`).
``report NAME (--scan FILE | --records FILE --row N | --records VISITS --patient ID) --out F``
writes one patient's report as PDF or HTML (:mod:`medcore.report.cli`).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from medcore import registry
from medcore.errors import MedcoreError
from medcore.registry import export_serving, model_module, update_card


def _cmd_models(args: argparse.Namespace) -> int:
    rows = [{"model": s.name, "title": s.title, "kind": s.kind.value,
             "built": registry.is_available(s.name, args.models_dir)} for s in registry.specs()]
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['model']:<24} {row['kind']:<19} "
                  f"{'built' if row['built'] else 'not built':<10} {row['title']}")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    module = model_module(args.model)
    card = module.train(data=args.data, seed=args.seed, models_dir=args.models_dir)
    print(json.dumps({"model": args.model, "saved": card.model_details.file,
                      "sha256": card.sha256,
                      "serving": card.serving.file if card.serving else None},
                     indent=None if args.json else 2))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    module = model_module(args.model)
    result = module.evaluate(data=args.data, models_dir=args.models_dir, engine=args.engine)
    if not args.no_save:
        update_card(args.model, args.models_dir, evaluation=result)
    print(json.dumps(result, indent=None if args.json else 2, default=_jsonable))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    if bool(args.all) == bool(args.model):
        raise MedcoreError("Name one model to export, or --all; got "
                           f"{'both' if args.all else 'neither'}.")
    if args.max_visits is not None and args.max_visits < 1:
        raise MedcoreError(f"--max-visits {args.max_visits}; expected a positive number of "
                           "visits (the longest PBC history has 16; the default is 32).")
    names = registry.names() if args.all else [args.model]
    done = {name: dataclasses.asdict(
        export_serving(name, args.models_dir, max_steps=args.max_visits))
            for name in names}
    print(json.dumps(done, indent=None if args.json else 2))
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from medcore.benchmarks import run_all

    figures = run_all(only=args.only, data=args.data)
    print(json.dumps(figures, indent=None if args.json else 2, default=_jsonable))
    return 0


def _jsonable(value):
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m medcore", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    names = sorted(registry.names())

    models = sub.add_parser("models", help="list the registered models")
    models.add_argument("--json", action="store_true", help="print compact JSON")
    models.add_argument("--models-dir", type=Path, default=None)
    models.set_defaults(func=_cmd_models)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, default=None,
                       help="data file or folder (default: $MEDCORE_DATA_DIR)")
        p.add_argument("--json", action="store_true", help="print compact JSON")

    train = sub.add_parser("train", help="train a model on its real data and save it")
    train.add_argument("model", choices=names)
    common(train)
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--models-dir", type=Path, default=None,
                       help="where to write NAME.keras and NAME.json (default: assets/models)")
    train.set_defaults(func=_cmd_train)

    evaluate = sub.add_parser("evaluate", help="test metrics of a shipped model and baselines")
    evaluate.add_argument("model", choices=names)
    common(evaluate)
    evaluate.add_argument("--models-dir", type=Path, default=None)
    evaluate.add_argument("--no-save", action="store_true",
                          help="do not store the result in the model card")
    evaluate.add_argument("--engine", choices=registry.ENGINES, default="litert",
                          help="runtime that scores the model: litert (default, as served) or "
                               "keras (the TensorFlow reference)")
    evaluate.set_defaults(func=_cmd_evaluate)

    export = sub.add_parser("export", help="convert shipped .keras models to .tflite (LiteRT)")
    export.add_argument("model", nargs="?", choices=names)
    export.add_argument("--all", action="store_true", help="every shipped model")
    export.add_argument("--json", action="store_true", help="print compact JSON")
    export.add_argument("--models-dir", type=Path, default=None)
    export.add_argument("--max-visits", type=int, default=None,
                        help="visits a recurrent model's export reads (default: 32)")
    export.set_defaults(func=_cmd_export)

    bench = sub.add_parser("bench", help="latency and throughput figures")
    common(bench)
    from medcore.benchmarks import GROUPS, OPT_IN

    bench.add_argument("--only", nargs="*", default=None, choices=GROUPS + OPT_IN,
                       help=f"benchmark groups to run (default: all but {', '.join(OPT_IN)}, "
                            "which take minutes)")
    bench.set_defaults(func=_cmd_bench)

    from medcore.scoring.cli import add_parser as add_score

    add_score(sub, names)

    from medcore.report.cli import add_parser as add_report

    add_report(sub, names)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except MedcoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
