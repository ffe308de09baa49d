// Helpers for the tests: the sandbox gateway started by run-tests.sh, a tiny JSON writer, and a
// fake gateway on loopback for the failures the sandbox does not produce (5xx, 429, silence).

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    /// <summary>The sandbox gateway whose JSON line run-tests.sh wrote to $JDY_SANDBOX_FILE.</summary>
    internal static class Sandbox
    {
        private static readonly object Gate = new object();
        private static string line;

        private static string Line
        {
            get
            {
                lock (Gate)
                {
                    if (line == null)
                    {
                        string file = Environment.GetEnvironmentVariable("JDY_SANDBOX_FILE");
                        if (string.IsNullOrEmpty(file) || !File.Exists(file))
                        {
                            Assert.Fail("JDY_SANDBOX_FILE must name the file holding the JSON line of `jdy-member sandbox --port 0`; run bindings/csharp/run-tests.sh");
                        }
                        line = File.ReadAllText(file, Encoding.UTF8).Trim();
                    }
                    return line;
                }
            }
        }

        /// <summary>The raw JSON text of one member of the sandbox line.</summary>
        private static string Raw(string key)
        {
            string text = Line;
            string found = null;
            MiniJson.ReadTopLevelMembers(text, delegate(string k, int start, int end)
            {
                if (k == key)
                {
                    found = text.Substring(start, end - start);
                }
            });
            Assert.IsNotNull(found, "the sandbox line has no " + key);
            return found;
        }

        internal static string BaseUrl
        {
            get { return (string)MiniJson.Parse(Raw("base_url")); }
        }

        /// <summary>Direct mode: client id/secret plus app key/secret/domain.</summary>
        internal static string Config
        {
            get { return Raw("config"); }
        }

        /// <summary>Authorization mode: outer_instance_id.</summary>
        internal static string ConfigOuter
        {
            get { return Raw("config_outer"); }
        }

        /// <summary>The direct-mode configuration with some keys replaced (or removed with a null value).</summary>
        internal static string ConfigWith(params object[] keyValues)
        {
            Dictionary<string, object> config = Json.Object(Config);
            for (int i = 0; i < keyValues.Length; i += 2)
            {
                string key = (string)keyValues[i];
                if (keyValues[i + 1] == null)
                {
                    config.Remove(key);
                }
                else
                {
                    config[key] = keyValues[i + 1];
                }
            }
            return Json.Write(config);
        }

        internal static void Reset()
        {
            Post("/__sandbox/reset", "");
        }

        internal static Dictionary<string, object> Stats()
        {
            return Json.Object(Get("/__sandbox/stats"));
        }

        internal static long Stat(string name)
        {
            return ((JsonNumber)Stats()[name]).AsInt64().Value;
        }

        /// <summary>Every stored member, as the sandbox's raw JSON text.</summary>
        internal static string MembersJson()
        {
            return Get("/__sandbox/members");
        }

        internal static string Get(string path)
        {
            return Send("GET", path, null);
        }

        internal static string Post(string path, string body)
        {
            return Send("POST", path, body);
        }

        internal static string Send(string method, string path, string body)
        {
            HttpWebRequest request = (HttpWebRequest)WebRequest.Create(BaseUrl + path);
            request.Method = method;
            request.Proxy = null;
            request.KeepAlive = false;
            request.Timeout = 10000;
            if (body != null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(body);
                request.ContentType = "application/json";
                request.ContentLength = bytes.Length;
                using (Stream stream = request.GetRequestStream())
                {
                    stream.Write(bytes, 0, bytes.Length);
                }
            }
            using (HttpWebResponse response = (HttpWebResponse)request.GetResponse())
            using (Stream stream = response.GetResponseStream())
            using (MemoryStream copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                return Encoding.UTF8.GetString(copy.ToArray());
            }
        }
    }

    /// <summary>JSON for the tests: reading through the wrapper's reader, and a small writer.</summary>
    internal static class Json
    {
        internal static Dictionary<string, object> Object(string text)
        {
            Dictionary<string, object> value = MiniJson.Parse(text) as Dictionary<string, object>;
            Assert.IsNotNull(value, "not a JSON object: " + text);
            return value;
        }

        internal static List<object> Array(string text)
        {
            List<object> value = MiniJson.Parse(text) as List<object>;
            Assert.IsNotNull(value, "not a JSON array: " + text);
            return value;
        }

        internal static long Int(object number)
        {
            Assert.IsInstanceOf<JsonNumber>(number);
            return ((JsonNumber)number).AsInt64().Value;
        }

        /// <summary>An object from alternating keys and values.</summary>
        internal static string Obj(params object[] keyValues)
        {
            Dictionary<string, object> obj = new Dictionary<string, object>();
            for (int i = 0; i < keyValues.Length; i += 2)
            {
                obj[(string)keyValues[i]] = keyValues[i + 1];
            }
            return Write(obj);
        }

        internal static string Write(object value)
        {
            StringBuilder sb = new StringBuilder();
            Write(sb, value);
            return sb.ToString();
        }

        private static void Write(StringBuilder sb, object value)
        {
            if (value == null)
            {
                sb.Append("null");
            }
            else if (value is string)
            {
                sb.Append(Envelope.Quote((string)value));
            }
            else if (value is bool)
            {
                sb.Append((bool)value ? "true" : "false");
            }
            else if (value is JsonNumber)
            {
                sb.Append(((JsonNumber)value).Text);
            }
            else if (value is int || value is long)
            {
                sb.Append(Convert.ToInt64(value).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            else if (value is Dictionary<string, object>)
            {
                sb.Append('{');
                bool first = true;
                foreach (KeyValuePair<string, object> pair in (Dictionary<string, object>)value)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    sb.Append(Envelope.Quote(pair.Key)).Append(':');
                    Write(sb, pair.Value);
                }
                sb.Append('}');
            }
            else if (value is System.Collections.IEnumerable)
            {
                sb.Append('[');
                bool first = true;
                foreach (object item in (System.Collections.IEnumerable)value)
                {
                    if (!first)
                    {
                        sb.Append(',');
                    }
                    first = false;
                    Write(sb, item);
                }
                sb.Append(']');
            }
            else
            {
                throw new ArgumentException("cannot write " + value.GetType());
            }
        }
    }

    /// <summary>
    /// A loopback HTTP server that answers every request with one fixed raw answer, or never
    /// answers (answer null). Bounded: it stops when disposed.
    /// </summary>
    internal sealed class FakeGateway : IDisposable
    {
        private readonly TcpListener listener;
        private readonly string answer;
        private readonly Thread thread;
        private readonly List<TcpClient> open = new List<TcpClient>();
        private volatile bool stopping;
        private int requests;

        internal FakeGateway(string rawAnswer)
        {
            answer = rawAnswer;
            listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            thread = new Thread(Serve);
            thread.IsBackground = true;
            thread.Start();
        }

        internal string BaseUrl
        {
            get { return "http://127.0.0.1:" + ((IPEndPoint)listener.LocalEndpoint).Port; }
        }

        internal int Requests
        {
            get { return Thread.VolatileRead(ref requests); }
        }

        /// <summary>A configuration (direct mode, sandbox credentials) that points at this server.</summary>
        internal string Config(int timeoutMs)
        {
            return Sandbox.ConfigWith("base_url", BaseUrl, "timeout_ms", timeoutMs, "connect_timeout_ms", timeoutMs);
        }

        private void Serve()
        {
            while (!stopping)
            {
                TcpClient client;
                try
                {
                    client = listener.AcceptTcpClient();
                }
                catch (Exception)
                {
                    return; // stopped
                }
                lock (open)
                {
                    open.Add(client);
                }
                Thread worker = new Thread(delegate() { Answer(client); });
                worker.IsBackground = true;
                worker.Start();
            }
        }

        private void Answer(TcpClient client)
        {
            try
            {
                NetworkStream stream = client.GetStream();
                stream.ReadTimeout = 5000;
                ReadRequest(stream);
                Interlocked.Increment(ref requests);
                if (answer == null)
                {
                    while (!stopping)
                    {
                        Thread.Sleep(20); // silence until the client gives up
                    }
                    return;
                }
                byte[] bytes = Encoding.UTF8.GetBytes(answer);
                stream.Write(bytes, 0, bytes.Length);
                stream.Flush();
            }
            catch (Exception)
            {
                // the client hung up: fine
            }
            finally
            {
                client.Close();
            }
        }

        private static void ReadRequest(NetworkStream stream)
        {
            MemoryStream head = new MemoryStream();
            int matched = 0;
            byte[] end = { 13, 10, 13, 10 };
            while (matched < 4)
            {
                int b = stream.ReadByte();
                if (b < 0)
                {
                    return;
                }
                head.WriteByte((byte)b);
                matched = b == end[matched] ? matched + 1 : (b == 13 ? 1 : 0);
            }
            string headers = Encoding.ASCII.GetString(head.ToArray());
            foreach (string headerLine in headers.Split(new[] { "\r\n" }, StringSplitOptions.None))
            {
                if (headerLine.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
                {
                    int length = int.Parse(headerLine.Substring(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    byte[] body = new byte[length];
                    int read = 0;
                    while (read < length)
                    {
                        int n = stream.Read(body, read, length - read);
                        if (n <= 0)
                        {
                            return;
                        }
                        read += n;
                    }
                }
            }
        }

        public void Dispose()
        {
            stopping = true;
            listener.Stop();
            lock (open)
            {
                foreach (TcpClient client in open)
                {
                    client.Close();
                }
            }
            thread.Join(5000);
        }

        /// <summary>A raw HTTP/1.1 answer with a body, closing the connection.</summary>
        internal static string HttpAnswer(int status, string reason, string contentType, string body)
        {
            int length = Encoding.UTF8.GetByteCount(body);
            return "HTTP/1.1 " + status + " " + reason + "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + length
                + "\r\nConnection: close\r\n\r\n" + body;
        }
    }

    /// <summary>Runs a program (LoaderProbe.exe, the example) in a fresh Mono process with a chosen environment.</summary>
    internal static class Probe
    {
        internal sealed class Result
        {
            internal int ExitCode;
            internal string Output;
        }

        internal static Result Run(string exePath, IDictionary<string, string> environment)
        {
            return Run(exePath, "", environment);
        }

        internal static Result Run(string exePath, string arguments, IDictionary<string, string> environment)
        {
            string runtime = "mono";
            try
            {
                string self = Process.GetCurrentProcess().MainModule.FileName;
                if (!string.IsNullOrEmpty(self) && Path.GetFileName(self).StartsWith("mono", StringComparison.Ordinal))
                {
                    runtime = self;
                }
            }
            catch (Exception)
            {
            }
            ProcessStartInfo info = new ProcessStartInfo(runtime, "\"" + exePath + "\" " + arguments);
            info.UseShellExecute = false;
            info.RedirectStandardOutput = true;
            info.RedirectStandardError = true;
            info.StandardOutputEncoding = Encoding.UTF8;
            info.StandardErrorEncoding = Encoding.UTF8;
            info.EnvironmentVariables.Remove("JDY_MEMBER_LIB");
            info.EnvironmentVariables.Remove("LD_LIBRARY_PATH");
            info.EnvironmentVariables.Remove("MONO_PATH");
            // Mono writes the console in the locale's encoding: UTF-8, whatever the caller had.
            info.EnvironmentVariables["LANG"] = "C.UTF-8";
            info.EnvironmentVariables.Remove("LC_ALL");
            foreach (KeyValuePair<string, string> pair in environment)
            {
                info.EnvironmentVariables[pair.Key] = pair.Value;
            }
            using (Process process = Process.Start(info))
            {
                string stderr = null;
                Thread errReader = new Thread(delegate() { stderr = process.StandardError.ReadToEnd(); });
                errReader.Start();
                string stdout = process.StandardOutput.ReadToEnd();
                if (!process.WaitForExit(60000))
                {
                    process.Kill();
                    Assert.Fail("LoaderProbe.exe did not finish within 60 s");
                }
                errReader.Join();
                Result result = new Result();
                result.ExitCode = process.ExitCode;
                result.Output = stdout + stderr;
                return result;
            }
        }
    }
}
