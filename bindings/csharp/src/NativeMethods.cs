using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Jdy.Member
{
    /// <summary>
    /// The C functions of jdy_member.h. Every import is cdecl (the .NET default on 32-bit
    /// Windows is stdcall, which would corrupt the stack); strings go in as NUL-terminated
    /// UTF-8 byte arrays and come back as pointers decoded here as UTF-8, never through the
    /// "ANSI" code page (GBK on a Chinese till); no bool and no struct crosses the boundary.
    /// Callers run NativeLibraryLoader.EnsureLoaded() first (JdyClient does).
    /// </summary>
    internal static class NativeMethods
    {
        /// <summary>libjdy_member.so, jdy_member.dll, libjdy_member.dylib.</summary>
        internal const string LibraryName = "jdy_member";

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_version();

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern JdyClientHandle jdy_client_new(byte[] configJson, out IntPtr errorJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void jdy_client_free(IntPtr client);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_member_save(JdyClientHandle client, byte[] memberJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_member_save_batch(JdyClientHandle client, byte[] membersJson, byte[] optionsJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_member_get(JdyClientHandle client, byte[] queryJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_member_list(JdyClientHandle client, byte[] queryJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_member_validate(byte[] memberJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_add(JdyClientHandle client, byte[] memberJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_flush(JdyClientHandle client, byte[] optionsJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_status(JdyClientHandle client);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_list(JdyClientHandle client, byte[] queryJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_retry(JdyClientHandle client, byte[] queryJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_outbox_discard(JdyClientHandle client, byte[] queryJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_call(JdyClientHandle client, byte[] requestJson);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr jdy_doctor(JdyClientHandle client);

        [DllImport(LibraryName, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void jdy_string_free(IntPtr s);

        // Strict: a string with a lone surrogate cannot be UTF-8 and is refused, not replaced
        // with U+FFFD (the library refuses invalid UTF-8 the same way).
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>
        /// <paramref name="s"/> as NUL-terminated UTF-8, or null (a NULL pointer, which the
        /// library answers with kind invalid_argument) for a null string.
        /// </summary>
        internal static byte[] ToUtf8Z(string s, string parameterName)
        {
            if (s == null)
            {
                return null;
            }
            if (s.IndexOf('\0') >= 0)
            {
                throw Envelope.WrapperError(JdyErrorKind.InvalidArgument,
                    "`" + parameterName + "` contains a NUL character, which cannot cross the C boundary; remove it");
            }
            byte[] bytes;
            try
            {
                int length = StrictUtf8.GetByteCount(s);
                bytes = new byte[length + 1];
                StrictUtf8.GetBytes(s, 0, s.Length, bytes, 0);
            }
            catch (EncoderFallbackException)
            {
                throw Envelope.WrapperError(JdyErrorKind.InvalidArgument,
                    "`" + parameterName + "` contains an unpaired UTF-16 surrogate and cannot be encoded as UTF-8; correct the text");
            }
            return bytes;
        }

        /// <summary>Reads a NUL-terminated UTF-8 string the library owns (does not free it).</summary>
        internal static string FromUtf8Z(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }
            int length = 0;
            while (Marshal.ReadByte(p, length) != 0)
            {
                length++;
            }
            byte[] bytes = new byte[length];
            Marshal.Copy(p, bytes, 0, length);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Reads a string the library returned and releases it with jdy_string_free.</summary>
        internal static string TakeString(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return null;
            }
            try
            {
                return FromUtf8Z(p);
            }
            finally
            {
                jdy_string_free(p);
            }
        }
    }

    /// <summary>
    /// Owns one JdyClient*. ReleaseHandle calls jdy_client_free exactly once: from Dispose, or
    /// from the finalizer thread when the JdyClient was never disposed. While a call is running
    /// the marshaler holds a reference on the handle, so the client is freed only after every
    /// call on it has returned, as the C API requires.
    /// </summary>
    internal sealed class JdyClientHandle : SafeHandle
    {
        private static long released;

        /// <summary>Used by the P/Invoke marshaler when jdy_client_new returns.</summary>
        public JdyClientHandle()
            : base(IntPtr.Zero, true)
        {
        }

        /// <summary>How many clients have been freed in this process (for the tests).</summary>
        internal static long ReleasedCount
        {
            get { return System.Threading.Interlocked.Read(ref released); }
        }

        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        protected override bool ReleaseHandle()
        {
            NativeMethods.jdy_client_free(handle);
            System.Threading.Interlocked.Increment(ref released);
            return true;
        }
    }
}
