"""Secrets at rest: the first ENCRYPTION_KEY encrypts, every key decrypts; addresses are shown masked."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from bot import commands
from bot.domain.secrets import SecretBox, SecretError, mask_url

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@given(st.text(max_size=2000))
def test_a_secret_comes_back_as_it_went_in(secret: str) -> None:
    box = SecretBox(NEW)
    token = box.encrypt(secret)
    assert box.decrypt(token) == secret


def test_the_stored_form_does_not_contain_the_address() -> None:
    token = SecretBox(NEW).encrypt("https://calendar.google.com/calendar/ical/x/private-5f3c9a0b7e/basic.ics")
    assert "private" not in token and "calendar.google.com" not in token


def test_a_new_key_first_still_reads_old_secrets_and_rotates_them() -> None:
    old_token = SecretBox(OLD).encrypt("https://calendar.example.com/private-abc/basic.ics")
    both = SecretBox(f"{NEW}, {OLD}")
    assert both.decrypt(old_token).endswith("private-abc/basic.ics")
    rotated = both.rotate(old_token)
    assert SecretBox(NEW).decrypt(rotated) == both.decrypt(old_token)
    with pytest.raises(SecretError):
        SecretBox(NEW).decrypt(old_token)


@pytest.mark.parametrize("keys", ["", " , ", "not-a-key", f"{NEW},short"])
def test_malformed_keys_are_refused(keys: str) -> None:
    with pytest.raises(SecretError, match="ENCRYPTION_KEY"):
        SecretBox(keys)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://calendar.google.com/calendar/ical/a%40b/private-123/basic.ics", "https://calendar.google.com/…"),
        ("https://user:pw@outlook.office365.com/owa/calendar/x/y/calendar.ics", "https://outlook.office365.com/…"),
        ("nonsense", "…"),
        ("https://[::1", "…"),
    ],
)
def test_addresses_are_shown_by_host_only(url: str, shown: str) -> None:
    assert mask_url(url) == shown


@pytest.mark.parametrize(
    ("line", "url", "match", "lead"),
    [
        ("schedule from https://c.example.com/a.ics", "https://c.example.com/a.ics", None, None),
        (
            "schedule from <https://c.example.com/a.ics> match Weekly sync",
            "https://c.example.com/a.ics",
            "Weekly sync",
            None,
        ),
        (
            "schedule FROM webcal://c.example.com/a.ics match stand-up lead 1h",
            "webcal://c.example.com/a.ics",
            "stand-up",
            "1h",
        ),
        (
            "schedule from <https://c.example.com/a.ics|c.example.com/a.ics> lead 0",
            "https://c.example.com/a.ics",
            None,
            "0",
        ),
    ],
)
def test_follow_arguments_are_read(line: str, url: str, match: str | None, lead: str | None) -> None:
    command = commands.parse(line)
    assert commands.is_follow(command.rest)
    assert commands.follow(command) == commands.FollowArgs(url, match, lead)


def test_typed_schedules_are_not_mistaken_for_calendars() -> None:
    assert not commands.is_follow(commands.parse("schedule weekly fri 10:00").rest)
    assert not commands.is_follow(commands.parse("schedule fromage").rest)
