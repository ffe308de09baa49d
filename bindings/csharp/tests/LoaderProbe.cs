// A separate program for the library-lookup tests: each run is a fresh process, so the tests
// can place the native library (or not) and set JDY_MEMBER_LIB before anything is loaded.
// Prints the library's version and the file the process actually mapped (from /proc/self/maps).
// Exit codes: 0 loaded, 3 a DllNotFoundException (message printed), 4 anything else.

using System;
using System.IO;
using Jdy.Member;

internal static class LoaderProbe
{
    private static int Main()
    {
        try
        {
            string version = JdyClient.Version;
            Console.WriteLine("version: " + version);
            Console.WriteLine("validate: " + JdyClient.ValidateMember("{\"mobile\":\"13800138000\",\"name\":\"会员A\"}"));
            Console.WriteLine("mapped: " + MappedLibrary());
            return 0;
        }
        catch (DllNotFoundException e)
        {
            Console.WriteLine("DllNotFoundException: " + e.Message);
            return 3;
        }
        catch (Exception e)
        {
            Console.WriteLine(e.GetType().FullName + ": " + e.Message);
            return 4;
        }
    }

    private static string MappedLibrary()
    {
        if (!File.Exists("/proc/self/maps"))
        {
            return "(unknown: no /proc/self/maps)";
        }
        foreach (string line in File.ReadAllLines("/proc/self/maps"))
        {
            int at = line.IndexOf('/');
            if (at >= 0 && line.EndsWith("libjdy_member.so", StringComparison.Ordinal))
            {
                return line.Substring(at);
            }
        }
        return "(none)";
    }
}
