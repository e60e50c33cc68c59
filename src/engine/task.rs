//! Background tasks that can be cancelled, in the spirit of gloo's RAII timers: dropping the
//! [`TaskHandle`] stops the task at once, and the task's own future (with any timer it waits
//! on) is dropped with it, so nothing stays pending.

use super::platform::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Default)]
struct Cancel {
    cancelled: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// Owns a running task: dropping it (or [`TaskHandle::cancel`]) cancels the task.
pub struct TaskHandle(Rc<Cancel>);

impl TaskHandle {
    pub fn cancel(&self) {
        self.0.cancelled.set(true);
        if let Some(waker) = self.0.waker.borrow_mut().take() {
            waker.wake();
        }
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// `task`, made cancellable by the returned handle. Spawn the future; keep the handle.
pub fn cancellable(task: LocalBoxFuture<'static, ()>) -> (LocalBoxFuture<'static, ()>, TaskHandle) {
    let cancel = Rc::new(Cancel::default());
    (Box::pin(Cancellable { task: Some(task), cancel: cancel.clone() }), TaskHandle(cancel))
}

struct Cancellable {
    task: Option<LocalBoxFuture<'static, ()>>,
    cancel: Rc<Cancel>,
}

impl Future for Cancellable {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.cancel.cancelled.get() {
            self.task = None; // drops the task's future now, and the timer it waits on
            return Poll::Ready(());
        }
        *self.cancel.waker.borrow_mut() = Some(cx.waker().clone());
        match self.task.as_mut().map(|t| t.as_mut().poll(cx)) {
            Some(Poll::Pending) => Poll::Pending,
            _ => {
                self.task = None;
                Poll::Ready(())
            }
        }
    }
}

/// Both futures polled together, their outputs when both are done (`futures::join!` for two;
/// boxed, so the join is one small poll function rather than a state machine of its own).
pub fn join<A: Future, B: Future>(a: A, b: B) -> impl Future<Output = (A::Output, B::Output)> {
    let (mut a, mut b) = (Box::pin(a), Box::pin(b));
    let (mut a_out, mut b_out) = (None, None);
    std::future::poll_fn(move |cx| {
        // A finished future is not polled again.
        if a_out.is_none()
            && let Poll::Ready(out) = a.as_mut().poll(cx)
        {
            a_out = Some(out);
        }
        if b_out.is_none()
            && let Poll::Ready(out) = b.as_mut().poll(cx)
        {
            b_out = Some(out);
        }
        match (a_out.take(), b_out.take()) {
            (Some(a), Some(b)) => Poll::Ready((a, b)),
            (a, b) => {
                (a_out, b_out) = (a, b);
                Poll::Pending
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    struct DropFlag(Rc<Cell<bool>>);
    impl Drop for DropFlag {
        fn drop(&mut self) {
            self.0.set(true);
        }
    }

    #[test]
    fn dropping_the_handle_drops_the_task_at_its_next_poll() {
        let dropped = Rc::new(Cell::new(false));
        let flag = DropFlag(dropped.clone());
        let (mut task, handle) = cancellable(
            async move {
                let _flag = flag;
                futures::future::pending::<()>().await;
            }
            .boxed_local(),
        );
        let waker = futures::task::noop_waker();
        assert!(task.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
        drop(handle);
        assert!(task.as_mut().poll(&mut Context::from_waker(&waker)).is_ready());
        assert!(dropped.get());
    }
}
