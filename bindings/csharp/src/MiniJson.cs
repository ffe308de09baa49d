// A small, strict JSON reader: just enough to take the library's envelopes apart.
//
// Why not a framework serializer: JavaScriptSerializer does not exist on .NET Core, and
// DataContractJsonSerializer (or JsonReaderWriterFactory) would turn `data` into objects and
// back, changing number formats and escapes. The wrapper hands `data` back as the exact text
// the library produced, so this reader records where each value starts and ends instead of
// re-serializing it. It accepts RFC 8259 JSON only and reports where the text is broken.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Jdy.Member
{
    /// <summary>A JSON number, kept as its original text so that nothing is rounded.</summary>
    internal sealed class JsonNumber
    {
        internal JsonNumber(string text)
        {
            Text = text;
        }

        /// <summary>The number exactly as written in the JSON text.</summary>
        internal string Text { get; private set; }

        /// <summary>The value as a 64-bit integer, or null when it is not an integer in range.</summary>
        internal long? AsInt64()
        {
            long value;
            if (long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value))
            {
                return value;
            }
            return null;
        }

        public override string ToString()
        {
            return Text;
        }
    }

    /// <summary>The text is not valid JSON.</summary>
    internal sealed class JsonFormatException : FormatException
    {
        internal JsonFormatException(string message, int position)
            : base(message + " at character " + position.ToString(CultureInfo.InvariantCulture))
        {
        }
    }

    /// <summary>
    /// Parses JSON text into Dictionary&lt;string, object&gt; (objects), List&lt;object&gt; (arrays),
    /// string, JsonNumber, bool and null; or only finds where a value starts and ends.
    /// </summary>
    internal sealed class MiniJson
    {
        private const int MaxDepth = 512;

        private readonly string text;
        private int pos;
        private int depth;

        private MiniJson(string text)
        {
            this.text = text;
        }

        /// <summary>Parses a whole JSON text (one value, surrounded by optional whitespace).</summary>
        internal static object Parse(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            MiniJson reader = new MiniJson(text);
            reader.SkipWhitespace();
            object value = reader.ReadValue();
            reader.SkipWhitespace();
            reader.ExpectEnd();
            return value;
        }

        /// <summary>
        /// Reads a top-level JSON object member by member: for each key, <paramref name="onMember"/>
        /// gets the key, the value's start index and its end index (exclusive) in
        /// <paramref name="text"/>. The whole text is checked to be valid JSON.
        /// </summary>
        internal static void ReadTopLevelMembers(string text, Action<string, int, int> onMember)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }
            MiniJson reader = new MiniJson(text);
            reader.SkipWhitespace();
            reader.Expect('{');
            reader.SkipWhitespace();
            if (reader.Peek() == '}')
            {
                reader.pos++;
            }
            else
            {
                while (true)
                {
                    reader.SkipWhitespace();
                    string key = reader.ReadString();
                    reader.SkipWhitespace();
                    reader.Expect(':');
                    reader.SkipWhitespace();
                    int start = reader.pos;
                    reader.SkipValue();
                    onMember(key, start, reader.pos);
                    reader.SkipWhitespace();
                    char c = reader.Next();
                    if (c == '}')
                    {
                        break;
                    }
                    if (c != ',')
                    {
                        throw reader.Error("expected ',' or '}' in an object", reader.pos - 1);
                    }
                }
            }
            reader.SkipWhitespace();
            reader.ExpectEnd();
        }

        private object ReadValue()
        {
            char c = Peek();
            switch (c)
            {
                case '{':
                    return ReadObject();
                case '[':
                    return ReadArray();
                case '"':
                    return ReadString();
                case 't':
                    ReadLiteral("true");
                    return true;
                case 'f':
                    ReadLiteral("false");
                    return false;
                case 'n':
                    ReadLiteral("null");
                    return null;
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        int start = pos;
                        SkipNumber();
                        return new JsonNumber(text.Substring(start, pos - start));
                    }
                    throw Error("expected a JSON value", pos);
            }
        }

        private void SkipValue()
        {
            char c = Peek();
            switch (c)
            {
                case '{':
                case '[':
                    SkipContainer();
                    return;
                case '"':
                    SkipString();
                    return;
                case 't':
                    ReadLiteral("true");
                    return;
                case 'f':
                    ReadLiteral("false");
                    return;
                case 'n':
                    ReadLiteral("null");
                    return;
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        SkipNumber();
                        return;
                    }
                    throw Error("expected a JSON value", pos);
            }
        }

        private Dictionary<string, object> ReadObject()
        {
            Enter();
            Expect('{');
            Dictionary<string, object> result = new Dictionary<string, object>(StringComparer.Ordinal);
            SkipWhitespace();
            if (Peek() == '}')
            {
                pos++;
                depth--;
                return result;
            }
            while (true)
            {
                SkipWhitespace();
                string key = ReadString();
                SkipWhitespace();
                Expect(':');
                SkipWhitespace();
                result[key] = ReadValue();
                SkipWhitespace();
                char c = Next();
                if (c == '}')
                {
                    depth--;
                    return result;
                }
                if (c != ',')
                {
                    throw Error("expected ',' or '}' in an object", pos - 1);
                }
            }
        }

        private List<object> ReadArray()
        {
            Enter();
            Expect('[');
            List<object> result = new List<object>();
            SkipWhitespace();
            if (Peek() == ']')
            {
                pos++;
                depth--;
                return result;
            }
            while (true)
            {
                SkipWhitespace();
                result.Add(ReadValue());
                SkipWhitespace();
                char c = Next();
                if (c == ']')
                {
                    depth--;
                    return result;
                }
                if (c != ',')
                {
                    throw Error("expected ',' or ']' in an array", pos - 1);
                }
            }
        }

        // Objects and arrays whose contents are not needed: validated, not built.
        private void SkipContainer()
        {
            char open = Peek();
            char close = open == '{' ? '}' : ']';
            Enter();
            pos++;
            SkipWhitespace();
            if (Peek() == close)
            {
                pos++;
                depth--;
                return;
            }
            while (true)
            {
                SkipWhitespace();
                if (open == '{')
                {
                    SkipString();
                    SkipWhitespace();
                    Expect(':');
                    SkipWhitespace();
                }
                SkipValue();
                SkipWhitespace();
                char c = Next();
                if (c == close)
                {
                    depth--;
                    return;
                }
                if (c != ',')
                {
                    throw Error(open == '{' ? "expected ',' or '}' in an object" : "expected ',' or ']' in an array", pos - 1);
                }
            }
        }

        private string ReadString()
        {
            Expect('"');
            StringBuilder sb = null;
            int runStart = pos;
            while (true)
            {
                if (pos >= text.Length)
                {
                    throw Error("unterminated string", pos);
                }
                char c = text[pos];
                if (c == '"')
                {
                    string tail = text.Substring(runStart, pos - runStart);
                    pos++;
                    if (sb == null)
                    {
                        return tail;
                    }
                    sb.Append(tail);
                    return sb.ToString();
                }
                if (c < ' ')
                {
                    throw Error("control character inside a string", pos);
                }
                if (c != '\\')
                {
                    pos++;
                    continue;
                }
                if (sb == null)
                {
                    sb = new StringBuilder();
                }
                sb.Append(text, runStart, pos - runStart);
                pos++;
                char e = Next();
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u': sb.Append(ReadHex4()); break;
                    default: throw Error("invalid escape in a string", pos - 1);
                }
                runStart = pos;
            }
        }

        private void SkipString()
        {
            Expect('"');
            while (true)
            {
                if (pos >= text.Length)
                {
                    throw Error("unterminated string", pos);
                }
                char c = text[pos++];
                if (c == '"')
                {
                    return;
                }
                if (c < ' ')
                {
                    throw Error("control character inside a string", pos - 1);
                }
                if (c == '\\')
                {
                    char e = Next();
                    if (e == 'u')
                    {
                        ReadHex4();
                    }
                    else if ("\"\\/bfnrt".IndexOf(e) < 0)
                    {
                        throw Error("invalid escape in a string", pos - 1);
                    }
                }
            }
        }

        private char ReadHex4()
        {
            if (pos + 4 > text.Length)
            {
                throw Error("truncated \\u escape", pos);
            }
            int value = 0;
            for (int i = 0; i < 4; i++)
            {
                char h = text[pos++];
                int digit;
                if (h >= '0' && h <= '9')
                {
                    digit = h - '0';
                }
                else if (h >= 'a' && h <= 'f')
                {
                    digit = h - 'a' + 10;
                }
                else if (h >= 'A' && h <= 'F')
                {
                    digit = h - 'A' + 10;
                }
                else
                {
                    throw Error("invalid hex digit in a \\u escape", pos - 1);
                }
                value = (value << 4) | digit;
            }
            // Surrogate pairs arrive as two escapes; each half is appended as it comes, which
            // rebuilds the pair in the UTF-16 string.
            return (char)value;
        }

        private void SkipNumber()
        {
            int start = pos;
            if (Peek() == '-')
            {
                pos++;
            }
            if (Peek() == '0')
            {
                pos++;
            }
            else if (IsDigit(Peek()))
            {
                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }
            else
            {
                throw Error("invalid number", start);
            }
            if (Peek() == '.')
            {
                pos++;
                if (!IsDigit(Peek()))
                {
                    throw Error("invalid number (no digit after '.')", start);
                }
                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }
            if (Peek() == 'e' || Peek() == 'E')
            {
                pos++;
                if (Peek() == '+' || Peek() == '-')
                {
                    pos++;
                }
                if (!IsDigit(Peek()))
                {
                    throw Error("invalid number (no digit in the exponent)", start);
                }
                while (IsDigit(Peek()))
                {
                    pos++;
                }
            }
        }

        private void ReadLiteral(string literal)
        {
            if (string.CompareOrdinal(text, pos, literal, 0, literal.Length) != 0)
            {
                throw Error("expected a JSON value", pos);
            }
            pos += literal.Length;
        }

        private void Enter()
        {
            if (++depth > MaxDepth)
            {
                throw Error("nested too deeply", pos);
            }
        }

        private static bool IsDigit(char c)
        {
            return c >= '0' && c <= '9';
        }

        // Returns '\0' at the end of the text; '\0' is never valid where Peek is used.
        private char Peek()
        {
            return pos < text.Length ? text[pos] : '\0';
        }

        private char Next()
        {
            if (pos >= text.Length)
            {
                throw Error("unexpected end of the text", pos);
            }
            return text[pos++];
        }

        private void Expect(char c)
        {
            if (pos >= text.Length || text[pos] != c)
            {
                throw Error("expected '" + c + "'", pos);
            }
            pos++;
        }

        private void ExpectEnd()
        {
            if (pos != text.Length)
            {
                throw Error("unexpected text after the JSON value", pos);
            }
        }

        private void SkipWhitespace()
        {
            while (pos < text.Length)
            {
                char c = text[pos];
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
                {
                    return;
                }
                pos++;
            }
        }

        private JsonFormatException Error(string message, int at)
        {
            return new JsonFormatException(message, at);
        }
    }
}
