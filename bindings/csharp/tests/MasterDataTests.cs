// References by name (store, level; labels go as given), the generic signed call and the doctor, against
// the sandbox gateway and its seeded master data: stores MD001 南京西路店 (id
// 850693217107061760) to MD004, levels 普通会员 (1), 银卡 (2), 金卡 (3), labels VIP (1) ...

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class MasterDataTests
    {
        private const string NanjingWestRoad = "850693217107061760";

        [SetUp]
        public void ResetSandbox()
        {
            Sandbox.Reset();
        }

        private static Dictionary<string, object> Row(object row)
        {
            return (Dictionary<string, object>)row;
        }

        private static IEnumerable<string> Names(Dictionary<string, object> page)
        {
            return ((object[])page["rows"]).Select(r => (string)Row(r)["name"]);
        }

        [Test]
        public void CallReadsTheStoresAndTheLevels()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string stores = client.Call("{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\",\"query\":{\"page\":1}}");
                StringAssert.Contains("\"name\":\"南京西路店\"", stores, "Chinese is UTF-8 text in the answer");
                Dictionary<string, object> page = Json.Object(stores);
                Assert.AreEqual(4L, Json.Int(page["count"]));
                CollectionAssert.IsSubsetOf(new[] { "南京西路店", "南京东路店", "徐家汇店", "虹桥机场店" }, Names(page).ToArray());
                Dictionary<string, object> first = ((object[])page["rows"]).Select(Row).Single(r => (string)r["name"] == "南京西路店");
                Assert.AreEqual(NanjingWestRoad, first["id"]);
                Assert.AreEqual("MD001", first["number"]);

                Dictionary<string, object> levels = Json.Object(client.Call("{\"method\":\"get\",\"path\":\"/jdy/v2/ls/mb_level\"}"));
                CollectionAssert.AreEquivalent(new[] { "普通会员", "银卡", "金卡" }, Names(levels).ToArray());
            }
            Assert.AreEqual(2L, Sandbox.Stat("master_data_calls"));
        }

        [Test]
        public void CallRefusesPathsOutsideJdysBusinessApis()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException other = Assert.Throws<JdyException>(delegate { client.Call("{\"method\":\"GET\",\"path\":\"/other/x\"}"); });
                Assert.AreEqual(JdyErrorKind.Validation, other.Kind, other.EnvelopeJson);
                Assert.AreEqual("path", other.Fields.Single().Field);
                StringAssert.Contains("must start with /jdy/", other.Message);
                Assert.IsFalse(other.Retryable);

                JdyException dots = Assert.Throws<JdyException>(delegate { client.Call("{\"method\":\"GET\",\"path\":\"/jdy/../x\"}"); });
                Assert.AreEqual(JdyErrorKind.Validation, dots.Kind, dots.EnvelopeJson);
                Assert.AreEqual("path", dots.Fields.Single().Field);
                StringAssert.Contains("`..`", dots.Message);

                JdyException getBody = Assert.Throws<JdyException>(delegate { client.Call("{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\",\"body\":{}}"); });
                Assert.AreEqual("body", getBody.Fields.Single().Field);
                JdyException put = Assert.Throws<JdyException>(delegate { client.Call("{\"method\":\"PUT\",\"path\":\"/jdy/v2/ls/store\"}"); });
                Assert.AreEqual("method", put.Fields.Single().Field);

                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.Call(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.Call("[]"); }).Kind);
            }
            Assert.AreEqual(0L, Sandbox.Stat("requests"), "refused before anything is sent");
        }

        [Test]
        public void CallOfAnApiTheGatewayDoesNotKnowIsAnApiError()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.Call("{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/nothing\"}"); });
                Assert.AreEqual(JdyErrorKind.Api, e.Kind, e.EnvelopeJson);
                Assert.AreEqual(5001L, e.ErrCode);
                Assert.AreEqual(519, e.HttpStatus);
                Assert.AreEqual("接口不存在", e.DescriptionCn);
            }
        }

        [Test]
        public void AnIdempotentPostIsAppliedOnceThoughItsAnswerIsLost()
        {
            string member;
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                member = (string)Json.Object(client.SaveMember("{\"mobile\":\"13811110001\",\"name\":\"积分会员\"}"))["id"];
                Sandbox.Fault("POST", "/jdy/v2/ls/integral_adjust", 1, "{\"kind\":\"drop_after_processing\"}");
                string request = Json.Obj("method", "POST", "path", "/jdy/v2/ls/integral_adjust",
                    "body", new Dictionary<string, object> { { "member_id", member }, { "points", 10 }, { "src_bill_id", "XS-0001" } },
                    "idempotent", true);
                Dictionary<string, object> adjusted = Json.Object(client.Call(request));
                Assert.AreEqual(member, adjusted["member_id"]);
                Assert.AreEqual(10L, Json.Int(adjusted["balance"]), "the bill was sent again after the lost answer and applied once");
            }
            Assert.AreEqual(2L, Sandbox.Stat("points_calls"));
        }

        [Test]
        public void SaveResolvesAStoreAndALevelGivenByName()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string saved = client.SaveMember("{\"mobile\":\"13811110002\",\"name\":\"门店会员\",\"shop\":\"南京西路店\",\"level\":\"金卡\",\"label\":[\"VIP\"]}");
                string id = (string)Json.Object(saved)["id"];

                // The detail answers only its documented fields: the level by name, no shop.
                Dictionary<string, object> detail = Json.Object(client.GetMember("{\"mobile\":\"13811110002\"}"));
                Assert.AreEqual(id, detail["id"]);
                Assert.AreEqual("金卡", detail["level_name"]);
                Assert.IsFalse(detail.ContainsKey("shop_id"), "the detail does not answer the shop");

                // The list row names the shop by id, number and name.
                Dictionary<string, object> row = Row(((object[])Json.Object(client.ListMembers(Json.Obj("id", id)))["rows"]).Single());
                Assert.AreEqual(NanjingWestRoad, row["shop_id"]);
                Assert.AreEqual("MD001", row["shop_number"]);
                Assert.AreEqual("南京西路店", row["shop_name"]);
                Assert.AreEqual("3", row["level_id"]);
                Assert.AreEqual("金卡", row["level_name"]);
            }
            // What was sent: ids, not names; labels as given.
            Dictionary<string, object> stored = Row(Sandbox.Members().Single());
            Assert.AreEqual(NanjingWestRoad, stored["shop"]);
            Assert.AreEqual("3", stored["level"]);
            Assert.AreEqual(new object[] { "VIP" }, stored["label"]);
        }

        [Test]
        public void AMisspeltStoreIsRefusedWithTheClosestNames()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException e = Assert.Throws<JdyException>(delegate
                {
                    client.SaveMember("{\"mobile\":\"13811110003\",\"name\":\"门店会员\",\"shop\":\"南京西路\"}");
                });
                Assert.AreEqual(JdyErrorKind.Validation, e.Kind, e.EnvelopeJson);
                Assert.IsFalse(e.Retryable);
                StringAssert.Contains("did you mean", e.Message);
                StringAssert.Contains("南京西路店", e.Message);
                StringAssert.Contains("\"南京西路\"", e.Message, "the value given is quoted");
                JdyFieldError field = e.Fields.Single();
                Assert.AreEqual("shop", field.Field);
                StringAssert.Contains("南京西路店 (编码 MD001)", field.Message);
            }
            Assert.AreEqual(0L, Sandbox.Stat("save_calls"), "nothing was sent");
            Assert.AreEqual(0L, Sandbox.SavesOf("13811110003"));
        }

        [Test]
        public void AStoreGivenByNumberOrIdIsResolvedOrSentAsItIs()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                client.SaveMember("{\"mobile\":\"13811110004\",\"name\":\"编码\",\"shop\":\"MD002\"}");
                client.SaveMember("{\"mobile\":\"13811110005\",\"name\":\"编号\",\"shop\":\"850693217107061763\"}");
            }
            Dictionary<string, string> shops = Sandbox.Members().Select(Row).ToDictionary(m => (string)m["mobile"], m => (string)m["shop"]);
            Assert.AreEqual("850693217107061761", shops["13811110004"]);
            Assert.AreEqual("850693217107061763", shops["13811110005"]);
        }

        [Test]
        public void ValidateMemberListsTheReferencesASaveWillResolve()
        {
            string references;
            string member = JdyClient.ValidateMember(
                "{\"mobile\":\"13811110006\",\"name\":\"会员\",\"shop\":\"南京西路店\",\"level\":\"3\",\"label\":[\"1\",\"老客户\"]}", out references);
            Assert.AreEqual("南京西路店", Json.Object(member)["shop"], "kept as given");
            StringAssert.Contains("\"value\":\"南京西路店\"", references, "Chinese is UTF-8 text");
            object[] list = Json.Array(references);
            Assert.AreEqual(1, list.Length, references + " (labels go as given: not a reference)");
            Dictionary<string, object> shop = list.Select(Row).Single(r => (string)r["field"] == "shop");
            Assert.AreEqual("store", shop["kind"]);
            Assert.AreEqual("南京西路店", shop["value"]);

            // Ids only, or no reference at all: an empty list.
            JdyClient.ValidateMember("{\"mobile\":\"13811110006\",\"name\":\"会员\",\"shop\":\"850693217107061760\"}", out references);
            Assert.AreEqual("[]", references);
            JdyClient.ValidateMember("{\"mobile\":\"13811110006\",\"name\":\"会员\"}", out references);
            Assert.AreEqual("[]", references);
            Assert.AreEqual(0L, Sandbox.Stat("requests"), "validation makes no network call, and does not check the names");
        }

        [Test]
        public void DoctorFindsNothingWrongWithTheSandbox()
        {
            string report;
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                report = client.Doctor();
            }
            Dictionary<string, object> doctor = Json.Object(report);
            Assert.AreEqual(0L, Json.Int(doctor["failed"]), report);
            Assert.That(Json.Int(doctor["warnings"]), Is.GreaterThanOrEqualTo(0L));
            Dictionary<string, object>[] checks = ((object[])doctor["checks"]).Select(Row).ToArray();
            Assert.That(checks.Length, Is.GreaterThan(5));
            foreach (Dictionary<string, object> check in checks)
            {
                Assert.IsNotEmpty((string)check["name"], report);
                Assert.IsNotEmpty((string)check["detail"], report);
                CollectionAssert.Contains(new[] { "ok", "warn", "skipped" }, check["verdict"], report);
            }
            Assert.AreEqual(checks.Count(c => (string)c["verdict"] == "warn"), Json.Int(doctor["warnings"]));
            Func<string, string> verdict = name => (string)checks.Single(c => (string)c["name"] == name)["verdict"];
            Assert.AreEqual("ok", verdict("configuration"));
            Assert.AreEqual("ok", verdict("gateway"));
            Assert.AreEqual("ok", verdict("token"));
            Assert.AreEqual("ok", verdict("permission store list"));
            Assert.AreEqual("ok", verdict("permission member level list"));
            Dictionary<string, object> config = Json.Object(Sandbox.Config);
            foreach (string secret in new[] { (string)config["client_secret"], (string)config["app_secret"] })
            {
                StringAssert.DoesNotContain(secret, report, "the doctor never shows a secret");
            }
        }

        [Test]
        public void DoctorNamesAnApiTheAppHasNoPermissionFor()
        {
            Sandbox.Behaviour("{\"denied_paths\":[\"/jdy/v2/ls/store\"]}");
            string report;
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                report = client.Doctor();
            }
            Dictionary<string, object> doctor = Json.Object(report);
            Assert.AreEqual(1L, Json.Int(doctor["failed"]), report);
            Dictionary<string, object> store = ((object[])doctor["checks"]).Select(Row).Single(c => (string)c["name"] == "permission store list");
            Assert.AreEqual("fail", store["verdict"]);
            StringAssert.Contains("4012", (string)store["detail"]);
            Assert.IsNotEmpty((string)store["advice"]);
        }
    }
}
