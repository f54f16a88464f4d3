"""Command line for the engine; every reply is one JSON object on stdout.

Usage::

    python -m engine list
    python -m engine show FAMILY (--seed N | --params JSON) [--answers]
    python -m engine grade FAMILY (--seed N | --params JSON) --answer PART=TEXT [--answer PART=TEXT ...]

Bad input (unknown family, malformed JSON, parameters outside the family's schema, an unknown part,
an answer longer than ``MAX_INPUT_CHARS``) prints ``{"error": {"code": ..., "message": ...}}`` and
exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from engine.family import Family, all_families, get_family
from engine.grading import grade
from engine.parsing import MAX_INPUT_CHARS
from engine.values import InvalidParams, Variant

EXIT_USAGE = 2


class CliError(Exception):
    """A problem with the command line's input; reported as JSON with exit status 2."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise CliError("usage", message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m engine", description="dlquiz exercise engine (JSON on stdout)")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="every family with its parameter schema")

    def variant_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("family", help="family id, e.g. conv2d_output_size")
        which = p.add_mutually_exclusive_group(required=True)
        which.add_argument("--seed", type=int, help="generate the variant from this seed")
        which.add_argument("--params", help="explicit parameters as a JSON object")

    show = sub.add_parser("show", help="a variant's prompt and answer parts")
    variant_args(show)
    show.add_argument("--answers", action="store_true", help="include answers, solution and mistakes")
    grade_p = sub.add_parser("grade", help="grade answers to a variant")
    variant_args(grade_p)
    grade_p.add_argument(
        "--answer",
        action="append",
        default=[],
        metavar="PART=TEXT",
        help="an answer for one part (repeat for each part)",
    )
    return parser


def _family(family_id: str) -> Family:
    try:
        return get_family(family_id)
    except KeyError:
        raise CliError("unknown_family", f"unknown exercise family {family_id!r}") from None


def _variant(family: Family, seed: int | None, params_text: str | None) -> Variant:
    if seed is not None:
        if seed < 0:
            raise CliError("invalid_seed", "--seed must be a non-negative integer")
        try:
            return family.generate(seed)
        except RuntimeError as exc:  # no valid parameters drawn
            raise CliError("generation_failed", str(exc)) from None
    assert params_text is not None
    if len(params_text) > MAX_INPUT_CHARS:
        raise CliError("bad_json", f"--params is longer than {MAX_INPUT_CHARS} characters")
    try:
        params = json.loads(params_text)
    except json.JSONDecodeError as exc:
        raise CliError("bad_json", f"--params is not valid JSON: {exc}") from None
    if not isinstance(params, dict):
        raise CliError("invalid_params", "--params must be a JSON object")
    try:
        return family.instantiate(params)
    except InvalidParams as exc:
        raise CliError("invalid_params", str(exc)) from None


def _answers(variant: Variant, items: Sequence[str]) -> dict[str, str]:
    names = [p.name for p in variant.parts]
    out: dict[str, str] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise CliError("bad_answer", f"--answer must look like PART=TEXT, not {item[:40]!r}")
        if name not in names:
            raise CliError("unknown_part", f"unknown part {name!r}; parts are: {', '.join(names)}")
        if name in out:
            raise CliError("bad_answer", f"part {name!r} answered twice")
        if len(text) > MAX_INPUT_CHARS:
            raise CliError(
                "answer_too_long", f"the answer to {name!r} is longer than {MAX_INPUT_CHARS} characters"
            )
        out[name] = text
    return out


def run(argv: Sequence[str]) -> dict[str, Any]:
    """Execute one command and return its JSON reply (raises :class:`CliError` on bad input)."""
    args = _parser().parse_args(list(argv))
    if args.command == "list":
        return {"families": [f.to_dict() for f in all_families()]}
    family = _family(args.family)
    variant = _variant(family, args.seed, args.params)
    if args.command == "show":
        d = variant.to_dict(with_answers=args.answers)
        if args.answers:
            d["mistakes"] = [
                {
                    "id": m.id,
                    "title": m.title,
                    "values": {k: list(v) if isinstance(v, tuple) else v for k, v in m.values.items()},
                }
                for m in variant.mistakes
            ]
        return d
    result = grade(variant, _answers(variant, args.answer))
    return {
        "family": variant.family,
        "version": variant.version,
        "seed": variant.seed,
        "params": dict(variant.params),
        **result.to_dict(),
    }


def _emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: prints one JSON object; returns 0, or 2 on bad input."""
    try:
        _emit(run(sys.argv[1:] if argv is None else argv))
    except CliError as exc:
        _emit({"error": {"code": exc.code, "message": exc.message}})
        return EXIT_USAGE
    return 0


if __name__ == "__main__":
    if hasattr(sys.stdout, "reconfigure"):  # Chinese prompts: UTF-8 whatever the locale says
        sys.stdout.reconfigure(encoding="utf-8")
    sys.exit(main())
