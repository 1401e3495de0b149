"""HTML a feedback page may hold: markdown rendered with its math as MathML, and every fragment
sanitised against one allowlist.

- **Math without a script.** `$...$`, `$$...$$` and `\\begin{...}` environments become MathML
  (`latex2mathml`), which browsers typeset natively: no MathJax, no CDN, right offline. A formula
  the converter cannot read stays as its TeX, in `<code>`.
- **One allowlist** (`nh3`, the Rust `ammonia` sanitiser) for everything a page shows from a
  notebook: the structure markdown produces (paragraphs, headings, lists, tables, code, quotes,
  details), MathML, images only as `data:` URLs, links only to http(s), mail or the page itself
  (opened with `rel="noopener noreferrer"`), and no `style`, no script, no event handler, no form,
  no frame. What the instructor wrote passes unchanged through it; what a student wrote or printed
  cannot put live HTML in the page. The page's Content-Security-Policy (no script, no request but
  `data:`) holds even if something slipped through.
"""
from __future__ import annotations

import html
import re

import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

_MATHML = {"math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup", "mfrac", "msqrt",
           "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
           "menclose", "semantics", "annotation", "mfenced", "merror", "mlabeledtr", "mmultiscripts", "mprescripts",
           "none"}
_TAGS = {"a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
         "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
         "li", "main", "mark", "ol", "p", "pre", "q", "s", "samp", "section", "small", "span", "strong", "sub",
         "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var"} | _MATHML
_MATH_ATTRIBUTES = {"xmlns", "display", "mathvariant", "stretchy", "fence", "separator", "accent", "accentunder",
                    "lspace", "rspace", "minsize", "maxsize", "movablelimits", "largeop", "symmetric", "columnalign",
                    "rowalign", "columnspacing", "rowspacing", "width", "height", "depth", "linethickness",
                    "encoding", "scriptlevel", "displaystyle", "notation", "columnlines", "rowlines", "frame"}
_ATTRIBUTES = {"*": {"class", "id", "title", "lang", "dir"}, "a": {"href"}, "img": {"src", "alt", "width", "height"},
               "td": {"colspan", "rowspan", "align"}, "th": {"colspan", "rowspan", "align", "scope"},
               "ol": {"start"}, "details": {"open"}, **{tag: _MATH_ATTRIBUTES for tag in _MATHML}}
_DATA_IMAGE = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*$")
_LINK = re.compile(r"^(https?:|mailto:|#)", re.I)


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if _DATA_IMAGE.match(value) else None  # no request leaves the page: images are inline
    if tag == "a" and attribute == "href":
        return value if _LINK.match(value.strip()) else None
    return value


def clean(fragment) -> str:
    """`fragment` (HTML text) through the page's allowlist (see the module docstring)."""
    text = fragment.decode() if isinstance(fragment, bytes) else str(fragment)
    return nh3.clean(text, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto", "data"},
                     attribute_filter=_attribute_filter, link_rel="noopener noreferrer", strip_comments=True)


def mathml(tex: str, display: bool) -> str:
    """TeX as MathML (its TeX in <code> where the converter cannot read it)."""
    import latex2mathml.converter

    try:
        return latex2mathml.converter.convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 - a formula the converter does not know stays readable as TeX
        return f"<code>{html.escape(tex)}</code>"


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer, its math typeset as MathML instead of left for MathJax."""

    def block_math(self, body: str) -> str:
        return mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        return mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


def markdown(text: str, path: str = "", attachments: dict | None = None) -> str:
    """A markdown cell as the page shows it: rendered, its math as MathML, sanitised."""
    renderer = MathMLRenderer(escape=False, attachments=attachments or {}, path=path, anchor_link_text="¶")
    return clean(MarkdownWithMath(renderer=renderer).render(text))
