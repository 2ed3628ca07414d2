#!/usr/bin/env python
"""Make docs/explorer.png, the README's picture of `wordvec serve`: two PTB models side by side.

    wordvec train ptb --model skipgram --out ptb.bin && wordvec train ptb --model ppmi --out ppmi.bin
    python docs/make_screenshot.py ptb.bin ppmi.bin --word year --out docs/explorer.png

Needs Debian's chromium and playwright (both in the test setup)."""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors", nargs="+")
    parser.add_argument("--word", default="year")
    parser.add_argument("--analogy", nargs=3, default=["take", "took", "go"])
    parser.add_argument("--out", default="docs/explorer.png")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    server = subprocess.Popen([sys.executable, "-m", "wordvec", "serve", *args.vectors, "--port", "0"],
                              stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split()[2]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=FLAGS)
            page = browser.new_page(viewport={"width": 1280, "height": 640}, device_scale_factor=1)
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']")
            for key, word in zip("abc", args.analogy):
                page.fill(f"#analogy-{key}", word)
            page.click("#analogy-form button")
            page.wait_for_selector("body[data-analogy]")
            page.fill("#search", args.word)
            page.press("#search", "Enter")
            page.wait_for_function("w => document.body.dataset.word === w", arg=args.word)
            page.locator(".pane[data-pane='0'] svg.map g.point circle").nth(2).hover()
            page.screenshot(path=args.out, full_page=True)
            browser.close()
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
