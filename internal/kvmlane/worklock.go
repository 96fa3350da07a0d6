package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// lockWork takes the lane's work directory for this run. Every run rebuilds
// the images, the initramfs and L1's console log in that directory, so two
// runs at once would boot each other's half-written files; the second one
// waits here until the first has finished (or ctx ends), saying which
// process holds the directory and how to use another one instead. The lock
// is an flock on dir/lock: the kernel drops it when the holder exits, so a
// run killed with -9 leaves nothing to clean up. release gives it back.
func lockWork(ctx context.Context, dir string, logf func(string, ...any)) (release func(), err error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock the lane's work directory: %w", err)
	}
	told := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !told {
			holder, _ := os.ReadFile(path)
			logf("another lane run (%s) is using %s; waiting for it to finish (use -work DIR or GOTORO_KVMLANE_DIR for a separate directory)",
				describeHolder(strings.TrimSpace(string(holder))), dir)
			told = true
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("waiting for the lane's work directory %s: %w", dir, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
	// Name the holder for a run that has to wait; a failure here only
	// makes that message vaguer.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(fmt.Sprintf("%d\n", os.Getpid())), 0)
	}
	return func() { f.Close() }, nil
}

func describeHolder(pid string) string {
	if pid == "" {
		return "process unknown"
	}
	return "process " + pid
}
