//! CPU contention for the scheduler tools' tests: busy threads pinned to
//! CPU 0, so that they wait for each other in its run queue.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `f` while three threads named `name` spin on CPU 0 (after
/// `settle` for the queue to fill); returns what `f` returned and the
/// threads' ids.
pub fn spin_on_cpu0<T>(name: &str, settle: Duration, f: impl FnOnce() -> T) -> (T, Vec<i32>) {
    let stop = Arc::new(AtomicBool::new(false));
    let tids = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let (stop, tids) = (stop.clone(), tids.clone());
            std::thread::Builder::new()
                .name(name.into())
                .spawn(move || unsafe {
                    let mut set: libc::cpu_set_t = std::mem::zeroed();
                    libc::CPU_SET(0, &mut set);
                    libc::sched_setaffinity(0, std::mem::size_of_val(&set), &set);
                    tids.lock().unwrap().push(libc::gettid());
                    while !stop.load(Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
                .unwrap()
        })
        .collect();
    std::thread::sleep(settle);
    let out = f();
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join().unwrap();
    }
    let tids = tids.lock().unwrap().clone();
    (out, tids)
}
