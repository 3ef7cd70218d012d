"""A real headless browser for the tests and the screenshot utility: Chromium driven over the DevTools
protocol on a pipe (``--remote-debugging-pipe``: no port, no websocket library). It opens a page at a given
viewport (a phone is emulated as a mobile device), evaluates JavaScript in it and takes screenshots.

    with Browser.start() as browser:
        page = browser.open(Path("report.html").resolve().as_uri(), width=390, height=844, mobile=True)
        page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(Path("phone.png"), max_height=2400)

``find_chromium()`` says where the browser is, or why there is none (the tests skip with that reason).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = "install it with `apt-get install -y chromium` (Debian/Ubuntu; `make test` does when run as root)"


def find_chromium() -> tuple[Optional[str], str]:
    """(path of a Chromium, '') or (None, why there is none). $AXSPA_CHROMIUM names one explicitly."""
    explicit = os.environ.get("AXSPA_CHROMIUM")
    if explicit:
        return (explicit, "") if shutil.which(explicit) else (None, f"$AXSPA_CHROMIUM={explicit} is not a program")
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path, ""
    return None, f"no Chromium found ({', '.join(CANDIDATES)} not on PATH); {INSTALL_HINT}"


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process; ``open`` gives a Page (a new tab)."""

    def __init__(self, executable: str, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="axspa-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def pipes() -> None:  # in the child: the protocol pipes on fds 3 (commands) and 4 (replies)
            import fcntl

            # Copied above 10 first (a pipe may itself be fd 3 or 4), then dup2'd: inheritable across exec.
            commands, replies = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_r, from_browser_w))
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        args = [executable, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
                "--mute-audio", f"--user-data-dir={self._profile.name}", "about:blank"]
        log = None if os.environ.get("AXSPA_BROWSER_LOG") else subprocess.DEVNULL  # set it to see Chromium's
        self._process = subprocess.Popen(args, preexec_fn=pipes, close_fds=False, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict] = []

    @classmethod
    def start(cls, executable: Optional[str] = None) -> Browser:
        path = executable or find_chromium()[0]
        if not path:
            raise BrowserError(find_chromium()[1])
        return cls(path)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (BrowserError, OSError):
            pass
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        for fd in (self._to_browser, self._from_browser):
            try:
                os.close(fd)
            except OSError:
                pass
        self._profile.cleanup()

    # ------------------------------------------------------------------------------------------ protocol

    def send(self, method: str, params: Optional[dict] = None, session: Optional[str] = None) -> dict:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_event(self, method: str, session: Optional[str] = None) -> dict:
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method and (session is None or event.get("sessionId") == session):
                    return self._events.pop(i)
            self._events.append(self._read())

    def _read(self) -> dict:
        deadline = time.monotonic() + self.timeout
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise BrowserError(f"no reply from Chromium in {self.timeout:.0f} s")
            import select

            ready, _, _ = select.select([self._from_browser], [], [], 1.0)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the protocol pipe (did it start?)")
                self._buffer += chunk
            elif self._process.poll() is not None:
                raise BrowserError(f"Chromium exited with code {self._process.returncode}")
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    # ------------------------------------------------------------------------------------------ pages

    def open(self, url: str, width: int = 1280, height: int = 900, mobile: bool = False) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session, width, height, mobile)
        self.send("Page.enable", session=session)
        page.resize(height)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return page


class Page:
    def __init__(self, browser: Browser, session: str, width: int, height: int, mobile: bool) -> None:
        self.browser, self.session, self.width, self.height, self.mobile = browser, session, width, height, mobile

    def resize(self, height: int) -> None:
        self.browser.send("Emulation.setDeviceMetricsOverride",
                          {"width": self.width, "height": height, "deviceScaleFactor": 1, "mobile": self.mobile},
                          session=self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (a promise is awaited)."""
        result = self.browser.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                        "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise BrowserError(f"JavaScript error: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self, path: Path, max_height: int = 2400) -> Path:
        """The top of the page (the whole page when it is shorter than ``max_height`` CSS px) as PNG."""
        content = int(self.evaluate("document.documentElement.scrollHeight"))
        height = max(1, min(content, max_height))
        self.resize(height)
        data = self.browser.send("Page.captureScreenshot", {"format": "png"}, session=self.session)["data"]
        self.resize(self.height)
        Path(path).write_bytes(base64.b64decode(data))
        return Path(path)
