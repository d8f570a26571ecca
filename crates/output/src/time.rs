//! `time()` and `strftime()` text: the C library's `strftime` in local
//! time, plus bpftrace's `%f` extension (microseconds, 6 digits).

use std::ffi::CString;

extern "C" {
    // POSIX; not bound by the libc crate.
    fn tzset();
}

/// The default format of `time()`.
pub const DEFAULT_TIME_FORMAT: &str = "%H:%M:%S\n";

/// Replaces `%f` by the 6-digit microseconds, leaving `%%` alone.
fn expand_usecs(fmt: &str, usecs: u64) -> String {
    let mut out = String::with_capacity(fmt.len() + 8);
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('f') => out.push_str(&format!("{usecs:06}")),
            Some(n) => {
                out.push('%');
                out.push(n);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Formats the wall-clock time `unix_ns` (nanoseconds since the Unix epoch)
/// with a `strftime` format in the local time zone, as bpftrace's `time()`
/// and `strftime()` do (`%f` gives the microseconds). A runtime holding
/// `nsecs` since boot adds the boot time first.
pub fn format_time(fmt: &str, unix_ns: u64) -> String {
    let secs = (unix_ns / 1_000_000_000) as libc::time_t;
    let usecs = (unix_ns % 1_000_000_000) / 1000;
    let fmt = expand_usecs(fmt, usecs);
    let fmt = fmt.split('\0').next().unwrap_or("");
    if fmt.is_empty() {
        return String::new();
    }
    let Ok(cfmt) = CString::new(fmt) else {
        return String::new();
    };
    // SAFETY: tzset has no preconditions; localtime_r writes only into `tm`.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let ok = unsafe {
        tzset();
        !libc::localtime_r(&secs, &mut tm).is_null()
    };
    if !ok {
        return "(?)".to_string();
    }
    let mut size = 256;
    loop {
        let mut buf = vec![0u8; size];
        // SAFETY: buf has `size` bytes; cfmt is NUL-terminated; tm is valid.
        let n = unsafe {
            libc::strftime(
                buf.as_mut_ptr() as *mut libc::c_char,
                size,
                cfmt.as_ptr(),
                &tm,
            )
        };
        if n > 0 || size >= 1 << 16 {
            buf.truncate(n);
            return String::from_utf8_lossy(&buf).into_owned();
        }
        size *= 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usecs() {
        assert_eq!(expand_usecs("%H.%f %%f", 42), "%H.000042 %%f");
    }

    #[test]
    fn utc_formatting() {
        std::env::set_var("TZ", "UTC");
        // 2021-03-04 05:06:07.123456789 UTC
        let ns = 1_614_834_367_123_456_789;
        assert_eq!(
            format_time("%Y-%m-%d %H:%M:%S.%f", ns),
            "2021-03-04 05:06:07.123456"
        );
        assert_eq!(format_time(DEFAULT_TIME_FORMAT, ns), "05:06:07\n");
        assert_eq!(format_time("", ns), "");
    }
}
