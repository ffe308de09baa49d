// Every method of JdyClient against the sandbox gateway, over real HTTP on loopback, under the
// sandbox's default (documented) behaviour: personal fields encrypted in answers, duplicates
// refused, the detail answering its documented fields only.

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
            string id;
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string saved = client.SaveMember(MemberA);
                StringAssert.Contains("\"name\":\"会员A\"", saved, "Chinese is UTF-8 text in the answer, not \\u escapes");
                Dictionary<string, object> savedMember = Json.Object(saved);
                id = (string)savedMember["id"];
                Assert.IsNotEmpty(id);
                Assert.AreEqual("13333333333", savedMember["mobile"]);

                string byMobile = client.GetMember("{\"mobile\":\"13333333333\"}");
                StringAssert.Contains("\"name\":\"会员A\"", byMobile);
                Dictionary<string, object> member = Json.Object(byMobile);
                Assert.AreEqual(id, member["id"]);
                Assert.AreEqual(Encoding.UTF8.GetBytes("会员A"), Encoding.UTF8.GetBytes((string)member["name"]));

                string byId = client.GetMember(Json.Obj("id", id));
                Assert.AreEqual(byMobile, byId);
            }

            // What the gateway stored, read over plain HTTP, not through the library: every
            // field, though the detail answers only its documented few.
            object[] stored = Sandbox.Members();
            Assert.AreEqual(1, stored.Length);
            Dictionary<string, object> row = (Dictionary<string, object>)stored[0];
            Assert.AreEqual(id, row["id"]);
            Assert.AreEqual(new byte[] { 0xE4, 0xBC, 0x9A, 0xE5, 0x91, 0x98, 0x41 }, Encoding.UTF8.GetBytes((string)row["name"]));
            Assert.AreEqual("备注：二楼收银台", row["remark"]);
            // Labels are sent as given (whether Kingdee takes label names or ids is unknown;
            // "labels": "resolve_to_ids" in the configuration resolves them).
            Assert.AreEqual(new object[] { "VIP", "老客户" }, row["label"]);
            Assert.AreEqual("1995-05-07", row["birthday"]);
        }

        [Test]
        public void GetMemberAnswersTheDocumentedDetailFieldsOnly()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                client.SaveMember(MemberA);
                Dictionary<string, object> member = Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"));
                CollectionAssert.IsSubsetOf(member.Keys,
                    new[] { "id", "mobile", "name", "card_no", "card_id", "level_name", "usable", "available" });
                Assert.IsFalse(member.ContainsKey("remark"), "the detail does not answer remark");
            }
        }

        [Test]
        public void MobilesComeBackInPlaintextThoughTheSandboxEncryptsThem()
        {
            Assert.AreEqual(true, Json.Object(Sandbox.Get("/__sandbox/behaviour"))["encryption"], "the sandbox encrypts personal fields by default");
            string encryptedAnswers;
            string saved;
            string listed;
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                saved = client.SaveMember(MemberA);
                encryptedAnswers = client.GetMember("{\"mobile\":\"13333333333\"}");
                listed = client.ListMembers("{}");
            }
            Assert.AreEqual("13333333333", Json.Object(saved)["mobile"], "the save's answer is decrypted");
            Assert.AreEqual("13333333333", Json.Object(encryptedAnswers)["mobile"], "the detail is decrypted");
            StringAssert.Contains("\"mobile\":\"13333333333\"", encryptedAnswers);
            object[] rows = (object[])Json.Object(listed)["rows"];
            Assert.AreEqual("13333333333", ((Dictionary<string, object>)rows[0])["mobile"], "list rows are decrypted");

            // With encryption off the gateway answers plaintext, and the library's answer is the same.
            Sandbox.Behaviour("{\"encryption\":false}");
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                Assert.AreEqual(encryptedAnswers, client.GetMember("{\"mobile\":\"13333333333\"}"));
            }
        }

        [Test]
        public void SavingAStoredMobileAgainIsRefusedWithKingdeesDescription()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string first = (string)Json.Object(client.SaveMember(MemberA))["id"];
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember("{\"mobile\":\"133 3333 3333\",\"name\":\"会员B\"}"); });
                Assert.AreEqual(JdyErrorKind.Api, e.Kind);
                Assert.AreEqual(1000000004L, e.ErrCode);
                // Kingdee's own text, byte for byte (UTF-8 of the full-width colon included).
                string expected = "组合值与其他表单重复：手机号 13333333333 已存在";
                Assert.AreEqual(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(e.Description));
                StringAssert.Contains("\"description\":\"" + expected + "\"", e.EnvelopeJson);
                Assert.AreEqual(200, e.HttpStatus);
                Assert.IsFalse(e.Retryable);
                Assert.IsFalse(e.OutcomeUnknown);
                Assert.AreEqual("会员A", Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["name"], "the stored member is unchanged");
                Assert.AreEqual(first, Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["id"]);
            }
            Assert.AreEqual(1L, Sandbox.SavesOf("13333333333"));
            Assert.AreEqual(1L, Sandbox.Rejections("1000000004"));
        }

        [Test]
        public void SavingAStoredMobileAgainUpdatesWhenTheGatewayUpdates()
        {
            Sandbox.Behaviour("{\"duplicate_mobile\":\"update\"}");
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                string first = (string)Json.Object(client.SaveMember(MemberA))["id"];
                string second = (string)Json.Object(client.SaveMember("{\"mobile\":\"133 3333 3333\",\"name\":\"会员B\"}"))["id"];
                Assert.AreEqual(first, second);
                Assert.AreEqual("会员B", Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["name"]);
            }
            Assert.AreEqual(2L, Sandbox.SavesOf("13333333333"));
            Assert.AreEqual(1, Sandbox.Members().Length);
        }

        [Test]
        public void GetOfAMissingMemberIsNullHoweverTheGatewaySaysSo()
        {
            foreach (string form in new[] { "null", "errcode", "empty" })
            {
                Sandbox.Reset();
                Dictionary<string, object> behaviour = Sandbox.Behaviour("{\"detail_not_found\":\"" + form + "\"}");
                Assert.AreEqual(form, behaviour["detail_not_found"]);
                using (JdyClient client = new JdyClient(Sandbox.Config))
                {
                    Assert.IsNull(client.GetMember("{\"mobile\":\"13900000000\"}"), form);
                    Assert.IsNull(client.GetMember("{\"id\":\"999\"}"), form);
                    client.SaveMember("{\"mobile\":\"13900000001\",\"name\":\"在\"}");
                    Assert.AreEqual("在", Json.Object(client.GetMember("{\"mobile\":\"13900000001\"}"))["name"], form);
                }
                Assert.AreEqual(3L, Sandbox.Stat("detail_calls"), form + ": one request per GetMember, none retried");
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
                Assert.AreEqual(2, ((object[])page["rows"]).Length);

                Dictionary<string, object> all = Json.Object(client.ListMembers("{}"));
                Assert.AreEqual(5, ((object[])all["rows"]).Length);

                Dictionary<string, object> named = Json.Object(client.ListMembers(Json.Obj("name", "会员3")));
                object[] rows = (object[])named["rows"];
                Assert.AreEqual(1, rows.Length);
                Assert.AreEqual("会员3", ((Dictionary<string, object>)rows[0])["name"]);
                Assert.AreEqual("13700000003", ((Dictionary<string, object>)rows[0])["mobile"]);
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
                Assert.AreEqual(0L, Json.Int(batch["queued"]));
                Assert.AreEqual(0L, Json.Int(batch["recovered"]));
                Assert.AreEqual(1L, Json.Int(batch["refused"]));
                Assert.AreEqual(0L, Json.Int(batch["failed"]));
                object[] results = (object[])batch["results"];
                Assert.AreEqual(3, results.Length);
                Dictionary<string, object> first = (Dictionary<string, object>)results[0];
                Assert.AreEqual(true, first["ok"]);
                Assert.AreEqual("批量一", ((Dictionary<string, object>)first["data"])["name"]);
                Dictionary<string, object> refused = (Dictionary<string, object>)results[1];
                Assert.AreEqual(false, refused["ok"]);
                Assert.AreEqual("validation", ((Dictionary<string, object>)refused["error"])["kind"]);

                // A member already stored is refused by the gateway, the others still go.
                Dictionary<string, object> paced = Json.Object(client.SaveMembers(
                    "[" + Json.Obj("mobile", "13500000004", "name", "四") + "," + Json.Obj("mobile", "13500000001", "name", "又一") + ","
                    + Json.Obj("mobile", "13500000005", "name", "五") + "]",
                    "{\"concurrency\":2,\"rate\":50}"));
                Assert.AreEqual(2L, Json.Int(paced["saved"]));
                Assert.AreEqual(1L, Json.Int(paced["refused"]));
                Dictionary<string, object> duplicate = (Dictionary<string, object>)((Dictionary<string, object>)((object[])paced["results"])[1])["error"];
                Assert.AreEqual("api", duplicate["kind"]);
                Assert.AreEqual("组合值与其他表单重复：手机号 13500000001 已存在", duplicate["description"]);
            }
            Assert.AreEqual(4, Sandbox.Members().Length);
            Assert.AreEqual(1L, Sandbox.SavesOf("13500000001"));
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
                Assert.AreEqual("会员A", Json.Object(client.GetMember("{\"mobile\":\"13333333333\"}"))["name"]);
            }
            Assert.AreEqual(2L, Sandbox.Stat("token_calls"));
            Assert.AreEqual(1L, Sandbox.SavesOf("13333333333"));
        }

        [Test]
        public void TheTokenCacheFileIsSharedByClients()
        {
            // The one test with a token cache file: a fresh file in the temp folder, never ~/.cache.
            string folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "jdy-member-csharp-cache-" + Guid.NewGuid().ToString("N"));
            System.IO.Directory.CreateDirectory(folder);
            string cache = System.IO.Path.Combine(folder, "token.json");
            try
            {
                for (int i = 0; i < 3; i++)
                {
                    using (JdyClient client = new JdyClient(Sandbox.ConfigWith("token_cache_path", cache)))
                    {
                        client.GetMember("{\"mobile\":\"13333333333\"}");
                    }
                }
                Assert.AreEqual(1L, Sandbox.Stat("token_calls"), "later clients read the token from the file");
                Assert.IsTrue(System.IO.File.Exists(cache));
            }
            finally
            {
                System.IO.Directory.Delete(folder, true);
            }
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
            Assert.AreEqual(0L, Sandbox.Stat("requests"));
        }
    }
}
