// Every method of JdyClient against the sandbox gateway, over real HTTP on loopback.

using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class ClientTests
    {
        private const string MemberA = "{\"mobile\":\"13333333333\",\"name\":\"会员A\",\"sex_group\":\"2\",\"birthday\":\"1995-05-07\",\"label\":[\"VIP\",\"老客户\"],\"remark\":\"备注：二楼收银台\"}";

        [SetUp]
        public void ResetSandbox()
        {
            Sandbox.Reset();
        }

        [Test]
        public void VersionIsTheLibrarysVersion()
        {
            string version = JdyClient.Version;
            Assert.IsTrue(Regex.IsMatch(version, "^[0-9]+\\.[0-9]+\\.[0-9]+"), version);
            Assert.AreSame(string.Intern(version), string.Intern(JdyClient.Version));
        }

        [Test]
        public void SaveGetAndSandboxAgreeByteForByteOnChineseText()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string saved = client.SaveMember(MemberA);
                StringAssert.Contains("\"name\":\"会员A\"", saved, "Chinese is UTF-8 text in the answer, not \\u escapes");
                Dictionary<string, object> savedMember = Json.Object(saved);
                string id = (string)savedMember["id"];
                Assert.IsNotEmpty(id);
                Assert.AreEqual("13333333333", savedMember["mobile"]);

                string byMobile = client.GetMember("{\"mobile\":\"13333333333\"}");
                Dictionary<string, object> member = Json.Object(byMobile);
                Assert.AreEqual(id, member["id"]);
                Assert.AreEqual(Encoding.UTF8.GetBytes("会员A"), Encoding.UTF8.GetBytes((string)member["name"]));
                Assert.AreEqual("备注：二楼收银台", member["remark"]);
                Assert.AreEqual(new List<object> { "VIP", "老客户" }, member["label"]);

                string byId = client.GetMember(Json.Obj("id", id));
                Assert.AreEqual(byMobile, byId);
            }

            // What the gateway stored, read over plain HTTP, not through the library.
            List<object> stored = Json.Array(Sandbox.MembersJson());
            Assert.AreEqual(1, stored.Count);
            Dictionary<string, object> row = (Dictionary<string, object>)stored[0];
            Assert.AreEqual(new byte[] { 0xE4, 0xBC, 0x9A, 0xE5, 0x91, 0x98, 0x41 }, Encoding.UTF8.GetBytes((string)row["name"]));
            Assert.AreEqual("备注：二楼收银台", row["remark"]);
        }

        [Test]
        public void SavingTheSameMobileAgainUpdatesTheMember()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string first = (string)Json.Object(client.SaveMember(MemberA))["id"];
                string second = (string)Json.Object(client.SaveMember("{\"mobile\":\"133 3333 3333\",\"name\":\"会员B\"}"))["id"];
                Assert.AreEqual(first, second);
                Assert.AreEqual("会员B", Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["name"]);
            }
            Assert.AreEqual(2L, Json.Int(((Dictionary<string, object>)Sandbox.Stats()["saves_by_mobile"])["13333333333"]));
        }

        [Test]
        public void GetOfAMissingMemberIsNull()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                Assert.IsNull(client.GetMember("{\"mobile\":\"13900000000\"}"));
                Assert.IsNull(client.GetMember("{\"id\":\"999\"}"));
            }
        }

        [Test]
        public void ListMembersPagesThroughTheStore()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                for (int i = 0; i < 5; i++)
                {
                    client.SaveMember(Json.Obj("mobile", "1370000000" + i, "name", "会员" + i));
                }
                Dictionary<string, object> page = Json.Object(client.ListMembers("{\"page\":2,\"page_size\":2}"));
                Assert.AreEqual(5L, Json.Int(page["count"]));
                Assert.AreEqual(2L, Json.Int(page["page"]));
                Assert.AreEqual(3L, Json.Int(page["total_page"]));
                Assert.AreEqual(2, ((List<object>)page["rows"]).Count);

                Dictionary<string, object> all = Json.Object(client.ListMembers("{}"));
                Assert.AreEqual(5, ((List<object>)all["rows"]).Count);

                Dictionary<string, object> named = Json.Object(client.ListMembers(Json.Obj("name", "会员3")));
                List<object> rows = (List<object>)named["rows"];
                Assert.AreEqual(1, rows.Count);
                Assert.AreEqual("会员3", ((Dictionary<string, object>)rows[0])["name"]);
            }
        }

        [Test]
        public void SaveMembersReturnsOneResultPerMemberInOrder()
        {
            string members = "[" + Json.Obj("mobile", "13500000001", "name", "批量一") + ","
                + "{\"mobile\":\"12\",\"name\":\"坏号码\"}," + Json.Obj("mobile", "13500000003", "name", "批量三") + "]";
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                Dictionary<string, object> batch = Json.Object(client.SaveMembers(members));
                Assert.AreEqual(2L, Json.Int(batch["saved"]));
                Assert.AreEqual(1L, Json.Int(batch["refused"]));
                Assert.AreEqual(0L, Json.Int(batch["failed"]));
                List<object> results = (List<object>)batch["results"];
                Assert.AreEqual(3, results.Count);
                Dictionary<string, object> first = (Dictionary<string, object>)results[0];
                Assert.AreEqual(true, first["ok"]);
                Assert.AreEqual("批量一", ((Dictionary<string, object>)first["data"])["name"]);
                Dictionary<string, object> refused = (Dictionary<string, object>)results[1];
                Assert.AreEqual(false, refused["ok"]);
                Assert.AreEqual("validation", ((Dictionary<string, object>)refused["error"])["kind"]);

                Dictionary<string, object> paced = Json.Object(client.SaveMembers(
                    "[" + Json.Obj("mobile", "13500000004", "name", "四") + "," + Json.Obj("mobile", "13500000005", "name", "五") + "]",
                    "{\"concurrency\":2,\"rate\":50}"));
                Assert.AreEqual(2L, Json.Int(paced["saved"]));
            }
            Assert.AreEqual(4, Json.Array(Sandbox.MembersJson()).Count);
        }

        [Test]
        public void SaveMembersRefusesBadArguments()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException notArray = Assert.Throws<JdyException>(delegate { client.SaveMembers("{\"mobile\":\"13500000001\"}"); });
                Assert.AreEqual(JdyErrorKind.InvalidArgument, notArray.Kind);
                JdyException badOptions = Assert.Throws<JdyException>(delegate { client.SaveMembers("[]", "{\"concurrency\":0}"); });
                Assert.That(badOptions.Kind, Is.EqualTo(JdyErrorKind.InvalidArgument).Or.EqualTo(JdyErrorKind.Validation));
                JdyException nullMembers = Assert.Throws<JdyException>(delegate { client.SaveMembers(null); });
                Assert.AreEqual(JdyErrorKind.InvalidArgument, nullMembers.Kind);
            }
            Assert.AreEqual(0L, Sandbox.Stat("save_calls"));
        }

        [Test]
        public void ValidateMemberNormalisesOffline()
        {
            string normalised = JdyClient.ValidateMember("{\"mobile\":\"+86 133-3333-3333\",\"name\":\"会员A\",\"sex_group\":2,\"remark\":\"\"}");
            Dictionary<string, object> member = Json.Object(normalised);
            Assert.AreEqual("13333333333", member["mobile"]);
            Assert.AreEqual("会员A", member["name"]);
            Assert.AreEqual("2", member["sex_group"]);
            Assert.IsFalse(member.ContainsKey("remark"), "blank optional fields are left out");
            StringAssert.Contains("会员A", normalised);
            Assert.AreEqual(0L, Sandbox.Stat("requests"), "validation makes no network call");
        }

        [Test]
        public void OuterInstanceModeAuthorizesOnceAndSaves()
        {
            using (JdyClient client = new JdyClient(Sandbox.ConfigOuter))
            {
                client.SaveMember(MemberA);
                Assert.AreEqual("会员A", Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["name"]);
            }
            Dictionary<string, object> stats = Sandbox.Stats();
            Assert.AreEqual(1L, Json.Int(stats["authorize_calls"]));
            Assert.AreEqual(1L, Json.Int(stats["token_calls"]));
        }

        [Test]
        public void ExpiredTokensAreRenewedByTheLibrary()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                client.SaveMember(MemberA);
                Sandbox.Post("/__sandbox/expire_tokens", "");
                client.SaveMember(MemberA);
            }
            Assert.AreEqual(2L, Sandbox.Stat("token_calls"));
        }

        [Test]
        public void NullsAndEmptyStringsReachTheLibraryAsInvalidArguments()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.SaveMember(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.GetMember(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.ListMembers(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.SaveMember(""); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { JdyClient.ValidateMember(null); }).Kind);
            }
        }
    }
}
