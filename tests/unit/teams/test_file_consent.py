"""File consent answers: the signed offer a card carries, who may answer it where, and upload addresses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.teams.exports import check
from adapters.teams.files import Consents, Offer, Refusal, upload_allowed

NOW = 1_800_000_000.0
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
ALICE = "29:1alice"
CHAT = "a:1personal-alice"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def consents(secret: str = "app-password", clock: Clock | None = None) -> Consents:
    return Consents.from_secrets(secret, clock=clock or Clock())


def offer(signer: Consents, command: str = "export csv") -> Offer:
    return signer.offer(
        tenant=TENANT, person=ALICE, conversation=CHAT, command=command, channel_id="19:support", channel_name="Support"
    )


def answer(context: Any, *, sender: str = ALICE, chat: str = CHAT, tenant: str = TENANT) -> dict[str, Any]:
    return {
        "type": "invoke",
        "name": "fileConsent/invoke",
        "from": {"id": sender},
        "conversation": {"id": chat, "conversationType": "personal", "tenantId": tenant},
        "value": {"action": "accept", "context": context},
    }


def test_an_untouched_context_reads_back_as_its_offer() -> None:
    signer = consents()
    made = offer(signer)
    assert signer.read({"context": signer.context(made)}) == made
    assert check(signer.read({"context": signer.context(made)}), answer(signer.context(made))) == made


@pytest.mark.parametrize(
    "change",
    [
        {"offerId": "another-offer-id"},
        {"offerId": None},
        {"command": "story Bob was here"},
        {"command": "request"},
        {"command": "export json"},
        {"channelId": "19:private"},
        {"channelId": ""},
        {"channelName": "Secret"},
        {"person": "29:1carol"},
        {"conversation": "a:1personal-carol"},
        {"tenant": "5d3e2773-e07f-4432-a630-1a0f68a28a05"},
        {"expires": int(NOW) + 10**9},
        {"expires": str(int(NOW) + 3600)},
        {"signature": ""},
        {"signature": None},
        {"signature": "é"},
        {"command": None},
    ],
)
def test_a_context_changed_in_any_way_is_refused(change: dict[str, Any]) -> None:
    signer = consents()
    context = {**signer.context(offer(signer)), **change}
    assert signer.read({"context": context}) is Refusal.UNSIGNED


@pytest.mark.parametrize("value", [None, "x", {}, {"context": None}, {"context": "export csv"}, {"context": {}}])
def test_a_value_without_a_context_is_refused(value: Any) -> None:
    assert consents().read(value) is Refusal.UNSIGNED


@given(st.dictionaries(st.sampled_from(["command", "channelId", "person", "signature", "expires"]), st.text()))
def test_made_up_contexts_are_refused(context: dict[str, Any]) -> None:
    assert consents().read({"context": context}) is Refusal.UNSIGNED


def test_a_context_signed_with_another_secret_is_refused() -> None:
    theirs = consents("another-secret")
    assert consents().read({"context": theirs.context(offer(theirs))}) is Refusal.UNSIGNED


def test_every_replica_with_the_same_secret_reads_the_others_offers() -> None:
    one, other = consents("shared"), consents("shared")
    made = offer(one)
    assert other.read({"context": one.context(made)}) == made


def test_without_a_secret_offers_hold_in_this_process_only() -> None:
    one, other = Consents.from_secrets("", "  "), Consents.from_secrets("")
    made = offer(one)
    assert one.read({"context": one.context(made)}) == made
    assert other.read({"context": one.context(made)}) is Refusal.UNSIGNED


def test_each_offer_made_is_its_own_however_alike_and_names_its_tenant_in_what_answering_it_claims() -> None:
    signer = consents()
    first, second = offer(signer), offer(signer)  # the same export, asked for twice in the same second
    assert first.claim_key != second.claim_key
    assert signer.context(first)["signature"] != signer.context(second)["signature"]
    assert first.claim_key.startswith(f"teams:{TENANT}:file-offer:") and len(first.claim_key) <= 200


def test_an_old_offer_has_expired() -> None:
    clock = Clock()
    signer = consents(clock=clock)
    context = signer.context(offer(signer))
    clock.now += 7 * 24 * 3600 + 1
    assert signer.read({"context": context}) is Refusal.EXPIRED


def test_only_the_person_asked_in_the_chat_and_tenant_it_went_to_may_answer() -> None:
    signer = consents()
    context = signer.context(offer(signer))
    read = signer.read({"context": context})
    assert check(read, answer(context, sender="29:1carol")) is Refusal.SOMEONE_ELSE
    assert check(read, answer(context, sender="")) is Refusal.SOMEONE_ELSE
    assert check(read, answer(context, chat="a:1personal-carol")) is Refusal.ELSEWHERE
    assert check(read, answer(context, chat="19:support")) is Refusal.ELSEWHERE
    assert check(read, answer(context, chat="")) is Refusal.ELSEWHERE
    assert check(read, answer(context, tenant="5d3e2773-e07f-4432-a630-1a0f68a28a05")) is Refusal.ELSEWHERE


@pytest.mark.parametrize(
    "command", ["story Bob was here", "request", "managers add @x", "", "nonsense words", "x" * 600]
)
def test_only_an_export_is_run_even_when_signed(command: str) -> None:
    signer = consents()
    context = signer.context(offer(signer, command))
    assert check(signer.read({"context": context}), answer(context)) is Refusal.NOT_EXPORT


@pytest.mark.parametrize("command", ["export", "export csv", "EXPORT json", "moment export csv"])
def test_an_export_in_any_of_its_forms_is_run(command: str) -> None:
    signer = consents()
    context = signer.context(offer(signer, command))
    assert isinstance(check(signer.read({"context": context}), answer(context)), Offer)


@pytest.mark.parametrize(
    "url",
    [
        "https://contoso-my.sharepoint.com/personal/alice/_api/v2.0/drive/items/01ABC/uploadSession?guid=1",
        "https://contoso.sharepoint.com/sites/support/_api/v2.0/uploadSession",
        "https://CONTOSO-my.SharePoint.com./personal/alice",
        "https://contoso-my.sharepoint.com:443/personal/alice",
        "https://contoso-my.sharepoint.us/personal/alice",
        "https://contoso-my.sharepoint-mil.us/personal/alice",
        "https://contoso-my.sharepoint.cn/personal/alice",
        "https://api.onedrive.com/rup/1234",
    ],
)
def test_microsoft_upload_hosts_over_https_are_allowed(url: str) -> None:
    assert upload_allowed(url, local_http=False)
    assert upload_allowed(url, local_http=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://contoso-my.sharepoint.com/personal/alice",
        "https://sharepoint.com.attacker.example/x",
        "https://attackersharepoint.com/x",
        "https://sharepoint.com/x",
        "https://attacker.example/contoso-my.sharepoint.com",
        "https://contoso-my.sharepoint.com@attacker.example/x",
        "https://user:pw@contoso-my.sharepoint.com/x",
        "https://contoso-my.sharepoint.com:8443/x",
        "https://127.0.0.1/upload",
        "https://127.0.0.1:8443/upload",
        "https://localhost/upload",
        "https://[::1]/upload",
        "https://10.0.0.5/upload",
        "https://192.168.1.1/upload",
        "https://169.254.169.254/latest/meta-data",
        "https://[fe80::1]/x",
        "https://2130706433/x",
        "ftp://contoso-my.sharepoint.com/x",
        "file:///etc/passwd",
        "//contoso-my.sharepoint.com/x",
        "/upload/x.csv",
        "",
        "not a url",
        "https://",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not upload_allowed(url, local_http=False)
    assert not upload_allowed(url, local_http=True)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8123/upload/x.csv", "http://localhost:8123/u", "http://[::1]:80/u"])
def test_plain_http_goes_only_to_this_machine_and_only_without_authentication(url: str) -> None:
    assert upload_allowed(url, local_http=True)
    assert not upload_allowed(url, local_http=False)


@pytest.mark.parametrize("url", ["http://10.0.0.5/u", "http://169.254.169.254/u", "http://attacker.example/u"])
def test_plain_http_elsewhere_is_refused_even_without_authentication(url: str) -> None:
    assert not upload_allowed(url, local_http=True)
