"""Captured-shape Teams activities (JSON files next to this module), loaded fresh for each test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "fixtures"

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CHANNEL = "19:1a2b3c4d5e6f708192a3b4c5d6e7f809@thread.tacv2"
TEAM = "19:9d8f7e6c5b4a39281706f5e4d3c2b1a0@thread.tacv2"
CHAT = "19:meeting_NDZlYjY2YjEtODE1Ni00ZjQ1@thread.v2"
ALICE = "6b7b3b2a-2c4b-4175-8582-41c9e685c1b5"
BOB_ACCOUNT = "29:1bSnHZ7Js2STWrgk6ScEErLk1Lp2zQuD5H2qQ960rtvstKp8tKLl-3r8b6DoW0QxZimuTxk_kupZ1DBMpvIQQUAZ"
CAROL_ACCOUNT = "29:1URzNQM1x1PNMr1D7L5_lFe6qF6gEfAbkdG8_BUxOW2mTKryQqEZtBTqDt10-MghkzjYDuUj4KG6nvg5lFAy"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((HERE / f"{name}.json").read_text(encoding="utf-8"))
    return data
