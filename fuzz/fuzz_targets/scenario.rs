//! Bytes → scenario → compiled models → a short simulation → summary, CSV and tables:
//! `branchsim::hardening::exercise`, which must never panic, hang or allocate without bound.
//! See docs/hardening.md for how to run it.
#![no_main]

use std::sync::Once;

use libfuzzer_sys::fuzz_target;

static POOL: Once = Once::new();

fuzz_target!(|data: &[u8]| {
    // One worker thread: the machine's other core is left to the fuzzer's own bookkeeping
    // and results do not depend on the thread count anyway.
    POOL.call_once(|| {
        let _ = rayon::ThreadPoolBuilder::new().num_threads(1).build_global();
    });
    let _ = branchsim::hardening::exercise(data);
});
