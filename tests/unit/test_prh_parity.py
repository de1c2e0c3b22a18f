"""The gateway's prh findings are prh's own: compared with npm prh 5.4.4 itself.

For every dictionary in ../shared/peer/prh/ (public dictionaries, with their licences), a
rule file that only names the dictionary must load, and on every spec text of the
dictionary, on a prose sample and on half the checker's draft corpus the findings (place,
matched text, what to write) must be those prh reports. prh runs once, in one Node
process, for all dictionaries.

prh lists a change even where the new text equals the matched one (`$1` rules, which
its CLI prints as `X → X`); there is nothing to tell the author there, so both sides
leave those out (they still take their place in prh's overlap filters). Needs Node.js and npm (test.sh installs them); skipped, saying so, without.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gateway.checker import CheckContext, Checker
from gateway.checker.checker import _run
from gateway.checker.draft import Draft
from gateway.checker.listing import EVERYTHING
from gateway.checker.prh import DEFAULT_MESSAGE

REPO = Path(__file__).resolve().parents[2]
# ../shared/peer/prh beside the repository (or beside a folder holding it: a worktree)
PEER = next(
    (
        p / "shared" / "peer" / "prh"
        for p in REPO.parents
        if (p / "shared" / "peer" / "prh").is_dir()
    ),
    REPO.parent / "shared" / "peer" / "prh",
)
PROSE = REPO / "tests" / "data" / "prh" / "prose-sample.txt"
DRAFTS = REPO / "tests" / "data" / "drafts"
RUNNER = REPO / "tests" / "peer" / "run_prh.js"
PRH_VERSION = "5.4.4"

DICTIONARIES = sorted(PEER.rglob("*.yml")) if PEER.is_dir() else []

# prh's semantics, each shown on a dictionary of our own (texts below): literal patterns
# are case- and width-sensitive, \b \w \d are ASCII, the first alternative wins, imported
# rules whose expected is loaded are dropped, ignoreRules, regexpMustEmpty, wordBoundary.
OWN_DICTIONARY = """\
version: 1
imports:
  - path: imported.yml
    ignoreRules:
      - expected: ignored
rules:
  - expected: GitHub
  - expected: JavaScript
    pattern: Javascript
  - expected: メーリングリスト$1
    pattern: /\\bML(\\W|$)/
  - expected: 数字
    pattern: /\\d+桁/
  - expected: ウェブ
    patterns: [ウェ, ウェブサイト]
  - expected: サーバー
    pattern: /サーバ(?!ー)/
  - expected: ください
    pattern: /(ご覧|お寄せ)?下さい/
    regexpMustEmpty: $1
  - expected: Mac
    options:
      wordBoundary: true
  - expected: ON
  - expected: "一日"
    pattern: /(?<=[^0-9０-９]|^)1日/
"""
IMPORTED_DICTIONARY = """\
version: 1
rules:
  - expected: GitHub
    pattern: ぎっとはぶ
  - expected: ignored
    pattern: 無視
  - expected: 問い合わせ
    pattern: 問合せ
"""
OWN_TEXTS = [
    "MLなどで告知します。ML で。HTML\n\nhttps://github.com/town と Github と ＧＩＴＨＵＢ",
    "ぎっとはぶ 無視 問合せ Javascript javascript",
    "数字は123桁、１２３桁。ウェブサイトとウェブ。サーバとサーバー。",
    "ご覧下さい。お寄せ下さい。お待ち下さい。\nprh:disable:下さ\nお待ち下さい。\n\nお待ち下さい。",
    "MacOS と Mac と mac OS。ON と on と ｏｎ。",
    "1日と11日と１日、2021日。\n\n\n\n段落をまたいで Mac\n\nprh:disable\nMac Javascript",
]


def _prh_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "gateway-tests" / f"prh-{PRH_VERSION}"


@pytest.fixture(scope="module")
def prh_runner() -> Path:
    """A directory where `node run_prh.js` finds npm prh 5.4.4 (installed once, cached)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js and npm are not installed: cannot compare with npm prh")
    target = _prh_dir()
    package = target / "node_modules" / "prh" / "package.json"
    if not package.is_file() or json.loads(package.read_text())["version"] != PRH_VERSION:
        target.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(target),
             f"prh@{PRH_VERSION}"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"npm install prh@{PRH_VERSION} failed:\n{done.stderr}"
    return target


def run_prh(runner_dir: Path, jobs: list[dict]) -> list[dict]:
    done = subprocess.run(
        ["node", str(RUNNER)],
        input=json.dumps({"jobs": jobs}),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NODE_PATH": str(runner_dir / "node_modules")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def gateway_findings(checker: Checker, text: str) -> list[tuple[int, str, str]]:
    """(offset, matched text, message) of each finding: every one, as prh lists them,
    not the checker's listing (the first 20 of a rule, the rest counted)."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return sorted(
        (starts[f.line - 1] + f.column - 1, f.excerpt, f.message)
        for f in _run(checker._rules, Draft(text), CheckContext(), EVERYTHING)
    )


def prh_findings(diffs: list[list]) -> list[tuple[int, str, str]]:
    out = []
    for start, _end, matched, new_text, note in diffs:
        if matched == new_text:
            continue
        note = f"（{note.strip()}）" if note.strip() else ""
        out.append(
            (start, matched, DEFAULT_MESSAGE.format(excerpt=matched, expected=new_text, note=note))
        )
    return sorted(out)


def naming_rule_file(tmp: Path, dictionary: Path, file: str | None = None) -> Path:
    """A rules folder whose one rule file only names the dictionary."""
    tmp.mkdir(parents=True, exist_ok=True)
    lines = ["rules:", "  - kind: prh", f"    dictionary: {json.dumps(str(dictionary))}"]
    if file:
        lines.append(f"    file: {file}")
    (tmp / "prh.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp


def _compare(checker: Checker, job: dict, result: dict) -> list[str]:
    problems = []
    for text, diffs in zip(result["texts"], result["results"], strict=True):
        ours, theirs = gateway_findings(checker, text), prh_findings(diffs)
        if ours != theirs:
            problems.append(
                f"{job['dictionary']} ({job['file']}) on {text[:60]!r}:\n"
                f"  gateway only: {sorted(set(ours) - set(theirs))[:5]}\n"
                f"  prh only:     {sorted(set(theirs) - set(ours))[:5]}"
            )
    return problems


@pytest.mark.skipif(not DICTIONARIES, reason=f"peer dictionaries not found in {PEER}")
def test_every_peer_dictionary_gives_prhs_findings(prh_runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("CACHE_DIRECTORY", raising=False)
    prose = PROSE.read_text(encoding="utf-8")
    # and ordinary posts: every other draft of the checker's corpus (clean and violating)
    drafts = [p.read_text(encoding="utf-8") for p in sorted(DRAFTS.rglob("*.txt"))[::2]]
    # the dictionaries that only hold targets, applied over a big one, as prh-rules
    # intends them to be combined; for file names the targets match and one they do not
    combined = tmp_path / "combined" / "prh.yml"
    combined.parent.mkdir()
    parts = ("prh-rules/files/markdown.yml", "prh-rules/files/review.yml",
             "prh-rules/media/WEB+DB_PRESS.yml", "prh-rules/media/techbooster.yml")  # fmt: skip
    imports = "".join(
        f"  - {json.dumps(os.path.relpath(PEER / p, combined.parent))}\n" for p in parts
    )
    combined.write_text("version: 1\nimports:\n" + imports, encoding="utf-8")
    jobs = [{"dictionary": str(d), "file": "post.txt", "texts": [prose, *drafts],
             "withSpecs": True} for d in DICTIONARIES]  # fmt: skip
    review = (
        "#@ Javascript のコメント\n//list[a][Javascript]{\nJavascript\n//}\nJavascript と github\n"
    )
    for name in ("post.md", "post.re", "post.txt"):
        jobs.append({"dictionary": str(combined), "file": name, "texts": [prose, review],
                     "withSpecs": False})  # fmt: skip
    results = run_prh(prh_runner, jobs)
    problems = []
    compared = 0
    for i, (job, result) in enumerate(zip(jobs, results, strict=True)):
        assert "error" not in result, f"prh cannot load {job['dictionary']}: {result['error']}"
        file = None if job["file"] == "post.txt" else job["file"]
        checker = Checker.load(
            naming_rule_file(tmp_path / f"rules{i}", Path(job["dictionary"]), file)
        )
        problems += _compare(checker, job, result)
        compared += len(result["texts"])
    assert not problems, "\n".join(problems[:20])
    assert compared > 400 + 100 * len(DICTIONARIES)  # spec texts and drafts were compared
    # prh found something to say on the prose sample with most dictionaries
    assert sum(bool(prh_findings(r["results"][0])) for r in results) >= 10


def test_prh_semantics_on_our_own_dictionary(prh_runner, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "dict"
    folder.mkdir()
    (folder / "own.yml").write_text(OWN_DICTIONARY, encoding="utf-8")
    (folder / "imported.yml").write_text(IMPORTED_DICTIONARY, encoding="utf-8")
    job = {"dictionary": str(folder / "own.yml"), "file": "post.txt", "texts": OWN_TEXTS,
           "withSpecs": False}  # fmt: skip
    (result,) = run_prh(prh_runner, [job])
    assert "error" not in result, result
    checker = Checker.load(naming_rule_file(tmp_path / "rules", folder / "own.yml"))
    assert _compare(checker, job, result) == []
    # and prh said something on each text: the comparison was not of empty lists
    assert [bool(prh_findings(diffs)) for diffs in result["results"]] == [True] * len(OWN_TEXTS)
