//! SIGINT (Ctrl-C) and SIGTERM: stop a run promptly without losing results.
//!
//! The first signal only sets a flag. Simulations check it between replications and every
//! 65,536 events inside one, so a run stops within a fraction of a second; the command then
//! writes nothing, prints what happened on stderr and exits with 128 + the signal number
//! (130 for SIGINT, 143 for SIGTERM), like a shell reports a process killed by that signal.
//! Files are written to a temporary name and renamed, so a signal that arrives while results
//! are being written lets the writing finish first (a moment): the output folder then holds
//! either the earlier results or the complete new ones, never a mix.
//!
//! A second signal ends the process at once (for a user who really means it); the output
//! folder is still intact, because every file is replaced only by a rename.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// Exit code after SIGINT (128 + 2).
pub const EXIT_SIGINT: i32 = 130;
/// Exit code after SIGTERM (128 + 15).
pub const EXIT_SIGTERM: i32 = 143;

/// The exit code of the first signal received (0: none yet).
static RECEIVED: OnceLock<Arc<AtomicUsize>> = OnceLock::new();

/// Installs the handlers (once; later calls do nothing). Without them a signal ends the
/// process the default way, which is also safe for the files, just not reported.
pub fn install() -> Result<(), String> {
    if RECEIVED.get().is_some() {
        return Ok(());
    }
    let code = Arc::new(AtomicUsize::new(0));
    let armed = Arc::new(AtomicBool::new(false));
    for (sig, exit) in [(signal_hook::consts::SIGINT, EXIT_SIGINT), (signal_hook::consts::SIGTERM, EXIT_SIGTERM)] {
        let fail = |e: std::io::Error| format!("cannot install the signal handler: {e}");
        // Actions run in registration order: a second signal (flag already armed) exits at
        // once; the first one arms the flag and records which signal it was.
        signal_hook::flag::register_conditional_shutdown(sig, exit, Arc::clone(&armed)).map_err(fail)?;
        signal_hook::flag::register(sig, Arc::clone(&armed)).map_err(fail)?;
        signal_hook::flag::register_usize(sig, Arc::clone(&code), exit as usize).map_err(fail)?;
    }
    let _ = RECEIVED.set(code);
    Ok(())
}

/// The exit code for the signal received so far, if any.
pub fn received() -> Option<i32> {
    let code = RECEIVED.get()?.load(Ordering::Relaxed);
    (code != 0).then_some(code as i32)
}

/// True once SIGINT or SIGTERM arrived (cheap: polled by simulations).
pub fn cancelled() -> bool {
    received().is_some()
}

/// The signal's name for messages.
pub fn name(code: i32) -> &'static str {
    match code {
        EXIT_SIGINT => "SIGINT (Ctrl-C)",
        EXIT_SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// Prints that the command stopped on a signal and returns its exit code.
pub fn stopped(code: i32, what: &str) -> i32 {
    eprintln!("interrupted by {}: {what}", name(code));
    code
}
