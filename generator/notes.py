"""A deal's Markdown notes as safe HTML: rendered like GitHub, then sanitised.

Everything a deal file says reaches a page either escaped by Jinja or through here.
"""

from __future__ import annotations

from typing import Any

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options as CmarkOptions

_MD_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}

# GitHub's own Markdown (cmark-gfm, in C): the notes look as they do on GitHub, and it takes
# linear time on any input, where Python-Markdown took minutes over a few kilobytes of '['.
# Raw HTML is let through to the sanitiser, except the tags GitHub shows as text (tagfilter:
# <script>, <textarea>, <iframe>, <style>, <plaintext>, ...), so they can't swallow the page.
_GFM = ["table", "strikethrough", "autolink", "tagfilter"]
# Each block of the notes takes its direction from its own first letters, so a paragraph in
# Hebrew or Arabic reads right to left without turning the page around it.
_AUTO_DIR = {
    t: {"dir": "auto"}
    for t in ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "dd", "dt")
}


_CLEAN: dict[str, Any] = dict(
    tags=_MD_TAGS,
    attributes={"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}},
    url_schemes={"http", "https", "mailto", "tel"},
    link_rel="noopener noreferrer nofollow",
    set_tag_attribute_values=_AUTO_DIR,
)
# One sanitiser built once: nh3.clean builds its rules anew on every call,
# which took three times as long as the cleaning itself.
_cleaner: Any = nh3.Cleaner(**_CLEAN) if hasattr(nh3, "Cleaner") else None


def notes_html(body: str) -> str:
    """Markdown notes -> sanitised HTML: no script, no event handlers, no style, no iframe,
    and links only to http(s), mailto and tel addresses or relative ones."""
    html = cmarkgfm.markdown_to_html_with_extensions(
        body, options=CmarkOptions.CMARK_OPT_UNSAFE, extensions=_GFM
    )
    if _cleaner is not None:
        return str(_cleaner.clean(html))
    return nh3.clean(html, **_CLEAN)
