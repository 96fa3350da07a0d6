package qemu

import (
	"io"
	"sync"
)

// lineFilter passes a stream through to w, except that it removes each
// occurrence of line (an exact byte string, such as
// bootabi.SnapshotMarker) and calls found for it. Bytes that may start
// line are held back until the next write tells whether they do, so a
// line split across writes is still found. It is safe for concurrent use;
// Flush writes out held-back bytes at the end of the stream.
type lineFilter struct {
	mu      sync.Mutex
	w       io.Writer
	line    string
	found   func()
	pending int // how many bytes of line are held back
}

func newLineFilter(w io.Writer, line string, found func()) *lineFilter {
	return &lineFilter{w: w, line: line, found: found}
}

// Write implements io.Writer. It reports len(p) unless w fails.
func (f *lineFilter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]byte, 0, len(p)+f.pending)
	for _, c := range p {
		if c == f.line[f.pending] {
			f.pending++
			if f.pending == len(f.line) {
				f.pending = 0
				f.found()
			}
			continue
		}
		// Not the line: release what was held. The line's bytes are
		// distinct enough (it starts with a NUL that appears nowhere
		// else in it) that the byte that broke the match can only
		// start a new match.
		out = append(out, f.line[:f.pending]...)
		f.pending = 0
		if c == f.line[0] {
			f.pending = 1
			continue
		}
		out = append(out, c)
	}
	if len(out) > 0 {
		if _, err := f.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes out the held-back bytes of a line the stream ended in.
func (f *lineFilter) Flush() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending == 0 {
		return nil
	}
	_, err := f.w.Write([]byte(f.line[:f.pending]))
	f.pending = 0
	return err
}
