"""prh dictionaries and `gateway check` start-up, beside the tools they are measured against.

Prints figures, asserts nothing. Targets (issue 14):
- loading each dictionary of ../shared/peer/prh/ at most 2x the time npm prh 5.4.4 takes;
- `gateway check` on one post, as a whole process, at most 2x a bare process that imports
  Sudachi and tokenizes the same post.

How each side's loading is measured (the same way on both sides):
- prh: `prh.fromYAMLFilePath(file)` (read, parse the YAML, build every rule, run its
  specs), timed inside one Node process after `require("prh")`, as prh's own API loads a
  dictionary. The Node process stays up and loads on request, so its loads and ours
  take turns, dictionary after dictionary, round after round: a burst of other work on a
  shared machine falls on both sides alike.
- gateway "dict": the prh rule built from a mapping that names the dictionary
  (`build_rule`: read the file, parse it, translate and analyse every pattern, run the
  specs): the same job as prh's call, in one Python process after its imports.
  "cold" finds no record in the cache folder (emptied before each round), as on the first
  start after an edit or an upgrade: everything is computed (the memo of pattern shapes,
  jsshape, emptied too, as a new process has it); "+chk" adds the first check of the
  prose sample, which reads the prefilter's clauses and writes the records;
  "warm" has the load cache in place (every later start). Neither side empties its
  engine's own cache of compiled regexes between rounds (V8's, Python's `re`).
- gateway "folder": `Checker.load` of a rule folder whose one rule file names the
  dictionary, with the load cache in place: what `gateway check` does (it also reads
  the rule file and the record of the examples that passed, and builds the rule set).
- the floor: what the first load cannot do faster than Python's own parser and compiler,
  beside prh's whole load. "yaml": PyYAML's parse events of the dictionary's files
  (taken and dropped, nothing built); "re": compiling (after `re.purge()`) exactly the
  patterns a first load compiles (recorded from one untimed cold load: the specs'
  regexes, the targets), each with the engine the load used; "re0": the cold load
  with `re`'s and the regex module's caches emptied, as a new process has them (the
  "cold" column finds in `re`'s cache what earlier rounds compiled: `re` keeps 512
  patterns, and a dictionary's few survive the other loads of a round; prh's figures
  hardly change with V8's cache off, `node --no-compilation-cache`). Each is timed
  after a Draft is made, as the cold load is, so that all find the processor's caches
  alike; their rounds come after the others' (which they would disturb), with a load
  by prh beside each, and the engines' caches are put back after each. The floor's
  "prh" is prh's best of both kinds of rounds.
Each figure is the best of `--rounds` (both sides), after one untimed load of every
dictionary by both (V8 compiles prh's code on its first runs: a first load of a tiny
dictionary in a fresh Node takes milliseconds, so prh's figures are its fastest).
Every figure is given as wall-clock and as CPU time (user + system of the process):
on a machine shared with other work the wall clock also counts waiting for a core,
CPU time does not, so the CPU ratios are the steadier ones there.
Usage: python bench/bench_prh.py [--rounds N] [--post FILE] [--skip-load | --skip-process]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.checker import CheckContext, Checker  # noqa: E402
from gateway.checker.draft import Draft  # noqa: E402
from gateway.checker.rule_loader import build_rule  # noqa: E402

try:  # (a tree before the memo of pattern shapes has none to empty: the bench runs there too)
    from gateway.checker.jsshape import forget_shapes
except ImportError:  # pragma: no cover

    def forget_shapes() -> None:
        pass


PEER = next(
    (p / "shared/peer/prh" for p in ROOT.parents if (p / "shared/peer/prh").is_dir()),
    ROOT.parent / "shared/peer/prh",
)
POST = ROOT / "tests/data/drafts/clean/001-hotaru-festival.txt"
SAMPLE = ROOT / "tests/data/prh/prose-sample.txt"  # what the first check reads
PRH_VERSION = "5.4.4"

# Loads the dictionary named on each line of stdin, then checks the prose sample with it;
# answers [[wall ms, CPU ms] of the load, [wall ms, CPU ms] of the load and the check].
NODE_LOADER = r"""
const prh = require("prh");
const fs = require("fs");
const readline = require("readline");
const text = fs.readFileSync(process.argv[1], "utf8");
const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (f) => {
  const t = process.hrtime.bigint();
  const c = process.cpuUsage();
  const engine = prh.fromYAMLFilePath(f);
  const loaded = process.cpuUsage(c);
  const loadWall = Number(process.hrtime.bigint() - t) / 1e6;
  engine.makeChangeSet("post.txt", text);
  const used = process.cpuUsage(c);
  const wall = Number(process.hrtime.bigint() - t) / 1e6;
  const cpu = (u) => (u.user + u.system) / 1e3;
  process.stdout.write(JSON.stringify([[loadWall, cpu(loaded)], [wall, cpu(used)]]) + "\n");
});
"""


def prh_dir() -> Path | None:
    """npm prh 5.4.4, installed as the parity test installs it (None without Node)."""
    npm = shutil.which("npm")
    if not shutil.which("node") or not npm:
        return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    target = base / "gateway-tests" / f"prh-{PRH_VERSION}"
    if not (target / "node_modules" / "prh" / "package.json").is_file():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(target),
             f"prh@{PRH_VERSION}"],
            check=True, capture_output=True,
        )  # fmt: skip
    return target


class PrhLoader:
    """npm prh in a Node process that loads a dictionary when asked (None without Node)."""

    def __init__(self, where: Path, sample: Path) -> None:
        self.node = subprocess.Popen(
            ["node", "-e", NODE_LOADER, str(sample)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "NODE_PATH": str(where / "node_modules")},
        )

    def load_ms(self, dictionary: Path) -> tuple[tuple[float, float], tuple[float, float]]:
        """(wall, CPU) milliseconds of prh.fromYAMLFilePath(dictionary), and of that load
        followed by its first check (makeChangeSet of the prose sample), timed in Node."""
        assert self.node.stdin is not None and self.node.stdout is not None
        self.node.stdin.write(f"{dictionary}\n")
        self.node.stdin.flush()
        load, checked = json.loads(self.node.stdout.readline())
        return (load[0], load[1]), (checked[0], checked[1])

    def close(self) -> None:
        assert self.node.stdin is not None
        self.node.stdin.close()
        self.node.wait()


def rules_naming(folder: Path, dictionary: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "prh.yaml").write_text(
        f"rules:\n  - kind: prh\n    dictionary: {json.dumps(str(dictionary))}\n", encoding="utf-8"
    )
    return folder


def _timed(fn) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one call."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000


def _timed_then_checked(fn, check) -> tuple[tuple[float, float], tuple[float, float]]:
    """(wall, CPU) milliseconds of fn(), and of fn() followed by check(its result)."""
    t, c = time.perf_counter(), time.process_time()
    got = fn()
    loaded = (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000
    check(got)
    return loaded, ((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000)


class GatewayLoads:
    """The gateway's loads of one dictionary, each timed on request (see the docstring)."""

    def __init__(self, dictionary: Path, tmp: Path, sample: str) -> None:
        self.dictionary = dictionary
        self.sample = sample
        self.tmp = tmp
        self.rules = rules_naming(tmp / "rules" / _slug(dictionary), dictionary)
        self.mapping = {"kind": "prh", "dictionary": str(dictionary)}
        self.rule_file = self.rules / "prh.yaml"

    def _use_cache(self, name: str) -> None:
        os.environ["XDG_CACHE_HOME"] = str(self.tmp / name)

    def build(self) -> Any:
        return build_rule(dict(self.mapping), self.rule_file, {})

    def check(self, rule: Any, draft: Draft | None = None) -> None:
        """The rule's first check: the prose sample (as the file `post.txt`, as prh's). The
        draft is made before the clock starts (it tokenizes the text for other rules)."""
        list(rule.hits(draft or Draft(self.sample), CheckContext()))

    def dict_cold(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The cold load, and the cold load followed by its first check."""
        # the cache folder is there (as after any earlier start) without this file's record
        folder = self.tmp / "cold" / "gateway" / "checker"
        folder.mkdir(parents=True, exist_ok=True)
        for record in folder.iterdir():
            record.unlink()
        self._use_cache("cold")
        forget_shapes()  # the memo of pattern shapes starts empty, as in a new process
        draft = Draft(self.sample)
        return _timed_then_checked(self.build, lambda rule: self.check(rule, draft))

    def dict_warm(self) -> tuple[float, float]:
        self._use_cache("warm")
        return _timed(self.build)

    def folder_warm(self) -> tuple[float, float]:
        self._use_cache("warm")
        return _timed(lambda: Checker.load(self.rules))

    def warm_up(self) -> int:
        """Fill the warm cache; the number of rules the dictionary gives."""
        self._use_cache("warm")
        Checker.load(self.rules)
        rule = self.build()
        self.check(rule)
        return len(rule.entries)

    def record_compiles(self) -> list[tuple[str, bool, Any]]:
        """The patterns a cold load compiles: (source, ignore case, engine module)."""
        folder = self.tmp / "floor"
        shutil.rmtree(folder, ignore_errors=True)
        os.environ["XDG_CACHE_HOME"] = str(folder)
        forget_shapes()
        with recording_compiles() as seen:
            rule = self.build()
        self.files = [f.path for f in rule.dictionary.files]
        self.texts = [_dictionary_text(f) for f in self.files]
        self.compiles = seen
        return seen

    def floor(self) -> tuple[tuple[float, float], ...]:
        """(wall, CPU) ms of PyYAML's events of the files, of the compiles, and of a cold
        load with the regex engines' caches emptied."""
        Draft(self.sample)
        events = _timed(lambda: [_events(t) for t in self.texts])
        Draft(self.sample)
        with _empty_regex_caches():
            compiles = _timed(lambda: _compile_each(self.compiles))
        with _empty_regex_caches():
            (cold, _checked) = self.dict_cold()
        return events, compiles, cold


def _dictionary_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8-sig")


def _events(text: str) -> None:
    """Every parse event of `text`, taken and dropped, from the loader the reader uses."""
    import yaml

    from gateway.checker.prh_yaml import _yaml12_loader

    loader = _yaml12_loader()(text)
    try:
        get, end = loader.get_event, yaml.StreamEndEvent
        while type(get()) is not end:
            pass
    finally:
        loader.dispose()


def _compile_each(patterns: list[tuple[str, bool, Any]]) -> None:
    """Compile each pattern with its engine (whose cache the caller emptied)."""
    for source, ignorecase, engine in patterns:
        flags = engine.IGNORECASE if ignorecase else 0
        if engine is not re:
            flags |= engine.V0
        engine.compile(source, flags)


@contextlib.contextmanager
def _empty_regex_caches() -> Iterator[None]:
    """`re`'s and the regex module's caches of compiled patterns emptied, and put back as
    they were afterwards: the other figures keep what the docstring says of them
    (neither side empties its engine's cache)."""
    import regex

    saved = [_regex_caches(engine) for engine in (re, regex)]
    re.purge()
    regex.purge()
    try:
        yield
    finally:
        for caches in saved:
            for cache, content in caches:
                cache.clear()
                cache.update(content)


def _regex_caches(engine: Any) -> list[tuple[dict, dict]]:
    """The module's caches of compiled patterns (`re._cache`, and `_cache2` from Python
    3.12; `regex._cache`), each with a copy of what it holds."""
    caches = [getattr(engine, name, None) for name in ("_cache", "_cache2")]
    return [(c, dict(c)) for c in caches if isinstance(c, dict)]


@contextlib.contextmanager
def recording_compiles() -> Iterator[list[tuple[str, bool, Any]]]:
    """jsregex.compile_python, wherever the gateway's modules took it, wrapped to note
    each pattern it compiles and the engine that compiled it."""
    from gateway.checker import jsregex

    original = jsregex.compile_python
    seen: list[tuple[str, bool, Any]] = []

    def noting(source: str, ignorecase: bool = False) -> Any:
        compiled = original(source, ignorecase)
        engine = re if isinstance(compiled, re.Pattern) else sys.modules["regex"]
        seen.append((source, ignorecase, engine))
        return compiled

    users = [
        m for name, m in list(sys.modules.items())
        if name.startswith("gateway.") and getattr(m, "compile_python", None) is original
    ]  # fmt: skip
    for m in users:
        m.compile_python = noting  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        for m in users:
            m.compile_python = original  # type: ignore[attr-defined]


def _slug(dictionary: Path) -> str:
    return str(dictionary.relative_to(PEER)).replace("/", "_")


def processes_ms(
    runs: dict[str, tuple[list[str], dict[str, str]]], rounds: int
) -> dict[str, tuple[float, ...]]:
    """For each named (argv, env): (best, median) wall and (best, median) CPU milliseconds
    of a whole process (CPU: the child's user + system time). The runs take turns, round
    after round, so that a burst of other work on a shared machine falls on all of them
    alike rather than on one series."""
    import resource

    wall: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(rounds):
        for name, (argv, env) in runs.items():
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(argv, check=False, capture_output=True, env=env)
            wall[name].append(time.perf_counter() - t)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return {name: _best_median(wall[name]) + _best_median(cpu[name]) for name in runs}


def _best_median(seconds: list[float]) -> tuple[float, float]:
    return min(seconds) * 1000, statistics.median(seconds) * 1000


def bench_loading(rounds: int) -> None:
    dictionaries = sorted(PEER.rglob("*.yml"))
    if not dictionaries:
        print(f"no dictionaries in {PEER}")
        return
    where = prh_dir()
    if where is None:
        print("Node.js and npm are not installed: no prh to compare with")
        return
    # the imports and the tokenizer first: they are not the dictionary's
    Checker.load()
    saved = os.environ.get("XDG_CACHE_HOME")
    prh = PrhLoader(where, SAMPLE)
    sides = ("prh", "prh+check", "dict cold", "cold+check", "dict warm", "folder warm", "yaml",
             "compile", "cold re0", "prh again")  # fmt: skip
    times: dict[Path, dict[str, list[tuple[float, float]]]] = {
        d: {side: [] for side in sides} for d in dictionaries
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sample = SAMPLE.read_text(encoding="utf-8")
            loads = {d: GatewayLoads(d, Path(tmp), sample) for d in dictionaries}
            counts = {}
            for d in dictionaries:  # one untimed load of each, both sides
                prh.load_ms(d)
                counts[d] = loads[d].warm_up()
                loads[d].record_compiles()
            for _ in range(rounds):  # the sides take turns, dictionary by dictionary
                for d in dictionaries:
                    mine = loads[d]
                    got = times[d]
                    for side, ms in zip(("prh", "prh+check"), prh.load_ms(d), strict=True):
                        got[side].append(ms)
                    for side, ms in zip(("dict cold", "cold+check"), mine.dict_cold(), strict=True):
                        got[side].append(ms)
                    got["dict warm"].append(mine.dict_warm())
                    got["folder warm"].append(mine.folder_warm())
            for _ in range(rounds):  # the floor, in rounds of its own (see the docstring)
                for d in dictionaries:
                    times[d]["prh again"].append(prh.load_ms(d)[0])  # beside them in time
                    floor = loads[d].floor()
                    for side, ms in zip(("yaml", "compile", "cold re0"), floor, strict=True):
                        times[d][side].append(ms)
    finally:
        prh.close()
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved
    for clock, k in (("CPU time", 1), ("wall clock", 0)):
        print(f"\nLoading prh dictionaries: ms, best of {rounds} ({clock}); taking turns")
        print("(+chk: the load followed by its first check of the prose sample, both sides)")
        print(f"{'dictionary':38} {'rules':>5} {'prh':>7} {'cold':>7} {'warm':>7} {'folder':>7}"
              f" {'cold/prh':>8} {'warm/prh':>8} {'fold/prh':>8}"
              f" {'prh+chk':>8} {'cold+chk':>8} {'ratio':>6}")  # fmt: skip
        ratios: dict[str, list[float]] = {"cold": [], "warm": [], "cold+check": []}
        for d in dictionaries:
            best = {side: min(t[k] for t in times[d][side]) for side in sides}
            theirs, theirs_checked = best["prh"], best["prh+check"]
            for name, ours, base in (
                ("cold", best["dict cold"], theirs),
                ("warm", best["dict warm"], theirs),
                ("cold+check", best["cold+check"], theirs_checked),
            ):
                ratios[name].append(ours / base if base else float("nan"))
            print(f"{d.relative_to(PEER)!s:38} {counts[d]:5} {theirs:7.3f}"
                  f" {best['dict cold']:7.3f} {best['dict warm']:7.3f} {best['folder warm']:7.3f}"
                  f" {_ratio(best['dict cold'], theirs)} {_ratio(best['dict warm'], theirs)}"
                  f" {_ratio(best['folder warm'], theirs)}"
                  f" {theirs_checked:8.3f} {best['cold+check']:8.3f}"
                  f" {_ratio(best['cold+check'], theirs_checked, 6)}")  # fmt: skip
        print("  worst ratio: " + ", ".join(f"{n} {max(r):.2f}x" for n, r in ratios.items())
              + "; median: " + ", ".join(f"{n} {statistics.median(r):.2f}x"
                                         for n, r in ratios.items()))  # fmt: skip
        print_floor(dictionaries, times, loads, k, clock, rounds)


def print_floor(
    dictionaries: list[Path],
    times: dict[Path, dict[str, list[tuple[float, float]]]],
    loads: dict[Path, GatewayLoads],
    k: int,
    clock: str,
    rounds: int,
) -> None:
    """The floor beside prh's whole load and the cold load (see the docstring)."""
    print(
        f"\nThe floor of a first load: ms, best of {rounds} ({clock}): PyYAML's events alone"
        " (yaml) and compiling the patterns the load compiles (re; n: how many, x: by"
        " the regex module)"
    )
    print(
        f"{'dictionary':38} {'n':>5} {'prh':>7} {'yaml':>7} {'re':>7} {'floor':>7}"
        f" {'cold':>7} {'re0':>7} {'yaml/prh':>8} {'re/prh':>8} {'flr/prh':>8} {'cold/prh':>8}"
        f" {'re0/prh':>8}"
    )
    over = []
    ratios: list[float] = []
    for d in dictionaries:
        best = {side: min(t[k] for t in times[d][side])
                for side in ("prh", "yaml", "compile", "dict cold", "cold re0")}  # fmt: skip
        best["prh"] = min(best["prh"], *(t[k] for t in times[d]["prh again"]))
        prh, yaml_ms, compile_ms = best["prh"], best["yaml"], best["compile"]
        floor, cold0 = yaml_ms + compile_ms, best["cold re0"]
        compiles = loads[d].compiles
        by_regex = sum(1 for *_, engine in compiles if engine is not re)
        n = f"{len(compiles)}" + (f"x{by_regex}" if by_regex else "")
        print(f"{d.relative_to(PEER)!s:38} {n:>5} {prh:7.3f} {yaml_ms:7.3f} {compile_ms:7.3f}"
              f" {floor:7.3f} {best['dict cold']:7.3f} {cold0:7.3f} {_ratio(yaml_ms, prh)}"
              f" {_ratio(compile_ms, prh)} {_ratio(floor, prh)}"
              f" {_ratio(best['dict cold'], prh)} {_ratio(cold0, prh)}")  # fmt: skip
        if prh and floor > 2 * prh:
            over.append(f"{d.relative_to(PEER)} {floor / prh:.2f}x")
        if prh:
            ratios.append(cold0 / prh)
    print("  floor over 2x prh's whole load: " + (", ".join(over) or "none"))
    if ratios:
        print(
            f"  cold with the regex caches empty (re0/prh): median {statistics.median(ratios):.2f}x,"
            f" worst {max(ratios):.2f}x, {sum(r > 2 for r in ratios)} of {len(ratios)} over 2x"
        )


def _ratio(ours: float, theirs: float, width: int = 8) -> str:
    return f"{ours / theirs:{width}.2f}" if theirs and theirs == theirs else "-".rjust(width)


SUDACHI_ONLY = """
import sys
from sudachipy import Dictionary, SplitMode
text = open(sys.argv[1], encoding="utf-8").read()
Dictionary(dict="core").tokenizer(mode=SplitMode.C).tokenize(text)
"""


def bench_check_process(rounds: int, post: Path) -> None:
    python = sys.executable
    # byte-code as an installed package has it (a checkout run with PYTHONDONTWRITEBYTECODE
    # would otherwise compile every module from source on every start)
    subprocess.run([python, "-m", "compileall", "-q", str(ROOT / "gateway")], check=False,
                   capture_output=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "XDG_CACHE_HOME": tmp}
        env.pop("CACHE_DIRECTORY", None)
        subprocess.run(
            [python, "-m", "gateway.cli", "check", str(post)],
            env=env,
            check=False,
            capture_output=True,
        )  # fmt: skip  (fills the load cache)
        gateway_check = [python, "-m", "gateway.cli", "check", str(post)]
        got = processes_ms(
            {
                "bare": ([python, "-c", "pass"], env),
                "sudachi": ([python, "-c", SUDACHI_ONLY, str(post)], env),
                "check": (gateway_check, env),
                "no_cache": (gateway_check, {**env, "GATEWAY_NO_CACHE": "1"}),
            },
            rounds,
        )
        bare, sudachi, check, no_cache = (got[k] for k in ("bare", "sudachi", "check", "no_cache"))
    print(f"\n`gateway check` on {post.name} ({len(post.read_text(encoding='utf-8'))} chars), "
          f"whole process, ms (best / median of {rounds}, the four taking turns): "
          "wall clock | CPU time")  # fmt: skip

    def line(name: str, f: tuple[float, ...]) -> str:
        return f"  {name:32} {f[0]:7.1f} / {f[1]:7.1f} | {f[2]:7.1f} / {f[3]:7.1f}"

    def vs(f: tuple[float, ...]) -> str:
        s = sudachi
        return (f"   wall {f[0] / s[0]:.2f}x / {f[1] / s[1]:.2f}x,"
                f" CPU {f[2] / s[2]:.2f}x / {f[3] / s[3]:.2f}x Sudachi")  # fmt: skip

    print(line("python -c pass", bare))
    print(line("import sudachipy + tokenize", sudachi))
    print(line("gateway check (load cache)", check) + vs(check))
    print(line("gateway check (no cache)", no_cache) + vs(no_cache))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--post", type=Path, default=POST)
    p.add_argument("--skip-load", action="store_true", help="only the whole-process part")
    p.add_argument("--skip-process", action="store_true", help="only the loading part")
    args = p.parse_args()
    if not args.skip_load:
        bench_loading(args.rounds)
    if not args.skip_process:
        bench_check_process(args.rounds * 2, args.post)


if __name__ == "__main__":
    main()
