// Every error kind that can be provoked from here, each as a JdyException with the core's
// kind, errcode, description and retryable flag, and no secret in any of it.

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class ErrorTests
    {
        private const string Member = "{\"mobile\":\"13800138000\",\"name\":\"会员A\"}";
        private const string WrongSecret = "wrong-client-secret-not-real";

        [SetUp]
        public void ResetSandbox()
        {
            Sandbox.Reset();
        }

        private static void AssertNoSecrets(JdyException e)
        {
            foreach (string secret in new[] { "sandbox-client-secret-not-real", "sandbox-app-secret-not-real", WrongSecret })
            {
                StringAssert.DoesNotContain(secret, e.EnvelopeJson);
                StringAssert.DoesNotContain(secret, e.ToString());
            }
        }

        [Test]
        public void ValidationListsEveryBrokenField()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                JdyClient.ValidateMember("{\"mobile\":\"1380013800\",\"name\":\"  \",\"birthday\":\"2023-02-29\",\"referrer_mp\":\"x\"}");
            });
            Assert.AreEqual(JdyErrorKind.Validation, e.Kind, e.EnvelopeJson);
            Assert.IsFalse(e.Retryable, e.EnvelopeJson);
            Assert.IsNull(e.ErrCode);
            CollectionAssert.AreEquivalent(
                new[] { "mobile", "name", "birthday", "referrer_mp" },
                new[] { e.Fields[0].Field, e.Fields[1].Field, e.Fields[2].Field, e.Fields[3].Field });
            foreach (JdyFieldError field in e.Fields)
            {
                Assert.IsNotEmpty(field.Message);
                StringAssert.DoesNotContain("1380013800", field.Message, "the mobile is never echoed");
            }
            foreach (JdyFieldError field in e.Fields)
            {
                if (field.Field == "referrer_mp")
                {
                    StringAssert.Contains("referrere_mp", field.Message, "did-you-mean for the API's spelling");
                }
            }
            StringAssert.Contains("\"kind\":\"validation\"", e.EnvelopeJson);
        }

        [Test]
        public void ValidationOnSaveSendsNothing()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember("{\"mobile\":\"13800138000\"}"); });
                Assert.AreEqual(JdyErrorKind.Validation, e.Kind, e.EnvelopeJson);
                Assert.AreEqual("name", e.Fields[0].Field);
                JdyException query = Assert.Throws<JdyException>(delegate { client.GetMember("{}"); });
                Assert.That(query.Kind, Is.EqualTo(JdyErrorKind.Validation).Or.EqualTo(JdyErrorKind.InvalidArgument));
                JdyException page = Assert.Throws<JdyException>(delegate { client.ListMembers("{\"page_size\":1000}"); });
                Assert.AreEqual(JdyErrorKind.Validation, page.Kind);
            }
            Assert.AreEqual(0L, Sandbox.Stat("requests"));
        }

        [Test]
        public void InvalidArgumentForTextThatIsNotAJsonObject()
        {
            foreach (string text in new[] { "not json", "[1,2]", "\"会员A\"", "{\"mobile\":" })
            {
                JdyException e = Assert.Throws<JdyException>(delegate { JdyClient.ValidateMember(text); }, text);
                Assert.AreEqual(JdyErrorKind.InvalidArgument, e.Kind, text);
                Assert.IsFalse(e.Retryable, e.EnvelopeJson);
            }
        }

        [Test]
        public void InvalidArgumentForStringsThatCannotBeUtf8()
        {
            JdyException surrogate = Assert.Throws<JdyException>(delegate { JdyClient.ValidateMember("{\"mobile\":\"13800138000\",\"name\":\"\ud800\"}"); });
            Assert.AreEqual(JdyErrorKind.InvalidArgument, surrogate.Kind);
            StringAssert.Contains("memberJson", surrogate.Message);
            JdyException nul = Assert.Throws<JdyException>(delegate { JdyClient.ValidateMember(Member + "\0{}"); });
            Assert.AreEqual(JdyErrorKind.InvalidArgument, nul.Kind);
            StringAssert.Contains("NUL", nul.Message);
            // A real astral character (a valid surrogate pair) is fine.
            StringAssert.Contains("会员\U0001F600", JdyClient.ValidateMember("{\"mobile\":\"13800138000\",\"name\":\"会员\U0001F600\"}"));
        }

        [Test]
        public void ConfigErrorsListEveryProblem()
        {
            JdyException empty = Assert.Throws<JdyException>(delegate { new JdyClient("{}"); });
            Assert.AreEqual(JdyErrorKind.Config, empty.Kind);
            StringAssert.Contains("client_id", empty.Message);

            JdyException typo = Assert.Throws<JdyException>(delegate { new JdyClient(Sandbox.ConfigWith("time_out_ms", 5)); });
            Assert.AreEqual(JdyErrorKind.Config, typo.Kind);
            StringAssert.Contains("timeout_ms", typo.Message, "did-you-mean for an unknown key");

            JdyException scheme = Assert.Throws<JdyException>(delegate { new JdyClient(Sandbox.ConfigWith("base_url", "ftp://127.0.0.1")); });
            Assert.AreEqual(JdyErrorKind.Config, scheme.Kind);
            AssertNoSecrets(scheme);

            Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { new JdyClient("not json"); }).Kind);
            Assert.AreEqual(JdyErrorKind.InvalidArgument, Assert.Throws<JdyException>(delegate { new JdyClient(null); }).Kind);
        }

        [Test]
        public void AuthErrorForAWrongClientSecretIsGatewayCode4008()
        {
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("client_secret", WrongSecret)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Auth, e.Kind, e.EnvelopeJson);
                Assert.AreEqual(4008L, e.ErrCode);
                Assert.AreEqual(519, e.HttpStatus);
                Assert.IsFalse(e.Retryable, e.EnvelopeJson);
                StringAssert.Contains("client_secret", e.Message);
                Assert.IsNotEmpty(e.Description);
                AssertNoSecrets(e);
            }
            Assert.AreEqual(1L, Sandbox.Rejections("4008"));
            Assert.AreEqual(0, Sandbox.Members().Length);
        }

        [Test]
        public void AuthErrorWhenTheAppSecretRotatesInDirectMode()
        {
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                client.SaveMember(Member);
                Sandbox.Post("/__sandbox/rotate_app_secret", "{\"app_secret\":\"rotated-app-secret-not-real\"}");
                try
                {
                    JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember("{\"mobile\":\"13800138001\",\"name\":\"会员B\"}"); });
                    Assert.AreEqual(JdyErrorKind.Auth, e.Kind, e.EnvelopeJson);
                    Assert.AreEqual(1030002006L, e.ErrCode);
                    StringAssert.Contains("app_secret", e.Message);
                    AssertNoSecrets(e);
                    StringAssert.DoesNotContain("rotated-app-secret-not-real", e.EnvelopeJson);
                }
                finally
                {
                    Sandbox.Post("/__sandbox/rotate_app_secret", "{\"app_secret\":\"sandbox-app-secret-not-real\"}");
                }
            }
        }

        [Test]
        public void ApiErrorCarriesKingdeesChineseDescription()
        {
            // An app key Kingdee does not know: the token endpoint answers errcode 1030002002.
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("app_key", "unknown-app-key")))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Api, e.Kind, e.EnvelopeJson);
                Assert.AreEqual(1030002002L, e.ErrCode);
                Assert.AreEqual("app_key不存在或未授权", e.Description);
                StringAssert.Contains("app_key不存在或未授权", e.EnvelopeJson);
                Assert.IsFalse(e.Retryable, e.EnvelopeJson);
            }
        }

        [Test]
        public void NetworkErrorForAPortNobodyListensOn()
        {
            TcpListener probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("base_url", "http://127.0.0.1:" + port, "timeout_ms", 3000, "connect_timeout_ms", 3000)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Network, e.Kind, e.EnvelopeJson);
                Assert.IsTrue(e.Retryable, e.EnvelopeJson);
                Assert.IsNull(e.ErrCode);
                Assert.IsNull(e.HttpStatus);
                AssertNoSecrets(e);
            }
        }

        // Failures of the gateway and the network, each injected by the sandbox
        // (POST /__sandbox/faults) on real HTTP: the library's kind, retryable flag, errcode and
        // Kingdee's description reach C# unchanged, and the sandbox's own count
        // (saves_by_mobile) shows that nothing was saved, or saved once.

        /// <summary>A configuration whose retries give up quickly.</summary>
        private static string Quick()
        {
            return Sandbox.ConfigWith("deadline_ms", 3000, "retry_backoff_ms", 50);
        }

        private static JdyException SaveFails(string config)
        {
            using (JdyClient client = new JdyClient(config))
            {
                return Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
            }
        }

        [Test]
        public void ServerErrorForAGatewayThatKeepsFailingWith503()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"status\",\"status\":503}");
            JdyException e = SaveFails(Quick());
            Assert.AreEqual(JdyErrorKind.Server, e.Kind, e.EnvelopeJson);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.AreEqual(503, e.HttpStatus);
            Assert.IsNull(e.ErrCode);
            Assert.IsFalse(e.OutcomeUnknown, "a 503 before processing certainly saved nothing");
            AssertNoSecrets(e);
            Assert.That(Sandbox.Stat("save_calls"), Is.GreaterThanOrEqualTo(2L), "retried");
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
            Assert.AreEqual(0, Sandbox.Members().Length);
        }

        [Test]
        public void AOnce503IsRetriedAndSavesOnce()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"status\",\"status\":503}");
            using (JdyClient client = new JdyClient(Quick()))
            {
                bool recovered;
                Assert.AreEqual("会员A", Json.Object(client.SaveMember(Member, out recovered))["name"]);
                Assert.IsFalse(recovered);
            }
            Assert.AreEqual(2L, Sandbox.Stat("save_calls"));
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void ServerErrorForKingdeesSystemErrorCode()
        {
            string body = "{\"errcode\":2000002000,\"description\":\"系统异常，请稍后再试\",\"data\":null}";
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"status\",\"status\":200,\"body\":" + Json.Write(body) + "}");
            JdyException e = SaveFails(Quick());
            Assert.AreEqual(JdyErrorKind.Server, e.Kind, e.EnvelopeJson);
            Assert.AreEqual(2000002000L, e.ErrCode);
            Assert.AreEqual(Encoding.UTF8.GetBytes("系统异常，请稍后再试"), Encoding.UTF8.GetBytes(e.Description));
            Assert.AreEqual(200, e.HttpStatus);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.IsFalse(e.OutcomeUnknown, e.EnvelopeJson);
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void ServerErrorForAGatewayRejection519()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"gateway\",\"errcode\":5000}");
            JdyException e = SaveFails(Quick());
            Assert.AreEqual(JdyErrorKind.Server, e.Kind, e.EnvelopeJson);
            Assert.AreEqual(5000L, e.ErrCode);
            Assert.AreEqual(519, e.HttpStatus);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.IsNotEmpty(e.Description);
            Assert.AreEqual("网关内部错误", e.DescriptionCn, "the gateway's Chinese text, passed through");
            Assert.IsFalse(e.OutcomeUnknown, e.EnvelopeJson);
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void RateLimitedForHttp429UntilTheDeadline()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"rate_limited\"}");
            DateTime start = DateTime.UtcNow;
            JdyException e = SaveFails(Sandbox.ConfigWith("deadline_ms", 2500, "retry_backoff_ms", 50));
            Assert.AreEqual(JdyErrorKind.RateLimited, e.Kind, e.EnvelopeJson);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.AreEqual(429, e.HttpStatus);
            Assert.AreEqual("请求已被限流，请稍后再试", e.Description);
            Assert.AreEqual("请求已被限流", e.DescriptionCn);
            Assert.IsFalse(e.OutcomeUnknown, e.EnvelopeJson);
            Assert.That((DateTime.UtcNow - start).TotalSeconds, Is.GreaterThan(0.9), "Retry-After: 1 was waited out before trying again");
            Assert.That(Sandbox.Stat("save_calls"), Is.GreaterThanOrEqualTo(2L));
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void AOnce429IsWaitedOutAndSavesOnce()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"rate_limited\"}");
            using (JdyClient client = new JdyClient(Quick()))
            {
                Assert.AreEqual("会员A", Json.Object(client.SaveMember(Member))["name"]);
            }
            Assert.AreEqual(2L, Sandbox.Stat("save_calls"));
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void TheAccountsRequestBudgetAtTheGatewayIsWaitedOut()
        {
            // The sandbox's own budget, scaled down; the client's pacing stays off.
            Sandbox.Behaviour("{\"account_budget\":{\"requests\":3,\"window_ms\":1500}}");
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("deadline_ms", 10000)))
            {
                for (int i = 0; i < 5; i++)
                {
                    client.SaveMember(Json.Obj("mobile", "1380013810" + i, "name", "限流" + i));
                }
            }
            Assert.That(Sandbox.Stat("rate_limited"), Is.GreaterThanOrEqualTo(1L), "the gateway answered 429 at least once");
            Assert.AreEqual(5, Sandbox.Members().Length);
            for (int i = 0; i < 5; i++)
            {
                Assert.AreEqual(1L, Sandbox.SavesOf("1380013810" + i));
            }
        }

        [Test]
        public void NetworkErrorForAConnectionDroppedBeforeProcessing()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"drop_before_processing\"}");
            JdyException e = SaveFails(Quick());
            Assert.AreEqual(JdyErrorKind.Network, e.Kind, e.EnvelopeJson);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.IsNull(e.HttpStatus);
            Assert.IsNull(e.ErrCode);
            Assert.IsFalse(e.OutcomeUnknown, "the library looked the member up and found it absent");
            AssertNoSecrets(e);
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void ServerErrorForAnAnswerThatIsNotJson()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"not_json\"}");
            JdyException e = SaveFails(Quick());
            Assert.AreEqual(JdyErrorKind.Server, e.Kind, e.EnvelopeJson);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.AreEqual(200, e.HttpStatus);
            Assert.IsFalse(e.OutcomeUnknown, e.EnvelopeJson);
            StringAssert.Contains("not a JSON object", e.Message);
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void ServerErrorForAnAnswerFarTooLarge()
        {
            using (JdyClient client = new JdyClient(Quick()))
            {
                client.SaveMember(Member);
                Sandbox.Fault("GET", Sandbox.DetailPath, 1000, "{\"kind\":\"oversized\",\"bytes\":20000000}");
                JdyException e = Assert.Throws<JdyException>(delegate { client.GetMember("{\"mobile\":\"13800138000\"}"); });
                Assert.AreEqual(JdyErrorKind.Server, e.Kind, e.EnvelopeJson);
                Assert.IsTrue(e.Retryable, e.EnvelopeJson);
                StringAssert.Contains("larger than", e.Message);
            }
        }

        [Test]
        public void SaveWhoseAnswerIsLostIsRecoveredNotDuplicated()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"drop_after_processing\"}");
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                bool recovered;
                string saved = client.SaveMember(Member, out recovered);
                Assert.IsTrue(recovered, "the envelope's \"recovered\": true reaches C#");
                Dictionary<string, object> member = Json.Object(saved);
                Assert.AreEqual("会员A", member["name"]);
                Assert.AreEqual("13800138000", member["mobile"]);
                Assert.IsNotEmpty((string)member["id"]);
                client.SaveMember("{\"mobile\":\"13800138001\",\"name\":\"会员B\"}", out recovered);
                Assert.IsFalse(recovered);
            }
            Assert.AreEqual(2L, Sandbox.Stat("save_calls"), "the lost save was not sent again");
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"), "saved once");
            Assert.AreEqual(2, Sandbox.Members().Length);
        }

        [Test]
        public void SaveWhoseAnswerComesTooLateIsRecovered()
        {
            // Processed at once, answered only after the client's timeout: silence after the save.
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"delay\",\"ms\":3000,\"after_processing\":true}");
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("timeout_ms", 700, "deadline_ms", 5000, "retry_backoff_ms", 50)))
            {
                bool recovered;
                Assert.AreEqual("会员A", Json.Object(client.SaveMember(Member, out recovered))["name"]);
                Assert.IsTrue(recovered);
            }
            Assert.AreEqual(1L, Sandbox.Stat("save_calls"));
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void SaveWhoseAnswerIsNotJsonAfterProcessingIsRecovered()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"not_json\",\"status\":502,\"after_processing\":true}");
            using (JdyClient client = new JdyClient(Quick()))
            {
                bool recovered;
                client.SaveMember(Member, out recovered);
                Assert.IsTrue(recovered);
            }
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void OutcomeUnknownWhenTheSaveCannotBeCheckedBeforeTheDeadline()
        {
            Sandbox.Faults(
                "[{\"path\":\"/jdy/v2/ls/member\",\"method\":\"POST\",\"times\":1,\"fault\":{\"kind\":\"drop_after_processing\"}},"
                + "{\"path\":\"/jdy/v2/ls/member_detail\",\"times\":1000,\"fault\":{\"kind\":\"status\",\"status\":503}},"
                + "{\"path\":\"/jdy/v2/ls/member\",\"method\":\"GET\",\"times\":1000,\"fault\":{\"kind\":\"status\",\"status\":503}}]");
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("deadline_ms", 1500, "retry_backoff_ms", 50)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.IsTrue(e.OutcomeUnknown, e.EnvelopeJson);
                Assert.IsFalse(e.Retryable, "look the member up before saving again");
                StringAssert.Contains("\"outcome_unknown\":true", e.EnvelopeJson);
                Assert.AreEqual(1L, Sandbox.Stat("save_calls"), "not sent again blindly");
                Sandbox.ClearFaults();
                Assert.AreEqual("会员A", Json.Object(client.GetMember("{\"mobile\":\"13800138000\"}"))["name"], "it was stored");
            }
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void TimeoutForAGatewayThatNeverAnswers()
        {
            // Every request (the token's included) answered 10 s late, the client waiting 400 ms.
            Sandbox.Faults("{\"times\":1000,\"fault\":{\"kind\":\"delay\",\"ms\":10000}}");
            using (JdyClient client = new JdyClient(Sandbox.ConfigWith("timeout_ms", 400, "deadline_ms", 2500, "retry_backoff_ms", 50)))
            {
                DateTime start = DateTime.UtcNow;
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Timeout, e.Kind, e.EnvelopeJson);
                Assert.IsTrue(e.Retryable, e.EnvelopeJson);
                Assert.IsNull(e.HttpStatus);
                Assert.IsFalse(e.OutcomeUnknown, "no save was sent: the token never came");
                Assert.Less((DateTime.UtcNow - start).TotalSeconds, 8, "bounded by timeout_ms and deadline_ms");
                AssertNoSecrets(e);
            }
            Assert.AreEqual(0L, Sandbox.Stat("save_calls"));
            Assert.AreEqual(0, Sandbox.Members().Length);
        }

        [Test]
        public void TimeoutForASaveThatIsNeverAnsweredAndNotSaved()
        {
            // The save waits 10 s before processing; the client hangs up at 700 ms, so the sandbox
            // abandons it, and the library's lookup after each attempt finds nothing stored. Two
            // attempts and a long deadline, so that the last lookup always fits in.
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"delay\",\"ms\":10000}");
            JdyException e = SaveFails(Sandbox.ConfigWith("timeout_ms", 700, "max_retries", 1, "deadline_ms", 20000, "retry_backoff_ms", 50));
            Assert.AreEqual(JdyErrorKind.Timeout, e.Kind, e.EnvelopeJson);
            Assert.IsTrue(e.Retryable, e.EnvelopeJson);
            Assert.IsFalse(e.OutcomeUnknown, e.EnvelopeJson);
            Assert.AreEqual(2L, Sandbox.Stat("save_calls"), "max_retries 1: two attempts");
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }
    }
}
