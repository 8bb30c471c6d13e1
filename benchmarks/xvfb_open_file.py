"""How long `molstudio FILE` takes to show its window with the table under a plain X server.

Starts Xvfb (unless ``--display`` names a running one), launches the real application
as a user would, polls the X window list for the window whose title names the file,
then polls screenshots until structure depictions are on screen (heteroatoms are drawn
in colour: oxygen red, nitrogen blue), and saves that screenshot so the figure can be
checked by eye.

    python benchmarks/xvfb_open_file.py ../shared/data/esol.csv --out /tmp/xvfb
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def window_titles(display: str) -> str:
    out = subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                         capture_output=True, text=True, timeout=10)
    return out.stdout


def depicted_atoms(image) -> int:
    """Pixels in RDKit's oxygen red or nitrogen blue: structures are being drawn."""
    import numpy as np

    px = np.asarray(image.convert("RGB")).astype(int)
    r, g, b = px[..., 0], px[..., 1], px[..., 2]
    red = (r > 200) & (g < 60) & (b < 60)
    blue = (b > 200) & (r < 60) & (g < 60)
    return int(red.sum() + blue.sum())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--display", default="")
    parser.add_argument("--out", type=Path, default=Path("xvfb-shots"))
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()
    for tool in ("Xvfb", "xwininfo"):
        if shutil.which(tool) is None and not (tool == "Xvfb" and args.display):
            print(f"{tool} is not installed (apt-get install xvfb x11-utils)")
            return 2
    args.out.mkdir(parents=True, exist_ok=True)
    display, server = args.display, None
    if not display:
        display = ":87"
        server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=display, QT_QPA_PLATFORM="xcb")
    start = time.perf_counter()
    app = subprocess.Popen([sys.executable, "-m", "molstudio.gui.app", str(args.file)], env=env)
    wanted = f"{args.file.name} — MolStudio"
    seen = None
    try:
        while time.perf_counter() - start < args.timeout:
            if app.poll() is not None:
                print(f"the application exited with code {app.returncode}")
                return 1
            if wanted in window_titles(display):
                seen = time.perf_counter() - start
                break
            time.sleep(0.05)
        if seen is None:
            print(f"no window titled '{wanted}' within {args.timeout:.0f} s")
            return 1
        from PIL import ImageGrab

        print(f"window titled '{wanted}': {seen:.2f} s after launch")
        while time.perf_counter() - start < args.timeout:
            shot = ImageGrab.grab(xdisplay=display)
            if depicted_atoms(shot) > 50:
                shown = time.perf_counter() - start
                shot.save(args.out / "table-shown.png")
                print(f"table with structures on screen: {shown:.2f} s after launch "
                      f"(screenshot {args.out / 'table-shown.png'})")
                return 0
            time.sleep(0.1)
        print(f"no structures on screen within {args.timeout:.0f} s")
        return 1
    finally:
        app.terminate()
        app.wait(10)
        if server is not None:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    raise SystemExit(main())
