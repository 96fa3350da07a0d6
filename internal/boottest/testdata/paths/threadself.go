package main

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"github.com/gotoro/gotoro/internal/guestcheck"
)

// testThreadSelf checks /proc/thread-self: a link to PID/task/TID of the
// calling thread, listed in /proc, whose stat, status and comm are the
// thread's, and whose ".." is PID/task.
func testThreadSelf() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	pid, tid := strconv.Itoa(os.Getpid()), strconv.Itoa(syscall.Gettid())
	hide := func(s string) string {
		return strings.ReplaceAll(strings.ReplaceAll(s, pid+"/task/"+tid, "PID/task/TID"), pid, "PID")
	}
	t, err := os.Readlink("/proc/thread-self")
	guestcheck.Check("readlink /proc/thread-self", err == nil && t == pid+"/task/"+tid, "%q, %v", hide(t), err)
	fi, err := os.Lstat("/proc/thread-self")
	guestcheck.Check("lstat /proc/thread-self", err == nil && fi.Mode()&os.ModeSymlink != 0, "%v, %v", fi, err)
	fi, err = os.Stat("/proc/thread-self")
	guestcheck.Check("stat /proc/thread-self", err == nil && fi.IsDir(), "%v, %v", fi, err)
	ents, err := os.ReadDir("/proc")
	found := false
	for _, e := range ents {
		found = found || e.Name() == "thread-self" && e.Type()&os.ModeSymlink != 0
	}
	guestcheck.Check("readdir /proc lists thread-self", err == nil && found, "%v", err)
	b, err := os.ReadFile("/proc/thread-self/stat")
	guestcheck.Check("/proc/thread-self/stat is the thread's", err == nil && strings.HasPrefix(string(b), tid+" "), "%q, %v", hide(string(trim(b))), err)
	b, err = os.ReadFile("/proc/thread-self/status")
	guestcheck.Check("/proc/thread-self/status is the thread's", err == nil && strings.Contains(string(b), "\nPid:\t"+tid+"\n") && strings.Contains(string(b), "\nTgid:\t"+pid+"\n"), "%v", err)
	same("/proc/thread-self/comm", "/proc/thread-self/comm", "/proc/self/comm")
	var a, c syscall.Stat_t
	ea, ec := syscall.Stat("/proc/thread-self/..", &a), syscall.Stat("/proc/self/task", &c)
	guestcheck.Check("/proc/thread-self/.. is /proc/self/task", ea == nil && ec == nil && a.Ino == c.Ino, "%v, %v", ea, ec)
	ea, ec = syscall.Stat("/proc/thread-self/", &a), syscall.Stat("/proc/self/task/"+tid, &c)
	guestcheck.Check("/proc/thread-self/ is /proc/self/task/TID", ea == nil && ec == nil && a.Ino == c.Ino, "%v, %v", ea, ec)
	_, err = os.ReadFile("/proc/thread-self/nosuch")
	guestcheck.Expect("/proc/thread-self/nosuch", err, syscall.ENOENT)
}
