// The README's example program (examples/SaveMemberExample.cs) runs as written.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class ExampleTests
    {
        [Test]
        public void ReadmeExampleSavesAndReadsBackMemberA()
        {
            string exe = Environment.GetEnvironmentVariable("JDY_TEST_EXAMPLE_EXE");
            Assert.IsTrue(!string.IsNullOrEmpty(exe) && File.Exists(exe), "JDY_TEST_EXAMPLE_EXE must name SaveMemberExample.exe (run-tests.sh sets it)");
            Sandbox.Reset();
            string configFile = Path.Combine(Path.GetTempPath(), "jdy-member-csharp-example-" + Guid.NewGuid().ToString("N") + ".json");
            File.WriteAllText(configFile, Sandbox.Config, new UTF8Encoding(false));
            try
            {
                Probe.Result result = Probe.Run(exe, "\"" + configFile + "\"", new Dictionary<string, string>());
                Assert.AreEqual(0, result.ExitCode, result.Output);
                StringAssert.Contains("saved: {", result.Output);
                StringAssert.Contains("\"name\":\"会员A\"", result.Output);
                Assert.AreEqual(1, Sandbox.Members().Length);

                File.WriteAllText(configFile, Sandbox.ConfigWith("client_secret", "wrong-client-secret-not-real"), new UTF8Encoding(false));
                Probe.Result refused = Probe.Run(exe, "\"" + configFile + "\"", new Dictionary<string, string>());
                Assert.AreEqual(1, refused.ExitCode, refused.Output);
                StringAssert.Contains("failed (auth)", refused.Output);
            }
            finally
            {
                File.Delete(configFile);
            }
        }
    }
}
