package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLockWork checks that a second run waits for the first to release the
// work directory, says who holds it, and gives up when its context ends.
func TestLockWork(t *testing.T) {
	dir := t.TempDir()
	var mu sync.Mutex
	var said []string
	logf := func(format string, args ...any) {
		mu.Lock()
		said = append(said, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	release, err := lockWork(context.Background(), dir, logf)
	if err != nil {
		t.Fatal(err)
	}

	// A waiter whose context ends while the lock is held returns an error.
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	if _, err := lockWork(ctx, dir, logf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second lock while held: err = %v, want the context's deadline", err)
	}
	mu.Lock()
	if len(said) != 1 || !strings.Contains(said[0], "another lane run") || !strings.Contains(said[0], dir) {
		t.Errorf("waiting message = %q, want one naming the holder and %s", said, dir)
	}
	mu.Unlock()

	// A waiter gets the lock once the holder releases it, not before.
	got := make(chan error, 1)
	var release2 func()
	go func() {
		var err error
		release2, err = lockWork(context.Background(), dir, logf)
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("second lock returned while the first was held: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
		release2()
	case <-time.After(5 * time.Second):
		t.Fatal("second lock not taken 5 s after the first was released")
	}
}
