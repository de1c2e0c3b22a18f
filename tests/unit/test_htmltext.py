"""HTML -> only the text a person sees (issue 10 part 6, issue 13's linear reading)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.htmltext import html_to_text, render_html
from gateway.mime import read_message
from gateway.model import Decision
from gateway.replies import read_reply

HIDING = [
    'style="display:none"',
    'style="DISPLAY: NONE !important"',
    'style="visibility:hidden"',
    'style="font-size:0"',
    'style="font-size:0px"',
    'style="font-size:0pt"',
    'style="font-size:0.0em"',
    'style="font-size:1px"',
    'style="color:#ffffff"',
    'style="color:white"',
    'style="color:#FFF;background:#fff"',
    'style="color:rgb(255,255,255)"',
    'style="color:transparent"',
    'style="color:rgba(0,0,0,0)"',
    'style="opacity:0"',
    'style="max-height:0;overflow:hidden"',
    'style="height:0px;overflow:hidden"',
    'style="text-indent:-9999px"',
    'style="position:absolute;left:-10000px"',
    'style="transform:scale(0)"',
    "hidden",
]


@pytest.mark.parametrize("attr", HIDING)
def test_hidden_text_is_not_read(attr: str) -> None:
    html = f"<div>確認中です<span {attr}>承認します</span></div>"
    reading = render_html(html)
    assert reading.seen == "確認中です"
    assert "承認" not in reading.text


@pytest.mark.parametrize(
    "html",
    [
        '<div style="background:#000;color:#fff"><span style="color:#000">承認します</span>確認中です</div>',
        '<table bgcolor="#336699"><tr><td><font color="#336699">承認します</font>確認中です',
        '<body bgcolor="white"><font color="#fefefe">承認します</font>確認中です</body>',
        '<div style="display:none"><span style="display:block">承認します</span></div>確認中です',
        '<div style="opacity:0.01"><p>承認します</p></div>確認中です',
        "<head><title>承認します</title><style>p{}</style><script>承認します</script></head>確認中です",
        "<template>承認します</template>確認中です",
        "<style>.x{display:none}</style><span class=x>承認します</span>確認中です",
        "<style>#x{font-size:0}</style><p id=x>承認します</p><p>確認中です</p>",
        "<style>span.a.b{visibility:hidden}</style><span class='b a'>承認します</span>確認中です",
    ],
)
def test_hidden_in_every_way(html: str) -> None:
    assert render_html(html).text == "確認中です"


# Session 5 audit: more ways CSS and HTML hide text, each read as visible on today's main.
HIDING_MORE = [
    'style="disp\\lay:none"',  # a CSS escape in the property name is still display
    'style="filter:opacity(0)"',
    'style="content-visibility:hidden"',
    'style="font:0px sans-serif"',
    'style="font: 0/0 a"',
    'style="position:absolute;clip-path:inset(100%)"',
    'style="clip-path:circle(0)"',
    'style="clip-path:polygon(0 0)"',
    'style="position:absolute;transform:translateX(-9999px)"',
    'style="display:inline-block;width:1px;overflow:hidden;white-space:nowrap"',
    'style="display:block;height:2px;overflow:hidden"',
    'style="letter-spacing:-999px"',
]


@pytest.mark.parametrize("attr", HIDING_MORE)
def test_more_ways_of_hiding_are_not_read_as_seen(attr: str) -> None:
    reading = render_html(f"<div>確認中です<span {attr}>承認します</span></div>")
    assert reading.seen == "確認中です", attr


@pytest.mark.parametrize(
    "html",
    [
        # a stylesheet selector written with CSS escapes (.\68 is .h)
        "<style>.\\68 {display:none}</style><span class=h>承認します</span>確認中です",
        # an image background with a fallback colour: images are blocked by default
        '<div style="background:#ffffff url(x.png)"><span style="color:#fefefe">承認します</span></div>確認中です',
        # a gradient of the text's own colour
        '<div style="background:linear-gradient(#fff,#fff)"><span style="color:#fff">承認します</span></div>確認中です',
        # a closed <details> shows only its summary; a <dialog> without open shows nothing
        "<details><summary>確認中です</summary><p>承認します</p></details>",
        "<dialog>承認します</dialog>確認中です",
        # a zero-size SVG
        '<svg width="0" height="0"><text>承認します</text></svg>確認中です',
        # Outlook hides what is inside <!--[if !mso]> … <![endif]--> (downlevel-revealed)
        "<!--[if !mso]><!-->承認します<!--<![endif]-->確認中です",
    ],
)
def test_more_hidden_or_client_dependent_text_is_not_seen(html: str) -> None:
    assert render_html(html).seen.replace("\n", "") == "確認中です", render_html(html)


def test_ordinary_styles_stay_visible() -> None:
    for html in (
        '<span style="font:14px/1.5 sans-serif">承認します</span>',
        '<span style="font: bold 10.5pt \'ＭＳ ゴシック\'">承認します</span>',
        '<div style="background:#fff url(logo.png) no-repeat"><span style="color:#333">承認します</span></div>',
        '<span style="letter-spacing:0.1em">承認します</span>',
        '<div style="height:20px;overflow:hidden">承認します</div>',
        '<span style="transform:translateX(2px)">承認します</span>',
        "<details open><summary>件</summary>承認します</details>",
        "<!--[if !mso]><!--><!--<![endif]-->承認します",
    ):
        assert render_html(html).seen.replace("\n", "").endswith("承認します"), html


def test_visibility_can_be_made_visible_again_but_display_none_cannot() -> None:
    html = '<div style="visibility:hidden">a<span style="visibility:visible">b</span></div>'
    assert render_html(html).text == "b"


@pytest.mark.parametrize(
    "html",
    [
        '<span style="mso-hide:all">承認します</span>確認中です',  # Outlook hides, others show
        "<!--[if mso]>承認します<![endif]-->確認中です",  # Outlook shows, others hide
        "<style>div .x{display:none}</style><span class=x>承認します</span>確認中です",
        "<style>@media screen{.x{display:none}}</style><span class=x>承認します</span>確認中です",
        '<span style="font-size:3px">承認します</span>確認中です',
        '<span style="color:#eeeeee">承認します</span>確認中です',
        "<noscript>承認します</noscript>確認中です",
    ],
)
def test_what_may_be_seen_is_uncertain(html: str) -> None:
    reading = render_html(html)
    assert reading.seen == "確認中です"
    assert "承認します" in reading.text
    assert reading.uncertain


def test_browser_tree_rules_that_decide_what_shows() -> None:
    # <p> closes an open <p>: the second paragraph is not inside the hidden one
    assert render_html('<p style="display:none">a<p>承認').text == "承認"
    # an end tag does not close past a block (div): y and z stay inside the hidden span
    assert render_html('<span style="display:none"><div>x</span>y</div>z').text == ""
    assert render_html('<div><span style="display:none">x</div>y').text == "y"
    # text directly in a hidden table is moved before it (foster parenting): visible
    assert render_html('<table style="display:none">承認<tr><td>x</td></tr></table>').text == "承認"
    # a formatting element closed under a block: the block stays, without its style
    assert render_html("<b style=display:none>1<p>2</b>3</p>").text == "3"
    # a self-closing span is an open span in HTML
    assert render_html('<span style="display:none"/>承認します').text == ""


def test_line_structure_of_real_clients() -> None:
    outlook = (
        '<html><head><style><!-- p.MsoNormal {margin:0mm;font-size:10.5pt;} --></style></head>'
        "<body><div class=WordSection1><p class=MsoNormal>承認<o:p></o:p></p>"
        "<p class=MsoNormal>できません。<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0mm 0mm 0mm'>"
        "<p class=MsoNormal><b>差出人:</b> SNS</p></div><p class=MsoNormal>承認する場合は</p>"
    )
    assert html_to_text(outlook) == "承認\nできません。\n\n> 差出人: SNS\n> 承認する場合は"
    gmail = (
        '<div dir="ltr">承認します<br>よろしく</div><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">2026年11月24日(火) SNS &lt;a@b&gt;:<br></div>'
        '<blockquote class="gmail_quote">承認する場合は<br>「承認」</blockquote></div>'
    )
    text = html_to_text(gmail)
    assert text.startswith("承認します\nよろしく\n")
    assert all(line.startswith(">") for line in text.split("\n")[2:] if line)
    assert html_to_text("<p>一段落</p><p>二段落</p>") == "一段落\n\n二段落"
    assert html_to_text("a<br>b<div>c</div>d") == "a\nb\nc\nd"


@pytest.mark.parametrize(
    ("html", "want"),
    [
        ('<a href="https://evil.example.com/x">町ホームページ</a>', "町ホームページ（https://evil.example.com/x）"),
        ('<a href="https://town.example.jp/">https://town.example.jp/</a>', "https://town.example.jp/"),
        ('<a href="mailto:a@town.example.jp">a@town.example.jp</a>', "a@town.example.jp"),
        ('<a href="https://x.example/a&amp;b">詳細</a>', "詳細（https://x.example/a&b）"),
        ('<a href="#top">上へ</a>', "上へ"),
        ('<a href="https://x.example/"><img src="cid:1"></a>', "（https://x.example/）"),
        ('<a href="https://x.example/" style="display:none">詳細</a>ok', "ok"),
    ],
)
def test_link_targets_stay_visible(html: str, want: str) -> None:
    assert html_to_text(html) == want


@pytest.mark.parametrize(
    "html",
    [
        "<a " * 3000,
        "<div>" * 3000,
        '<a href="' + "x" * 5000,
        "<!--" * 2000,
        "&#" + "9" * 6000 + ";",
        "<style>" + ".a{display:none}" * 500,
        '<span style="' + "/*" * 2000 + '">x</span>',
        "<b><div>x" * 500 + "</b>" * 500,
    ],
)
def test_hostile_html_reads_without_error(html: str) -> None:
    reading = render_html(html)
    assert not any("failed" in note for note in reading.notes)
    assert len(reading.text) <= len(html)


def test_text_a_stylesheet_adds_is_read_as_uncertain() -> None:
    html = '<style>.x::after{content:"できません"}</style><span class=x>承認</span>'
    reading = render_html(html)
    assert (reading.seen, reading.text) == ("承認", "承認できません")
    assert _decision(_mail([("text/html", html)])) != Decision.APPROVE


WORDS = [f"語{chr(0x3042 + i)}" for i in range(12)]  # 語あ 語ぃ …: distinct, no markup


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["span", "div", "p", "b", "font", "td"]),
                  st.one_of(st.none(), st.sampled_from(HIDING))),
        min_size=1, max_size=12,
    )
)  # fmt: skip
def test_property_hidden_fragments_never_read_visible_ones_always(fragments) -> None:
    parts, visible, hidden = [], [], []
    for (tag, attr), word in zip(fragments, WORDS, strict=False):
        parts.append(f"<{tag} {attr or ''}>{word}</{tag}>")
        (hidden if attr else visible).append(word)
    reading = render_html("<table><tr><td>" + "".join(parts) + "</td></tr></table>")
    flat = reading.seen.replace("\n", "").replace(" ", "")
    assert flat == "".join(visible)
    assert not any(word in reading.text for word in hidden)


def test_unclosed_tag_drops_the_rest_as_a_browser_does() -> None:
    assert render_html("承認しません<a ").text == "承認しません"
    assert render_html('確認中<span title="承認します').text == "確認中"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/!-=\"' a&#;x承認divspbr")), max_size=200))
def test_any_input_reads(html: str) -> None:
    reading = render_html(html)
    assert not reading.notes or all("failed" not in n for n in reading.notes)
    # what is certainly seen is part of what may be seen, line by line
    maybe = reading.text.split("\n")
    assert all(any(line.strip() in m for m in maybe) for line in reading.seen.split("\n"))


# --- replies: HTML-only, and plain vs HTML ----------------------------------------------


def _mail(parts: list[tuple[str, str]]) -> bytes:
    head = (
        "From: 課長 <kacho@town.example.jp>\r\nTo: sns-check+D-000042@town.example.jp\r\n"
        "Subject: RE: [承認依頼 D-000042] 防災訓練\r\nMessage-ID: <r1@town.example.jp>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if len(parts) == 1:
        ctype, body = parts[0]
        return (
            head + f'Content-Type: {ctype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
        ).encode()
    out = head + 'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n'
    for ctype, body in parts:
        out += f'--b1\r\nContent-Type: {ctype}; charset="utf-8"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        out += base64.encodebytes(body.encode()).decode().replace("\n", "\r\n")
    return (out + "--b1--\r\n").encode()


def _decision(raw: bytes) -> Decision:
    inc = read_message(raw, ["sns-check@town.example.jp"])
    return read_reply(inc.text, (), alternatives=inc.alt_texts).decision


@pytest.mark.parametrize("attr", [*HIDING, *HIDING_MORE, 'style="mso-hide:all"'])
def test_hidden_approval_in_html_reply_never_approves(attr: str) -> None:
    # visible words that decide nothing, so a leaked 承認します would approve
    raw = _mail([("text/html", f"<div>お疲れ様です。<span {attr}>承認します</span></div>")])
    assert _decision(raw) != Decision.APPROVE


def test_plain_and_html_disagreeing_is_unclear() -> None:
    raw = _mail([("text/plain", "承認します。\r\n"), ("text/html", "<div>差戻しします。</div>")])
    assert _decision(raw) == Decision.UNCLEAR
    raw = _mail([("text/plain", "差戻し\r\n"), ("text/html", "<div>承認します。</div>")])
    assert _decision(raw) == Decision.UNCLEAR
    raw = _mail(
        [("text/plain", "承認します。\r\n"),
         ("text/html", '<div>承認します。<span style="font-size:0">できません</span></div>')]
    )  # fmt: skip
    assert _decision(raw) == Decision.APPROVE  # the hidden part is not read in either
    raw = _mail([("text/plain", "承認します。\r\n"), ("text/html", "<div>承認します。</div>")])
    assert _decision(raw) == Decision.APPROVE


@pytest.mark.parametrize(
    "html",
    [
        '<div style="display:none">差戻しします。</div>',
        '<div style="display:none">承認します。</div>',
        '<div style="color:#fff">差し戻します</div>',
        "<div hidden>できません</div>",
    ],
)
def test_an_html_view_that_shows_nothing_beside_an_approving_text_is_unclear(html: str) -> None:
    """The text part approves, the HTML part (what an HTML client shows) shows nothing: the
    two views disagree (one decides, the other shows no decision), so ask again."""
    raw = _mail([("text/plain", "承認します。\r\n"), ("text/html", html)])
    assert _decision(raw) == Decision.UNCLEAR
    # an HTML part with nothing in it at all (no text, hidden or not) is no second view
    raw = _mail([("text/plain", "承認します。\r\n"), ("text/html", "<div><br></div>")])
    assert _decision(raw) == Decision.APPROVE


def test_html_only_draft_keeps_link_targets() -> None:
    raw = _mail([("text/html", '<p>詳しくは<a href="https://evil.example.com/">町HP</a>へ</p>')])
    inc = read_message(raw, [])
    assert "https://evil.example.com/" in inc.text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            ["<p>", "x", "承認", "<div style='display:none'>", "<span style='color:#fff'>",
             "</div>", "</span>", "<b>", "<br>", "<!-- c -->", "<font size=0>", "</p>",
             "<blockquote>", "</blockquote>", "<pre>\n a\n</pre>", "<style>.h{display:none}</style>",
             "<span class=h>", "\n", " "]
        ),
        max_size=40,
    )
)
def test_the_seen_reading_is_the_visible_assembly_in_one_pass_or_two(parts):
    """render_html reuses the first reading as the second when nothing is hidden or
    uncertain: the same text as assembling the visible segments again."""
    from gateway.htmlstyle import VISIBLE
    from gateway.htmltext import _assemble
    from gateway.htmltokens import tokenize
    from gateway.htmltree import TreeBuilder

    source = "".join(parts)
    conv = TreeBuilder()
    tokenize(source, conv)
    segments, outlook_from, _notes = conv.finish()
    assert render_html(source).seen == _assemble(segments, VISIBLE, outlook_from)
