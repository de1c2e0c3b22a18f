"""prh dictionaries and `gateway check` start-up, beside the tools they are measured against.

Prints figures, asserts nothing. Targets (issue 14):
- loading each dictionary of ../shared/peer/prh/ at most 2x the time npm prh 5.4.4 takes;
- `gateway check` on one post, as a whole process, at most 2x a bare process that imports
  Sudachi and tokenizes the same post.

Loading is measured three ways: "cold" (no cache: every spec checked, every pattern
translated and analysed, as on the first start after an install or an edit), "warm"
(the load cache in place: what every later start does) and prh (npm prh in one Node
process, each dictionary loaded `--rounds` times; the best time counts, for both sides).
Needs Node.js and npm for the prh column (prh is installed into the test cache).

Every figure is given twice: wall-clock time, and CPU time (user + system, of the
process or, for a whole process, of the child). On a machine shared with other work the
wall clock also counts the time spent waiting for a core; CPU time does not, so the
CPU ratios are the steadier ones there (the targets are about a quiet machine).
Usage: python bench/bench_prh.py [--rounds N] [--post FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.checker import Checker  # noqa: E402

PEER = next(
    (p / "shared/peer/prh" for p in ROOT.parents if (p / "shared/peer/prh").is_dir()),
    ROOT.parent / "shared/peer/prh",
)
POST = ROOT / "tests/data/drafts/clean/001-hotaru-festival.txt"
PRH_VERSION = "5.4.4"

NODE_LOADER = r"""
const prh = require("prh");
const [rounds, ...files] = process.argv.slice(1);
const out = {};
for (const f of files) {
  let best = Infinity, bestCpu = Infinity;
  for (let i = 0; i < +rounds; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    prh.fromYAMLFilePath(f);
    const used = process.cpuUsage(c);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
    bestCpu = Math.min(bestCpu, (used.user + used.system) / 1e3);
  }
  out[f] = [best, bestCpu];
}
console.log(JSON.stringify(out));
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


def prh_load_ms(dictionaries: list[Path], rounds: int) -> dict[str, list[float]]:
    """{file: [best wall ms, best CPU ms]} of npm prh loading each dictionary."""
    where = prh_dir()
    if where is None:
        return {}
    done = subprocess.run(
        ["node", "-e", NODE_LOADER, str(rounds), *map(str, dictionaries)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NODE_PATH": str(where / "node_modules")},
    )
    return json.loads(done.stdout)


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


def gateway_load_ms(dictionary: Path, rounds: int, tmp: Path) -> dict[str, tuple[float, float]]:
    """{"cold": (wall, CPU), "warm": (wall, CPU)}, the best milliseconds of `rounds` loads
    of a rule folder naming the dictionary."""
    rules = rules_naming(tmp / "rules" / dictionary.stem, dictionary)
    cold = []
    for i in range(rounds):
        os.environ["XDG_CACHE_HOME"] = str(tmp / f"cold-{dictionary.stem}-{i}")
        cold.append(_timed(lambda: Checker.load(rules)))
    os.environ["XDG_CACHE_HOME"] = str(tmp / "warm")
    Checker.load(rules)  # fills the cache
    warm = [_timed(lambda: Checker.load(rules)) for _ in range(rounds)]
    return {
        "cold": (min(w for w, _ in cold), min(c for _, c in cold)),
        "warm": (min(w for w, _ in warm), min(c for _, c in warm)),
    }


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
    # warm up the tokenizer and the imports first: they are not the dictionary's
    Checker.load()
    prh = prh_load_ms(dictionaries, rounds)
    print(f"Loading prh dictionaries (best of {rounds}; ms; wall clock, and CPU time)")
    print(f"{'dictionary':44} {'rules':>5} {'cold':>6} {'warm':>6} {'prh':>6} {'cold/prh':>8}"
          f" {'warm/prh':>8} | {'cpu cold':>8} {'prh':>6} {'cold/prh':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        saved = os.environ.get("XDG_CACHE_HOME")
        for d in dictionaries:
            got = gateway_load_ms(d, rounds, Path(tmp))
            (cold, cold_cpu), (warm, _) = got["cold"], got["warm"]
            n = len(Checker.load(rules_naming(Path(tmp) / "rules" / d.stem, d)).rules[0].entries)
            theirs, theirs_cpu = prh.get(str(d), (float("nan"), float("nan")))
            print(f"{d.relative_to(PEER)!s:44} {n:5} {cold:6.1f} {warm:6.1f} {theirs:6.1f}"
                  f" {_ratio(cold, theirs)} {_ratio(warm, theirs)} |"
                  f" {cold_cpu:8.1f} {theirs_cpu:6.1f} {_ratio(cold_cpu, theirs_cpu)}")  # fmt: skip
        if saved is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = saved


def _ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:8.1f}" if theirs and theirs == theirs else f"{'-':>8}"


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
    p.add_argument("--skip-load", action="store_true")
    args = p.parse_args()
    if not args.skip_load:
        bench_loading(args.rounds)
    bench_check_process(args.rounds * 2, args.post)


if __name__ == "__main__":
    main()
