// Library lookup, each case in a fresh Mono process (LoaderProbe.exe): JDY_MEMBER_LIB, the file
// next to Jdy.Member.dll, the NuGet layout runtimes/<rid>/native/, and a clear failure when the
// library is nowhere. LD_LIBRARY_PATH is never set, so these exercise the wrapper's own preload.

using System;
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;

namespace Jdy.Member.Tests
{
    [TestFixture]
    public class LoaderTests
    {
        private string nativeLibrary;
        private string probeExe;
        private string wrapperDll;
        private string scratch;

        [TestFixtureSetUp]
        public void FindFiles()
        {
            if (!File.Exists("/proc/self/maps"))
            {
                Assert.Ignore("the loader tests read /proc/self/maps (Linux only)");
            }
            nativeLibrary = Environment.GetEnvironmentVariable("JDY_TEST_NATIVE_LIB");
            probeExe = Environment.GetEnvironmentVariable("JDY_TEST_PROBE_EXE");
            Assert.IsTrue(!string.IsNullOrEmpty(nativeLibrary) && File.Exists(nativeLibrary),
                "JDY_TEST_NATIVE_LIB must name the built libjdy_member.so (run-tests.sh sets it)");
            Assert.IsTrue(!string.IsNullOrEmpty(probeExe) && File.Exists(probeExe),
                "JDY_TEST_PROBE_EXE must name LoaderProbe.exe (run-tests.sh sets it)");
            wrapperDll = Path.Combine(Path.GetDirectoryName(probeExe), "Jdy.Member.dll");
            scratch = Path.Combine(Path.GetTempPath(), "jdy-member-csharp-loader-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(scratch);
        }

        [TestFixtureTearDown]
        public void RemoveScratch()
        {
            if (scratch != null && Directory.Exists(scratch))
            {
                Directory.Delete(scratch, true);
            }
        }

        /// <summary>A directory with LoaderProbe.exe and Jdy.Member.dll, and the native library where asked.</summary>
        private string App(string name, string nativeRelativePath)
        {
            string dir = Path.Combine(scratch, name);
            Directory.CreateDirectory(dir);
            File.Copy(probeExe, Path.Combine(dir, "LoaderProbe.exe"));
            File.Copy(wrapperDll, Path.Combine(dir, "Jdy.Member.dll"));
            if (nativeRelativePath != null)
            {
                string target = Path.Combine(dir, nativeRelativePath);
                Directory.CreateDirectory(Path.GetDirectoryName(target));
                File.Copy(nativeLibrary, target);
            }
            return dir;
        }

        private static Probe.Result Run(string dir, IDictionary<string, string> env)
        {
            return Probe.Run(Path.Combine(dir, "LoaderProbe.exe"), env ?? new Dictionary<string, string>());
        }

        private static string Mapped(Probe.Result result)
        {
            foreach (string line in result.Output.Split('\n'))
            {
                if (line.StartsWith("mapped: ", StringComparison.Ordinal))
                {
                    return line.Substring(8).Trim();
                }
            }
            return null;
        }

        [Test]
        public void EnvironmentVariableNamesTheFile()
        {
            string dir = App("env", null);
            string elsewhere = Path.Combine(scratch, "elsewhere", "libjdy_member.so");
            Directory.CreateDirectory(Path.GetDirectoryName(elsewhere));
            File.Copy(nativeLibrary, elsewhere);
            Probe.Result result = Run(dir, new Dictionary<string, string> { { "JDY_MEMBER_LIB", elsewhere } });
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.AreEqual(elsewhere, Mapped(result), result.Output);
            StringAssert.Contains("\"name\":\"会员A\"", result.Output);
        }

        [Test]
        public void EnvironmentVariableWinsOverABundledLibrary()
        {
            string dir = App("env-wins", "libjdy_member.so");
            string elsewhere = Path.Combine(scratch, "elsewhere-2", "libjdy_member.so");
            Directory.CreateDirectory(Path.GetDirectoryName(elsewhere));
            File.Copy(nativeLibrary, elsewhere);
            Probe.Result result = Run(dir, new Dictionary<string, string> { { "JDY_MEMBER_LIB", elsewhere } });
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.AreEqual(elsewhere, Mapped(result), result.Output);
        }

        [Test]
        public void EnvironmentVariableNamingNothingFailsClearly()
        {
            string dir = App("env-missing", "libjdy_member.so");
            string missing = Path.Combine(scratch, "no-such-dir", "libjdy_member.so");
            Probe.Result result = Run(dir, new Dictionary<string, string> { { "JDY_MEMBER_LIB", missing } });
            Assert.AreEqual(3, result.ExitCode, result.Output);
            StringAssert.Contains("JDY_MEMBER_LIB", result.Output);
            StringAssert.Contains(missing, result.Output);
        }

        [Test]
        public void FileNextToTheAssembly()
        {
            string dir = App("beside", "libjdy_member.so");
            Probe.Result result = Run(dir, null);
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.AreEqual(Path.Combine(dir, "libjdy_member.so"), Mapped(result), result.Output);
        }

        [Test]
        public void NuGetRuntimesLayout()
        {
            string rid = NativeLibraryLoader.RuntimeIdentifiers()[0];
            string relative = Path.Combine("runtimes", rid, "native", "libjdy_member.so");
            string dir = App("runtimes", relative);
            Probe.Result result = Run(dir, null);
            Assert.AreEqual(0, result.ExitCode, result.Output);
            Assert.AreEqual(Path.Combine(dir, relative), Mapped(result), result.Output);
        }

        [Test]
        public void NowhereIsADllNotFoundException()
        {
            string dir = App("nowhere", null);
            Probe.Result result = Run(dir, null);
            Assert.AreEqual(3, result.ExitCode, result.Output);
            StringAssert.Contains("jdy_member", result.Output);
        }

        [Test]
        public void ThisTestRunLoadedTheLibraryThroughThePreload()
        {
            // run-tests.sh puts the library only under runtimes/<rid>/native/ next to the tests
            // and sets no LD_LIBRARY_PATH: the wrapper's preload found it.
            Assert.IsNotEmpty(JdyClient.Version);
            Assert.IsTrue(string.IsNullOrEmpty(Environment.GetEnvironmentVariable("LD_LIBRARY_PATH")), "LD_LIBRARY_PATH is set");
            string mapped = null;
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                if (line.EndsWith("libjdy_member.so", StringComparison.Ordinal))
                {
                    mapped = line.Substring(line.IndexOf('/'));
                }
            }
            Assert.IsNotNull(mapped);
            StringAssert.Contains(Path.Combine("runtimes", NativeLibraryLoader.RuntimeIdentifiers()[0], "native"), mapped);
            Assert.AreEqual(mapped, NativeLibraryLoader.LoadedPath);
        }
    }
}
