"""Every operation against the sandbox gateway, through the installed package."""

import json

import pytest

import jdy_member
from conftest import REPO, member

SEED = json.loads((REPO / "examples" / "seed-member.json").read_text(encoding="utf-8"))


def test_version_is_the_crates():
    manifest = (REPO / "Cargo.toml").read_text(encoding="utf-8")
    assert 'version = "{}"'.format(jdy_member.__version__) in manifest


def test_chinese_member_round_trips_byte_identical(client, sandbox):
    saved = client.save_member(SEED)
    assert saved["name"] == "会员A" and saved["mobile"] == "13333333333"

    by_id = client.get_member(id=saved["id"])
    by_mobile = client.get_member(mobile="13333333333")
    for read in (by_id, by_mobile):
        assert read["name"].encode("utf-8") == b"\xe4\xbc\x9a\xe5\x91\x98A"  # 会员A
        assert read["mobile"] == "13333333333"  # decrypted: the gateway encrypts it
        assert read["id"] == saved["id"]
    # Detail answers eight fields; the list row carries the rest under its own names.
    assert sorted(by_id) == sorted(["id", "mobile", "name", "card_no", "card_id",
                                    "level_name", "usable", "available"])
    row = client.list_members(id=saved["id"])["rows"][0]
    assert row["remark"] == "备注" and row["shop_id"] == SEED["shop"]
    stored = sandbox.members()
    assert [m["name"] for m in stored] == ["会员A"]  # what the gateway received, decoded


def test_get_member_that_does_not_exist_is_none(client):
    assert client.get_member(mobile="13900000000") is None
    assert client.get_member(id="1") is None


def test_get_member_needs_id_or_mobile(client):
    with pytest.raises(jdy_member.ValidationError):
        client.get_member()


def test_list_members_returns_the_page(client):
    for index in range(3):
        client.save_member(member(index))
    page = client.list_members(page=1, page_size=2)
    assert page["count"] == 3 and page["total_page"] == 2
    assert len(page["rows"]) == 2
    assert client.list_members(name="会员1")["rows"][0]["mobile"] == "13900000001"


def test_list_members_refuses_bad_filters_offline(client, sandbox):
    with pytest.raises(jdy_member.ValidationError) as caught:
        client.list_members(page_size=1000)
    assert any(f["field"] == "page_size" for f in caught.value.fields)
    assert sandbox.stats()["list_calls"] == 0


def test_iter_members_pages_through_everything(client, sandbox):
    batch = client.save_members([member(i) for i in range(230)], concurrency=8)
    assert batch.saved == 230
    rows = list(client.iter_members())
    assert sorted(r["mobile"] for r in rows) == sorted(member(i)["mobile"] for i in range(230))
    assert sandbox.stats()["list_calls"] == 3  # pages of 100
    assert list(client.iter_members(name="没有这个人")) == []


def test_save_members_reports_each_member_in_order(client, sandbox):
    members = [member(1), {"mobile": "123", "name": ""}, member(2, sex_group=2)]
    batch = client.save_members(members, concurrency=2, rate=500)
    assert isinstance(batch, list) and len(batch) == 3
    assert [envelope["ok"] for envelope in batch] == [True, False, True]
    assert (batch.saved, batch.refused, batch.failed) == (2, 1, 0)
    assert batch[0]["data"]["mobile"] == "13900000001"
    [(index, error)] = batch.failures()
    assert index == 1 and isinstance(error, jdy_member.ValidationError)
    assert {f["field"] for f in error.fields} == {"mobile", "name"}
    assert sandbox.stats()["save_calls"] == 2  # the invalid one was never sent


def test_save_members_accepts_any_iterable_and_defaults(client):
    batch = client.save_members(member(i) for i in range(3))
    assert batch.saved == 3


def test_save_members_refuses_bad_options(client):
    with pytest.raises(jdy_member.ValidationError) as caught:
        client.save_members([member(1)], concurrency=0)
    assert caught.value.fields[0]["field"] == "concurrency"


def test_a_second_save_of_a_mobile_is_refused_with_kingdees_words(client, sandbox):
    client.save_member(member(7))
    with pytest.raises(jdy_member.ApiError) as caught:
        client.save_member(member(7, name="改名"))
    assert "组合值与其他表单重复" in caught.value.description
    assert sandbox.stats()["saves_by_mobile"] == {member(7)["mobile"]: 1}


def test_save_updates_an_existing_mobile_where_kingdee_does(client, sandbox):
    sandbox.behave(duplicate_mobile="update")
    first = client.save_member(member(7))
    second = client.save_member(member(7, name="改名"))
    assert first["id"] == second["id"]
    assert client.get_member(mobile=member(7)["mobile"])["name"] == "改名"
    assert sandbox.stats()["saves_by_mobile"] == {member(7)["mobile"]: 2}


@pytest.mark.parametrize("form", ["null", "errcode", "empty"])
def test_a_missing_member_is_none_whichever_way_kingdee_says_so(client, sandbox, form):
    sandbox.behave(detail_not_found=form)
    assert client.get_member(mobile="13900000404") is None


def test_validate_member_normalises_offline():
    normalised = jdy_member.validate_member(
        {"mobile": "+86 133-3333-3333", "name": "会员A", "sex_group": 1, "remark": ""})
    assert normalised == {"mobile": "13333333333", "name": "会员A", "sex_group": "1"}


def test_validate_member_lists_every_broken_field():
    with pytest.raises(jdy_member.ValidationError) as caught:
        jdy_member.validate_member({"mobile": "12", "referrer_mp": "x"})
    error = caught.value
    assert {f["field"] for f in error.fields} == {"mobile", "name", "referrer_mp"}
    assert "referrere_mp" in json.dumps(error.fields)  # the suggestion
    assert "12" not in error.fields[0]["message"].split()  # the mobile is never echoed
    assert isinstance(error, ValueError) and error.kind == "validation"
    assert error.envelope["ok"] is False and error.envelope["error"]["fields"] == error.fields
