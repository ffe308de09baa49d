// The envelope reader on its own (no native library): `data` comes back byte for byte, errors
// become JdyException with every part, and anything malformed is an `internal` error.

using System;
using System.Collections.Generic;
using System.Text;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class EnvelopeTests
    {
        [Test]
        public void DataIsReturnedAsTheExactTextWritten()
        {
            string data = "{ \"name\" : \"会员A\\u4f1a\\\"\" ,\"n\":1.50E+3,\"big\":12345678901234567890123,"
                + "\"neg\":-0.0,\"list\":[ 1 ,true,null,{\"a\":[]} ],\"esc\":\"\\/\\b\\f\\n\\r\\t\\ud83d\\ude00\" }";
            string envelope = "{\"ok\":true,\"data\":" + data + "}";
            Assert.AreEqual(data, Envelope.Unwrap(envelope));
            Assert.AreEqual(Encoding.UTF8.GetBytes(data), Encoding.UTF8.GetBytes(Envelope.Unwrap(envelope)));
        }

        [Test]
        public void DataOfAnyTypeAndKeyOrderAndWhitespace()
        {
            Assert.AreEqual("[1,2]", Envelope.Unwrap(" {\r\n\t\"data\" : [1,2] , \"ok\" : true } "));
            Assert.AreEqual("\"会员\"", Envelope.Unwrap("{\"ok\":true,\"data\":\"会员\"}"));
            Assert.AreEqual("0", Envelope.Unwrap("{\"ok\":true,\"data\":0}"));
            Assert.AreEqual("false", Envelope.Unwrap("{\"ok\":true,\"data\":false}"));
            Assert.AreEqual("{}", Envelope.Unwrap("{\"ok\":true,\"data\":{},\"extra\":{\"x\":[1]}}"));
        }

        [Test]
        public void NullOrMissingDataIsCSharpNull()
        {
            Assert.IsNull(Envelope.Unwrap("{\"ok\":true,\"data\":null}"));
            Assert.IsNull(Envelope.Unwrap("{\"ok\":true}"));
        }

        [Test]
        public void ErrorBecomesJdyExceptionWithEveryPart()
        {
            string envelope = "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"refused \\\"x\\\"\",\"retryable\":false,"
                + "\"errcode\":2000002000,\"description\":\"手机号(mobile)不能为空\",\"description_cn\":\"签名错误\",\"http_status\":519}}";
            JdyException e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(envelope); });
            Assert.AreEqual(JdyErrorKind.Api, e.Kind);
            Assert.AreEqual("refused \"x\"", e.Message);
            Assert.AreEqual(2000002000L, e.ErrCode);
            Assert.AreEqual("手机号(mobile)不能为空", e.Description);
            Assert.AreEqual("签名错误", e.DescriptionCn);
            Assert.AreEqual(519, e.HttpStatus);
            Assert.IsFalse(e.Retryable);
            Assert.AreEqual(0, e.Fields.Count);
            Assert.AreEqual(envelope, e.EnvelopeJson);
            StringAssert.Contains("errcode 2000002000", e.ToString());
        }

        [Test]
        public void ErrcodesBeyondInt32AndRetryable()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"error\":{\"kind\":\"server\",\"message\":\"m\",\"retryable\":true,\"errcode\":1030002006},\"ok\":false}");
            });
            Assert.AreEqual(1030002006L, e.ErrCode);
            Assert.IsTrue(e.Retryable);
            Assert.IsNull(e.HttpStatus);
            Assert.IsNull(e.Description);
            e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"errcode\":9223372036854775807}}");
            });
            Assert.AreEqual(long.MaxValue, e.ErrCode);
        }

        [Test]
        public void RecoveredAndOutcomeUnknownAreReported()
        {
            bool recovered;
            Assert.AreEqual("{\"id\":\"1\"}", Envelope.Unwrap("{\"ok\":true,\"data\":{\"id\":\"1\"},\"recovered\":true}", out recovered));
            Assert.IsTrue(recovered);
            Envelope.Unwrap("{\"ok\":true,\"data\":{}}", out recovered);
            Assert.IsFalse(recovered);
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"network\",\"message\":\"m\",\"retryable\":false,\"outcome_unknown\":true}}");
            });
            Assert.IsTrue(e.OutcomeUnknown);
            e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"network\",\"message\":\"m\"}}"); });
            Assert.IsFalse(e.OutcomeUnknown);
            Assert.IsFalse(e.Retryable);
        }

        [Test]
        public void ValidationFieldsAreListed()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"validation\",\"message\":\"two\",\"retryable\":false,"
                    + "\"fields\":[{\"field\":\"mobile\",\"message\":\"is required\"},{\"field\":\"birthday\",\"message\":\"不是日期\"}]}}");
            });
            Assert.AreEqual(JdyErrorKind.Validation, e.Kind);
            Assert.AreEqual(2, e.Fields.Count);
            Assert.AreEqual("mobile", e.Fields[0].Field);
            Assert.AreEqual("is required", e.Fields[0].Message);
            Assert.AreEqual("不是日期", e.Fields[1].Message);
            Assert.Throws<NotSupportedException>(delegate { e.Fields.Add(new JdyFieldError("x", "y")); });
        }

        [Test]
        public void EscapesDecodeInErrorStrings()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"\\u4f1a\\u5458A \\ud83d\\ude00 \\\\ \\/\",\"retryable\":false}}");
            });
            Assert.AreEqual("会员A \U0001F600 \\ /", e.Message);
        }

        [Test]
        public void MalformedEnvelopesAreInternalErrors()
        {
            string[] broken =
            {
                "",
                "   ",
                "null",
                "[]",
                "{\"ok\":true,\"data\":{}",
                "{\"ok\":true,\"data\":{}}}",
                "{\"ok\":true,\"data\":01}",
                "{\"ok\":true,\"data\":1.}",
                "{\"ok\":true,\"data\":-}",
                "{\"ok\":true,\"data\":\"unterminated}",
                "{\"ok\":true,\"data\":\"bad \\x escape\"}",
                "{\"ok\":true,\"data\":\"raw\ncontrol\"}",
                "{\"ok\":true,\"data\":\"\\u12g4\"}",
                "{\"ok\":true,\"data\":[1,]}",
                "{\"ok\":true,\"data\":{\"a\" 1}}",
                "{\"ok\":true,\"data\":tru}",
                "{\"ok\":true,,\"data\":1}",
                "{\"ok\":\"yes\",\"data\":1}",
                "{\"data\":1}",
                "{\"ok\":false}",
                "{\"ok\":false,\"error\":\"text\"}",
                "{'ok':true}",
            };
            foreach (string text in broken)
            {
                JdyException e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(text); }, "accepted: " + text);
                Assert.AreEqual(JdyErrorKind.Internal, e.Kind, text);
                Assert.AreEqual(text, e.EnvelopeJson);
                StringAssert.Contains("does not understand", e.Message);
            }
        }

        [Test]
        public void DeepNestingIsRefusedNotAStackOverflow()
        {
            string deep = new string('[', 100000) + new string(']', 100000);
            JdyException e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap("{\"ok\":true,\"data\":" + deep + "}"); });
            Assert.AreEqual(JdyErrorKind.Internal, e.Kind);
            string fine = new string('[', 300) + new string(']', 300);
            Assert.AreEqual(fine, Envelope.Unwrap("{\"ok\":true,\"data\":" + fine + "}"));
        }

        [Test]
        public void ParseBuildsValues()
        {
            Dictionary<string, object> o = Json.Object("{\"s\":\"x\",\"n\":-12,\"f\":1.5e2,\"t\":true,\"z\":null,\"a\":[\"会\"]}");
            Assert.AreEqual("x", o["s"]);
            Assert.AreEqual(-12L, ((JsonNumber)o["n"]).AsInt64());
            Assert.AreEqual("1.5e2", ((JsonNumber)o["f"]).Text);
            Assert.IsNull(((JsonNumber)o["f"]).AsInt64());
            Assert.AreEqual(true, o["t"]);
            Assert.IsNull(o["z"]);
            Assert.AreEqual("会", ((List<object>)o["a"])[0]);
        }

        [Test]
        public void StringsAreSentAsNulTerminatedUtf8RegardlessOfTheSystemCodePage()
        {
            // 会员A in UTF-8 (E4 BC 9A E5 91 98 41); in GBK it would be BB E1 D4 B1 41.
            byte[] bytes = NativeMethods.ToUtf8Z("会员A", "x");
            Assert.AreEqual(new byte[] { 0xE4, 0xBC, 0x9A, 0xE5, 0x91, 0x98, 0x41, 0x00 }, bytes);
            Assert.IsNull(NativeMethods.ToUtf8Z(null, "x"));
            Assert.AreEqual(new byte[] { 0 }, NativeMethods.ToUtf8Z("", "x"));
        }

        [Test]
        public void WrapperErrorsCarryAnEnvelopeToo()
        {
            JdyException e = Envelope.WrapperError(JdyErrorKind.InvalidArgument, "bad \"thing\"\n");
            Assert.AreEqual("bad \"thing\"\n", e.Message);
            JdyException again = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(e.EnvelopeJson); });
            Assert.AreEqual(JdyErrorKind.InvalidArgument, again.Kind);
            Assert.AreEqual(e.Message, again.Message);
        }

        [Test]
        public void ExceptionSurvivesSerialization()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"validation\",\"message\":\"m\",\"retryable\":false,\"errcode\":7,"
                    + "\"http_status\":200,\"fields\":[{\"field\":\"name\",\"message\":\"必填\"}]}}");
            });
            System.Runtime.Serialization.Formatters.Binary.BinaryFormatter formatter =
                new System.Runtime.Serialization.Formatters.Binary.BinaryFormatter();
            using (System.IO.MemoryStream stream = new System.IO.MemoryStream())
            {
                formatter.Serialize(stream, e);
                stream.Position = 0;
                JdyException copy = (JdyException)formatter.Deserialize(stream);
                Assert.AreEqual(e.Kind, copy.Kind);
                Assert.AreEqual(e.Message, copy.Message);
                Assert.AreEqual(7L, copy.ErrCode);
                Assert.AreEqual(200, copy.HttpStatus);
                Assert.AreEqual("必填", copy.Fields[0].Message);
                Assert.AreEqual(e.EnvelopeJson, copy.EnvelopeJson);
            }
        }
    }
}
