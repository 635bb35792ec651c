"""Reading a page the tests got (from maintd's HTML report, the dashboard, or Chromium's DOM)."""

from __future__ import annotations

from html.parser import HTMLParser

HEADINGS = frozenset({"h1", "h2", "h3"})


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, all of its text, the text of its
    ``<pre>`` blocks and of its headings."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.pre: list[str] = []
        self.headings: list[str] = []
        self._in_pre = False
        self._heading: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))
        self._in_pre = self._in_pre or tag == "pre"
        if tag in HEADINGS:
            self._heading = []

    def handle_endtag(self, tag: str) -> None:
        self._in_pre = self._in_pre and tag != "pre"
        if tag in HEADINGS and self._heading is not None:
            self.headings.append("".join(self._heading).strip())
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._in_pre:
            self.pre.append(data)
        if self._heading is not None:
            self._heading.append(data)

    @property
    def text(self) -> str:
        """All of the page's text, its whitespace collapsed."""
        return " ".join(" ".join(self.texts).split())

    def having(self, tag: str, css: str) -> list[dict[str, str]]:
        """The attributes of every ``tag`` whose class list holds ``css``."""
        return [attrs for name, attrs in self.tags
                if name == tag and css in attrs.get("class", "").split()]  # fmt: skip
