// The envelope reader on its own (no native library): success is decided by the fixed prefix
// and `data` comes back byte for byte; errors become JdyException with every part; anything
// that is not of the guaranteed shape is an `internal` error.

using System;
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
        public void DataOfAnyType()
        {
            Assert.AreEqual("[1,2]", Envelope.Unwrap("{\"ok\":true,\"data\":[1,2]}"));
            Assert.AreEqual("\"会员\"", Envelope.Unwrap("{\"ok\":true,\"data\":\"会员\"}"));
            Assert.AreEqual("0", Envelope.Unwrap("{\"ok\":true,\"data\":0}"));
            Assert.AreEqual("false", Envelope.Unwrap("{\"ok\":true,\"data\":false}"));
            Assert.AreEqual("true", Envelope.Unwrap("{\"ok\":true,\"data\":true}"));
            Assert.AreEqual("{}", Envelope.Unwrap("{\"ok\":true,\"data\":{}}"));
        }

        [Test]
        public void NullDataIsCSharpNull()
        {
            Assert.IsNull(Envelope.Unwrap("{\"ok\":true,\"data\":null}"));
            Assert.AreEqual("\"null\"", Envelope.Unwrap("{\"ok\":true,\"data\":\"null\"}"));
        }

        [Test]
        public void RecoveredAndQueuedMarksAreTakenOffTheData()
        {
            bool recovered;
            Assert.AreEqual("{\"id\":\"1\"}", Envelope.Unwrap("{\"ok\":true,\"data\":{\"id\":\"1\"},\"recovered\":true}", out recovered));
            Assert.IsTrue(recovered);
            Assert.AreEqual("{\"id\":\"1\"}", Envelope.Unwrap("{\"ok\":true,\"data\":{\"id\":\"1\"},\"queued\":true}", out recovered));
            Assert.IsFalse(recovered);
            Assert.AreEqual("{}", Envelope.Unwrap("{\"ok\":true,\"data\":{}}", out recovered));
            Assert.IsFalse(recovered);
            Assert.IsNull(Envelope.Unwrap("{\"ok\":true,\"data\":null,\"recovered\":true}", out recovered));
            Assert.IsTrue(recovered);
        }

        [Test]
        public void TheQueuedMarkIsReported()
        {
            EnvelopeMarks marks;
            string item = "{\"outbox_id\":\"ob-1\",\"state\":\"queued\",\"reason\":{\"kind\":\"network\",\"message\":\"m\",\"retryable\":true}}";
            Assert.AreEqual(item, Envelope.Unwrap("{\"ok\":true,\"data\":" + item + ",\"queued\":true}", out marks));
            Assert.IsTrue(marks.Queued);
            Assert.IsFalse(marks.Recovered);
            Assert.IsNull(marks.References);
            Assert.AreEqual("{}", Envelope.Unwrap("{\"ok\":true,\"data\":{}}", out marks));
            Assert.IsFalse(marks.Queued);
            // The library writes the marks in this order; each is read wherever it stands.
            Assert.AreEqual("1", Envelope.Unwrap("{\"ok\":true,\"data\":1,\"recovered\":true,\"queued\":true}", out marks));
            Assert.IsTrue(marks.Recovered && marks.Queued);
        }

        [Test]
        public void ReferencesFollowTheDataAndAreCutOutExactly()
        {
            string member = "{\"mobile\":\"13800138000\",\"name\":\"会员A\",\"shop\":\"南京西路店\"}";
            string references = "[{\"field\":\"shop\",\"kind\":\"store\",\"value\":\"南京西路店\"}]";
            EnvelopeMarks marks;
            Assert.AreEqual(member, Envelope.Unwrap("{\"ok\":true,\"data\":" + member + ",\"references\":" + references + "}", out marks));
            Assert.AreEqual(references, marks.References);
            Assert.IsFalse(marks.Recovered);
            Assert.IsFalse(marks.Queued);
            // Without the mark there are none (the wrapper's ValidateMember then answers "[]").
            Assert.AreEqual(member, Envelope.Unwrap("{\"ok\":true,\"data\":" + member + "}", out marks));
            Assert.IsNull(marks.References);
            Assert.IsNull(Envelope.Unwrap("{\"ok\":true,\"data\":null,\"references\":[]}", out marks));
            Assert.AreEqual("[]", marks.References);
        }

        [Test]
        public void ReferencesWithQuotesBracesAndChineseAreCutOutExactly()
        {
            // Values that look like the envelope's own syntax: quotes, backslashes, braces and
            // brackets, a fake mark, a fake closing of the envelope, escapes, Chinese, an emoji.
            string member = "{\"mobile\":\"13800138000\",\"name\":\"会员\\\"A\\\"}\",\"remark\":\"],\\\"references\\\":[\",\"shop\":\"南京西路店 {总店}\","
                + "\"level\":\"金卡\\\\\",\"label\":[\"VIP\",\"老客户]\",\"\\u4f1a\\u5458日\"],\"references\":[{\"x\":\"}\"}]}";
            string references = "[{\"field\":\"shop\",\"kind\":\"store\",\"value\":\"南京西路店 {总店}\"},"
                + "{\"field\":\"level\",\"kind\":\"level\",\"value\":\"金卡\\\\\"},"
                + "{\"field\":\"label[1]\",\"kind\":\"label\",\"value\":\"老客户]\"},"
                + "{\"field\":\"label[2]\",\"kind\":\"label\",\"value\":\"\\u4f1a\\u5458日 \\\"}]}\\\" ,\\\"recovered\\\":true} \\ud83d\\ude00\"},"
                + "{\"field\":\"customer\",\"kind\":\"customer\",\"value\":\"上海申华贸易有限公司\\\"}\"}]";
            string envelope = "{\"ok\":true,\"data\":" + member + ",\"references\":" + references + "}";
            EnvelopeMarks marks;
            string data = Envelope.Unwrap(envelope, out marks);
            Assert.AreEqual(member, data);
            Assert.AreEqual(references, marks.References);
            Assert.IsFalse(marks.Recovered, "a mark inside a reference's value is not a mark");
            Assert.AreEqual(Encoding.UTF8.GetBytes(references), Encoding.UTF8.GetBytes(marks.References));
            // Both halves are JSON of their own (read here by the tests' parser, not the wrapper).
            Assert.AreEqual("会员\"A\"}", Json.Object(data)["name"]);
            object[] parsed = Json.Array(marks.References);
            Assert.AreEqual(5, parsed.Length);
            Assert.AreEqual("南京西路店 {总店}", ((System.Collections.Generic.Dictionary<string, object>)parsed[0])["value"]);
            Assert.AreEqual("金卡\\", ((System.Collections.Generic.Dictionary<string, object>)parsed[1])["value"]);
            Assert.AreEqual("会员日 \"}]}\" ,\"recovered\":true} \U0001F600", ((System.Collections.Generic.Dictionary<string, object>)parsed[3])["value"]);
            Assert.AreEqual("上海申华贸易有限公司\"}", ((System.Collections.Generic.Dictionary<string, object>)parsed[4])["value"]);
        }

        [Test]
        public void DeepDataFollowedByReferences()
        {
            string deep = new string('[', 100000) + "\"]\"" + new string(']', 100000);
            EnvelopeMarks marks;
            Assert.AreEqual(deep, Envelope.Unwrap("{\"ok\":true,\"data\":" + deep + ",\"references\":[\"]\"]}", out marks));
            Assert.AreEqual("[\"]\"]", marks.References);
        }

        [Test]
        public void MarksInsideTheDataAreData()
        {
            bool recovered;
            string inner = "{\"a\":1,\"recovered\":true}";
            Assert.AreEqual(inner, Envelope.Unwrap("{\"ok\":true,\"data\":" + inner + "}", out recovered));
            Assert.IsFalse(recovered);
            string text = "\"x,\\\"recovered\\\":true\"";
            Assert.AreEqual(text, Envelope.Unwrap("{\"ok\":true,\"data\":" + text + "}", out recovered));
            Assert.IsFalse(recovered);
            string list = "[1,{\"queued\":true}]";
            Assert.AreEqual(list, Envelope.Unwrap("{\"ok\":true,\"data\":" + list + "}"));
        }

        [Test]
        public void DeepDataIsReturnedWithoutBeingParsed()
        {
            string deep = new string('[', 100000) + new string(']', 100000);
            Assert.AreEqual(deep, Envelope.Unwrap("{\"ok\":true,\"data\":" + deep + "}"));
        }

        [Test]
        public void ErrorBecomesJdyExceptionWithEveryPart()
        {
            string envelope = "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"refused \\\"x\\\"\",\"retryable\":false,"
                + "\"errcode\":1000000004,\"description\":\"组合值与其他表单重复：手机号 13800138000 已存在\",\"description_cn\":\"签名错误\","
                + "\"http_status\":200}}";
            JdyException e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(envelope); });
            Assert.AreEqual(JdyErrorKind.Api, e.Kind);
            Assert.AreEqual("refused \"x\"", e.Message);
            Assert.AreEqual(1000000004L, e.ErrCode);
            Assert.AreEqual("组合值与其他表单重复：手机号 13800138000 已存在", e.Description);
            Assert.AreEqual("签名错误", e.DescriptionCn);
            Assert.AreEqual(200, e.HttpStatus);
            Assert.IsFalse(e.Retryable);
            Assert.IsFalse(e.OutcomeUnknown);
            Assert.AreEqual(0, e.Fields.Count);
            Assert.AreEqual(envelope, e.EnvelopeJson);
            StringAssert.Contains("errcode 1000000004", e.ToString());
        }

        [Test]
        public void ErrcodesBeyondInt32AndRetryable()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"server\",\"message\":\"m\",\"retryable\":true,\"errcode\":1030002006}}");
            });
            Assert.AreEqual(1030002006L, e.ErrCode);
            Assert.IsTrue(e.Retryable);
            Assert.IsNull(e.HttpStatus);
            Assert.IsNull(e.Description);
            Assert.IsNull(e.DescriptionCn);
            e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"retryable\":false,\"errcode\":9223372036854775807}}");
            });
            Assert.AreEqual(long.MaxValue, e.ErrCode);
            e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"retryable\":false,\"errcode\":-1}}");
            });
            Assert.AreEqual(-1L, e.ErrCode);
        }

        [Test]
        public void OutcomeUnknownIsReported()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"network\",\"message\":\"m\",\"retryable\":false,\"outcome_unknown\":true}}");
            });
            Assert.IsTrue(e.OutcomeUnknown);
            e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"network\",\"message\":\"m\",\"retryable\":true}}"); });
            Assert.IsFalse(e.OutcomeUnknown);
            Assert.IsTrue(e.Retryable);
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
            Assert.AreEqual("birthday", e.Fields[1].Field);
            Assert.AreEqual("不是日期", e.Fields[1].Message);
            Assert.Throws<NotSupportedException>(delegate { e.Fields.Add(new JdyFieldError("x", "y")); });
        }

        [Test]
        public void EscapesDecodeInErrorStrings()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"\\u4f1a\\u5458A \\ud83d\\ude00 \\\\ \\/ \\\"\",\"retryable\":false,"
                    + "\"description\":\"会员\\n不存在\"}}");
            });
            Assert.AreEqual("会员A \U0001F600 \\ / \"", e.Message);
            Assert.AreEqual("会员\n不存在", e.Description);
        }

        [Test]
        public void MembersTheWrapperDoesNotKnowAreIgnored()
        {
            // A later library may add keys to the error object; they must not break this wrapper.
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"server\",\"message\":\"m\",\"retryable\":true,"
                    + "\"http_status\":503,\"retry_after_ms\":1000,\"detail\":{\"a\":[1,{\"b\":null}]}}}");
            });
            Assert.AreEqual(JdyErrorKind.Server, e.Kind);
            Assert.AreEqual(503, e.HttpStatus);
        }

        [Test]
        public void EnvelopesNotOfTheGuaranteedShapeAreInternalErrors()
        {
            string[] broken =
            {
                "",
                "   ",
                "null",
                "[]",
                "{}",
                "{\"ok\":true}",
                "{\"ok\":true,\"data\":}",
                "{\"ok\":true,\"data\":{}",
                "{\"ok\":true,\"data\":,\"recovered\":true}",
                "{\"ok\":true,\"data\":{\"a\":\"}\"}",
                "{\"ok\":true,\"data\":[1}}",
                "{\"ok\":true,\"data\":{\"a\":[1}]}",
                "{\"ok\":true,\"data\":\"open}",
                "{\"ok\":true,\"data\":tru}",
                "{\"ok\":true,\"data\":1 }",
                "{\"ok\":true,\"data\":{}x}",
                "{\"ok\":true,\"data\":{},\"other\":{}}",
                "{\"ok\":true,\"data\":{},\"recovered\":false}",
                "{\"ok\":true,\"data\":{},\"recovered\":true,\"recovered\":true}",
                "{\"ok\":true,\"data\":{},\"references\":}",
                "{\"ok\":true,\"data\":{},\"references\":{}}",
                "{\"ok\":true,\"data\":{},\"references\":\"[]\"}",
                "{\"ok\":true,\"data\":{},\"references\":[{\"field\":\"shop\"}}",
                "{\"ok\":true,\"data\":{},\"references\":[\"]}",
                "{\"ok\":true,\"data\":{},\"references\":[],\"references\":[]}",
                "{\"ok\":true,\"data\":{},\"references\":[]x}",
                "{\"ok\":true,\"data\":{},\"references\":[],}",
                " {\"ok\":true,\"data\":1}",
                "{ \"ok\":true,\"data\":1}",
                "{\"data\":1,\"ok\":true}",
                "{\"ok\":\"yes\",\"data\":1}",
                "{'ok':true,'data':1}",
                "{\"ok\":false}",
                "{\"ok\":false,\"error\":\"text\"}",
                "{\"ok\":false,\"error\":{}}",
                "{\"ok\":false,\"error\":{\"kind\":\"api\"}}",
                "{\"ok\":false,\"error\":{\"message\":\"m\"}}",
                "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\"",
                "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"errcode\":\"12\"x}}",
                "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"errcode\":1.5}}",
                "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"errcode\":99999999999999999999}}",
                "{\"ok\":false,\"error\":{\"kind\":\"api\",\"message\":\"m\",\"fields\":\"mobile\"}}",
            };
            foreach (string text in broken)
            {
                JdyException e = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(text); }, "accepted: " + text);
                Assert.AreEqual(JdyErrorKind.Internal, e.Kind, text);
                Assert.AreEqual(text, e.EnvelopeJson);
                StringAssert.Contains("does not understand", e.Message);
                Assert.IsFalse(e.Retryable);
            }
            JdyException missing = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(null); });
            Assert.AreEqual(JdyErrorKind.Internal, missing.Kind);
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
        public void WrapperErrorsCarryAnEnvelopeOfTheSameShape()
        {
            JdyException e = Envelope.WrapperError(JdyErrorKind.InvalidArgument, "bad \"thing\"\n\u0001会员");
            Assert.AreEqual("bad \"thing\"\n\u0001会员", e.Message);
            StringAssert.StartsWith("{\"ok\":false,\"error\":{\"kind\":\"invalid_argument\",\"message\":", e.EnvelopeJson);
            JdyException again = Assert.Throws<JdyException>(delegate { Envelope.Unwrap(e.EnvelopeJson); });
            Assert.AreEqual(JdyErrorKind.InvalidArgument, again.Kind);
            Assert.AreEqual(e.Message, again.Message);
            Assert.IsFalse(again.Retryable);
        }

        [Test]
        public void ExceptionSurvivesSerialization()
        {
            JdyException e = Assert.Throws<JdyException>(delegate
            {
                Envelope.Unwrap("{\"ok\":false,\"error\":{\"kind\":\"validation\",\"message\":\"m\",\"retryable\":false,\"errcode\":7,"
                    + "\"description\":\"会员\",\"description_cn\":\"中文\",\"http_status\":200,\"outcome_unknown\":true,"
                    + "\"fields\":[{\"field\":\"name\",\"message\":\"必填\"}]}}");
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
                Assert.AreEqual("会员", copy.Description);
                Assert.AreEqual("中文", copy.DescriptionCn);
                Assert.AreEqual(200, copy.HttpStatus);
                Assert.IsTrue(copy.OutcomeUnknown);
                Assert.AreEqual("必填", copy.Fields[0].Message);
                Assert.AreEqual(e.EnvelopeJson, copy.EnvelopeJson);
            }
        }
    }
}
