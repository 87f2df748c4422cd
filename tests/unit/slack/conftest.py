"""Captured-shape Slack payloads for the translation functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).with_name("fixtures")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


@pytest.fixture
def slash_command() -> dict[str, Any]:
    return load("slash_command")


@pytest.fixture
def block_actions() -> dict[str, Any]:
    return load("block_actions")


@pytest.fixture
def view_submission() -> dict[str, Any]:
    return load("view_submission")


@pytest.fixture
def app_home_opened() -> dict[str, Any]:
    return load("app_home_opened")


@pytest.fixture
def users_info() -> dict[str, Any]:
    return load("users_info")
