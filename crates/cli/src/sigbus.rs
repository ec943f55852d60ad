//! A log line before death by SIGBUS.
//!
//! SQLite maps the database's WAL index (the `-shm` file beside it) into
//! memory and writes it on every transaction. When a page of that mapping
//! has no storage behind it — the file truncated under the node, a full
//! copy-on-write filesystem (btrfs, ZFS) that cannot give the page a new
//! block — the next touch raises SIGBUS. SQLite already writes every new
//! page of the file when it grows it, so an ordinary full disk is an error
//! (SQLITE_IOERR or SQLITE_FULL, UNAVAILABLE to the caller), not a signal;
//! what remains cannot be recovered in the process: the faulting
//! instruction only runs again. So the node dies, but not silently: a
//! SIGBUS handler writes one error line, prepared at start, naming the
//! database and its `-shm` file, then lets the signal take its default
//! course (the process ends by SIGBUS, with a core dump where enabled, and
//! a supervisor restarts it; SQLite rebuilds the index from the WAL at the
//! next open: nothing committed is lost).
//!
//! The module also gives SIGPIPE its default action back for the commands
//! that print and exit ([`quiet_on_closed_pipe`]).
//!
//! This module is the workspace's one place for `unsafe`: installing a signal handler, whose
//! action must be async-signal-safe. A thread woken through a pipe would be
//! too late: Rust's own SIGBUS handler (stack overflows), which runs first,
//! restores the default action, and the faulting instruction runs again at
//! once.

use std::sync::OnceLock;

use signal_hook::consts::SIGBUS;

/// The line the handler writes, prepared before it is installed.
static LINE: OnceLock<Box<[u8]>> = OnceLock::new();

/// Makes the process write an error line naming `database` (the redacted
/// URL) and, for SQLite, its `-shm` file before it dies by SIGBUS; `json`:
/// as a JSON object, like the node's other log lines in that format.
pub fn log_before_death(database: &str, json: bool) -> std::io::Result<()> {
    let shm = database
        .starts_with("sqlite:")
        .then(|| <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(database).ok())
        .flatten()
        .map(|options| format!("{}-shm", options.get_filename().display()))
        .unwrap_or_else(|| "-".to_owned());
    let message = "fatal: SIGBUS: a memory-mapped file has no storage behind it (with SQLite: the WAL \
                   index file, truncated, or on a full or failing filesystem); the node stops, and a \
                   restart rebuilds the index from the WAL";
    let line = if json {
        let fields = serde_json::json!({ "message": message, "database": database, "shm": shm });
        format!(
            "{}\n",
            serde_json::json!({ "level": "ERROR", "target": "fengqiao::sigbus", "fields": fields })
        )
    } else {
        format!("ERROR fengqiao::sigbus: {message} database={database} shm={shm}\n")
    };
    let _ = LINE.set(line.into_bytes().into_boxed_slice());
    // SAFETY: the action is async-signal-safe: it reads `LINE`, set above
    // and never again (a lock-free load), and calls write(2); it allocates
    // nothing and takes no lock.
    #[allow(unsafe_code)]
    unsafe {
        signal_hook::low_level::register(SIGBUS, write_line)?;
    }
    Ok(())
}

/// The handler's action: one write(2) of the prepared line to stderr.
fn write_line() {
    if let Some(line) = LINE.get() {
        // SAFETY: fd 2 and a buffer that lives for the whole process.
        #[allow(unsafe_code)]
        unsafe {
            libc::write(2, line.as_ptr().cast(), line.len());
        }
    }
}

/// Ends the process quietly, as SIGPIPE's default action does, when it
/// writes to a standard output or error whose reader has gone (`| head`).
/// Rust ignores the signal so that the write fails instead, and `println!`
/// then panics ("failed printing to stdout: Broken pipe"): for a command
/// piped into `head`, the quiet end is what a person expects. A closed
/// *socket* is not the end of the command: when the node closes the
/// connection (a TLS node spoken to over http://), the write fails and the
/// command says what went wrong. So the handler looks which it was: fd 1 or
/// 2 with an error condition (a pipe without reader) ends the process with
/// SIGPIPE; anything else returns and the write fails with EPIPE. Called
/// once, at the start of `main`, for the commands that print and exit.
pub fn quiet_on_closed_pipe() {
    // SAFETY: sigaction(2) with a handler that calls only async-signal-safe
    // functions (poll, signal, raise); installed before any thread starts.
    #[allow(unsafe_code)]
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigpipe as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGPIPE, &action, std::ptr::null_mut());
    }
}

extern "C" fn on_sigpipe(_: libc::c_int) {
    let mut fds =
        [libc::pollfd { fd: 1, events: 0, revents: 0 }, libc::pollfd { fd: 2, events: 0, revents: 0 }];
    // SAFETY: poll(2) on two descriptors of an array on the stack; signal(2)
    // and raise(3) are async-signal-safe. The raised signal is blocked while
    // this handler runs and ends the process, by the default action, when
    // it returns.
    #[allow(unsafe_code)]
    unsafe {
        libc::poll(fds.as_mut_ptr(), 2, 0);
        if fds.iter().any(|fd| fd.revents & libc::POLLERR != 0) {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            libc::raise(libc::SIGPIPE);
        }
    }
}
