"""Mutation testing, one module at a time: ``make mutation`` (docs/reliability.md).

For each module in ``modules.toml`` this runs ``mutmut run`` in a scratch
folder of its own, ``build/mutation/<module>/``: links to ``kiosk``, ``sync``,
``assets``, ``tests`` and ``docs``, and a ``pyproject.toml`` whose ``[tool.mutmut]``
mutates that module only and runs only its tests.  mutmut copies the links'
contents to ``mutants/`` there and imports the packages from that copy, so
each module keeps its own mutants and cache, and ``mutmut results``,
``mutmut show NAME`` and ``mutmut browse`` work in that folder afterwards.

Then it prints one table (module, mutants, killed, survived, equivalent,
score, minutes), lists every survivor that ``modules.toml`` does not explain,
with its diff, and exits 1 when a module scores under the threshold.
A timeout counts as killed (the mutant made the tests hang).

    python -m tests.mutation.run                      # every module, from scratch
    python -m tests.mutation.run sync/metrics.py      # one module
    python -m tests.mutation.run --survivors kiosk/store.py   # retest last run's survivors
    python -m tests.mutation.run --report             # the table of the last runs
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

ROOT = Path(__file__).resolve().parents[2]
PLAN = Path(__file__).with_name("modules.toml")
SCRATCH = ROOT / "build" / "mutation"
#: What the scratch folder links to: the packages, what they read, the tests and
#: the docs some tests hold the code to.
LINKS = ("kiosk", "sync", "assets", "tests", "docs")
#: mutmut's verdicts that mean the tests caught the mutant: a test failed, or the
#: tests hung (timeout) or crashed (segfault, also what a SIGKILL after a timeout reads as).
CAUGHT = {"killed", "timeout", "segfault"}


@dataclass
class Equivalent:
    """A surviving mutant no test can tell from the original, and why."""

    mutant: str
    line: str
    reason: str


@dataclass
class Module:
    """A module (file or package folder) to mutate, and the tests that guard it."""

    path: str
    tests: list[str]
    equivalent: dict[str, Equivalent] = field(default_factory=dict)
    #: pytest arguments instead of the settings' (another -m, say), or None.
    pytest_args: list[str] | None = None

    @property
    def name(self) -> str:
        """The dotted module name mutmut's mutant names start with."""
        return self.path.removesuffix(".py").strip("/").replace("/", ".")

    @property
    def scratch(self) -> Path:
        return SCRATCH / self.name

    @property
    def patterns(self) -> list[str]:
        """``only_mutate`` globs: the file, or every file under the folder."""
        return [self.path] if self.path.endswith(".py") else [f"{self.path.rstrip('/')}/*.py"]


@dataclass
class Plan:
    threshold: float
    pytest_args: list[str]
    modules: list[Module]


@dataclass
class Score:
    """One module's figures after a run."""

    module: Module
    mutants: int = 0
    killed: int = 0
    equivalents: list[tuple[str, str]] = field(default_factory=list)
    survivors: list[tuple[str, str]] = field(default_factory=list)
    not_checked: int = 0
    stale: list[str] = field(default_factory=list)
    minutes: float | None = None
    error: str | None = None

    @property
    def equivalent(self) -> int:
        return len(self.equivalents)

    @property
    def score(self) -> float:
        """Killed mutants as a percentage of those a test could kill."""
        killable = self.mutants - self.equivalent
        return 100.0 if killable <= 0 else self.killed * 100.0 / killable


def load_plan(path: Path = PLAN) -> Plan:
    """Read ``modules.toml``."""
    data = tomllib.loads(path.read_text())
    modules = []
    for entry in data["module"]:
        equivalent = {}
        for item in entry.get("equivalent", []):
            # One mutant (mutant, line), or several sharing a reason (mutants = [{...}]).
            for one in item.get("mutants", [item]):
                equivalent[one["mutant"]] = Equivalent(one["mutant"], one["line"].strip(),
                                                       item["reason"])
        modules.append(Module(entry["path"], list(entry["tests"]), equivalent,
                              entry.get("pytest_args")))
    settings = data.get("settings", {})
    return Plan(float(settings.get("threshold", 90)), list(settings.get("pytest_args", [])),
                modules)


def toml_value(value: object) -> str:
    """A string, number, boolean or list of those as TOML (json's quoting is TOML's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    return json.dumps(value)


def mutmut_config(module: Module, plan: Plan) -> dict[str, object]:
    """The ``[tool.mutmut]`` table for one module."""
    return {
        "source_paths": ["kiosk", "sync"],
        "only_mutate": module.patterns,
        "also_copy": ["assets", "docs"],
        "pytest_add_cli_args": (plan.pytest_args if module.pytest_args is None
                                else module.pytest_args),
        "pytest_add_cli_args_test_selection": module.tests,
        # The scratch folder is not where the changes are made: compare nothing with git.
        "use_git_change_detection": False,
    }


def prepare(module: Module, plan: Plan, fresh: bool) -> bool:
    """Make the module's scratch folder (and forget earlier results when ``fresh``).

    Returns False when earlier results were kept but the configuration changed
    (another test list, say): mutmut then forgets them all, so keeping them is moot.
    """
    missing = [test for test in module.tests if not (ROOT / test).exists()]
    if missing:
        raise FileNotFoundError(f"{module.path}: no such test file {', '.join(missing)}")
    if not list(ROOT.glob(module.patterns[0])):
        raise FileNotFoundError(f"{module.path}: no such module (update {PLAN.name})")
    folder = module.scratch
    if fresh:
        if (folder / "mutants").exists():
            shutil.rmtree(folder / "mutants")
        (folder / "minutes").unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKS:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(os.path.relpath(ROOT / name, folder))
    project = (ROOT / "pyproject.toml").read_text()
    table = "\n".join(f"{key} = {toml_value(value)}"
                      for key, value in mutmut_config(module, plan).items())
    config = folder / "pyproject.toml"
    text = f"{project}\n[tool.mutmut]\n{table}\n"
    same = config.exists() and config.read_text() == text
    config.write_text(text)
    return fresh or same


def mutmut(module: Module, *args: str, log: Path) -> subprocess.CompletedProcess:
    """Run the venv's ``mutmut`` in the module's scratch folder, its output to ``log``."""
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with log.open("w") as out:
        return subprocess.run(command, cwd=module.scratch, stdout=out, stderr=subprocess.STDOUT,
                              text=True, env=env)


def exit_codes(module: Module) -> dict[str, int | None]:
    """Each mutant's last exit code, from mutmut's ``.meta`` files."""
    return {name: code for name, (code, _path) in results(module).items()}


def results(module: Module) -> dict[str, tuple[int | None, str]]:
    """Each mutant's last exit code and the file it mutates, from mutmut's ``.meta`` files."""
    found: dict[str, tuple[int | None, str]] = {}
    mutants = module.scratch / "mutants"
    for pattern in module.patterns:
        for meta in sorted(mutants.glob(pattern + ".meta")):
            path = str(meta.relative_to(mutants)).removesuffix(".meta")
            for name, code in json.loads(meta.read_text())["exit_code_by_key"].items():
                found[name] = (code, path)
    return found


@dataclass
class Change:
    """What a mutant changes: the lines before and after, and the diff."""

    old: list[str]
    new: list[str]
    diff: str

    @property
    def line(self) -> str:
        """The mutated lines, stripped and joined (what ``modules.toml`` records)."""
        return " / ".join(line.strip() for line in self.new)


def change(module: Module, mutant: str, path: str) -> Change:
    """What ``mutant`` of the file ``path`` changes (``mutmut show``'s diff)."""
    cwd = Path.cwd()
    os.chdir(module.scratch)  # mutmut reads mutants/<path> from the working directory
    try:
        diff = get_diff_for_mutant(mutant, path=path)
    finally:
        os.chdir(cwd)
    lines = diff.splitlines()
    old = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    new = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return Change(old, new, diff)


#: Why a survivor that only changes the case of SQL is equivalent (see :func:`sql_case`).
SQL_CASE = ("changes only the letter case of SQL outside its quoted literals, which "
            "SQLite reads case-insensitively (keywords, table, column and pragma names)")
#: A string holding an SQL keyword as Hymy writes them, in capitals (so not prose).
_SQL = re.compile(r'"[^"]*\b(SELECT|INSERT|UPDATE|DELETE|WHERE|AND|PRAGMA|BEGIN|COMMIT|'
                  r'ROLLBACK|ON CONFLICT|GROUP BY|ORDER BY|HAVING)\b[^"]*"')
_LITERAL = re.compile(r"'[^']*'")


def sql_case(found: Change) -> bool:
    """Whether a mutant only changes the letter case of SQL, not of a quoted literal."""
    if not found.old or len(found.old) != len(found.new):
        return False
    return all(
        before != after and before.lower() == after.lower() and _SQL.search(before)
        and _LITERAL.findall(before) == _LITERAL.findall(after)
        for before, after in zip(found.old, found.new, strict=True)
    )


def run(module: Module, plan: Plan, jobs: int, survivors_only: bool) -> Score:
    """Mutate one module and test each mutant; return its figures."""
    names: list[str] = []
    if survivors_only:
        names = [name for name, code in exit_codes(module).items() if not caught(code)]
        if not names:
            return tally(module)
    try:
        if not prepare(module, plan, fresh=not survivors_only):
            print(f"{module.path}: its configuration changed, so every mutant is tested again")
            prepare(module, plan, fresh=True)
            names = []
    except FileNotFoundError as missing:
        return Score(module, error=str(missing))
    log = module.scratch / "mutmut.log"
    started = time.monotonic()
    done = mutmut(module, "run", "--max-children", str(jobs), *names, log=log)
    minutes = (time.monotonic() - started) / 60
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        score = Score(module, error=f"mutmut exited {done.returncode}; see {log}\n{tail}")
    else:
        score = tally(module)
    if names:  # a retest of some: the table keeps the whole run's time
        print(f"{module.path}: retested {len(names)} mutants in {minutes:.1f} minutes")
    else:
        score.minutes = minutes
        (module.scratch / "minutes").write_text(f"{minutes:.2f}\n")
    return score


def caught(code: int | None) -> bool:
    """Whether mutmut's exit code for a mutant means the tests caught it."""
    return status_by_exit_code[code] in CAUGHT


def tally(module: Module) -> Score:
    """Count the module's last results, checking each listed equivalent still is one.

    A survivor is equivalent when ``modules.toml`` lists it with the line it
    still changes, or when it changes only the case of SQL (:func:`sql_case`).
    """
    score = Score(module)
    minutes = module.scratch / "minutes"
    if minutes.exists():
        score.minutes = float(minutes.read_text())
    found_results = results(module)
    if not found_results:
        score.error = "no results: run it first"
        return score
    score.mutants = len(found_results)
    for name, (code, path) in sorted(found_results.items(), key=lambda item: _natural(item[0])):
        if caught(code):
            score.killed += 1
            if name in module.equivalent:
                score.stale.append(f"{name} is listed as equivalent but was killed")
            continue
        if code is None:
            score.not_checked += 1
        listed = module.equivalent.get(name)
        if listed is not None or status_by_exit_code[code] == "survived":
            found = change(module, name, path)
            if listed is not None and found.line == listed.line:
                score.equivalents.append((name, listed.reason))
                continue
            if listed is not None:
                score.stale.append(
                    f"{name} is listed with {listed.line!r} but now changes {found.line!r}")
            elif sql_case(found):
                score.equivalents.append((name, SQL_CASE))
                continue
        score.survivors.append((name, path))
    if score.not_checked:
        score.error = (f"{score.not_checked} of {score.mutants} mutants not checked: "
                       "the run was interrupted")
    return score


def _natural(name: str) -> tuple[str, int]:
    """Sort ``..._mutmut_10`` after ``..._mutmut_9``."""
    stem, _, number = name.rpartition("_")
    return stem, int(number) if number.isdigit() else 0


def table(scores: list[Score], threshold: float) -> str:
    """The per-module table, in Markdown (docs/reliability.md holds a copy)."""
    lines = [
        "| module | mutants | killed | survived | equivalent | score | minutes |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        minutes = "" if s.minutes is None else f"{s.minutes:.1f}"
        if s.error:
            lines.append(f"| `{s.module.path}` | | | | | error | {minutes} |")
            continue
        mark = "" if s.score >= threshold else " (under)"
        lines.append(
            f"| `{s.module.path}` | {s.mutants} | {s.killed} | {len(s.survivors)} | "
            f"{s.equivalent} | {s.score:.1f}%{mark} | {minutes} |"
        )
    return "\n".join(lines)


def explain(score: Score, show_diffs: bool, show_equivalent: bool) -> None:
    """Print what needs a look: errors, stale list entries, unexplained survivors."""
    path = score.module.path
    if score.error:
        print(f"\n{path}: {score.error}")
        return
    for problem in score.stale:
        print(f"{path}: {problem}")
    if show_equivalent and score.equivalents:
        print(f"\n{path}: {score.equivalent} equivalent mutants:")
        for name, reason in score.equivalents:
            print(f"  {name}: {' '.join(reason.split())}")
    if score.survivors:
        print(f"\n{path}: {len(score.survivors)} survivors not listed as "
              f"equivalent in {PLAN.relative_to(ROOT)}:")
        for name, file in score.survivors:
            found = change(score.module, name, file)
            print(f"  {name}: {found.line}")
            if show_diffs:
                print("    " + "\n    ".join(found.diff.strip().splitlines()[1:]))


def select(plan: Plan, paths: list[str]) -> list[Module]:
    """The modules named on the command line (by path, as in modules.toml), or all."""
    if not paths:
        return plan.modules
    by_path = {module.path.rstrip("/"): module for module in plan.modules}
    unknown = [path for path in paths if path.rstrip("/") not in by_path]
    if unknown:
        known = ", ".join(by_path)
        raise SystemExit(f"not in {PLAN.relative_to(ROOT)}: {', '.join(unknown)} (known: {known})")
    return [by_path[path.rstrip("/")] for path in paths]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="module paths from modules.toml (default: all)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="mutants tested at once (default: one per core)")
    parser.add_argument("--survivors", action="store_true",
                        help="keep the last results and retest only the mutants that survived")
    parser.add_argument("--report", action="store_true",
                        help="run nothing: the table of the last runs")
    parser.add_argument("--diffs", action="store_true", help="print each survivor's diff")
    parser.add_argument("--equivalent", action="store_true",
                        help="list every equivalent mutant and why")
    args = parser.parse_args(argv)
    plan = load_plan()
    scores = []
    for module in select(plan, args.paths):
        if args.report:
            score = tally(module)
        else:
            print(f"mutating {module.path} ...", flush=True)
            score = run(module, plan, args.jobs, args.survivors)
        explain(score, args.diffs, args.equivalent)
        scores.append(score)
    print()
    print(table(scores, plan.threshold))
    failed = [s for s in scores if s.error or s.score < plan.threshold]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
