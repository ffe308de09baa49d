// The envelopes exactly as the native library returns them (NativeMethods, below JdyClient):
// the fixed shape the wrapper's reader relies on, from every entry point, against the sandbox.

using System;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class NativeEnvelopeTests
    {
        private const string OkData = "{\"ok\":true,\"data\":";
        // kind, message and retryable always come first, in this order.
        private static readonly Regex Failure = new Regex(
            "^\\{\"ok\":false,\"error\":\\{\"kind\":\"[a-z_]+\",\"message\":\"(?:[^\"\\\\]|\\\\.)*\",\"retryable\":(?:true|false)[,}]");

        private JdyClientHandle client;

        [SetUp]
        public void Open()
        {
            Sandbox.Reset();
            NativeLibraryLoader.EnsureLoaded();
            string error;
            client = NewClient(Sandbox.Config, out error);
            Assert.IsNull(error);
            Assert.IsFalse(client.IsInvalid);
        }

        [TearDown]
        public void Close()
        {
            if (client != null)
            {
                client.Dispose();
            }
        }

        private static void AssertSuccess(string envelope)
        {
            StringAssert.StartsWith(OkData, envelope);
            StringAssert.EndsWith("}", envelope);
            Assert.IsNotNull(Json.Object(envelope), envelope);
        }

        private static void AssertFailure(string envelope, string kind)
        {
            StringAssert.StartsWith("{\"ok\":false", envelope);
            Assert.IsTrue(Failure.IsMatch(envelope), envelope);
            StringAssert.StartsWith("{\"ok\":false,\"error\":{\"kind\":\"" + kind + "\"", envelope);
            StringAssert.EndsWith("}}", envelope);
        }

        [Test]
        public void ValidateAnswersBothShapes()
        {
            string ok = Validate("{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
            AssertSuccess(ok);
            StringAssert.EndsWith("}}", ok);
            AssertFailure(Validate("{\"mobile\":\"12\"}"), "validation");
            AssertFailure(Validate("not json"), "invalid_argument");
            AssertFailure(Validate(null), "invalid_argument");
        }

        [Test]
        public void AFailedClientGivesAFailureEnvelope()
        {
            string error;
            JdyClientHandle none = NewClient("{}", out error);
            Assert.IsTrue(none.IsInvalid);
            none.SetHandleAsInvalid();
            AssertFailure(error, "config");
        }

        [Test]
        public void SaveGetListAndBatchAnswerTheFixedShape()
        {
            string saved = Save("{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
            AssertSuccess(saved);
            StringAssert.EndsWith("}}", saved, "nothing after the data of a plain save");

            string duplicate = Save("{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
            AssertFailure(duplicate, "api");
            StringAssert.Contains(",\"errcode\":1000000004,\"description\":\"组合值与其他表单重复：手机号 13800138000 已存在\"", duplicate);

            Assert.AreEqual("{\"ok\":true,\"data\":null}", Get("{\"mobile\":\"13900000000\"}"));
            AssertSuccess(Get("{\"mobile\":\"13800138000\"}"));
            AssertSuccess(List("{}"));
            AssertFailure(List("{\"page_size\":1000}"), "validation");

            string batch = Batch("[{\"mobile\":\"13800138001\",\"name\":\"B\"},{\"mobile\":\"1\",\"name\":\"C\"}]", null);
            StringAssert.StartsWith(OkData + "{\"results\":[" + OkData, batch);
            StringAssert.Contains("},{\"ok\":false,\"error\":{\"kind\":\"validation\"", batch);
            StringAssert.EndsWith(",\"saved\":1,\"recovered\":0,\"refused\":1,\"failed\":0}}", batch);
            AssertFailure(Batch("{}", null), "invalid_argument");
        }

        [Test]
        public void ARecoveredSaveEndsWithTheRecoveredMark()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1, "{\"kind\":\"drop_after_processing\"}");
            string recovered = Save("{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
            StringAssert.StartsWith(OkData + "{", recovered);
            StringAssert.EndsWith("},\"recovered\":true}", recovered);
            Assert.AreEqual(1L, Sandbox.SavesOf("13800138000"));
        }

        [Test]
        public void AFailureAfterTheNetworkHasEveryKeyInOrder()
        {
            Sandbox.Fault("POST", Sandbox.MemberPath, 1000, "{\"kind\":\"status\",\"status\":503}");
            JdyClientHandle quick = NewClient(Sandbox.ConfigWith("deadline_ms", 1500, "retry_backoff_ms", 50), out _);
            try
            {
                string failed = SaveOn(quick, "{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
                AssertFailure(failed, "server");
                StringAssert.Contains("\"retryable\":true", failed);
                StringAssert.Contains(",\"http_status\":503", failed);
            }
            finally
            {
                quick.Dispose();
            }
            Assert.AreEqual(0L, Sandbox.SavesOf("13800138000"));
        }

        // Every method that calls into the library directly is never inlined (see JdyClient).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static JdyClientHandle NewClient(string config, out string error)
        {
            IntPtr errorJson;
            JdyClientHandle handle = NativeMethods.jdy_client_new(NativeMethods.ToUtf8Z(config, "config"), out errorJson);
            error = NativeMethods.TakeString(errorJson);
            return handle;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string Validate(string member)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_validate(NativeMethods.ToUtf8Z(member, "member")));
        }

        private string Save(string member)
        {
            return SaveOn(client, member);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string SaveOn(JdyClientHandle handle, string member)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_save(handle, NativeMethods.ToUtf8Z(member, "member")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private string Get(string query)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_get(client, NativeMethods.ToUtf8Z(query, "query")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private string List(string query)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_list(client, NativeMethods.ToUtf8Z(query, "query")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private string Batch(string members, string options)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_save_batch(client,
                NativeMethods.ToUtf8Z(members, "members"), NativeMethods.ToUtf8Z(options, "options")));
        }
    }
}
