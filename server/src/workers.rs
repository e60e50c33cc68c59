//! Dedicated threads fed by one first-in-first-out queue: RSA signing (one thread per core) and
//! database transactions (as many as the store can run at once; SQLite: one).
//!
//! The work used to go to tokio's blocking pool, one `spawn_blocking` per job behind a semaphore.
//! Under load that woke a pool thread for every job (a context switch, on a 2-core machine
//! shared by the client, the server and the signing), and parked up to 64 threads on SQLite's
//! connection mutex, which wakes them in no particular order. Here the threads stay busy while
//! there is work and always take the oldest job, so no request overtakes an earlier one: the p99
//! of a closed loop of clients is set by its slowest requests (bench_tokens, server/README.md).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use crate::errors::{ApiError, ApiResult};

type Job = Box<dyn FnOnce() + Send>;

pub struct Workers {
    name: &'static str,
    queue: mpsc::Sender<Job>,
}

impl Workers {
    /// `threads` threads named `{name}-{i}`. They end when the `Workers` is dropped (the queue's
    /// sender goes, and `recv` fails).
    pub fn start(name: &'static str, threads: usize) -> Self {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..threads.max(1) {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    loop {
                        // One thread waits in `recv` holding the lock; the others wait for the lock.
                        let job = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok(job) = job else { return };
                        // A panicking job fails its own request (its answer channel is dropped),
                        // never the thread: with SQLite's single thread gone, no request could run.
                        let _ = catch_unwind(AssertUnwindSafe(job));
                    }
                })
                .expect("spawning a worker thread");
        }
        Workers { name, queue }
    }

    /// Runs `job` on one of the threads, after every job queued before it has started.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            // The request may have gone (client disconnected): nobody to answer.
            let _ = reply.send(job());
        });
        self.queue.send(job).map_err(|_| ApiError::internal(format!("the {} threads are gone", self.name)))?;
        answer.await.map_err(|_| ApiError::internal(format!("a {} job panicked", self.name)))
    }
}
