package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// lookups uses the share as a server does, from many goroutines at once:
// it opens and lists the root (directly, through "..", through a symlink
// to it, by descriptor-relative ".."), opens files through symlinks and
// renames files over each other, and checks every answer. A node whose
// lookup count is wrong shows up as EBADF or ENOENT, soon or at the end.
// The host prepared in/hello.txt, in/sub/deep.txt and the symlinks
// in/toroot -> .., in/tosub -> sub and in/inlink -> hello.txt.
func lookups() {
	const workers, rounds = 8, 60
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	ops := make([]int, workers)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := lookupRounds(w, rounds)
			ops[w] = n
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", w, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		fail(err)
	}
	total := 0
	for _, n := range ops {
		total += n
	}
	// The share still answers after everything was closed.
	if _, err := lookupRounds(workers, 1); err != nil {
		fail(fmt.Errorf("after the run: %w", err))
	}
	fmt.Printf("lookups ok: %d operations in %v\n", total, time.Since(start).Round(time.Millisecond))
	// The host counts the server's open files now.
	time.Sleep(3 * time.Second)
}

// lookupRounds runs rounds rounds of the operations and returns how many
// it made.
func lookupRounds(w, rounds int) (int, error) {
	n := 0
	mine := filepath.Join(root, "out", fmt.Sprintf("w%d", w))
	if err := os.MkdirAll(mine, 0o755); err != nil {
		return n, err
	}
	for r := range rounds {
		for _, dir := range []string{root, root + "/", root + "/in/..", root + "/in/toroot", root + "/in", root + "/in/tosub", root + "/in/sub/.."} {
			ents, err := os.ReadDir(dir)
			n++
			if err != nil {
				return n, err
			}
			if len(ents) == 0 {
				return n, fmt.Errorf("%s: empty listing", dir)
			}
		}
		for _, f := range []string{"in/hello.txt", "in/inlink", "in/toroot/in/hello.txt", "in/sub/../hello.txt", "in/tosub/../hello.txt"} {
			b, err := os.ReadFile(filepath.Join(root, f))
			n++
			if err != nil {
				return n, err
			}
			if string(b) != "hi\n" {
				return n, fmt.Errorf("%s holds %q", f, b)
			}
		}
		if b, err := os.ReadFile(root + "/in/tosub/deep.txt"); err != nil || string(b) != "deep\n" {
			return n, fmt.Errorf("in/tosub/deep.txt: %q, %v", b, err)
		}
		n++
		// Descriptor-relative "..": opening the parent of an open
		// directory, then a file beside it.
		fd, err := syscall.Open(root+"/in/sub", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			return n, err
		}
		up, err := syscall.Openat(fd, "..", syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
		if err != nil {
			syscall.Close(fd)
			return n, fmt.Errorf("openat(in/sub, ..): %w", err)
		}
		hf, err := syscall.Openat(up, "hello.txt", syscall.O_RDONLY, 0)
		if err == nil {
			var buf [8]byte
			k, _ := syscall.Read(hf, buf[:])
			if string(buf[:k]) != "hi\n" {
				err = fmt.Errorf("in/sub/../hello.txt by descriptor: %q", buf[:k])
			}
			syscall.Close(hf)
		}
		syscall.Close(up)
		syscall.Close(fd)
		n += 3
		if err != nil {
			return n, err
		}
		// Rename: a file over another, back again, and a directory.
		a, b := filepath.Join(mine, "a"), filepath.Join(mine, "b")
		data := []byte(fmt.Sprintf("%d/%d", w, r))
		if err := os.WriteFile(a, data, 0o644); err != nil {
			return n, err
		}
		if err := os.WriteFile(b, []byte("old"), 0o644); err != nil {
			return n, err
		}
		if err := os.Rename(a, b); err != nil {
			return n, err
		}
		if got, err := os.ReadFile(b); err != nil || !bytes.Equal(got, data) {
			return n, fmt.Errorf("after rename: %q, %v", got, err)
		}
		d1, d2 := filepath.Join(mine, "d1"), filepath.Join(mine, "d2")
		if err := os.Mkdir(d1, 0o755); err != nil {
			return n, err
		}
		if err := os.Rename(d1, d2); err != nil {
			return n, err
		}
		if err := os.Remove(d2); err != nil {
			return n, err
		}
		if err := os.Remove(b); err != nil {
			return n, err
		}
		n += 9
	}
	return n, nil
}
