using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;

namespace Jdy.Member
{
    /// <summary>
    /// Takes the library's envelopes apart. Their shape is a guarantee of the C ABI
    /// (jdy_member.h): success is exactly <c>{"ok":true,"data":DATA}</c>, a save possibly adding
    /// <c>,"recovered":true</c> or <c>,"queued":true</c> before the closing brace; failure is
    /// <c>{"ok":false,"error":{...}}</c>. So success is decided by the prefix and <c>data</c> is
    /// cut out as text, never parsed (it comes back byte for byte as the library wrote it); only
    /// the error object is read, with the framework's DataContractJsonSerializer.
    /// </summary>
    internal static class Envelope
    {
        private const string OkPrefix = "{\"ok\":true,\"data\":";
        private const string FailurePrefix = "{\"ok\":false,\"error\":{";
        private const string RecoveredMark = ",\"recovered\":true";
        private const string QueuedMark = ",\"queued\":true";

        /// <summary>
        /// The exact text of <c>data</c>, or null when <c>data</c> is JSON null. Throws the
        /// envelope's error as a <see cref="JdyException"/>.
        /// </summary>
        internal static string Unwrap(string envelopeJson)
        {
            bool recovered;
            return Unwrap(envelopeJson, out recovered);
        }

        /// <summary>
        /// As <see cref="Unwrap(string)"/>; <paramref name="recovered"/> tells whether a success
        /// envelope ends with <c>"recovered":true</c> (a save whose answer was lost and whose
        /// member was then found stored exactly as sent).
        /// </summary>
        internal static string Unwrap(string envelopeJson, out bool recovered)
        {
            recovered = false;
            if (envelopeJson == null)
            {
                throw NotUnderstood(null, "it is missing (NULL)");
            }
            if (envelopeJson.StartsWith(OkPrefix, StringComparison.Ordinal))
            {
                if (!envelopeJson.EndsWith("}", StringComparison.Ordinal))
                {
                    throw NotUnderstood(envelopeJson, "it does not end with }");
                }
                // DATA is one complete JSON value: it ends with } ] " a digit or a literal, and
                // the only value that ends with `true` is the bare literal, which has no comma.
                // So DATA never ends with a mark, and taking one off the end cannot cut into it.
                string data = envelopeJson.Substring(OkPrefix.Length, envelopeJson.Length - OkPrefix.Length - 1);
                if (data.EndsWith(RecoveredMark, StringComparison.Ordinal))
                {
                    recovered = true;
                    data = data.Substring(0, data.Length - RecoveredMark.Length);
                }
                else if (data.EndsWith(QueuedMark, StringComparison.Ordinal))
                {
                    data = data.Substring(0, data.Length - QueuedMark.Length);
                }
                if (data.Length == 0)
                {
                    throw NotUnderstood(envelopeJson, "its \"data\" is empty");
                }
                // Not a parse, only a check that the cut fell on a value's edges.
                char first = data[0];
                char closer = first == '{' ? '}' : first == '[' ? ']' : first == '"' ? '"' : '\0';
                if (closer != '\0' && (data.Length < 2 || data[data.Length - 1] != closer))
                {
                    throw NotUnderstood(envelopeJson, "its \"data\" does not end as it begins");
                }
                return data == "null" ? null : data;
            }
            if (envelopeJson.StartsWith(FailurePrefix, StringComparison.Ordinal))
            {
                if (!envelopeJson.EndsWith("}}", StringComparison.Ordinal))
                {
                    throw NotUnderstood(envelopeJson, "it does not end with }}");
                }
                throw ToException(envelopeJson);
            }
            throw NotUnderstood(envelopeJson, "it begins with neither {\"ok\":true,\"data\": nor {\"ok\":false,\"error\":{");
        }

        /// <summary>The exception for a failure envelope.</summary>
        private static JdyException ToException(string envelopeJson)
        {
            ErrorContract error;
            try
            {
                DataContractJsonSerializer serializer = new DataContractJsonSerializer(typeof(FailureContract));
                using (MemoryStream stream = new MemoryStream(Encoding.UTF8.GetBytes(envelopeJson), false))
                {
                    FailureContract failure = (FailureContract)serializer.ReadObject(stream);
                    error = failure == null ? null : failure.Error;
                }
            }
            catch (Exception e)
            {
                // SerializationException for bad JSON; a FormatException or OverflowException for
                // a number of the wrong type or size, wrapped in a TargetInvocationException on Mono.
                Exception cause = e is System.Reflection.TargetInvocationException && e.InnerException != null ? e.InnerException : e;
                throw NotUnderstood(envelopeJson, "its error object could not be read (" + cause.GetType().Name + ": " + cause.Message + ")");
            }
            if (error == null || error.Kind == null || error.Message == null)
            {
                throw NotUnderstood(envelopeJson, "its error object has no \"kind\" or no \"message\"");
            }
            List<JdyFieldError> fields = new List<JdyFieldError>();
            if (error.Fields != null)
            {
                foreach (FieldContract field in error.Fields)
                {
                    if (field != null)
                    {
                        fields.Add(new JdyFieldError(field.Field, field.Message));
                    }
                }
            }
            return new JdyException(
                error.Kind,
                error.Message,
                error.ErrCode,
                error.Description,
                error.DescriptionCn,
                error.HttpStatus,
                error.Retryable == true,
                error.OutcomeUnknown == true,
                fields,
                envelopeJson);
        }

        /// <summary>An error raised by the wrapper itself, with the envelope the library would give.</summary>
        internal static JdyException WrapperError(string kind, string message)
        {
            string envelope = "{\"ok\":false,\"error\":{\"kind\":" + Quote(kind) + ",\"message\":" + Quote(message)
                + ",\"retryable\":false}}";
            return new JdyException(kind, message, null, null, null, null, false, false, null, envelope);
        }

        private static JdyException NotUnderstood(string envelopeJson, string why)
        {
            string message = "the native library returned an envelope this wrapper does not understand: " + why
                + "; the library and the wrapper may be of different versions";
            return new JdyException(JdyErrorKind.Internal, message, null, null, null, null, false, false, null, envelopeJson);
        }

        /// <summary>A JSON string literal for <paramref name="s"/> (for the wrapper's own envelopes).</summary>
        internal static string Quote(string s)
        {
            StringBuilder sb = new StringBuilder(s.Length + 2);
            sb.Append('"');
            foreach (char c in s)
            {
                switch (c)
                {
                    case '"': sb.Append("\\\""); break;
                    case '\\': sb.Append("\\\\"); break;
                    case '\n': sb.Append("\\n"); break;
                    case '\r': sb.Append("\\r"); break;
                    case '\t': sb.Append("\\t"); break;
                    default:
                        if (c < ' ')
                        {
                            sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                        }
                        else
                        {
                            sb.Append(c);
                        }
                        break;
                }
            }
            sb.Append('"');
            return sb.ToString();
        }

        // The failure envelope as DataContractJsonSerializer reads it: `ok` is decided by the
        // prefix already, so only `error` is declared; members not declared here (a later
        // library's additions) are skipped. Order is the library's fixed order, so that a
        // serializer that reads data contracts in declared order still sees every member.
        [DataContract]
        private sealed class FailureContract
        {
            [DataMember(Name = "error")]
            internal ErrorContract Error = null;
        }

        [DataContract]
        private sealed class ErrorContract
        {
            [DataMember(Name = "kind", Order = 0)]
            internal string Kind = null;

            [DataMember(Name = "message", Order = 1)]
            internal string Message = null;

            [DataMember(Name = "retryable", Order = 2)]
            internal bool? Retryable = null;

            [DataMember(Name = "errcode", Order = 3)]
            internal long? ErrCode = null;

            [DataMember(Name = "description", Order = 4)]
            internal string Description = null;

            [DataMember(Name = "description_cn", Order = 5)]
            internal string DescriptionCn = null;

            [DataMember(Name = "http_status", Order = 6)]
            internal int? HttpStatus = null;

            [DataMember(Name = "outcome_unknown", Order = 7)]
            internal bool? OutcomeUnknown = null;

            [DataMember(Name = "fields", Order = 8)]
            internal FieldContract[] Fields = null;
        }

        [DataContract]
        private sealed class FieldContract
        {
            [DataMember(Name = "field", Order = 0)]
            internal string Field = null;

            [DataMember(Name = "message", Order = 1)]
            internal string Message = null;
        }
    }
}
