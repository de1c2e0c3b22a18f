"""linerun.longest_runs equals the plain computation (try every place, extend), which the
reply reader used before and which was quadratic on a post of one line repeated."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.linerun import Separator, longest_runs


def plain_runs(reply: list, sent: list) -> list[int]:
    out = []
    for k in range(len(reply)):
        best = 0
        for start in range(len(sent)):
            run = 0
            while (
                k + run < len(reply)
                and start + run < len(sent)
                and reply[k + run] == sent[start + run]
            ):
                run += 1
            best = max(best, run)
        out.append(best)
    return out


lines = st.lists(st.sampled_from(["承認", "あ", "い", "0", "承認する場合は"]), max_size=25)


@settings(max_examples=400, deadline=None)
@given(reply=lines, texts=st.lists(lines, max_size=4))
def test_longest_runs_equal_the_plain_computation(reply, texts):
    sent: list = []
    for text in texts:
        sent.extend(text)
        sent.append(Separator())
    assert longest_runs(reply, sent) == plain_runs(reply, sent)


def test_a_run_never_crosses_from_one_sent_text_into_the_next():
    sent = ["a", "b", Separator(), "c", "d", Separator()]
    assert longest_runs(["b", "c", "d"], sent) == [1, 2, 1]
    assert longest_runs(["a", "b", "c"], sent) == [2, 1, 1]


def test_a_post_of_one_line_repeated():
    sent = ["あ"] * 5000 + [Separator()]
    assert longest_runs(["い"] + ["あ"] * 3000, sent) == [0, *range(3000, 0, -1)]
