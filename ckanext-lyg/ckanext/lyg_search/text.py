"""Chinese-aware text segmentation for the search index.

PostgreSQL's text-search parser keeps an unbroken run of Chinese characters as
one token, so text is segmented with jieba (in "search" mode, which also emits
the shorter words inside a compound) before it becomes a ``tsvector`` and
before a query becomes a ``tsquery``. Both sides use the same function, so a
query token always meets the index token the same text produced.

A user dictionary of government and Lianyungang terms ships as package data
(``data/userdict.txt``); sites add their own files through the environment
variable ``LYG_SEARCH_USERDICT`` (paths separated by ``:``).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

_HERE = os.path.dirname(__file__)
DEFAULT_USERDICT = os.path.join(_HERE, "data", "userdict.txt")

# Han ideographs (CJK Unified Ideographs and extension A, compatibility block).
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_lock = threading.Lock()
_tokenizer = None


def _get_tokenizer():
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                extra = os.environ.get("LYG_SEARCH_USERDICT", "")
                for path in [DEFAULT_USERDICT, *filter(None, extra.split(os.pathsep))]:
                    if os.path.exists(path):
                        tok.load_userdict(path)
                _tokenizer = tok
    return _tokenizer


def warm_up() -> None:
    """Load the dictionary now (about a second): call it before a server
    forks its workers, so they share it and their first search is fast."""
    _get_tokenizer()


def has_han(text: str) -> bool:
    return bool(_HAN.search(text))


# Short texts recur across datasets (departments, tags, groups, formats,
# update cycles): their words are remembered.
SHORT_TEXT = 64


def tokens(text: str) -> list[str]:
    """Words of ``text``: jieba search-mode words for Chinese runs, the
    text-search parser's own words for the rest. Punctuation is dropped."""
    if not text:
        return []
    if len(text) <= SHORT_TEXT:
        return list(_short_tokens(text))
    return _tokens(text)


@functools.lru_cache(maxsize=8192)
def _short_tokens(text: str) -> tuple[str, ...]:
    return tuple(_tokens(text))


def _tokens(text: str) -> list[str]:
    if not has_han(text):
        return [w for w in re.split(r"\s+", text) if w and any(c.isalnum() for c in w)]
    out = []
    for w in _get_tokenizer().cut_for_search(text, HMM=True):
        w = w.strip()
        if w and any(c.isalnum() for c in w):
            out.append(w)
    return out


def segment(text: str | Iterable[str] | None) -> str:
    """Segmented form of ``text`` (words separated by spaces), ready for
    ``to_tsvector('simple', …)``."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = " ".join(str(t) for t in text if t is not None)
    return " ".join(tokens(text))


def _covered(word: str, parts: set[str]) -> bool:
    """Whether ``word`` is a concatenation of ``parts`` (other words)."""
    ok = [True] + [False] * len(word)
    for i in range(1, len(word) + 1):
        ok[i] = any(ok[j] and word[j:i] in parts for j in range(i))
    return ok[-1]


def query_words(text: str) -> list[str]:
    """Words a query must match. Search mode yields a compound and its parts
    (户籍人口 → 户籍, 人口, 户籍人口); an index entry for a longer compound
    (地区生产总值) holds only its two- and three-character parts, so a compound
    that its own parts spell out is left to them: 生产总值 matches 地区生产总值."""
    words = tokens(text)
    if not has_han(text):
        return words
    out = []
    for w in words:
        parts = {x for x in words if x != w and len(x) < len(w)}
        if len(w) >= 3 and has_han(w) and _covered(w, parts):
            continue
        out.append(w)
    return out
