// Helpers for the tests: the sandbox gateway started by run-tests.sh (its configuration, its
// unsigned /__sandbox/ controls, fault injection) and JSON through the framework's
// JavaScriptSerializer (System.Web.Extensions), which the wrapper itself does not use.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Text;
using System.Threading;
using System.Web.Script.Serialization;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    /// <summary>The sandbox gateway whose JSON line run-tests.sh wrote to $JDY_SANDBOX_FILE.</summary>
    internal static class Sandbox
    {
        /// <summary>The path of a save (POST) and of a list (GET).</summary>
        internal const string MemberPath = "/jdy/v2/ls/member";
        /// <summary>The path of a member's detail (GET).</summary>
        internal const string DetailPath = "/jdy/v2/ls/member_detail";

        private static readonly object Gate = new object();
        private static Dictionary<string, object> line;

        private static Dictionary<string, object> Line
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
                        line = Json.Object(File.ReadAllText(file, Encoding.UTF8).Trim());
                    }
                    return line;
                }
            }
        }

        internal static string BaseUrl
        {
            get { return (string)Line["base_url"]; }
        }

        /// <summary>
        /// Direct mode (client id/secret plus app key/secret/domain), with the token cache file
        /// and the client-side request budget turned off: each client fetches its own token and
        /// is not paced, and nothing is written under ~/.cache.
        /// </summary>
        internal static string Config
        {
            get { return ConfigWith(); }
        }

        /// <summary>Authorization mode (outer_instance_id), cache and budget off as in <see cref="Config"/>.</summary>
        internal static string ConfigOuter
        {
            get { return Json.Write(Quiet((Dictionary<string, object>)Line["config_outer"])); }
        }

        /// <summary>
        /// <see cref="Config"/> with some keys set (a C# null sets JSON null) or removed
        /// (<see cref="Json.Absent"/>).
        /// </summary>
        internal static string ConfigWith(params object[] keyValues)
        {
            Dictionary<string, object> config = Quiet((Dictionary<string, object>)Line["config"]);
            for (int i = 0; i < keyValues.Length; i += 2)
            {
                string key = (string)keyValues[i];
                if (keyValues[i + 1] == Json.Absent)
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

        private static Dictionary<string, object> Quiet(Dictionary<string, object> config)
        {
            Dictionary<string, object> copy = new Dictionary<string, object>(config);
            copy["token_cache_path"] = null;
            copy["request_budget"] = null;
            return copy;
        }

        /// <summary>Empties the store, clears faults and counters, restores the start-up switches.</summary>
        internal static void Reset()
        {
            Post("/__sandbox/reset", "");
        }

        /// <summary>Adds fault rules (one rule object or an array of them).</summary>
        internal static void Faults(string rules)
        {
            Dictionary<string, object> answer = Json.Object(Post("/__sandbox/faults", rules));
            Assert.AreEqual(true, answer["ok"], "fault rules refused: " + rules);
        }

        /// <summary>One fault rule for <paramref name="times"/> requests of one method and path.</summary>
        internal static void Fault(string method, string path, int times, string fault)
        {
            Faults("{\"method\":\"" + method + "\",\"path\":\"" + path + "\",\"times\":" + times + ",\"fault\":" + fault + "}");
        }

        internal static void ClearFaults()
        {
            Send("DELETE", "/__sandbox/faults", null);
        }

        /// <summary>Changes some behaviour switches (the others stay); returns them all.</summary>
        internal static Dictionary<string, object> Behaviour(string switches)
        {
            Dictionary<string, object> answer = Json.Object(Post("/__sandbox/behaviour", switches));
            Assert.AreEqual(true, answer["ok"], "behaviour refused: " + switches);
            return (Dictionary<string, object>)answer["behaviour"];
        }

        internal static Dictionary<string, object> Stats()
        {
            return Json.Object(Get("/__sandbox/stats"));
        }

        internal static long Stat(string name)
        {
            return Json.Int(Stats()[name]);
        }

        /// <summary>How many times the sandbox stored a member with this mobile (0 when never).</summary>
        internal static long SavesOf(string mobile)
        {
            Dictionary<string, object> saves = (Dictionary<string, object>)Stats()["saves_by_mobile"];
            object count;
            return saves.TryGetValue(mobile, out count) ? Json.Int(count) : 0;
        }

        /// <summary>How many requests answered with this HTTP status or errcode were counted (0 when none).</summary>
        internal static long Rejections(string key)
        {
            Dictionary<string, object> rejections = (Dictionary<string, object>)Stats()["rejections"];
            object count;
            return rejections.TryGetValue(key, out count) ? Json.Int(count) : 0;
        }

        /// <summary>Every stored member as the sandbox holds it (plaintext, save field names).</summary>
        internal static object[] Members()
        {
            return Json.Array(Get("/__sandbox/members"));
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
            try
            {
                using (HttpWebResponse response = (HttpWebResponse)request.GetResponse())
                {
                    return ReadBody(response);
                }
            }
            catch (WebException e)
            {
                HttpWebResponse response = e.Response as HttpWebResponse;
                if (response == null)
                {
                    throw;
                }
                using (response)
                {
                    Assert.Fail("sandbox control " + method + " " + path + " answered " + (int)response.StatusCode + ": " + ReadBody(response));
                    return null;
                }
            }
        }

        private static string ReadBody(HttpWebResponse response)
        {
            using (Stream stream = response.GetResponseStream())
            using (MemoryStream copy = new MemoryStream())
            {
                stream.CopyTo(copy);
                return Encoding.UTF8.GetString(copy.ToArray());
            }
        }
    }

    /// <summary>
    /// JSON for the tests, through JavaScriptSerializer: objects are Dictionary&lt;string, object&gt;,
    /// arrays object[], numbers int, long or decimal.
    /// </summary>
    internal static class Json
    {
        /// <summary>A marker for <see cref="Sandbox.ConfigWith"/>: remove the key.</summary>
        internal static readonly object Absent = new object();

        private static JavaScriptSerializer Serializer()
        {
            JavaScriptSerializer serializer = new JavaScriptSerializer();
            serializer.MaxJsonLength = int.MaxValue;
            return serializer;
        }

        internal static object Parse(string text)
        {
            return Serializer().DeserializeObject(text);
        }

        internal static Dictionary<string, object> Object(string text)
        {
            Dictionary<string, object> value = Parse(text) as Dictionary<string, object>;
            Assert.IsNotNull(value, "not a JSON object: " + text);
            return value;
        }

        internal static object[] Array(string text)
        {
            object[] value = Parse(text) as object[];
            Assert.IsNotNull(value, "not a JSON array: " + text);
            return value;
        }

        /// <summary>An integral JSON number as a long.</summary>
        internal static long Int(object number)
        {
            Assert.That(number is int || number is long, "not an integer: " + number);
            return Convert.ToInt64(number);
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
            return Serializer().Serialize(value);
        }
    }

    /// <summary>Fresh folders in the temporary folder (outbox files), removed by the test that made them.</summary>
    internal static class TempFolder
    {
        internal static string Create()
        {
            string folder = Path.Combine(Path.GetTempPath(), "jdy-member-csharp-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            return folder;
        }

        internal static void Delete(string folder)
        {
            if (folder != null && Directory.Exists(folder))
            {
                Directory.Delete(folder, true);
            }
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
                    Assert.Fail(Path.GetFileName(exePath) + " did not finish within 60 s");
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
