using System;
using System.Runtime.CompilerServices;

namespace Jdy.Member
{
    /// <summary>
    /// A client of Kingdee JDY retail members (金蝶精斗云 · 零售云) through the jdy_member native
    /// library: configuration, connection pool and app-token cache.
    ///
    /// Create one per process and share it: every method may be called from many threads at
    /// once. Dispose it when the program ends (a client that is not disposed is freed by its
    /// finalizer). All JSON is passed and returned as text; a method returns the envelope's
    /// <c>data</c> exactly as the library wrote it, or throws <see cref="JdyException"/>.
    /// </summary>
    public sealed class JdyClient : IDisposable
    {
        private readonly JdyClientHandle handle;

        // Set by Dispose. Checked before each call as well as the handle's own state: on Mono a
        // SafeHandle disposed while other threads are inside calls still accepts new calls until
        // the last one returns, and a disposed client must refuse new calls at once everywhere.
        private volatile bool disposed;

        /// <summary>
        /// Creates a client from the configuration JSON object (keys as in the library's README:
        /// client_id, client_secret, and app_key/app_secret/domain or outer_instance_id, ...).
        /// Makes no network call.
        /// </summary>
        /// <exception cref="JdyException">Kind <c>config</c> or <c>invalid_argument</c>.</exception>
        public JdyClient(string configJson)
        {
            NativeLibraryLoader.EnsureLoaded();
            byte[] config = NativeMethods.ToUtf8Z(configJson, "configJson");
            string error;
            JdyClientHandle created = NewClient(config, out error);
            if (created == null || created.IsInvalid)
            {
                if (created != null)
                {
                    created.SetHandleAsInvalid();
                    created.Dispose();
                }
                if (error == null)
                {
                    throw Envelope.WrapperError(JdyErrorKind.Internal,
                        "jdy_client_new returned no client and no error envelope; this is a bug in jdy-member");
                }
                Envelope.Unwrap(error); // throws the envelope's error
                throw Envelope.WrapperError(JdyErrorKind.Internal,
                    "jdy_client_new returned no client and a success envelope; this is a bug in jdy-member");
            }
            handle = created;
        }

        /// <summary>The native library's version, e.g. <c>0.2.0</c>.</summary>
        public static string Version
        {
            get
            {
                NativeLibraryLoader.EnsureLoaded();
                return VersionCore();
            }
        }

        /// <summary>
        /// Validates the member offline, then saves it. Returns Kingdee's answer (<c>id</c>,
        /// <c>custom_no</c>, <c>db_modify_time</c>, <c>enable</c>, <c>mobile</c>, <c>name</c>; the
        /// mobile decrypted) as JSON. A mobile that is already stored is refused by Kingdee (kind
        /// <c>api</c>, <see cref="JdyException.Description"/> says so). Blocks on the network, at
        /// most until the configured <c>deadline_ms</c> (retries and rate-limit waits included).
        /// </summary>
        public string SaveMember(string memberJson)
        {
            bool recovered;
            return SaveMember(memberJson, out recovered);
        }

        /// <summary>
        /// As <see cref="SaveMember(string)"/>; <paramref name="recovered"/> is true when the
        /// save's answer was lost and the library found the member stored exactly as sent
        /// (the member is saved once; the returned JSON is then rebuilt from what was sent and
        /// what the lookups showed: the keys of a normal answer that are known, <c>id</c> always).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string SaveMember(string memberJson, out bool recovered)
        {
            byte[] member = NativeMethods.ToUtf8Z(memberJson, "memberJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_member_save(LiveHandle(), member)), out recovered);
        }

        /// <summary>
        /// Reads one member by <c>{"id": ...}</c> or <c>{"mobile": ...}</c>. Returns Kingdee's
        /// member object as JSON (<c>id</c>, <c>mobile</c>, <c>name</c>, <c>card_no</c>,
        /// <c>card_id</c>, <c>level_name</c>, <c>usable</c>, <c>available</c>; personal fields
        /// decrypted), or <c>null</c> when no such member exists, whichever way the gateway says so.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string GetMember(string queryJson)
        {
            byte[] query = NativeMethods.ToUtf8Z(queryJson, "queryJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_member_get(LiveHandle(), query)));
        }

        /// <summary>
        /// Lists members: <paramref name="queryJson"/> is an object with optional filters (<c>id</c>,
        /// <c>number</c>, <c>name</c>, <c>enable</c>, <c>start_modified</c>, <c>end_modified</c>) and
        /// <c>page</c>, <c>page_size</c>; <c>{}</c> for the first page. Returns Kingdee's page
        /// (<c>count</c>, <c>page</c>, <c>page_size</c>, <c>total_page</c>, <c>rows</c>) as JSON.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string ListMembers(string queryJson)
        {
            byte[] query = NativeMethods.ToUtf8Z(queryJson, "queryJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_member_list(LiveHandle(), query)));
        }

        /// <summary>
        /// Saves many members (a JSON array) on the library's worker threads. Options:
        /// <c>{"concurrency": 1-64, "rate": requests per second}</c>, or null for the defaults.
        /// Returns <c>{"results": [one envelope per member, in input order], "saved": n,
        /// "recovered": n, "refused": n, "failed": n}</c> (refused: correct the member; failed:
        /// send it again later): a member that fails does not throw, only bad arguments do.
        /// Blocks until every member has its result.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string SaveMembers(string membersJson, string optionsJson = null)
        {
            byte[] members = NativeMethods.ToUtf8Z(membersJson, "membersJson");
            byte[] options = NativeMethods.ToUtf8Z(optionsJson, "optionsJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_member_save_batch(LiveHandle(), members, options)));
        }

        /// <summary>
        /// Validates and normalises a member offline (no client, no network). Returns the member
        /// exactly as it would be sent; throws kind <c>validation</c> listing every invalid field.
        /// </summary>
        public static string ValidateMember(string memberJson)
        {
            NativeLibraryLoader.EnsureLoaded();
            byte[] member = NativeMethods.ToUtf8Z(memberJson, "memberJson");
            return Envelope.Unwrap(ValidateCore(member));
        }

        /// <summary>
        /// Frees the native client. Calls still running on other threads finish first (the
        /// native client is released when the last one returns). Calling it again does nothing.
        /// </summary>
        public void Dispose()
        {
            disposed = true;
            handle.Dispose();
        }

        // Every method that calls the library directly is never inlined: Mono binds a DllImport
        // when it compiles the calling method, which must happen after
        // NativeLibraryLoader.EnsureLoaded() has run. Inlined into an application's method that
        // also creates the client, a call would be bound before the constructor loaded the library.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private static JdyClientHandle NewClient(byte[] config, out string error)
        {
            IntPtr errorJson;
            JdyClientHandle created = NativeMethods.jdy_client_new(config, out errorJson);
            error = NativeMethods.TakeString(errorJson);
            return created;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string VersionCore()
        {
            return NativeMethods.FromUtf8Z(NativeMethods.jdy_version());
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static string ValidateCore(byte[] member)
        {
            return NativeMethods.TakeString(NativeMethods.jdy_member_validate(member));
        }

        private JdyClientHandle LiveHandle()
        {
            // A Dispose racing with this check is caught by the marshaler, which refuses a closed
            // SafeHandle with ObjectDisposedException too.
            if (disposed || handle.IsClosed)
            {
                throw new ObjectDisposedException(typeof(JdyClient).FullName);
            }
            return handle;
        }
    }
}
