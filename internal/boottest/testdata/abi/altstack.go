package main

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// stackT is Linux's stack_t on amd64.
type stackT struct {
	sp    uintptr
	flags int32
	_     int32
	size  uintptr
}

const (
	ssOnstack    = 1
	ssDisable    = 2
	ssAutodisarm = -1 << 31 // 1 << 31 as an int32 flag
)

func sigaltstack(ss, old *stackT) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SIGALTSTACK, uintptr(unsafe.Pointer(ss)), uintptr(unsafe.Pointer(old)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func fail(format string, a ...any) {
	fmt.Printf("FAIL "+format+"\n", a...)
	os.Exit(1)
}

// checkAltStack checks sigaltstack's answers: the thread's stack as Go
// set it, bad modes and sizes refused with the old setting left unwritten,
// and, while the thread runs on its alternate stack, SS_ONSTACK reported
// and any change refused with EPERM. The alternate stack is pointed at
// the goroutine's own stack for that (deep in a recursion, so that the
// shallower frame that puts Go's stack back is outside it).
func checkAltStack(native bool) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var goStack stackT
	guestcheck.Must("sigaltstack query", sigaltstack(nil, &goStack))
	if goStack.flags != 0 || goStack.size < 2048 {
		fail("Go's alternate stack: flags %#x size %d", goStack.flags, goStack.size)
	}
	fmt.Println("ok sigaltstack query")
	for _, c := range []struct {
		name string
		ss   stackT
		want syscall.Errno
	}{
		{"sigaltstack unknown mode", stackT{sp: goStack.sp, size: goStack.size, flags: 4}, syscall.EINVAL},
		{"sigaltstack too small", stackT{sp: goStack.sp, size: 1024}, syscall.ENOMEM},
		// gotoro does not implement SS_AUTODISARM and refuses it, as
		// Linux before 4.7 did; Linux now takes it.
		{"sigaltstack autodisarm", stackT{sp: goStack.sp, size: goStack.size, flags: ssAutodisarm}, syscall.EINVAL},
	} {
		if native && c.ss.flags == ssAutodisarm {
			continue
		}
		old := stackT{flags: 77}
		guestcheck.Expect(c.name, sigaltstack(&c.ss, &old), c.want)
		if old.flags != 77 {
			fail("%s wrote the old setting (flags %#x)", c.name, old.flags)
		}
	}
	deep(64, false) // grow the goroutine's stack before pointing at it
	deep(64, true)
	guestcheck.Must("sigaltstack restore", sigaltstack(&goStack, nil))
	var now stackT
	guestcheck.Must("sigaltstack query after", sigaltstack(nil, &now))
	if now != goStack {
		fail("alternate stack after restore: %+v, want %+v", now, goStack)
	}
	fmt.Println("ok sigaltstack restored")
}

// deep recurses n frames, then, if onAlt, makes the stack around its
// deepest frame the alternate stack and checks the answers on it.
//
//go:noinline
func deep(n int, onAlt bool) byte {
	var pad [256]byte
	if n > 0 {
		pad[n%256] = deep(n-1, onAlt)
		return pad[0] + pad[n%256]
	}
	if !onAlt {
		return 0
	}
	top := uintptr(unsafe.Pointer(&pad[len(pad)-1])) + 1
	here := stackT{sp: top - 8192, size: 8192}
	guestcheck.Must("sigaltstack set on the running stack", sigaltstack(&here, nil))
	var got stackT
	guestcheck.Must("sigaltstack query on it", sigaltstack(nil, &got))
	if got.flags != ssOnstack || got.sp != here.sp || got.size != here.size {
		fail("on the alternate stack: %+v, want flags SS_ONSTACK", got)
	}
	fmt.Println("ok sigaltstack SS_ONSTACK")
	other := stackT{sp: here.sp, size: 4096}
	guestcheck.Expect("sigaltstack change on it", sigaltstack(&other, nil), syscall.EPERM)
	off := stackT{flags: ssDisable}
	guestcheck.Expect("sigaltstack disable on it", sigaltstack(&off, nil), syscall.EPERM)
	return 0
}
