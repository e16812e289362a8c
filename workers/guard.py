"""Pathological HTML cannot stall or kill a worker: cheap limits before parsing, then extraction in a helper
process with a time limit.

Why a helper process: the HTML is parsed by libxml2 (under lxml and trafilatura), which is C code. RQ's job
timeout is a Python signal handler, and it cannot interrupt C code; and libxml2 has slow paths that
ordinary-looking pages can hit (it is quadratic in the attributes of one tag: 40,000 attributes take
seconds, 300,000 take minutes). A crash in C would take the worker process with it. In a helper process,
a page that takes too long or crashes costs the time limit and that one article, which fails with a
message saying why; the worker and the rest of its job go on. The helper is started once per worker (and
again after a kill), so an ordinary page costs one round trip over a pipe.

The checks before parsing refuse, in linear time and with a clear message, what no news page needs: a
very large number of tags, or a tag with a very large number of attributes. (libxml2 would also silently
stop descending at 256 levels of nesting: 200,000 nested divs are refused by the tag count.)
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

from workers.clean import CleanArticle
from workers.errors import PermanentError

log = logging.getLogger(__name__)

# Tags of an ordinary news page: a few thousand; the largest seen in the wild stay well under this.
MAX_TAGS = 100_000
# Attributes of one tag: a few, up to dozens with data-* and aria-* attributes.
MAX_ATTRIBUTES = 1_000
# Seconds the extraction of one page may take (an ordinary page takes well under one).
TIME_LIMIT = 30.0
# Seconds the helper may take to start (imports trafilatura, lxml, numpy and the block model).
START_LIMIT = 120.0

# A tag with more than MAX_ATTRIBUTES '=' before its end. Each repetition consumes one '=' and what follows
# up to the next, so a failed attempt gives back at most the tag's length: the search stays linear.
_CROWDED_TAG = re.compile(r"<[A-Za-z][^<>=]*(?:=[^<>=]*){" + str(MAX_ATTRIBUTES + 1) + "}")


_WARM_UP = (
    "<html><head><title>Warm-up</title></head><body><article><h1>Warm-up</h1><p>This page is extracted "
    "once when the helper starts, before the first real one.</p><p>It has two short paragraphs.</p>"
    "</article></body></html>"
)


def check_html(html: str) -> None:
    """Refuse, before any parsing, a page no news site produces; PermanentError says what and why."""
    tags = html.count("<") - html.count("</")
    if tags > MAX_TAGS:
        raise PermanentError(
            f"the HTML has about {tags:,} tags, more than the {MAX_TAGS:,} any news page needs: "
            "not parsed (a page this large or this deeply nested stalls the HTML parser)"
        )
    if _CROWDED_TAG.search(html):
        raise PermanentError(
            f"the HTML has a tag with more than {MAX_ATTRIBUTES:,} attributes: not parsed "
            "(the HTML parser's time grows with the square of a tag's attributes)"
        )


def _serve(requests: Connection, results: Connection) -> None:
    """The helper's loop: HTML in, ("ok", CleanArticle) | ("invalid", message) | ("error", message) out."""
    from workers.blocks import load_model
    from workers.clean import clean_html

    load_model()  # fail here, not on the first page, if the model cannot load
    # The first extraction also loads what trafilatura loads lazily (a second or more): do it now, so that
    # the time limit measures pages, not the helper's start.
    with contextlib.suppress(ValueError):
        clean_html(_WARM_UP)
    results.send(("ready", None))
    while True:
        try:
            html = requests.recv()
        except (EOFError, OSError):
            return  # the worker is gone
        try:
            results.send(("ok", clean_html(html)))
        except ValueError as exc:
            results.send(("invalid", str(exc)))
        except Exception as exc:
            results.send(("error", f"{type(exc).__name__}: {exc}"))


class HtmlExtractor:
    """clean_html in a helper process, one page at a time, each within a time limit.

    The helper is `python -m workers.guard` with two pipes, rather than a multiprocessing child: spawning
    one of those re-imports the parent's main module, which not every caller's main module allows, and
    forking copies the locks of the worker's other threads (RQ's pubsub, the heartbeat)."""

    def __init__(self, time_limit: float = TIME_LIMIT) -> None:
        self.time_limit = time_limit
        self._process: subprocess.Popen[bytes] | None = None
        self._requests: Connection | None = None
        self._results: Connection | None = None
        self._lock = threading.Lock()

    def clean_html(self, html: str) -> CleanArticle:
        """The clean article; ValueError when the page has no article (as clean_html), PermanentError
        when the page is refused, takes longer than the time limit or crashes the parser, RuntimeError
        when extraction failed for a reason that a retry may cure."""
        check_html(html)
        with self._lock:
            results = self._send(html)
            if not results.poll(self.time_limit):
                log.warning("HTML extraction over %.0f s: helper killed, page given up", self.time_limit)
                self.stop()
                raise PermanentError(
                    f"extracting the article from this HTML took longer than {self.time_limit:.0f} s: "
                    "given up (pathological markup?)"
                )
            try:
                kind, value = results.recv()
            except (EOFError, OSError):
                code = self._exit_code()
                log.warning("the HTML extraction helper died on a page (exit code %s)", code)
                self.stop()
                raise PermanentError(f"the HTML parser crashed on this page (exit code {code})") from None
        if kind == "ok":
            article: CleanArticle = value
            return article
        if kind == "invalid":
            raise ValueError(value)
        raise RuntimeError(f"HTML extraction failed: {value}")

    def _send(self, html: str) -> Connection:
        """Hand the page to the helper, starting one if there is none, or another if it died meanwhile."""
        try:
            requests, results = self._started()
            requests.send(html)
            return results
        except OSError:
            self.stop()
        requests, results = self._started()
        requests.send(html)
        return results

    def _exit_code(self) -> int | None:
        """The helper's exit code, once it has exited (it may still be printing its traceback)."""
        if self._process is None:
            return None
        try:
            return self._process.wait(10)
        except subprocess.TimeoutExpired:
            return None

    def _started(self) -> tuple[Connection, Connection]:
        if self._process is not None and self._process.poll() is None and self._requests and self._results:
            return self._requests, self._results
        self.stop()
        their_requests, our_requests = os.pipe()
        our_results, their_results = os.pipe()
        process = subprocess.Popen(
            [sys.executable, "-m", "workers.guard", str(their_requests), str(their_results)],
            pass_fds=(their_requests, their_results),
            stdin=subprocess.DEVNULL,
        )
        os.close(their_requests)
        os.close(their_results)
        self._process = process
        self._requests = Connection(our_requests, readable=False)
        self._results = Connection(our_results, writable=False)
        try:
            if not self._results.poll(START_LIMIT):
                raise RuntimeError(f"the HTML extraction helper did not start within {START_LIMIT:.0f} s")
            self._results.recv()
        except (EOFError, OSError):
            code = self._exit_code()  # its traceback is in our stderr
            self.stop()
            raise RuntimeError(
                f"the HTML extraction helper exited at start (exit code {code}); its error is in the log"
            ) from None
        except RuntimeError:
            self.stop()
            raise
        return self._requests, self._results

    def stop(self) -> None:
        """Kill the helper (the next page starts a new one)."""
        for conn in (self._requests, self._results):
            if conn is not None:
                conn.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait(10)
        self._process, self._requests, self._results = None, None, None


_extractor = HtmlExtractor()


def clean_html(html: str) -> CleanArticle:
    """workers.clean.clean_html, guarded: see the module's docstring."""
    return _extractor.clean_html(html)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
