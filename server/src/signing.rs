//! RSA signing on one thread per core, fed in arrival order.
//!
//! Signing is most of the CPU a token costs (bench_tokens' profile: ~2/3 in ring's RSA). Each
//! signature used to wait for one of `cores` semaphore permits and then for a thread of the
//! blocking pool, which had to be woken for it. Here `cores` threads stay busy while there is work
//! and take the oldest job first, so under load a signature costs no thread wake-up of its own
//! and no request overtakes an earlier one (the p99 of a closed loop of 64 clients is set by its
//! slowest requests).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use clerk_token::SigningKey;
use serde_json::Value;
use tokio::sync::oneshot;

use crate::errors::{ApiError, ApiResult};

type Job = (Value, oneshot::Sender<String>);

pub struct Signers {
    queue: mpsc::Sender<Job>,
}

impl Signers {
    /// `threads` signing threads for `key`. They end when the `Signers` is dropped (the queue's
    /// sender goes, and `recv` fails).
    pub fn start(key: &SigningKey, threads: usize) -> Self {
        let (queue, jobs) = mpsc::channel::<Job>();
        let jobs = Arc::new(Mutex::new(jobs));
        for i in 0..threads.max(1) {
            let (jobs, key) = (jobs.clone(), key.clone());
            std::thread::Builder::new()
                .name(format!("signer-{i}"))
                .spawn(move || {
                    loop {
                        // One thread waits in `recv` holding the lock; the others wait for the lock.
                        let job = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
                        let Ok((claims, reply)) = job else { return };
                        // The request may have gone (client disconnected): nobody to answer.
                        let _ = reply.send(key.sign(&claims));
                    }
                })
                .expect("spawning a signing thread");
        }
        Signers { queue }
    }

    pub async fn sign(&self, claims: Value) -> ApiResult<String> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((claims, reply)).map_err(|_| ApiError::internal("the signing threads are gone"))?;
        answer.await.map_err(|_| ApiError::internal("a signing thread failed"))
    }
}
