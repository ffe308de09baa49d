"""References by name, any JDY endpoint, the doctor and the outbox, through the installed
package against the sandbox gateway."""

import pytest

import jdy_member
from conftest import member

NANJING_ROAD_ID = "850693217107061760"  # the sandbox's seeded store MD001 南京西路店


def test_call_reads_stores_and_levels(client):
    stores = client.call("GET", "/jdy/v2/ls/store", {"page": 1})
    names = {row["name"]: row for row in stores["rows"]}
    assert names["南京西路店"]["id"] == NANJING_ROAD_ID
    assert names["南京西路店"]["number"] == "MD001"

    levels = client.call("GET", "/jdy/v2/ls/mb_level")
    assert {"普通会员", "银卡", "金卡"} <= {row["name"] for row in levels["rows"]}


@pytest.mark.parametrize("path", ["/other/v2/ls/store", "/jdy/../token", "https://evil.example/jdy/x"])
def test_call_refuses_paths_outside_jdy(client, sandbox, path):
    before = sandbox.stats()["requests"]
    with pytest.raises(jdy_member.ValidationError) as raised:
        client.call("GET", path)
    assert raised.value.fields[0]["field"] == "path"
    assert sandbox.stats()["requests"] == before  # refused before anything was sent


def test_save_resolves_store_and_level_names(client):
    saved = client.save_member(member(1, shop="南京西路店", level="金卡"))
    assert saved.recovered is False and saved.queued is False
    row = client.list_members(id=saved["id"])["rows"][0]
    assert row["shop_id"] == NANJING_ROAD_ID


def test_misspelt_store_is_refused_before_sending_with_a_suggestion(client, sandbox):
    with pytest.raises(jdy_member.ValidationError) as raised:
        client.save_member(member(2, shop="南京西路"))
    message = str(raised.value)
    assert "南京西路店" in message and "did you mean" in message
    assert sandbox.members() == []


def test_validate_lists_references_to_resolve():
    validated = jdy_member.validate_member(member(3, shop="南京西路店", level="2"))
    assert validated["shop"] == "南京西路店"  # offline: kept as given
    assert validated.references == [{"field": "shop", "kind": "store", "value": "南京西路店"}]
    assert jdy_member.validate_member(member(4)).references == []


def test_doctor_on_a_healthy_gateway_fails_nothing(client):
    report = client.doctor()
    assert report["failed"] == 0
    names = [check["name"] for check in report["checks"]]
    assert "clock" in names and "token" in names
    assert all(check["verdict"] in ("ok", "warn", "skipped") for check in report["checks"])


def test_doctor_names_a_missing_permission(client, sandbox):
    sandbox.behave(denied_paths=["/jdy/v2/ls/mb_level"])
    report = client.doctor()
    failed = [check for check in report["checks"] if check["verdict"] == "fail"]
    assert [check["name"] for check in failed] == ["permission member level list"]
    assert "/jdy/v2/ls/mb_level" in failed[0]["detail"] and "4012" in failed[0]["detail"]
    sandbox.behave(denied_paths=[])


def test_outbox_keeps_members_offline_and_flushes_them_once(sandbox, tmp_path):
    outbox = str(tmp_path / "outbox.sqlite")
    offline = dict(sandbox.config, base_url="http://127.0.0.1:1", outbox_path=outbox)
    with jdy_member.Client(**offline) as till:
        queued = till.outbox_add(member(5))
        assert queued["state"] == "queued" and queued["outbox_id"].startswith("ob-")
        assert till.outbox_status()["queued"] == 1

    with jdy_member.Client(**dict(sandbox.config, outbox_path=outbox)) as online:
        flushed = online.outbox_flush()
        assert flushed["saved"] == 1 and flushed["left"] == 0
        listed = online.outbox_list(state="saved")
        assert listed["count"] == 1 and listed["items"][0]["mobile"] == member(5)["mobile"]
    assert [stored["mobile"] for stored in sandbox.members()] == [member(5)["mobile"]]


def test_a_refused_outbox_item_is_retried_corrected_or_discarded(client, sandbox, tmp_path):
    client.save_member(member(6))  # the gateway now refuses this mobile again
    with jdy_member.Client(**dict(sandbox.config, outbox_path=str(tmp_path / "o.sqlite"))) as till:
        first = till.outbox_add(member(6, name="重复"))
        second = till.outbox_add(member(7, shop="南京西路"))  # resolves to nothing
        assert till.outbox_flush()["refused"] == 2
        fixed = till.outbox_retry(outbox_id=second["outbox_id"],
                                  member=member(7, shop="南京西路店"))
        assert fixed["state"] == "queued"
        assert till.outbox_discard(outbox_id=first["outbox_id"])["state"] == "discarded"
        assert till.outbox_flush()["saved"] == 1
        status = till.outbox_status()
        assert (status["saved"], status["discarded"], status["refused"]) == (1, 1, 0)


def test_offline_save_is_queued_when_configured(sandbox, tmp_path):
    config = dict(sandbox.config, base_url="http://127.0.0.1:1",
                  outbox_path=str(tmp_path / "o.sqlite"), offline="queue")
    with jdy_member.Client(**config) as till:
        saved = till.save_member(member(8))
        assert saved.queued is True and saved["state"] == "queued"


def test_new_methods_refuse_a_closed_client(sandbox):
    made = jdy_member.Client(**sandbox.config)
    made.close()
    for use in (made.doctor, made.outbox_status, lambda: made.call("GET", "/jdy/v2/ls/store")):
        with pytest.raises(jdy_member.ClientClosedError):
            use()
