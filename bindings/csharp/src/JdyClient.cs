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
        public string SaveMember(string memberJson, out bool recovered)
        {
            bool queued;
            return SaveMember(memberJson, out recovered, out queued);
        }

        /// <summary>
        /// As <see cref="SaveMember(string, out bool)"/>; <paramref name="queued"/> is true when the
        /// client is configured with <c>"offline": "queue"</c> (and <c>outbox_path</c>) and the
        /// gateway could not be reached: the member was then kept in the outbox, durably, instead
        /// of saved, and the returned JSON is its outbox item (<c>outbox_id</c>, <c>state</c>
        /// <c>queued</c>, <c>mobile</c>, <c>queued_at</c>, and <c>reason</c>, the error that kept
        /// it), to be sent by <see cref="OutboxFlush"/> or the background flush. Blocks as
        /// <see cref="SaveMember(string)"/>; thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string SaveMember(string memberJson, out bool recovered, out bool queued)
        {
            byte[] member = NativeMethods.ToUtf8Z(memberJson, "memberJson");
            EnvelopeMarks marks;
            string data = Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_member_save(LiveHandle(), member)), out marks);
            recovered = marks.Recovered;
            queued = marks.Queued;
            return data;
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
        /// "queued": n, "recovered": n, "refused": n, "failed": n}</c> (queued: kept in the outbox,
        /// with <c>"offline": "queue"</c>; refused: correct the member; failed: send it again
        /// later): a member that fails does not throw, only bad arguments do.
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
        /// References given by name or number (<c>shop</c>, <c>sale_shop</c>, <c>level</c>,
        /// <c>customer</c>) are kept as given; see
        /// <see cref="ValidateMember(string, out string)"/> to have them listed.
        /// Does not block; thread-safe.
        /// </summary>
        public static string ValidateMember(string memberJson)
        {
            string references;
            return ValidateMember(memberJson, out references);
        }

        /// <summary>
        /// As <see cref="ValidateMember(string)"/>; <paramref name="referencesJson"/> is the exact
        /// JSON text of the array of references the member gives by name or number (a value of
        /// digits only is an id and is not listed), each
        /// <c>{"field": "shop" | "sale_shop" | "level" | "customer", "kind": "store" | "level" |
        /// "customer", "value": "..."}</c>, or <c>[]</c> when there is none. They are not checked
        /// here: a save resolves them to ids through the account's master data, and refuses (kind
        /// <c>validation</c>) one it cannot resolve. Labels are sent as given, so not listed (a
        /// client configured with <c>"labels": "resolve_to_ids"</c> resolves them too).
        /// </summary>
        public static string ValidateMember(string memberJson, out string referencesJson)
        {
            NativeLibraryLoader.EnsureLoaded();
            byte[] member = NativeMethods.ToUtf8Z(memberJson, "memberJson");
            EnvelopeMarks marks;
            string data = Envelope.Unwrap(ValidateCore(member), out marks);
            referencesJson = marks.References ?? "[]";
            return data;
        }

        /// <summary>
        /// Validates the member offline and keeps it in the client's outbox (the configuration's
        /// <c>outbox_path</c>), durably: a killed process or a power cut does not lose it. It is
        /// saved later by <see cref="OutboxFlush"/> or by the background flush
        /// (<c>outbox_flush_interval_s</c>). Returns the item, <c>{"outbox_id": "ob-...", "state":
        /// "queued", "mobile": "...", "queued_at": "..."}</c>, with <c>"merged": true</c> when it
        /// replaced a queued member with the same mobile. A client without <c>outbox_path</c>
        /// throws kind <c>config</c>; an invalid member kind <c>validation</c>.
        /// Blocks only on the local disk (a commit with full sync, milliseconds; up to 10 s while
        /// another process holds the file). Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxAdd(string memberJson)
        {
            byte[] member = NativeMethods.ToUtf8Z(memberJson, "memberJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_add(LiveHandle(), member)));
        }

        /// <summary>
        /// Sends what the outbox holds, oldest first, exactly once each: a member that may already
        /// have reached the gateway is looked up before it is sent again, and of several processes
        /// flushing one file only one sends each item. <paramref name="optionsJson"/> is
        /// <c>{"max": items, "deadline_ms": n, "concurrency": 1-64}</c>, each optional, or null
        /// (every item, the client's <c>deadline_ms</c>, 4 workers). Returns <c>{"saved": n,
        /// "recovered": n, "refused": n, "failed": n, "left": n}</c>: refused items stay in the
        /// outbox with Kingdee's reason (see <see cref="OutboxRetry"/>, <see cref="OutboxDiscard"/>),
        /// failed ones stay queued; the flush stops early, leaving the rest queued, when the
        /// gateway cannot be reached. Blocks on the network: no item is started after the
        /// deadline, and one under way ends within <c>deadline_ms</c>. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxFlush(string optionsJson = null)
        {
            byte[] options = NativeMethods.ToUtf8Z(optionsJson, "optionsJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_flush(LiveHandle(), options)));
        }

        /// <summary>
        /// The outbox at a glance: returns <c>{"queued": n, "sending": n, "saved": n, "refused": n,
        /// "discarded": n, "in_doubt": n, "oldest_queued_at": "..." or null, "last_error": {...} or
        /// null}</c>. Blocks only on the local disk. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxStatus()
        {
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_status(LiveHandle())));
        }

        /// <summary>
        /// Items of the outbox, oldest first: <paramref name="queryJson"/> is <c>{"state": "queued" |
        /// "sending" | "saved" | "refused" | "discarded", "limit": 1-1000 (default 100), "after":
        /// "&lt;outbox_id&gt;"}</c>, each optional, or null. Returns <c>{"items": [{"outbox_id",
        /// "state", "member", "mobile", "attempts", "in_doubt", "queued_at", "updated_at",
        /// "saved_at", "result", "last_error"}], "count": n}</c>; the mobile is as the clerk typed
        /// it (normalised), never encrypted. Blocks only on the local disk. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxList(string queryJson = null)
        {
            byte[] query = NativeMethods.ToUtf8Z(queryJson, "queryJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_list(LiveHandle(), query)));
        }

        /// <summary>
        /// Queues refused items again: <paramref name="queryJson"/> is <c>{"outbox_id": "...",
        /// "member": {corrected member, optional}}</c> (returns the item) or <c>{"state":
        /// "refused"}</c> for every refused item (returns <c>{"requeued": n}</c>). A corrected
        /// member is validated offline first. Blocks only on the local disk. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxRetry(string queryJson)
        {
            byte[] query = NativeMethods.ToUtf8Z(queryJson, "queryJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_retry(LiveHandle(), query)));
        }

        /// <summary>
        /// Gives up on items the shop will not send: <paramref name="queryJson"/> is
        /// <c>{"outbox_id": "..."}</c> (a refused item, or a queued one never sent; returns the
        /// item) or <c>{"state": "refused"}</c> (returns <c>{"discarded": n}</c>). They stay in the
        /// outbox as <c>discarded</c>, for the record: nothing is deleted without being asked,
        /// except saved items older than <c>outbox_keep_days</c>. Blocks only on the local disk.
        /// Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string OutboxDiscard(string queryJson)
        {
            byte[] query = NativeMethods.ToUtf8Z(queryJson, "queryJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_outbox_discard(LiveHandle(), query)));
        }

        /// <summary>
        /// Calls any other JDY endpoint (stores, levels, points, ...) through this client's
        /// signing, token, request budget, retries and decryption: <paramref name="requestJson"/>
        /// is <c>{"method": "GET" | "POST", "path": "/jdy/v2/...", "query": {...}, "body": {...},
        /// "idempotent": false}</c>. Returns Kingdee's <c>data</c> as received, personal fields
        /// decrypted. A GET is retried like a read; a POST only when it certainly did not reach
        /// Kingdee, or when the request says <c>"idempotent": true</c> (calls carrying Kingdee's
        /// <c>src_bill_id</c>): otherwise an ambiguous failure throws with
        /// <see cref="JdyException.OutcomeUnknown"/>. Paths must be JDY business APIs
        /// (<c>/jdy/...</c>, no host, no <c>..</c>); a request that breaks a rule throws kind
        /// <c>validation</c> naming the field. Blocks on the network, retries included, for at
        /// most <c>deadline_ms</c>. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string Call(string requestJson)
        {
            byte[] request = NativeMethods.ToUtf8Z(requestJson, "requestJson");
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_call(LiveHandle(), request)));
        }

        /// <summary>
        /// Checks what can go wrong on a till, one by one: the configuration, DNS, the gateway and
        /// TLS, the clock against the gateway's, the authorization rows (which account is used),
        /// the token, permission for every API the library uses (a harmless read of each; a
        /// missing one is named), the request budget. Returns <c>{"checks": [{"name", "verdict":
        /// "ok" | "warn" | "fail" | "skipped", "detail", "advice"}], "failed": n, "warnings":
        /// n}</c>: a failed check does not throw (only a bad argument does). Blocks on the network
        /// for a few requests, each within <c>deadline_ms</c>. Thread-safe.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining)] // see NewClient
        public string Doctor()
        {
            return Envelope.Unwrap(NativeMethods.TakeString(NativeMethods.jdy_doctor(LiveHandle())));
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
