//! One whole `jdy_member_save` through the C ABI against the sandbox gateway on loopback
//! (`cargo bench --bench save`).
//!
//! - `save_ffi/<placement>/wall`: the time a caller waits for one save (parse, validate,
//!   sign, HTTP/1.1 keep-alive exchange with the sandbox, envelope), sandbox included;
//! - `save_ffi/<placement>/client_thread_cpu`: the CPU time of the calling thread only,
//!   `CLOCK_THREAD_CPUTIME_ID`: user time plus the kernel time of its own system calls. The
//!   sandbox answers on its own threads, so this is the library's own CPU per save without
//!   the network wait (criterion reports CPU time here, not wall time). Work the library
//!   hands to helper threads is not in it (ureq 3.5 resolves the host on a new thread for
//!   every request); the side-by-side benchmark's whole-process figure includes it.
//!
//! Two placements, because on a virtual machine the figure depends on where the two ends
//! run (see the README's Performance section):
//!
//! - `one_cpu`: client thread and sandbox pinned to the same CPU (the first this process
//!   may use). Waking the other end is a plain context switch; the client thread is charged
//!   for its own work only;
//! - `two_cpus`: client on that CPU, sandbox on the next one (as with a gateway elsewhere).
//!   Each request and answer wakes a thread on the other, idle, virtual CPU: an
//!   inter-processor interrupt that the hypervisor makes expensive, charged partly to the
//!   client thread.
//!
//! Every save uses a new mobile (a new member, as at a till). The token is fetched once
//! before measuring; the sandbox's rate limits and the client's request budget are off, so
//! the library's own cost is what is measured.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use jdy_member::ffi::{jdy_client_free, jdy_client_new, jdy_member_save, jdy_string_free};
use jdy_member_sandbox::{Behaviour, Sandbox, SandboxOptions};
use std::ffi::{CStr, CString};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

const SEED: &str = include_str!("../examples/seed-member.json");
const SEED_MOBILE: &str = "13333333333";

static NEXT_MOBILE: AtomicU64 = AtomicU64::new(13_000_000_000);

/// The seed member with a mobile never used before in this process.
fn fresh_member() -> CString {
    let mobile = NEXT_MOBILE.fetch_add(1, Ordering::Relaxed).to_string();
    CString::new(SEED.replace(SEED_MOBILE, &mobile)).expect("no NUL in the seed")
}

/// CPU time of the calling thread.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The CPUs this process may run on, in order.
fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, filled in by sched_getaffinity.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Vec::new();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&cpu| libc::CPU_ISSET(cpu, &set))
            .collect()
    }
}

/// Restricts the calling thread, and the threads it starts from now on, to `cpus`.
fn pin(cpus: &[usize]) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET stays within it.
    let rc = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set)
    };
    assert_eq!(rc, 0, "sched_setaffinity({cpus:?}) failed");
}

struct Fixture {
    client: *mut jdy_member::ffi::JdyClient,
    _sandbox: Sandbox,
    /// The CPUs the calling thread had before, restored on drop.
    allowed: Vec<usize>,
}

impl Fixture {
    /// A sandbox whose threads (accept, one per connection) run on `sandbox_cpu`, and a
    /// client; the calling thread is left on `client_cpu`. Threads inherit the CPU set of
    /// the thread that starts them.
    fn start(sandbox_cpu: usize, client_cpu: usize) -> Fixture {
        let allowed = allowed_cpus();
        pin(&[sandbox_cpu]);
        let sandbox = Sandbox::start(SandboxOptions {
            behaviour: Behaviour::unlimited(),
            ..SandboxOptions::default()
        })
        .expect("sandbox starts");
        pin(&[client_cpu]);
        let mut config = sandbox.client_config();
        config["token_cache_path"] = serde_json::Value::Null;
        config["request_budget"] = serde_json::Value::Null;
        let config = CString::new(config.to_string()).expect("config");
        // SAFETY: a valid NUL-terminated string; no error pointer wanted.
        let client = unsafe { jdy_client_new(config.as_ptr(), std::ptr::null_mut()) };
        assert!(!client.is_null(), "jdy_client_new failed");
        let fixture = Fixture {
            client,
            _sandbox: sandbox,
            allowed,
        };
        // The first saves fetch the token and open the connection.
        for _ in 0..10 {
            fixture.save(&fresh_member());
        }
        fixture
    }

    fn save(&self, member: &CStr) {
        // SAFETY: a live client and a NUL-terminated member; the envelope is freed below.
        unsafe {
            let envelope = jdy_member_save(self.client, member.as_ptr());
            // A success envelope holds `"ok":true` (an error one `"ok":false`).
            let ok = CStr::from_ptr(envelope)
                .to_bytes()
                .windows(9)
                .any(|w| w == br#""ok":true"#);
            if !ok {
                let text = CStr::from_ptr(envelope).to_string_lossy().into_owned();
                jdy_string_free(envelope);
                panic!("save failed: {text}");
            }
            jdy_string_free(envelope);
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // SAFETY: created by jdy_client_new, freed once, no call running.
        unsafe { jdy_client_free(self.client) };
        if !self.allowed.is_empty() {
            pin(&self.allowed);
        }
    }
}

fn measure(c: &mut Criterion, placement: &str, fixture: &Fixture) {
    let mut group = c.benchmark_group(format!("save_ffi/{placement}"));
    group.bench_function("wall", |b| {
        b.iter_batched(fresh_member, |m| fixture.save(&m), BatchSize::SmallInput)
    });
    group.bench_function("client_thread_cpu", |b| {
        b.iter_custom(|iters| {
            let members: Vec<CString> = (0..iters).map(|_| fresh_member()).collect();
            let start = thread_cpu();
            for member in &members {
                fixture.save(member);
            }
            thread_cpu() - start
        })
    });
    group.finish();
}

fn save(c: &mut Criterion) {
    let cpus = allowed_cpus();
    let first = cpus.first().copied().unwrap_or(0);
    measure(c, "one_cpu", &Fixture::start(first, first));
    if let Some(&second) = cpus.get(1) {
        measure(c, "two_cpus", &Fixture::start(second, first));
    }
}

criterion_group!(benches, save);
criterion_main!(benches);
