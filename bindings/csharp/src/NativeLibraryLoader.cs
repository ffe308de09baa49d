using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Jdy.Member
{
    /// <summary>
    /// Finds the native library before the first call into it.
    ///
    /// Order: the file named by the environment variable JDY_MEMBER_LIB (exclusive when set:
    /// if it cannot be loaded, nothing else is tried); then, in the directory of Jdy.Member.dll
    /// and in the application's base directory, the file itself and the NuGet layout
    /// runtimes/&lt;rid&gt;/native/; then the platform's own search (PATH, LD_LIBRARY_PATH, the
    /// package's deps.json on .NET Core).
    ///
    /// .NET Core 3.0 and later: a DllImport resolver for this assembly.
    /// .NET Framework (Windows): LoadLibraryEx of the full path; later DllImports then find the
    /// module already loaded under the same name.
    /// Mono (Unix): dlopen of the full path, and a global dllmap entry (mono_dllmap_insert)
    /// sending "jdy_member" to that path, since dlopen by name does not find a library loaded by
    /// path (the Rust library has no SONAME).
    /// </summary>
    internal static class NativeLibraryLoader
    {
        /// <summary>The environment variable that names the native library file to load.</summary>
        internal const string EnvironmentVariable = "JDY_MEMBER_LIB";

        private static readonly object Gate = new object();
        private static volatile bool done;

        /// <summary>The full path that was loaded, or null when the platform's own search is used.</summary>
        internal static string LoadedPath { get; private set; }

        /// <summary>
        /// Runs once before the first native call. Throws DllNotFoundException when
        /// JDY_MEMBER_LIB names a file that cannot be loaded (and again on the next call).
        /// </summary>
        internal static void EnsureLoaded()
        {
            if (done)
            {
                return;
            }
            lock (Gate)
            {
                if (done)
                {
                    return;
                }
#if NETCOREAPP3_0_OR_GREATER
                System.Runtime.InteropServices.NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
#else
                Preload();
#endif
                done = true;
            }
        }

#if NETCOREAPP3_0_OR_GREATER
        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
        {
            if (libraryName != NativeMethods.LibraryName)
            {
                return IntPtr.Zero;
            }
            string overridePath = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrEmpty(overridePath))
            {
                IntPtr forced;
                if (System.Runtime.InteropServices.NativeLibrary.TryLoad(overridePath, out forced))
                {
                    LoadedPath = overridePath;
                    return forced;
                }
                throw new DllNotFoundException(EnvironmentVariable + " names \"" + overridePath
                    + "\", which could not be loaded (missing, unreadable, or built for another platform or bitness)");
            }
            foreach (string candidate in Candidates())
            {
                IntPtr loaded;
                if (File.Exists(candidate) && System.Runtime.InteropServices.NativeLibrary.TryLoad(candidate, out loaded))
                {
                    LoadedPath = candidate;
                    return loaded;
                }
            }
            return IntPtr.Zero; // the runtime's own probing (deps.json, PATH, LD_LIBRARY_PATH)
        }
#else
        private static void Preload()
        {
            string overridePath = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrEmpty(overridePath))
            {
                string why;
                if (!TryLoad(overridePath, out why))
                {
                    throw new DllNotFoundException(EnvironmentVariable + " names \"" + overridePath
                        + "\", which could not be loaded: " + why);
                }
                return;
            }
            foreach (string candidate in Candidates())
            {
                string why;
                if (File.Exists(candidate) && TryLoad(candidate, out why))
                {
                    return;
                }
            }
            // Nothing found here: DllImport's own search (PATH, LD_LIBRARY_PATH, a dllmap) decides.
        }

        private static bool TryLoad(string path, out string why)
        {
            string fullPath = Path.GetFullPath(path);
            try
            {
                if (IsWindows)
                {
                    const uint LoadWithAlteredSearchPath = 0x00000008;
                    if (Kernel32.LoadLibraryExW(fullPath, IntPtr.Zero, LoadWithAlteredSearchPath) == IntPtr.Zero)
                    {
                        why = "LoadLibraryEx failed with Windows error " + Marshal.GetLastWin32Error()
                            + " (126: the file or a DLL it needs is missing; 193: wrong bitness, e.g. a 64-bit DLL in a 32-bit process)";
                        return false;
                    }
                }
                else
                {
                    if (Dl.Open(fullPath) == IntPtr.Zero)
                    {
                        why = "dlopen failed: " + Dl.LastError();
                        return false;
                    }
                    if (IsMono)
                    {
                        // Global mapping (no image): every DllImport("jdy_member") goes to this file.
                        MonoRuntime.mono_dllmap_insert(IntPtr.Zero, NativeMethods.LibraryName, null, fullPath, null);
                    }
                }
            }
            catch (Exception e)
            {
                if (e is DllNotFoundException || e is EntryPointNotFoundException)
                {
                    why = "the platform loader could not be reached (" + e.Message + ")";
                    return false;
                }
                throw;
            }
            LoadedPath = fullPath;
            why = null;
            return true;
        }
#endif

        /// <summary>Where to look, in order (the files need not exist).</summary>
        internal static IEnumerable<string> Candidates()
        {
            List<string> directories = new List<string>();
            string assemblyLocation = null;
            try
            {
                assemblyLocation = typeof(NativeLibraryLoader).Assembly.Location;
            }
            catch (NotSupportedException)
            {
                // dynamic or single-file assembly: no location
            }
            if (!string.IsNullOrEmpty(assemblyLocation))
            {
                directories.Add(Path.GetDirectoryName(assemblyLocation));
            }
            string baseDirectory = AppDomain.CurrentDomain.BaseDirectory;
            if (!string.IsNullOrEmpty(baseDirectory))
            {
                directories.Add(baseDirectory);
            }
            List<string> candidates = new List<string>();
            foreach (string directory in directories)
            {
                foreach (string file in FileNames())
                {
                    Add(candidates, Path.Combine(directory, file));
                }
                foreach (string rid in RuntimeIdentifiers())
                {
                    foreach (string file in FileNames())
                    {
                        Add(candidates, Path.Combine(Path.Combine(Path.Combine(Path.Combine(directory, "runtimes"), rid), "native"), file));
                    }
                }
            }
            return candidates;
        }

        private static void Add(List<string> list, string path)
        {
            string full = Path.GetFullPath(path);
            if (!list.Contains(full))
            {
                list.Add(full);
            }
        }

        private static string[] FileNames()
        {
            if (IsWindows)
            {
                return new[] { "jdy_member.dll" };
            }
            if (IsMacOS)
            {
                return new[] { "libjdy_member.dylib" };
            }
            return new[] { "libjdy_member.so" };
        }

        /// <summary>The NuGet runtime identifiers for this process, most specific first.</summary>
        internal static string[] RuntimeIdentifiers()
        {
            string arch = ProcessArchitecture();
            if (IsWindows)
            {
                return new[] { "win-" + arch };
            }
            if (IsMacOS)
            {
                return new[] { "osx-" + arch };
            }
            return new[] { "linux-" + arch, "linux-musl-" + arch };
        }

        /// <summary>x86, x64, arm or arm64: the bitness and instruction set of this process.</summary>
        private static string ProcessArchitecture()
        {
            // RuntimeInformation exists on .NET Core, Mono and .NET Framework 4.7.1+; older
            // frameworks only know the pointer size, which tells x86 from x64.
            string[] typeNames =
            {
                "System.Runtime.InteropServices.RuntimeInformation",
                "System.Runtime.InteropServices.RuntimeInformation, System.Runtime.InteropServices.RuntimeInformation",
            };
            foreach (string typeName in typeNames)
            {
                Type type = null;
                try
                {
                    type = Type.GetType(typeName, false);
                }
                catch (Exception)
                {
                    // an assembly that cannot be loaded counts as absent
                }
                if (type == null)
                {
                    continue;
                }
                PropertyInfo property = type.GetProperty("ProcessArchitecture", BindingFlags.Public | BindingFlags.Static);
                object value = property == null ? null : property.GetValue(null, null);
                if (value != null)
                {
                    return value.ToString().ToLowerInvariant(); // X86, X64, Arm, Arm64
                }
            }
            return IntPtr.Size == 4 ? "x86" : "x64";
        }

        internal static bool IsWindows
        {
            get { return Path.DirectorySeparatorChar == '\\'; }
        }

        internal static bool IsMacOS
        {
            get { return !IsWindows && Directory.Exists("/System/Library/CoreServices") && File.Exists("/usr/lib/libSystem.dylib"); }
        }

        internal static bool IsMono
        {
            get { return Type.GetType("Mono.Runtime") != null; }
        }

#if !NETCOREAPP3_0_OR_GREATER
        private static class Kernel32
        {
            [DllImport("kernel32", CharSet = CharSet.Unicode, SetLastError = true, ExactSpelling = true)]
            internal static extern IntPtr LoadLibraryExW(string fileName, IntPtr reserved, uint flags);
        }

        private static class MonoRuntime
        {
            // Exported by the Mono runtime itself; "__Internal" is Mono's name for the running program.
            [DllImport("__Internal", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi)]
            internal static extern void mono_dllmap_insert(IntPtr assembly, string dll, string func, string targetDll, string targetFunc);
        }

        /// <summary>dlopen/dlerror, from whichever library has them on this system.</summary>
        private static class Dl
        {
            private const int RtldNow = 2;

            internal static IntPtr Open(string path)
            {
                try
                {
                    return Libdl2.dlopen(path, RtldNow);
                }
                catch (DllNotFoundException)
                {
                }
                catch (EntryPointNotFoundException)
                {
                }
                try
                {
                    return Libc.dlopen(path, RtldNow); // glibc 2.34+ and macOS (libSystem via "libc" on Mono)
                }
                catch (DllNotFoundException)
                {
                }
                catch (EntryPointNotFoundException)
                {
                }
                return Libdl.dlopen(path, RtldNow);
            }

            internal static string LastError()
            {
                IntPtr message = IntPtr.Zero;
                try
                {
                    message = Libdl2.dlerror();
                }
                catch (Exception)
                {
                    try
                    {
                        message = Libc.dlerror();
                    }
                    catch (Exception)
                    {
                    }
                }
                return message == IntPtr.Zero ? "(no detail)" : Marshal.PtrToStringAnsi(message);
            }

            private static class Libdl2
            {
                [DllImport("libdl.so.2", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi)]
                internal static extern IntPtr dlopen(string fileName, int flags);

                [DllImport("libdl.so.2", CallingConvention = CallingConvention.Cdecl)]
                internal static extern IntPtr dlerror();
            }

            private static class Libc
            {
                [DllImport("libc", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi)]
                internal static extern IntPtr dlopen(string fileName, int flags);

                [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
                internal static extern IntPtr dlerror();
            }

            private static class Libdl
            {
                [DllImport("libdl", CallingConvention = CallingConvention.Cdecl, CharSet = CharSet.Ansi)]
                internal static extern IntPtr dlopen(string fileName, int flags);
            }
        }
#endif
    }
}
