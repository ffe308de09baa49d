using System.Runtime.CompilerServices;

// The tests read envelopes with the internal JSON reader and check the finalizer path.
[assembly: InternalsVisibleTo("Jdy.Member.Tests")]
