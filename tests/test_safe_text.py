"""medcore.safe_text: text from uploads renders as text, never as Markdown, HTML or a fetch."""
from __future__ import annotations

import pytest

from medcore.safe_text import escape_html, escape_markdown, markdown_message

HOSTILE = ["![x](http://127.0.0.1:9/p.png)", "<img src=http://127.0.0.1:9/p.png>",
           "[click](javascript:alert(1))", "# heading", "**bold** _it_ `code`", "$x^2$",
           ":red[alarm] :material/warning:", "1. list", "> quote", "| a | b |", "\\*",
           "![x](http:127.0.0.1:9)", "http://127.0.0.1:9/p.png"]


@pytest.fixture(scope="module")
def render():
    markdown_it = pytest.importorskip("markdown_it")      # CommonMark, as Streamlit's renderer
    parser = markdown_it.MarkdownIt("commonmark").enable(["table", "strikethrough"])
    return parser.render


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_letter_for_letter(render, text):
    import html

    rendered = render(escape_markdown(text))
    assert "<img" not in rendered and "<a " not in rendered and "<h1" not in rendered
    assert "<strong" not in rendered and "<code" not in rendered and "<ol" not in rendered
    assert html.unescape(rendered.removeprefix("<p>").removesuffix("</p>\n")) == text


def test_messages_keep_their_lines_and_bullets(render):
    message = ("bad.csv does not match: 2 problems:\n- 'age': found '![x](http://h/p.png)'\n"
               "- 'er': found '# 5'\n\nCorrect these cells.")
    rendered = render(markdown_message(message))
    assert rendered.count("<li>") == 2 and "<img" not in rendered and "<h1" not in rendered
    assert "found '![x](http://h/p.png)'" in rendered.replace("&quot;", '"')
    assert rendered.count("<p>") == 2


def test_html_for_chart_titles():
    assert escape_html('<a href="http://x">x</a> & <b>') == (
        "&lt;a href=&quot;http://x&quot;&gt;x&lt;/a&gt; &amp; &lt;b&gt;")
