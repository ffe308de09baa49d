// Every error kind that can be provoked from here, each as a JdyException with the core's
// kind, errcode, description and retryable flag, and no secret in any of it.

using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
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
            Assert.AreEqual(JdyErrorKind.Validation, e.Kind);
            Assert.IsFalse(e.Retryable);
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
                Assert.AreEqual(JdyErrorKind.Validation, e.Kind);
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
                Assert.IsFalse(e.Retryable);
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
                Assert.AreEqual(JdyErrorKind.Auth, e.Kind);
                Assert.AreEqual(4008L, e.ErrCode);
                Assert.AreEqual(519, e.HttpStatus);
                Assert.IsFalse(e.Retryable);
                StringAssert.Contains("client_secret", e.Message);
                Assert.IsNotEmpty(e.Description);
                AssertNoSecrets(e);
            }
            Assert.AreEqual(1L, Json.Int(Json.Object(Json.Write(Sandbox.Stats()["rejections"]))["4008"]));
            Assert.AreEqual(0, Json.Array(Sandbox.MembersJson()).Count);
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
                    JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                    Assert.AreEqual(JdyErrorKind.Auth, e.Kind);
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
                Assert.AreEqual(JdyErrorKind.Api, e.Kind);
                Assert.AreEqual(1030002002L, e.ErrCode);
                Assert.AreEqual("app_key不存在或未授权", e.Description);
                StringAssert.Contains("app_key不存在或未授权", e.EnvelopeJson);
                Assert.IsFalse(e.Retryable);
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
                Assert.AreEqual(JdyErrorKind.Network, e.Kind);
                Assert.IsTrue(e.Retryable);
                Assert.IsNull(e.ErrCode);
                Assert.IsNull(e.HttpStatus);
                AssertNoSecrets(e);
            }
        }

        [Test]
        public void ServerErrorForAGatewayThatFails()
        {
            using (FakeGateway gateway = new FakeGateway(FakeGateway.HttpAnswer(503, "Service Unavailable", "text/html", "<html>busy</html>")))
            using (JdyClient client = new JdyClient(gateway.Config(3000)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Server, e.Kind);
                Assert.IsTrue(e.Retryable);
                Assert.AreEqual(503, e.HttpStatus);
                Assert.That(gateway.Requests, Is.GreaterThanOrEqualTo(1));
            }
        }

        [Test]
        public void ServerErrorForKingdeesSystemErrorCode()
        {
            string body = "{\"errcode\":2000002000,\"description\":\"系统异常，请稍后再试\",\"data\":null}";
            using (FakeGateway gateway = new FakeGateway(FakeGateway.HttpAnswer(200, "OK", "application/json;charset=utf-8", body)))
            using (JdyClient client = new JdyClient(gateway.Config(3000)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Server, e.Kind);
                Assert.AreEqual(2000002000L, e.ErrCode);
                Assert.AreEqual("系统异常，请稍后再试", e.Description);
                Assert.IsTrue(e.Retryable);
            }
        }

        [Test]
        public void RateLimitedForHttp429()
        {
            using (FakeGateway gateway = new FakeGateway(FakeGateway.HttpAnswer(429, "Too Many Requests", "application/json", "{\"errcode\":5007,\"description\":\"too many\"}")))
            using (JdyClient client = new JdyClient(gateway.Config(3000)))
            {
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.RateLimited, e.Kind);
                Assert.IsTrue(e.Retryable);
                Assert.AreEqual(429, e.HttpStatus);
            }
        }

        [Test]
        public void SaveWhoseAnswerIsLostIsRecoveredNotDuplicated()
        {
            Sandbox.Post("/__sandbox/faults",
                "{\"path\":\"/jdy/v2/ls/member\",\"method\":\"POST\",\"times\":1,\"fault\":{\"kind\":\"drop_after_processing\"}}");
            using (JdyClient client = new JdyClient(Sandbox.Config))
            {
                bool recovered;
                string saved = client.SaveMember(Member, out recovered);
                Assert.IsTrue(recovered, "the envelope's \"recovered\": true reaches C#");
                Assert.AreEqual("会员A", Json.Object(saved)["name"]);
                client.SaveMember("{\"mobile\":\"13800138001\",\"name\":\"会员B\"}", out recovered);
                Assert.IsFalse(recovered);
            }
            Dictionary<string, object> saves = (Dictionary<string, object>)Sandbox.Stats()["saves_by_mobile"];
            Assert.AreEqual(1L, Json.Int(saves["13800138000"]), "saved once");
        }

        [Test]
        public void OutcomeUnknownWhenTheSaveCannotBeCheckedBeforeTheDeadline()
        {
            Sandbox.Post("/__sandbox/faults",
                "[{\"path\":\"/jdy/v2/ls/member\",\"method\":\"POST\",\"times\":1,\"fault\":{\"kind\":\"drop_after_processing\"}},"
                + "{\"path\":\"/jdy/v2/ls/member_detail\",\"times\":1000,\"fault\":{\"kind\":\"status\",\"status\":503}}]");
            try
            {
                using (JdyClient client = new JdyClient(Sandbox.ConfigWith("deadline_ms", 1500, "retry_backoff_ms", 50)))
                {
                    JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                    Assert.IsTrue(e.OutcomeUnknown, e.EnvelopeJson);
                    Assert.IsFalse(e.Retryable, "look the member up before saving again");
                    StringAssert.Contains("\"outcome_unknown\":true", e.EnvelopeJson);
                    Sandbox.Send("DELETE", "/__sandbox/faults", null);
                    Assert.AreEqual("会员A", Json.Object(client.GetMember("{\"mobile\":\"13800138000\"}"))["name"], "it was stored");
                }
            }
            finally
            {
                Sandbox.Send("DELETE", "/__sandbox/faults", null);
            }
        }

        [Test]
        public void TimeoutForAGatewayThatNeverAnswers()
        {
            using (FakeGateway gateway = new FakeGateway(null))
            using (JdyClient client = new JdyClient(gateway.Config(400)))
            {
                DateTime start = DateTime.UtcNow;
                JdyException e = Assert.Throws<JdyException>(delegate { client.SaveMember(Member); });
                Assert.AreEqual(JdyErrorKind.Timeout, e.Kind);
                Assert.IsTrue(e.Retryable);
                Assert.Less((DateTime.UtcNow - start).TotalSeconds, 30, "bounded by timeout_ms");
            }
        }
    }
}
