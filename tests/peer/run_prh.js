// Run npm prh over texts, for the gateway's parity test (tests/unit/test_prh_parity.py).
// stdin: {"jobs": [{"dictionary": PATH, "file": NAME, "texts": [TEXT...]}]}
// stdout: one JSON array, per job: {"error": MESSAGE} or {"specs": [FROM...],
//   "results": [[[START, END, MATCHED, NEW_TEXT, NOTE], ...] per text]} with code-point offsets.
"use strict";
const prh = require("prh");

function codePoints(text, utf16Index) {
  return Array.from(text.slice(0, utf16Index)).length;
}

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const out = JSON.parse(input).jobs.map((job) => {
    let engine;
    try {
      engine = prh.fromYAMLFilePath(job.dictionary);
    } catch (e) {
      return { error: String(e && e.message ? e.message : e) };
    }
    const specs = [];
    engine.rules.forEach((rule) => rule.specs.forEach((s) => specs.push(s.from)));
    const texts = job.texts.concat(job.withSpecs ? specs : []);
    const results = texts.map((text) => {
      const changeSet = engine.makeChangeSet(job.file, text);
      return changeSet.diffs.map((d) => [
        codePoints(text, d.index),
        codePoints(text, d.tailIndex),
        text.slice(d.index, d.tailIndex),
        d.newText,
        d.rule && d.rule.raw && d.rule.raw.prh != null ? String(d.rule.raw.prh) : "",
      ]);
    });
    return { specs, texts, results };
  });
  process.stdout.write(JSON.stringify(out));
});
