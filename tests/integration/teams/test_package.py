"""The Teams app package: a manifest valid against its version's official schema, and the two icons Teams asks for."""

from __future__ import annotations

import json
import struct
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from adapters.teams.package import PACKAGE_NAME, build_package
from adapters.teams.tab import CONFIG_PATH
from bot.commands import BY_NAME

MANIFEST_VERSION = "1.30"
SCHEMA = Path(__file__).parents[2] / "data" / f"MicrosoftTeams.schema.v{MANIFEST_VERSION}.json"
APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


def built(tmp_path: Path, base_url: str | None = "https://moment.contoso.example") -> dict[str, Any]:
    package = build_package(app_id=APP_ID, output=tmp_path, base_url=base_url)
    with zipfile.ZipFile(package) as archive:
        manifest: dict[str, Any] = json.loads(archive.read("manifest.json"))
    return manifest


def validate(manifest: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(manifest)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_kept_schema_is_the_official_schema_the_manifest_names() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["properties"]["manifestVersion"]["const"] == MANIFEST_VERSION
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    template = json.loads(resources.files("adapters.teams.manifest").joinpath("manifest.json").read_text("utf-8"))
    assert template["manifestVersion"] == MANIFEST_VERSION
    assert template["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
    )


@pytest.mark.parametrize("base_url", ["https://moment.contoso.example", None])
def test_the_manifest_is_valid_against_the_official_schema(tmp_path: Path, base_url: str | None) -> None:
    manifest = built(tmp_path, base_url)
    assert validate(manifest) == []
    assert manifest["manifestVersion"] == MANIFEST_VERSION  # draft-04 validators ignore "const": check it here
    assert "permissions" not in manifest  # legacy: Teams grants a bot what these once asked for


def test_the_app_id_is_filled_in_for_the_app_and_the_bot(tmp_path: Path) -> None:
    manifest = built(tmp_path)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["moment.contoso.example"]
    assert manifest["developer"]["websiteUrl"] == "https://moment.contoso.example"


def test_the_bot_works_in_teams_group_chats_and_1_to_1_with_its_main_commands(tmp_path: Path) -> None:
    (bot,) = built(tmp_path)["bots"]
    assert set(bot["scopes"]) == {"team", "groupChat", "personal"}
    assert bot["supportsFiles"] is True
    lists = {tuple(sorted(c["scopes"])): [x["title"] for x in c["commands"]] for c in bot["commandLists"]}
    assert {"story", "shoutout", "schedule", "request", "help"} <= set(lists[("groupChat", "team")])
    assert {"mine", "help"} <= set(lists[("personal",)])
    every = [title for titles in lists.values() for title in titles]
    assert set(every) <= set(BY_NAME), "every command in the menu is a real command"


def test_the_icons_are_192_and_32_pixel_pngs(tmp_path: Path) -> None:
    package = build_package(app_id=APP_ID, output=tmp_path / "out" / "app.zip", base_url=None)
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)


def test_the_package_is_reproducible(tmp_path: Path) -> None:
    first = build_package(app_id=APP_ID, output=tmp_path / "a.zip", base_url=None).read_bytes()
    second = build_package(app_id=APP_ID, output=tmp_path / "b.zip", base_url=None).read_bytes()
    assert first == second
    assert (tmp_path / "a.zip").name != PACKAGE_NAME


@pytest.mark.parametrize(
    ("app_id", "base_url"),
    [("not-a-guid", None), ("", None), (APP_ID, "http://insecure.example"), (APP_ID, "moment.example")],
)
def test_bad_arguments_are_refused(tmp_path: Path, app_id: str, base_url: str | None) -> None:
    with pytest.raises(ValueError):
        build_package(app_id=app_id, output=tmp_path, base_url=base_url)
    assert list(tmp_path.iterdir()) == []


def test_meetings_get_only_the_permissions_they_use(tmp_path: Path) -> None:
    """Read a meeting's basic details and send it notifications, in chats' meetings and channel meetings; the
    meeting start and end events come with the basic-details permissions."""
    manifest = built(tmp_path)
    granted = {(p["name"], p["type"]) for p in manifest["authorization"]["permissions"]["resourceSpecific"]}
    assert granted == {
        ("OnlineMeeting.ReadBasic.Chat", "Application"),
        ("OnlineMeetingNotification.Send.Chat", "Application"),
        ("ChannelMeeting.ReadBasic.Group", "Application"),
        ("ChannelMeetingNotification.Send.Group", "Application"),
    }
    assert manifest["webApplicationInfo"]["id"] == APP_ID, "permissions are granted to the bot's own app"
    (bot,) = manifest["bots"]
    assert "groupChat" in bot["scopes"], "a meeting's chat is a group chat"


def test_the_app_can_be_added_to_meetings_chats_and_channels_through_its_tab(tmp_path: Path) -> None:
    """Scheduled meetings (their chat, details and side panel) and channel meetings offer an app through a
    configurable tab; its configuration page is on the server's own address."""
    manifest = built(tmp_path)
    (tab,) = manifest["configurableTabs"]
    assert set(tab["scopes"]) == {"team", "groupChat"}
    assert {"meetingChatTab", "meetingDetailsTab", "meetingSidePanel", "channelTab", "privateChatTab"} == set(
        tab["context"]
    )
    assert tab["configurationUrl"] == "https://moment.contoso.example" + CONFIG_PATH
    assert manifest["validDomains"] == ["moment.contoso.example"], "the tab's pages are on a valid domain"


def test_without_a_base_url_the_tab_points_at_localhost_for_sideloading(tmp_path: Path) -> None:
    manifest = built(tmp_path, None)
    (tab,) = manifest["configurableTabs"]
    assert tab["configurationUrl"] == "https://localhost" + CONFIG_PATH
    assert manifest["validDomains"] == ["localhost"]
