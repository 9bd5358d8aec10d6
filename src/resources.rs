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
}
