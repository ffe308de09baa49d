using System;
using System.Collections.Generic;

namespace Jdy.Member
{
    /// <summary>
    /// Takes the library's envelopes apart: <c>{"ok":true,"data":...}</c> gives the raw text of
    /// <c>data</c>, <c>{"ok":false,"error":{...}}</c> a <see cref="JdyException"/>.
    /// </summary>
    internal static class Envelope
    {
        /// <summary>
        /// The exact text of <c>data</c> (byte for byte what the library wrote, once decoded from
        /// UTF-8), or null when <c>data</c> is JSON null or absent. Throws the envelope's error.
        /// </summary>
        internal static string Unwrap(string envelopeJson)
        {
            bool recovered;
            return Unwrap(envelopeJson, out recovered);
        }

        /// <summary>
        /// As <see cref="Unwrap(string)"/>; <paramref name="recovered"/> tells whether a success
        /// envelope carries <c>"recovered": true</c> (a save whose answer was lost and whose member
        /// was then found stored exactly as sent).
        /// </summary>
        internal static string Unwrap(string envelopeJson, out bool recovered)
        {
            bool? ok = null;
            bool wasRecovered = false;
            int dataStart = -1;
            int dataEnd = -1;
            int errorStart = -1;
            int errorEnd = -1;
            try
            {
                MiniJson.ReadTopLevelMembers(envelopeJson, delegate(string key, int start, int end)
                {
                    switch (key)
                    {
                        case "ok":
                            string literal = envelopeJson.Substring(start, end - start);
                            ok = literal == "true" ? true : literal == "false" ? (bool?)false : null;
                            break;
                        case "data":
                            dataStart = start;
                            dataEnd = end;
                            break;
                        case "error":
                            errorStart = start;
                            errorEnd = end;
                            break;
                        case "recovered":
                            wasRecovered = envelopeJson.Substring(start, end - start) == "true";
                            break;
                    }
                });
            }
            catch (FormatException e)
            {
                throw NotUnderstood(envelopeJson, "it is not valid JSON (" + e.Message + ")");
            }
            recovered = false;
            if (ok == true)
            {
                recovered = wasRecovered;
                if (dataStart < 0)
                {
                    return null;
                }
                string data = envelopeJson.Substring(dataStart, dataEnd - dataStart);
                return data == "null" ? null : data;
            }
            if (ok == false && errorStart >= 0)
            {
                Dictionary<string, object> error =
                    MiniJson.Parse(envelopeJson.Substring(errorStart, errorEnd - errorStart)) as Dictionary<string, object>;
                if (error != null)
                {
                    throw ToException(error, envelopeJson);
                }
            }
            throw NotUnderstood(envelopeJson, "it has neither \"ok\":true nor \"ok\":false with an \"error\" object");
        }

        /// <summary>The exception for an error object (the value of <c>error</c>).</summary>
        internal static JdyException ToException(Dictionary<string, object> error, string envelopeJson)
        {
            string kind = Text(error, "kind") ?? JdyErrorKind.Internal;
            string message = Text(error, "message") ?? "the library reported an error of kind " + kind + " without a message";
            long? errCode = Integer(error, "errcode");
            long? status = Integer(error, "http_status");
            int? httpStatus = status.HasValue && status.Value >= int.MinValue && status.Value <= int.MaxValue
                ? (int?)status.Value
                : null;
            object retryable;
            error.TryGetValue("retryable", out retryable);
            object outcomeUnknown;
            error.TryGetValue("outcome_unknown", out outcomeUnknown);
            List<JdyFieldError> fields = new List<JdyFieldError>();
            object rawFields;
            if (error.TryGetValue("fields", out rawFields) && rawFields is List<object>)
            {
                foreach (object item in (List<object>)rawFields)
                {
                    Dictionary<string, object> field = item as Dictionary<string, object>;
                    if (field != null)
                    {
                        fields.Add(new JdyFieldError(Text(field, "field"), Text(field, "message")));
                    }
                }
            }
            return new JdyException(
                kind,
                message,
                errCode,
                Text(error, "description"),
                Text(error, "description_cn"),
                httpStatus,
                retryable is bool && (bool)retryable,
                outcomeUnknown is bool && (bool)outcomeUnknown,
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

        private static string Text(Dictionary<string, object> obj, string key)
        {
            object value;
            return obj.TryGetValue(key, out value) ? value as string : null;
        }

        private static long? Integer(Dictionary<string, object> obj, string key)
        {
            object value;
            if (obj.TryGetValue(key, out value) && value is JsonNumber)
            {
                return ((JsonNumber)value).AsInt64();
            }
            return null;
        }

        /// <summary>A JSON string literal for <paramref name="s"/>.</summary>
        internal static string Quote(string s)
        {
            System.Text.StringBuilder sb = new System.Text.StringBuilder(s.Length + 2);
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
    }
}
