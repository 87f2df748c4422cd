"""Teams settings that cannot work stop start-up with one line naming the variable."""

from __future__ import annotations

import pytest

from adapters.settings import Settings, SettingsError
from adapters.teams.sdk import check

APP_ID = "9b1c0f55-1d55-4e1b-8f0a-2d5f3e9c7a10"


def settings(**values: str) -> Settings:
    return Settings.model_validate(values)


def test_no_app_id_is_local_development() -> None:
    check(settings())


def test_a_complete_multi_tenant_app_is_fine() -> None:
    check(settings(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret"))


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"MICROSOFT_APP_ID": APP_ID}, "MICROSOFT_APP_PASSWORD"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_PASSWORD": "s", "MICROSOFT_APP_TYPE": "SingleTenant"}, "TENANT"),
        ({"MICROSOFT_APP_ID": APP_ID, "MICROSOFT_APP_TYPE": "UserAssignedMSI"}, "MICROSOFT_APP_TENANT_ID"),
        ({"MICROSOFT_APP_TYPE": "SingleTenant"}, "MICROSOFT_APP_ID"),
    ],
)
def test_missing_companions_are_named(values: dict[str, str], variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        check(settings(**values))


def test_a_managed_identity_needs_no_password() -> None:
    check(settings(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_TYPE="UserAssignedMSI", MICROSOFT_APP_TENANT_ID="t"))
