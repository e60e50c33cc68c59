//! One future, many awaiting callers, on one thread.
//!
//! `futures`' `Shared` does this for futures that cross threads (atomics, a locked slab of
//! wakers, an `Arc`'d notifier): 3.4 KB of wasm in a library that has one thread. This keeps the
//! part that matters: whichever caller polls drives the future, and its wake-up wakes every
//! caller, so the result still arrives when the caller that started it has stopped waiting.

use super::platform::LocalBoxFuture;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

pub struct LocalShared<T: Clone>(Rc<RefCell<SharedState<T>>>);

struct SharedState<T> {
    /// `None` once finished, and while a poll further up the stack is driving it.
    future: Option<LocalBoxFuture<'static, T>>,
    output: Option<T>,
    waiters: Arc<Waiters>,
}

/// The wakers of every caller waiting; the future is polled with a waker that wakes them all.
#[derive(Default)]
struct Waiters(Mutex<Vec<Waker>>);

impl Waiters {
    fn add(&self, waker: &Waker) {
        let mut wakers = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !wakers.iter().any(|w| w.will_wake(waker)) {
            wakers.push(waker.clone());
        }
    }
}

impl Wake for Waiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let wakers = std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()));
        wakers.into_iter().for_each(Waker::wake);
    }
}

impl<T: Clone> LocalShared<T> {
    pub fn new(future: LocalBoxFuture<'static, T>) -> Self {
        LocalShared(Rc::new(RefCell::new(SharedState { future: Some(future), output: None, waiters: Arc::default() })))
    }
}

impl<T: Clone> Clone for LocalShared<T> {
    fn clone(&self) -> Self {
        LocalShared(self.0.clone())
    }
}

impl<T: Clone> Future for LocalShared<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut inner = self.0.borrow_mut();
        if let Some(output) = &inner.output {
            return Poll::Ready(output.clone());
        }
        inner.waiters.add(cx.waker());
        let Some(mut future) = inner.future.take() else { return Poll::Pending };
        let waker = Waker::from(inner.waiters.clone());
        // Not borrowed while the future runs: it may start or join other shared requests.
        drop(inner);
        let poll = future.as_mut().poll(&mut Context::from_waker(&waker));
        let mut inner = self.0.borrow_mut();
        match poll {
            Poll::Ready(output) => {
                inner.output = Some(output.clone());
                let waiters = inner.waiters.clone();
                drop(inner);
                waiters.wake_by_ref();
                Poll::Ready(output)
            }
            Poll::Pending => {
                inner.future = Some(future);
                Poll::Pending
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LocalShared;
    use futures::FutureExt;
    use futures::channel::oneshot;
    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn every_caller_gets_the_one_output() {
        let runs = Rc::new(Cell::new(0));
        let (send, receive) = oneshot::channel::<u32>();
        let shared = LocalShared::new({
            let runs = runs.clone();
            async move {
                runs.set(runs.get() + 1);
                receive.await.unwrap_or(0)
            }
            .boxed_local()
        });
        let mut pool = LocalPool::new();
        let results = Rc::new(std::cell::RefCell::new(Vec::new()));
        for _ in 0..3 {
            let (shared, results) = (shared.clone(), results.clone());
            pool.spawner()
                .spawn_local(async move {
                    let output = shared.await;
                    results.borrow_mut().push(output);
                })
                .unwrap();
        }
        pool.run_until_stalled();
        assert!(results.borrow().is_empty(), "nobody has the output before it exists");
        send.send(7).unwrap();
        pool.run_until_stalled();
        assert_eq!(*results.borrow(), vec![7, 7, 7]);
        assert_eq!(runs.get(), 1, "the future ran once");
        assert_eq!(futures::executor::block_on(shared), 7, "a late caller gets the kept output");
    }

    #[test]
    fn the_output_arrives_when_the_caller_that_drove_it_last_stopped_waiting() {
        let (send, receive) = oneshot::channel::<u32>();
        let shared = LocalShared::new(async move { receive.await.unwrap_or(0) }.boxed_local());
        let mut pool = LocalPool::new();
        let waiting = Rc::new(Cell::new(None));
        {
            let (shared, waiting) = (shared.clone(), waiting.clone());
            pool.spawner().spawn_local(async move { waiting.set(Some(shared.await)) }).unwrap();
        }
        pool.run_until_stalled();
        // A second caller polls last, so the channel now holds its waker; then it gives up.
        let (quitter, abort) = futures::future::abortable(shared.clone());
        pool.spawner().spawn_local(quitter.map(drop)).unwrap();
        pool.run_until_stalled();
        abort.abort();
        pool.run_until_stalled();
        send.send(9).unwrap();
        pool.run_until_stalled();
        assert_eq!(waiting.get(), Some(9));
    }
}
