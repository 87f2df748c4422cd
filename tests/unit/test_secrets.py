"""Secrets at rest: the ENCRYPTION_KEY setting, sealing and opening, and key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from adapters.cli.check import credential_problems
from adapters.settings import Settings, SettingsError, load_settings
from bot.secrets import SecretBox, SecretUnreadable, new_key, parse_keys

KEY, OLD_KEY = new_key(), new_key()


@given(st.text(max_size=300))
def test_a_sealed_secret_opens_to_itself_and_does_not_contain_it(plain: str) -> None:
    box = SecretBox([KEY])
    sealed = box.seal(plain)
    assert box.is_sealed(sealed) and box.open(sealed) == plain
    assert box.seal(sealed) == sealed  # sealing twice changes nothing
    if len(plain) >= 4:
        assert plain not in sealed


def test_the_first_key_seals_every_key_opens_and_reseal_moves_to_the_first() -> None:
    before = SecretBox([OLD_KEY]).seal("xoxb-1-2-secret")
    rotating = SecretBox([KEY, OLD_KEY])
    assert rotating.open(before) == "xoxb-1-2-secret"
    after = rotating.reseal(before)
    assert after != before and SecretBox([KEY]).open(after) == "xoxb-1-2-secret"
    assert rotating.reseal(after) == after
    with pytest.raises(SecretUnreadable):
        SecretBox([KEY]).open(before)


def test_a_value_in_clear_is_sealed_by_reseal() -> None:
    box = SecretBox([KEY])
    assert box.open(box.reseal("xoxb-in-clear")) == "xoxb-in-clear"


def test_several_keys_are_read_from_one_comma_separated_setting() -> None:
    assert parse_keys(f" {KEY} , {OLD_KEY},") == [KEY, OLD_KEY]
    assert SecretBox.from_setting("") is None


@pytest.mark.parametrize("value", ["not-a-key", "a" * 44, f"{KEY},short", Fernet.generate_key().decode()[:-2]])
def test_a_malformed_key_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", value)
    with pytest.raises(SettingsError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("Invalid setting ENCRYPTION_KEY:") and "generate" in message
    assert len(message.splitlines()) == 1


def test_check_asks_for_a_key_for_oauth_installs_and_says_how_to_make_one() -> None:
    oauth = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "0123456789abcdef0123456789abcdef"}
    [line] = [p for p in credential_problems(Settings(**oauth)) if p.startswith("ENCRYPTION_KEY")]
    assert "Fernet.generate_key()" in line
    assert not [p for p in credential_problems(Settings(**oauth, ENCRYPTION_KEY=KEY)) if "ENCRYPTION_KEY" in p]


def test_settings_do_not_show_the_key() -> None:
    assert KEY not in repr(Settings(ENCRYPTION_KEY=KEY))
