using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Runtime.Serialization;

namespace Jdy.Member
{
    /// <summary>
    /// The values of <see cref="JdyException.Kind"/>: the library's error kinds, as in its README.
    /// </summary>
    public static class JdyErrorKind
    {
        /// <summary>A null argument, text that is not UTF-8 or not a JSON object, or input too large.</summary>
        public const string InvalidArgument = "invalid_argument";
        /// <summary>A member or query broke a field rule; <see cref="JdyException.Fields"/> lists every one.</summary>
        public const string Validation = "validation";
        /// <summary>The configuration is incomplete or wrong.</summary>
        public const string Config = "config";
        /// <summary>The gateway refused the credentials, signature, token or app secret.</summary>
        public const string Auth = "auth";
        /// <summary>Kingdee refused the call with a business errcode.</summary>
        public const string Api = "api";
        /// <summary>HTTP 429: slow down and try again.</summary>
        public const string RateLimited = "rate_limited";
        /// <summary>HTTP 5xx, gateway unavailable, Kingdee system error, or an answer that is not understood.</summary>
        public const string Server = "server";
        /// <summary>Connection refused or reset, DNS or TLS failure.</summary>
        public const string Network = "network";
        /// <summary>The configured timeout ran out.</summary>
        public const string Timeout = "timeout";
        /// <summary>A bug in jdy-member (or in this wrapper), caught.</summary>
        public const string Internal = "internal";
    }

    /// <summary>One invalid field of a member or query (kind <c>validation</c>).</summary>
    [Serializable]
    public sealed class JdyFieldError
    {
        /// <summary>Creates a field error.</summary>
        public JdyFieldError(string field, string message)
        {
            Field = field;
            Message = message;
        }

        /// <summary>The API name of the field, e.g. <c>mobile</c>.</summary>
        public string Field { get; private set; }

        /// <summary>What is wrong with it and how to correct it (English).</summary>
        public string Message { get; private set; }

        /// <inheritdoc />
        public override string ToString()
        {
            return Field + ": " + Message;
        }
    }

    /// <summary>
    /// An operation failed. Everything comes from the library's error envelope, unchanged:
    /// <see cref="Exception.Message"/> is the library's English message (what to do),
    /// <see cref="Description"/> Kingdee's own text (often Chinese).
    /// </summary>
    [Serializable]
    public class JdyException : Exception
    {
        private static readonly IList<JdyFieldError> NoFields =
            new ReadOnlyCollection<JdyFieldError>(new JdyFieldError[0]);

        /// <summary>Creates an exception with every part of an error envelope.</summary>
        public JdyException(
            string kind,
            string message,
            long? errCode,
            string description,
            string descriptionCn,
            int? httpStatus,
            bool retryable,
            bool outcomeUnknown,
            IList<JdyFieldError> fields,
            string envelopeJson)
            : base(message)
        {
            OutcomeUnknown = outcomeUnknown;
            Kind = kind;
            ErrCode = errCode;
            Description = description;
            DescriptionCn = descriptionCn;
            HttpStatus = httpStatus;
            Retryable = retryable;
            Fields = fields == null || fields.Count == 0
                ? NoFields
                : new ReadOnlyCollection<JdyFieldError>(new List<JdyFieldError>(fields));
            EnvelopeJson = envelopeJson;
        }

        /// <summary>Deserialization (remoting, AppDomains on .NET Framework).</summary>
        protected JdyException(SerializationInfo info, StreamingContext context)
            : base(info, context)
        {
            Kind = info.GetString("Kind");
            ErrCode = (long?)info.GetValue("ErrCode", typeof(long?));
            Description = info.GetString("Description");
            DescriptionCn = info.GetString("DescriptionCn");
            HttpStatus = (int?)info.GetValue("HttpStatus", typeof(int?));
            Retryable = info.GetBoolean("Retryable");
            OutcomeUnknown = info.GetBoolean("OutcomeUnknown");
            JdyFieldError[] fields = (JdyFieldError[])info.GetValue("Fields", typeof(JdyFieldError[]));
            Fields = fields == null || fields.Length == 0 ? NoFields : new ReadOnlyCollection<JdyFieldError>(fields);
            EnvelopeJson = info.GetString("EnvelopeJson");
        }

        /// <summary>The error kind: one of the <see cref="JdyErrorKind"/> constants.</summary>
        public string Kind { get; private set; }

        /// <summary>Kingdee's errcode (gateway 4001-5007, business codes such as 2000002000), when there is one.</summary>
        public long? ErrCode { get; private set; }

        /// <summary>Kingdee's own description, untouched (often Chinese), when there is one.</summary>
        public string Description { get; private set; }

        /// <summary>The Chinese description the gateway adds to its rejections, when there is one.</summary>
        public string DescriptionCn { get; private set; }

        /// <summary>The HTTP status of the answer, whenever an answer arrived (519 for gateway rejections).</summary>
        public int? HttpStatus { get; private set; }

        /// <summary>True when the same call may succeed later (network, timeout, rate limit, server).</summary>
        public bool Retryable { get; private set; }

        /// <summary>
        /// True when a save may or may not have been stored (its answer was lost and the library
        /// could not look the member up before its deadline). Not retryable as such: look the
        /// member up by mobile (<see cref="JdyClient.GetMember"/>) before saving it again.
        /// </summary>
        public bool OutcomeUnknown { get; private set; }

        /// <summary>For kind <c>validation</c>, every invalid field; otherwise empty. Never null.</summary>
        public IList<JdyFieldError> Fields { get; private set; }

        /// <summary>The library's whole error envelope as JSON text (for logs and support).</summary>
        public string EnvelopeJson { get; private set; }

        /// <inheritdoc />
        public override void GetObjectData(SerializationInfo info, StreamingContext context)
        {
            base.GetObjectData(info, context);
            info.AddValue("Kind", Kind);
            info.AddValue("ErrCode", ErrCode, typeof(long?));
            info.AddValue("Description", Description);
            info.AddValue("DescriptionCn", DescriptionCn);
            info.AddValue("HttpStatus", HttpStatus, typeof(int?));
            info.AddValue("Retryable", Retryable);
            info.AddValue("OutcomeUnknown", OutcomeUnknown);
            JdyFieldError[] fields = new JdyFieldError[Fields.Count];
            Fields.CopyTo(fields, 0);
            info.AddValue("Fields", fields, typeof(JdyFieldError[]));
            info.AddValue("EnvelopeJson", EnvelopeJson);
        }

        /// <summary>The kind, the message, and Kingdee's errcode and description when present.</summary>
        public override string ToString()
        {
            string text = GetType().FullName + " (" + Kind + "): " + Message;
            if (ErrCode.HasValue)
            {
                text += " [errcode " + ErrCode.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) + (Description != null ? ": " + Description : "") + "]";
            }
            if (StackTrace != null)
            {
                text += Environment.NewLine + StackTrace;
            }
            return text;
        }
    }
}
