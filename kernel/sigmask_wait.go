package kernel

import "unsafe"

// The signal masks of ppoll, pselect6, epoll_pwait and epoll_pwait2
// (Linux's set_user_sigmask and restore_saved_sigmask_unless). The
// call's mask becomes the thread's for the wait, the thread's own saved
// beside it (thread.savedMask). A wait that ends any way but EINTR puts
// the thread's mask back at once, so a signal the thread blocks stays
// pending. A wait a signal ended (EINTR) keeps the call's mask until the
// signal is delivered on the way out (trap): the handler's frame holds
// the thread's own mask (setupSigframe), which rt_sigreturn restores;
// if no handler runs, trap puts it back. So a signal the call's mask
// lets through cannot slip past between the wait and the restore, and
// one it blocks waits pending until the thread's own mask allows it.

// waitMaskSet reads the sigset_t of size bytes at p (NULL: no mask) and
// makes it the running thread's mask until waitMaskDone.
func waitMaskSet(p, size uintptr) int64 {
	if p == 0 {
		return 0
	}
	if size != 8 {
		return -EINVAL
	}
	b, ok := userBytes(p, 8, false)
	if !ok {
		return -EFAULT
	}
	t := curThread()
	t.savedMask, t.maskSaved = t.sigmask, true
	t.sigmask = *(*uint64)(unsafe.Pointer(&b[0])) &^ (sigbit(sigKILL) | sigbit(sigSTOP))
	return 0
}

// waitMaskDone ends a wait's mask given the call's result r: at once,
// unless a signal cut the wait (EINTR) and is still there to deliver,
// whose delivery ends it (trap looks for a kept mask only when a signal
// is deliverable).
func waitMaskDone(r int64) int64 {
	if t := curThread(); t.maskSaved && (r != -EINTR || !signalDeliverable()) {
		t.sigmask, t.maskSaved = t.savedMask, false
	}
	return r
}

// signalDeliverable reports whether the running thread has a signal
// pending that its mask lets through.
func signalDeliverable() bool {
	t := curThread()
	return t.pending&^t.sigmask != 0
}

// waitMaskRestore puts back the mask a wait cut by a signal kept, when
// no handler took it (trap, after deliverSignals).
//
//go:nosplit
func waitMaskRestore(t *thread) {
	if t.maskSaved {
		t.sigmask, t.maskSaved = t.savedMask, false
	}
}
