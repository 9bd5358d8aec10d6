//! The process's own use of the machine: CPU time and peak memory, for run.json and `bench`.
//!
//! `getrusage` counts every thread of the process (the rayon workers included) and its peak
//! resident set, without depending on /proc.

/// CPU time (user + system) the process has used so far, in seconds.
pub fn cpu_seconds() -> Option<f64> {
    let usage = usage()?;
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    Some(seconds(usage.ru_utime) + seconds(usage.ru_stime))
}

/// The process's peak resident memory so far, in MiB.
pub fn peak_memory_mib() -> Option<f64> {
    // Linux reports ru_maxrss in KiB.
    Some(usage()?.ru_maxrss as f64 / 1024.0)
}

/// Whether a process with this id is running (or cannot be told apart from one): used to
/// recognise the temporary folders of killed runs. Signal 0 checks without signalling.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return true };
    if pid <= 0 {
        return true;
    }
    // SAFETY: kill with signal 0 only checks that the process exists and may be signalled.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

fn usage() -> Option<libc::rusage> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a complete `rusage` into the pointer on success (return 0);
    // it is read only then.
    let ok = unsafe { libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) } == 0;
    // SAFETY: initialised by the successful call above.
    ok.then(|| unsafe { usage.assume_init() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_and_memory_is_positive() {
        let before = cpu_seconds().unwrap();
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_seconds().unwrap() > before);
        assert!(peak_memory_mib().unwrap() > 1.0);
    }

    #[test]
    fn this_process_is_alive_and_a_finished_child_is_not() {
        assert!(process_alive(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        assert!(!process_alive(pid));
    }
}
