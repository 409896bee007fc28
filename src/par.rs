//! Work on every core the machine has, for the CPU-bound steps after the climb.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `f` of each item, in the items' order, worked out on up to one thread per core. Threads take
/// the next item as they finish one, so that one big table does not hold up the rest.
pub(crate) fn map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut done: Vec<(usize, U)> = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mut done = work();
        for other in others {
            match other.join() {
                Ok(theirs) => done.extend(theirs),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, u)| u).collect()
}

/// Drops `value` on a thread of its own: freeing a big climb's many small values takes
/// milliseconds that the caller need not wait for.
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    // Should no thread start, the closure, and `value` with it, is dropped here.
    let _ = std::thread::Builder::new().spawn(move || {
        in_background();
        drop(value);
    });
}

/// Lowers the calling thread's priority, for work done beside the climb that it does not wait
/// for (reading the accepted snapshots, freeing): on a machine with fewer cores than busy
/// threads, the climb keeps its own. (Not the scans: the climb waits for each.)
pub(crate) fn in_background() {
    #[cfg(target_os = "linux")]
    // SAFETY: gettid has no preconditions; setpriority only changes this thread's nice value
    // (on Linux, PRIO_PROCESS with a thread id means that thread).
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_the_order_of_the_items() {
        let items: Vec<u64> = (0..1000).collect();
        let squares = super::map(&items, |x| {
            // Uneven work, so that threads finish out of order.
            if x % 7 == 0 {
                std::thread::yield_now();
            }
            x * x
        });
        assert_eq!(squares, items.iter().map(|x| x * x).collect::<Vec<_>>());
        assert!(super::map(&[] as &[u64], |x| *x).is_empty());
    }
}
