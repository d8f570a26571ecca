//! The traced command of `-c`: started paused, released once the probes
//! are attached, so no event of its life is missed; scry stops when it ends.

use std::ffi::CString;

pub struct Child {
    pub pid: i32,
    release_fd: i32,
    status: Option<i32>,
}

impl Child {
    /// Forks `sh -c CMD`-style argv (split on whitespace like bpftrace),
    /// waiting on a pipe before it execs. Under sudo the command runs with
    /// the invoking user's ids.
    pub fn spawn_paused(cmd: &str) -> Result<Child, String> {
        let argv: Vec<CString> = cmd
            .split_whitespace()
            .map(|a| CString::new(a).map_err(|_| "the command contains a NUL byte".to_string()))
            .collect::<Result<_, _>>()?;
        if argv.is_empty() {
            return Err("-c: the command is empty".into());
        }
        let mut fds = [0i32; 2];
        // SAFETY: plain pipe/fork/exec; the child only calls async-signal-safe
        // functions before exec.
        unsafe {
            if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                return Err(format!("pipe: {}", std::io::Error::last_os_error()));
            }
            let ids = sudo_ids();
            let mut ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            let pid = libc::fork();
            if pid < 0 {
                return Err(format!("fork: {}", std::io::Error::last_os_error()));
            }
            if pid == 0 {
                libc::close(fds[1]);
                let mut b = 0u8;
                let n = libc::read(fds[0], &mut b as *mut u8 as *mut libc::c_void, 1);
                if n != 1 {
                    libc::_exit(127);
                }
                if let Some((uid, gid)) = ids {
                    libc::setgid(gid);
                    libc::setuid(uid);
                }
                libc::execvp(ptrs[0], ptrs.as_ptr());
                let msg = b"scry: cannot run the -c command\n";
                libc::write(2, msg.as_ptr() as *const libc::c_void, msg.len());
                libc::_exit(127);
            }
            libc::close(fds[0]);
            Ok(Child {
                pid,
                release_fd: fds[1],
                status: None,
            })
        }
    }

    /// Lets the command exec.
    pub fn release(&mut self) {
        if self.release_fd >= 0 {
            let b = 1u8;
            // SAFETY: writing one byte to our pipe end, then closing it.
            unsafe {
                libc::write(self.release_fd, &b as *const u8 as *const libc::c_void, 1);
                libc::close(self.release_fd);
            }
            self.release_fd = -1;
        }
    }

    /// The exit status once it has ended.
    pub fn try_wait(&mut self) -> Option<i32> {
        if self.status.is_none() {
            let mut st = 0;
            // SAFETY: waiting for our own child.
            let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
            if r == self.pid {
                self.status = Some(if libc::WIFEXITED(st) {
                    libc::WEXITSTATUS(st)
                } else {
                    128 + libc::WTERMSIG(st)
                });
            }
        }
        self.status
    }
}

impl crate::run::Watched for Child {
    fn start(&mut self) {
        self.release();
    }

    fn ended(&mut self) -> bool {
        self.try_wait().is_some()
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        if self.release_fd >= 0 {
            // Never released (an error before attaching): stop it.
            // SAFETY: closing our pipe end makes the child exit; reap it.
            unsafe {
                libc::close(self.release_fd);
                libc::waitpid(self.pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

fn sudo_ids() -> Option<(u32, u32)> {
    let uid = std::env::var("SUDO_UID").ok()?.parse().ok()?;
    let gid = std::env::var("SUDO_GID").ok()?.parse().ok()?;
    Some((uid, gid))
}
