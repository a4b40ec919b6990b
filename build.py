#!/usr/bin/env python3
"""Build the catalogue in this folder: the same program as the `catalogue` command."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue.commands.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
