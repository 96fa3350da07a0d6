package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestReadLinesBounded: a reader whose pipe some other process keeps open
// returns the grace period after its context ends, with the lines it got.
func TestReadLinesBounded(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close() // the write end stays open, as an orphaned QEMU's would
	if _, err := w.WriteString("run 1\nrun 2\n"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	var got []string
	start := time.Now()
	readLines(ctx, r, 200*time.Millisecond, func(l string) { got = append(got, l) })
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("returned after %v", d)
	}
	if len(got) != 2 || got[0] != "run 1" || got[1] != "run 2" {
		t.Errorf("lines %q", got)
	}
}

// TestReadLinesToEnd: a pipe that ends is read to its end, whatever the
// context.
func TestReadLinesToEnd(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		w.WriteString("a\nb\nc\n")
		w.Close()
	}()
	var got []string
	readLines(context.Background(), r, time.Second, func(l string) { got = append(got, l) })
	if len(got) != 3 {
		t.Errorf("lines %q", got)
	}
}
