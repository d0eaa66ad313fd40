"""Checks every page must pass: Chinese text, labelled inputs."""

import re
from html.parser import HTMLParser

# ASCII words that are names, not untranslated UI text.
ALLOWED_WORDS = {
    "csv",
    "xlsx",
    "excel",
    "wps",
    "cookie",
    "gbk",
    "utf",
    "pdf",
    "doc",
    "docx",
    "xls",
    "jpg",
    "png",
}
UNLABELLED_OK = {"hidden", "submit", "button", "reset", "image"}


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.labels: set[str] = set()
        self.controls: list[dict[str, str]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag in {"script", "style"}:
            self._skip += 1
        if tag == "label" and a.get("for"):
            self.labels.add(a["for"])
        labelled_control = tag in {"select", "textarea"} or (
            tag == "input" and a.get("type", "text") not in UNLABELLED_OK
        )
        if labelled_control:
            self.controls.append({"tag": tag, **a})

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def check_page(html: str, names: tuple[str, ...] = ()) -> None:
    """`names` are data shown on the page (usernames), not UI text."""
    parser = _PageParser()
    parser.feed(html)
    assert parser.lang == "zh-CN"
    unlabelled = [
        c
        for c in parser.controls
        if not (c.get("id") in parser.labels or c.get("aria-label") or c.get("aria-labelledby"))
    ]
    assert not unlabelled, f"inputs without a label: {unlabelled}"
    text = " ".join(parser.text)
    for name in names:
        text = text.replace(name, "")
    english = {w for w in re.findall(r"[A-Za-z]{3,}", text) if w.lower() not in ALLOWED_WORDS}
    assert not english, f"untranslated text on the page: {sorted(english)}"
    assert re.search(r"[\u4e00-\u9fff]", text)
