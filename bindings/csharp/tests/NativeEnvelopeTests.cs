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
            StringAssert.EndsWith(",\"saved\":1,\"queued\":0,\"recovered\":0,\"refused\":1,\"failed\":0}}", batch);
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

        [Test]
        public void ValidateListsReferencesAfterTheData()
        {
            string ok = Validate("{\"mobile\":\"13800138000\",\"name\":\"会员A\",\"shop\":\"南京西路店\",\"level\":\"3\"}");
            AssertSuccess(ok);
            StringAssert.EndsWith("},\"references\":[{\"field\":\"shop\",\"kind\":\"store\",\"value\":\"南京西路店\"}]}", ok);
            StringAssert.DoesNotContain("\"field\":\"level\"", ok, "a value of digits only is an id, not a reference");
        }

        [Test]
        public void AQueuedSaveEndsWithTheQueuedMark()
        {
            string folder = TempFolder.Create();
            JdyClientHandle offline = NewClient(Sandbox.ConfigWith("base_url", OutboxTests.Unreachable, "offline", "queue",
                "outbox_path", System.IO.Path.Combine(folder, "outbox.db")), out _);
            try
            {
                string queued = SaveOn(offline, "{\"mobile\":\"13800138000\",\"name\":\"会员A\"}");
                StringAssert.StartsWith(OkData + "{", queued);
                StringAssert.EndsWith("},\"queued\":true}", queued);
                StringAssert.DoesNotContain("\"recovered\":true", queued);
            }
            finally
            {
                offline.Dispose();
                TempFolder.Delete(folder);
            }
        }

        [Test]
        public void CallDoctorAndOutboxAnswerTheFixedShape()
        {
            string stores = Native.Call(client, "{\"method\":\"GET\",\"path\":\"/jdy/v2/ls/store\",\"query\":{\"page\":1}}");
            AssertSuccess(stores);
            StringAssert.EndsWith("}}", stores);
            AssertFailure(Native.Call(client, "{\"method\":\"GET\",\"path\":\"/other/x\"}"), "validation");
            AssertFailure(Native.Call(client, null), "invalid_argument");
            string doctor = Native.Doctor(client);
            StringAssert.StartsWith(OkData + "{\"checks\":[", doctor);
            // Without outbox_path every outbox function is a configuration error.
            AssertFailure(Native.OutboxStatus(client), "config");
            AssertFailure(Native.OutboxAdd(client, "{\"mobile\":\"13800138000\",\"name\":\"会员A\"}"), "config");
            AssertFailure(Native.OutboxFlush(client, null), "config");
            AssertFailure(Native.OutboxList(client, null), "config");
            AssertFailure(Native.OutboxRetry(client, "{\"state\":\"refused\"}"), "config");
            AssertFailure(Native.OutboxDiscard(client, "{\"state\":\"refused\"}"), "config");
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

    /// <summary>The raw envelopes of the newer entry points (each never inlined, see JdyClient).</summary>
    internal static class Native
    {
        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string Call(JdyClientHandle client, string request)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_call(client, NativeMethods.ToUtf8Z(request, "request")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string Doctor(JdyClientHandle client)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_doctor(client));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxAdd(JdyClientHandle client, string member)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_add(client, NativeMethods.ToUtf8Z(member, "member")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxFlush(JdyClientHandle client, string options)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_flush(client, NativeMethods.ToUtf8Z(options, "options")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxStatus(JdyClientHandle client)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_status(client));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxList(JdyClientHandle client, string query)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_list(client, NativeMethods.ToUtf8Z(query, "query")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxRetry(JdyClientHandle client, string query)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_retry(client, NativeMethods.ToUtf8Z(query, "query")));
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        internal static string OutboxDiscard(JdyClientHandle client, string query)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_outbox_discard(client, NativeMethods.ToUtf8Z(query, "query")));
        }
    }
}
