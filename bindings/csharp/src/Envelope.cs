using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.Serialization;
using System.Runtime.Serialization.Json;
using System.Text;

namespace Jdy.Member
{
    /// <summary>
    /// The marks that may follow <c>data</c> in a success envelope: <c>,"recovered":true</c> and
    /// <c>,"queued":true</c> (a save), <c>,"references":[...]</c> (a validation).
    /// </summary>
    internal struct EnvelopeMarks
    {
        /// <summary>A save's answer was lost and the member was found stored as sent.</summary>
        internal bool Recovered;

        /// <summary>A save was kept in the outbox instead of sent (<c>"offline": "queue"</c>).</summary>
        internal bool Queued;

        /// <summary>The exact text of the <c>references</c> array, or null when there is none.</summary>
        internal string References;
    }

    /// <summary>
    /// Takes the library's envelopes apart. Their shape is a guarantee of the C ABI
    /// (jdy_member.h): success is <c>{"ok":true,"data":DATA}</c>, a save possibly adding
    /// <c>,"recovered":true</c> or <c>,"queued":true</c> and a validation
    /// <c>,"references":[...]</c> before the closing brace; failure is
    /// <c>{"ok":false,"error":{...}}</c>. So success is decided by the prefix and <c>data</c> is
    /// cut out as text, never parsed (it comes back byte for byte as the library wrote it): the
    /// wrapper only finds where that one JSON value ends, by its brackets and quotes. Only the
    /// error object is read, with the framework's DataContractJsonSerializer.
    /// </summary>
    internal static class Envelope
    {
        private const string OkPrefix = "{\"ok\":true,\"data\":";
        private const string FailurePrefix = "{\"ok\":false,\"error\":{";
        private const string RecoveredMark = ",\"recovered\":true";
        private const string QueuedMark = ",\"queued\":true";
        private const string ReferencesKey = ",\"references\":";

        /// <summary>
        /// The exact text of <c>data</c>, or null when <c>data</c> is JSON null. Throws the
        /// envelope's error as a <see cref="JdyException"/>.
        /// </summary>
        internal static string Unwrap(string envelopeJson)
        {
            EnvelopeMarks marks;
            return Unwrap(envelopeJson, out marks);
        }

        /// <summary>
        /// As <see cref="Unwrap(string)"/>; <paramref name="recovered"/> tells whether a success
        /// envelope ends with <c>"recovered":true</c> (a save whose answer was lost and whose
        /// member was then found stored exactly as sent).
        /// </summary>
        internal static string Unwrap(string envelopeJson, out bool recovered)
        {
            EnvelopeMarks marks;
            string data = Unwrap(envelopeJson, out marks);
            recovered = marks.Recovered;
            return data;
        }

        /// <summary>
        /// As <see cref="Unwrap(string)"/>; <paramref name="marks"/> holds what followed
        /// <c>data</c> in a success envelope.
        /// </summary>
        internal static string Unwrap(string envelopeJson, out EnvelopeMarks marks)
        {
            marks = new EnvelopeMarks();
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
                // Everything between the prefix and the final brace: DATA, then the marks.
                int last = envelopeJson.Length - 1;
                int dataEnd = ValueEnd(envelopeJson, OkPrefix.Length, last);
                if (dataEnd < 0)
                {
                    throw NotUnderstood(envelopeJson, OkPrefix.Length == last
                        ? "its \"data\" is empty"
                        : "its \"data\" is not one complete JSON value");
                }
                string data = envelopeJson.Substring(OkPrefix.Length, dataEnd - OkPrefix.Length);
                ReadMarks(envelopeJson, dataEnd, last, ref marks);
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

        /// <summary>
        /// Reads the marks between the end of DATA (<paramref name="at"/>) and the final brace
        /// (<paramref name="last"/>): each known mark at most once, nothing else.
        /// </summary>
        private static void ReadMarks(string envelopeJson, int at, int last, ref EnvelopeMarks marks)
        {
            while (at < last)
            {
                if (!marks.Recovered && At(envelopeJson, at, last, RecoveredMark))
                {
                    marks.Recovered = true;
                    at += RecoveredMark.Length;
                }
                else if (!marks.Queued && At(envelopeJson, at, last, QueuedMark))
                {
                    marks.Queued = true;
                    at += QueuedMark.Length;
                }
                else if (marks.References == null && At(envelopeJson, at, last, ReferencesKey))
                {
                    int start = at + ReferencesKey.Length;
                    int end = start < last && envelopeJson[start] == '[' ? ValueEnd(envelopeJson, start, last) : -1;
                    if (end < 0)
                    {
                        throw NotUnderstood(envelopeJson, "its \"references\" is not one complete JSON array");
                    }
                    marks.References = envelopeJson.Substring(start, end - start);
                    at = end;
                }
                else
                {
                    throw NotUnderstood(envelopeJson, "after its \"data\" comes something other than the "
                        + "\"recovered\", \"queued\" and \"references\" marks, each at most once");
                }
            }
        }

        /// <summary>Whether <paramref name="text"/> holds <paramref name="mark"/> at <paramref name="at"/>, before <paramref name="limit"/>.</summary>
        private static bool At(string text, int at, int limit, string mark)
        {
            return at + mark.Length <= limit && string.CompareOrdinal(text, at, mark, 0, mark.Length) == 0;
        }

        /// <summary>
        /// Where the JSON value that begins at <paramref name="start"/> ends (the index after its
        /// last character), looking no further than <paramref name="limit"/> (exclusive); -1 when
        /// no complete value begins there. Not a parse: it follows only quotes (with their
        /// backslash escapes) and brackets (each closed by its own kind), without recursion, so
        /// that data of any depth is found; a number or literal runs to the next , } or ].
        /// </summary>
        internal static int ValueEnd(string text, int start, int limit)
        {
            if (start >= limit)
            {
                return -1;
            }
            char first = text[start];
            if (first == '"')
            {
                return StringEnd(text, start, limit);
            }
            if (first == '{' || first == '[')
            {
                // The closers still expected, innermost last.
                char[] open = new char[16];
                int depth = 0;
                int i = start;
                while (i < limit)
                {
                    char c = text[i];
                    if (c == '"')
                    {
                        i = StringEnd(text, i, limit);
                        if (i < 0)
                        {
                            return -1;
                        }
                        continue;
                    }
                    if (c == '{' || c == '[')
                    {
                        if (depth == open.Length)
                        {
                            Array.Resize(ref open, open.Length * 2);
                        }
                        open[depth++] = c == '{' ? '}' : ']';
                    }
                    else if (c == '}' || c == ']')
                    {
                        if (depth == 0 || open[depth - 1] != c)
                        {
                            return -1;
                        }
                        depth--;
                        if (depth == 0)
                        {
                            return i + 1;
                        }
                    }
                    i++;
                }
                return -1;
            }
            int end = start;
            while (end < limit && text[end] != ',' && text[end] != '}' && text[end] != ']')
            {
                end++;
            }
            string token = text.Substring(start, end - start);
            bool literal = token == "true" || token == "false" || token == "null";
            bool number = first == '-' || (first >= '0' && first <= '9');
            for (int k = 0; number && k < token.Length; k++)
            {
                char c = token[k];
                number = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
            }
            return literal || number ? end : -1;
        }

        /// <summary>The index after the closing quote of the string that begins at <paramref name="start"/>, or -1.</summary>
        private static int StringEnd(string text, int start, int limit)
        {
            for (int i = start + 1; i < limit; i++)
            {
                char c = text[i];
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    return i + 1;
                }
            }
            return -1;
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
