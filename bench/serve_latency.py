"""Time from saving a file to the preview's reload signal, as a browser receives it.

Starts `serve` on a site, connects to its live-reload socket the way livereload.js does,
edits one product's body, and waits for the "reload" message; then undoes the edit (and
waits for that reload too). Prints the median of the edit runs in seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_served(base: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("serve stopped before it was ready")
        try:
            with urllib.request.urlopen(base + "_preview/status.json", timeout=2) as response:
                if json.loads(response.read()).get("ok"):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("serve was not ready in time")


async def measure(base: str, path: Path, old: str, new: str, runs: int) -> list[float]:
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(base.replace("http://", "ws://") + "livereload")
    await connection.write_message(json.dumps({"command": "hello",
                                               "protocols": ["http://livereload.com/protocols/official-7"]}))
    await connection.read_message()
    await connection.write_message(json.dumps({"command": "info", "url": base, "plugins": {}}))
    await asyncio.sleep(0.5)
    original = path.read_text(encoding="utf-8")

    async def save_and_wait(text: str) -> float:
        while True:  # a reload still on its way (a save that waited long) is not this save's
            try:
                await asyncio.wait_for(connection.read_message(), 0.05)
            except asyncio.TimeoutError:
                break
        started = time.perf_counter()
        path.write_text(text, encoding="utf-8")
        while True:
            message = json.loads(await asyncio.wait_for(connection.read_message(), 120))
            if message.get("command") == "reload":
                return time.perf_counter() - started

    times = []
    try:
        for run in range(runs):  # "{n}" in `new`: each save another text, never one made before
            times.append(await save_and_wait(original.replace(old, new.replace("{n}", str(run + 1)), 1)))
            await asyncio.sleep(0.3)
            await save_and_wait(original)
            await asyncio.sleep(0.3)
    finally:
        path.write_text(original, encoding="utf-8")
        connection.close()
    return times


def serve_latency(site: Path, out: Path, rel: str, old: str, new: str, runs: int = 5,
                  ready_timeout: float = 1800) -> list[float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    process = subprocess.Popen([sys.executable, str(REPO / "build.py"), "serve", "--site", str(site),
                                "--port", str(port), "--out", str(out), "--now", "2026-11-29"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_served(base, process, ready_timeout)
        return asyncio.run(measure(base, site / rel, old, new, runs))
    finally:
        process.terminate()
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="the preview's output folder (kept between runs)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    times = serve_latency(args.site, args.out, "content/products/product-00042/vi.md", "\n## ",
                          "\nMột câu mới.\n\n## ", args.runs)
    print(" ".join(f"{t:.3f}" for t in times))
    print(f"median {statistics.median(times):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
