// The offline outbox (outbox_path, a SQLite file in a fresh temporary folder per test): members
// kept while the gateway cannot be reached (a closed port), then sent by another client on the
// same file once it can; a save queued by `"offline": "queue"`; refused items retried and
// discarded.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class OutboxTests
    {
        /// <summary>A gateway nobody answers for: the connection is refused at once.</summary>
        internal const string Unreachable = "http://127.0.0.1:1";

        private string folder;
        private string outbox;

        [SetUp]
        public void Open()
        {
            Sandbox.Reset();
            folder = TempFolder.Create();
            outbox = Path.Combine(folder, "outbox.db");
        }

        [TearDown]
        public void Close()
        {
            TempFolder.Delete(folder);
        }

        /// <summary>A client of the sandbox keeping its outbox in this test's file.</summary>
        private string Live(params object[] more)
        {
            return Sandbox.ConfigWith(new object[] { "outbox_path", outbox }.Concat(more).ToArray());
        }

        /// <summary>A client of a gateway that cannot be reached, on the same outbox file.</summary>
        private string Offline(params object[] more)
        {
            return Live(new object[] { "base_url", Unreachable, "deadline_ms", 3000, "retry_backoff_ms", 50 }.Concat(more).ToArray());
        }

        private static Dictionary<string, object>[] Items(string list)
        {
            Dictionary<string, object> answer = Json.Object(list);
            Dictionary<string, object>[] items = ((object[])answer["items"]).Cast<Dictionary<string, object>>().ToArray();
            Assert.AreEqual((long)items.Length, Json.Int(answer["count"]));
            return items;
        }

        [Test]
        public void AMemberKeptOfflineIsSavedByAnotherClientOfTheSameFile()
        {
            string id;
            using (JdyClient till = new JdyClient(Offline()))
            {
                Dictionary<string, object> item = Json.Object(till.OutboxAdd("{\"mobile\":\"138 1222 0001\",\"name\":\"离线会员\",\"shop\":\"南京西路店\"}"));
                Assert.AreEqual("queued", item["state"]);
                Assert.AreEqual("13812220001", item["mobile"], "normalised, never encrypted");
                id = (string)item["outbox_id"];
                StringAssert.StartsWith("ob-", id);
                Assert.IsFalse(item.ContainsKey("merged"));

                Dictionary<string, object> status = Json.Object(till.OutboxStatus());
                Assert.AreEqual(1L, Json.Int(status["queued"]));
                Assert.AreEqual(0L, Json.Int(status["saved"]));
                Assert.IsNotNull(status["oldest_queued_at"]);

                // A flush that cannot reach the gateway leaves it queued.
                Dictionary<string, object> failed = Json.Object(till.OutboxFlush());
                Assert.AreEqual(0L, Json.Int(failed["saved"]));
                Assert.AreEqual(1L, Json.Int(failed["left"]));
                Dictionary<string, object> after = Json.Object(till.OutboxStatus());
                Assert.AreEqual(1L, Json.Int(after["queued"]));
                Assert.AreEqual("network", ((Dictionary<string, object>)after["last_error"])["kind"]);
            }
            Assert.AreEqual(0L, Sandbox.Stat("requests"));

            using (JdyClient online = new JdyClient(Live()))
            {
                Dictionary<string, object> flushed = Json.Object(online.OutboxFlush("{\"max\":10,\"concurrency\":2}"));
                Assert.AreEqual(1L, Json.Int(flushed["saved"]));
                Assert.AreEqual(0L, Json.Int(flushed["refused"]));
                Assert.AreEqual(0L, Json.Int(flushed["failed"]));
                Assert.AreEqual(0L, Json.Int(flushed["left"]));

                Dictionary<string, object> saved = Items(online.OutboxList("{\"state\":\"saved\"}")).Single();
                Assert.AreEqual(id, saved["outbox_id"]);
                Assert.AreEqual("saved", saved["state"]);
                Assert.AreEqual("离线会员", ((Dictionary<string, object>)saved["member"])["name"]);
                Assert.AreEqual("13812220001", ((Dictionary<string, object>)saved["result"])["mobile"]);
                Assert.IsEmpty(Items(online.OutboxList("{\"state\":\"queued\"}")));
                Assert.AreEqual(1, Items(online.OutboxList()).Length);

                Dictionary<string, object> status = Json.Object(online.OutboxStatus());
                Assert.AreEqual(0L, Json.Int(status["queued"]));
                Assert.AreEqual(1L, Json.Int(status["saved"]));
                Assert.AreEqual("离线会员", Json.Object(online.GetMember("{\"mobile\":\"13812220001\"}"))["name"]);
            }
            Assert.AreEqual(1L, Sandbox.SavesOf("13812220001"));
            Dictionary<string, object> stored = (Dictionary<string, object>)Sandbox.Members().Single();
            Assert.AreEqual("850693217107061760", stored["shop"], "the store name was resolved when the member was sent");
        }

        [Test]
        public void ASecondMemberWithTheSameMobileReplacesTheQueuedOne()
        {
            using (JdyClient till = new JdyClient(Offline()))
            {
                string first = (string)Json.Object(till.OutboxAdd("{\"mobile\":\"13812220002\",\"name\":\"旧名\"}"))["outbox_id"];
                Dictionary<string, object> merged = Json.Object(till.OutboxAdd("{\"mobile\":\"13812220002\",\"name\":\"新名\"}"));
                Assert.AreEqual(true, merged["merged"]);
                Assert.AreEqual(first, merged["outbox_id"]);
                Assert.AreEqual(1L, Json.Int(Json.Object(till.OutboxStatus())["queued"]));
                Assert.AreEqual("新名", ((Dictionary<string, object>)Items(till.OutboxList()).Single()["member"])["name"]);
            }
        }

        [Test]
        public void ASaveThatCannotReachTheGatewayIsQueuedWithOfflineQueue()
        {
            using (JdyClient till = new JdyClient(Offline("offline", "queue")))
            {
                bool recovered, queued;
                Dictionary<string, object> item = Json.Object(till.SaveMember("{\"mobile\":\"13812220003\",\"name\":\"排队会员\"}", out recovered, out queued));
                Assert.IsTrue(queued);
                Assert.IsFalse(recovered);
                Assert.AreEqual("queued", item["state"]);
                StringAssert.StartsWith("ob-", (string)item["outbox_id"]);
                Assert.AreEqual("network", ((Dictionary<string, object>)item["reason"])["kind"]);
                Assert.AreEqual(1L, Json.Int(Json.Object(till.OutboxStatus())["queued"]));
            }
            using (JdyClient online = new JdyClient(Live("offline", "queue")))
            {
                bool recovered, queued;
                online.SaveMember("{\"mobile\":\"13812220004\",\"name\":\"在线会员\"}", out recovered, out queued);
                Assert.IsFalse(queued, "a gateway that answers saves at once");
                Assert.AreEqual(1L, Json.Int(Json.Object(online.OutboxFlush())["saved"]));
            }
            Assert.AreEqual(1L, Sandbox.SavesOf("13812220003"));
            Assert.AreEqual(1L, Sandbox.SavesOf("13812220004"));
        }

        [Test]
        public void RefusedItemsAreRetriedCorrectedOrDiscarded()
        {
            string first, second;
            using (JdyClient client = new JdyClient(Live()))
            {
                client.SaveMember("{\"mobile\":\"13812220005\",\"name\":\"已存一\"}");
                client.SaveMember("{\"mobile\":\"13812220006\",\"name\":\"已存二\"}");
                first = (string)Json.Object(client.OutboxAdd("{\"mobile\":\"13812220005\",\"name\":\"重复一\"}"))["outbox_id"];
                second = (string)Json.Object(client.OutboxAdd("{\"mobile\":\"13812220006\",\"name\":\"重复二\"}"))["outbox_id"];

                Dictionary<string, object> flushed = Json.Object(client.OutboxFlush());
                Assert.AreEqual(2L, Json.Int(flushed["refused"]), "Kingdee refuses a mobile it already has");
                Dictionary<string, object>[] refused = Items(client.OutboxList("{\"state\":\"refused\"}"));
                Assert.AreEqual(2, refused.Length);
                Dictionary<string, object> reason = (Dictionary<string, object>)refused.Single(i => (string)i["outbox_id"] == first)["last_error"];
                Assert.AreEqual("api", reason["kind"]);
                Assert.AreEqual("组合值与其他表单重复：手机号 13812220005 已存在", reason["description"]);

                // The first corrected (another mobile), the second given up.
                Dictionary<string, object> retried = Json.Object(client.OutboxRetry(
                    Json.Obj("outbox_id", first, "member", new Dictionary<string, object> { { "mobile", "13812220007" }, { "name", "改正" } })));
                Assert.AreEqual("queued", retried["state"]);
                Assert.AreEqual("13812220007", retried["mobile"]);
                Assert.AreEqual(1L, Json.Int(Json.Object(client.OutboxDiscard("{\"state\":\"refused\"}"))["discarded"]));
                Dictionary<string, object> discarded = Items(client.OutboxList("{\"state\":\"discarded\"}")).Single();
                Assert.AreEqual(second, discarded["outbox_id"]);
                Assert.AreEqual("discarded", discarded["state"]);

                Assert.AreEqual(1L, Json.Int(Json.Object(client.OutboxFlush())["saved"]));
                Dictionary<string, object> status = Json.Object(client.OutboxStatus());
                Assert.AreEqual(0L, Json.Int(status["queued"]));
                Assert.AreEqual(0L, Json.Int(status["refused"]));
                Assert.AreEqual(1L, Json.Int(status["discarded"]));
                Assert.AreEqual(1L, Json.Int(status["saved"]));

                // Nothing refused is left: retrying every refused item queues none.
                Assert.AreEqual(0L, Json.Int(Json.Object(client.OutboxRetry("{\"state\":\"refused\"}"))["requeued"]));
                // A discarded item is kept for the record and cannot be discarded again.
                JdyException again = Assert.Throws<JdyException>(delegate { client.OutboxDiscard(Json.Obj("outbox_id", second)); });
                Assert.AreEqual(JdyErrorKind.Validation, again.Kind, again.EnvelopeJson);
                Assert.AreEqual("outbox_id", again.Fields.Single().Field);
            }
            Assert.AreEqual("改正", ((Dictionary<string, object>)Sandbox.Members().Single(m => (string)((Dictionary<string, object>)m)["mobile"] == "13812220007"))["name"]);
            Assert.AreEqual(1L, Sandbox.SavesOf("13812220005"));
        }

        [Test]
        public void BadArgumentsAndAClientWithoutAnOutbox()
        {
            using (JdyClient client = new JdyClient(Live()))
            {
                JdyException invalid = Assert.Throws<JdyException>(delegate { client.OutboxAdd("{\"mobile\":\"12\",\"name\":\"坏号码\"}"); });
                Assert.AreEqual(JdyErrorKind.Validation, invalid.Kind);
                Assert.AreEqual("mobile", invalid.Fields.Single().Field);
                Assert.AreEqual("state", Assert.Throws<JdyException>(delegate { client.OutboxList("{\"state\":\"lost\"}"); }).Fields.Single().Field);
                Assert.AreEqual("concurrency", Assert.Throws<JdyException>(delegate { client.OutboxFlush("{\"concurrency\":0}"); }).Fields.Single().Field);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.OutboxAdd(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.OutboxRetry(null); }).Kind);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { client.OutboxDiscard(null); }).Kind);
                Assert.AreEqual(0L, Json.Int(Json.Object(client.OutboxStatus())["queued"]), "nothing invalid was kept");
            }
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException none = Assert.Throws<JdyException>(delegate { client.OutboxStatus(); });
                Assert.AreEqual(JdyErrorKind.Config, none.Kind, none.EnvelopeJson);
                StringAssert.Contains("outbox_path", none.Message);
                Assert.AreEqual(JdyErrorKind.Config, Assert.Throws<JdyException>(delegate { client.OutboxAdd("{\"mobile\":\"13812220008\",\"name\":\"无\"}"); }).Kind);
            }
            JdyException queueWithoutFile = Assert.Throws<JdyException>(delegate { new JdyClient(Sandbox.ConfigWith("offline", "queue")); });
            Assert.AreEqual(JdyErrorKind.Config, queueWithoutFile.Kind);
            StringAssert.Contains("outbox_path", queueWithoutFile.Message);
            Assert.AreEqual(0L, Sandbox.Stat("save_calls"));
        }
    }
}
