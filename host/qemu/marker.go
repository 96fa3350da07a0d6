package qemu

import (
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// maxMarkerDigits bounds the digits after the exit-status marker; a longer
// run means the bytes were not a marker after all.
const maxMarkerDigits = 20

// markerWriter passes the guest console through to w unchanged, except that
// it removes exit-status marker lines (bootabi.ExitMarker, a decimal number,
// "\n") and remembers the last status they carried. Bytes that may start a
// marker are held back until the next write tells whether they do, so a
// marker split across writes is still found; everything else is written
// through at once, which keeps the console interactive. It also records when
// the first console byte arrived.
//
// It is safe for concurrent use; Flush must be called at the end of the
// stream to write out held-back bytes of an unfinished marker.
type markerWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // held-back bytes: a prefix of a marker line
	status  int
	found   bool
	first   time.Time // arrival of the first byte; zero until then
	now     func() time.Time
}

func newMarkerWriter(w io.Writer) *markerWriter {
	return &markerWriter{w: w, now: time.Now}
}

// Write implements io.Writer. It reports len(p) unless w fails.
func (m *markerWriter) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(p) > 0 && m.first.IsZero() {
		m.first = m.now()
	}
	out := make([]byte, 0, len(p)+len(m.pending))
	for _, c := range p {
		out = m.step(out, c)
	}
	if len(out) > 0 {
		if _, err := m.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// step feeds one byte to the marker matcher, appending to out whatever is
// now known not to belong to a marker line.
func (m *markerWriter) step(out []byte, c byte) []byte {
	const mk = bootabi.ExitMarker
	n := len(m.pending)
	switch {
	case n < len(mk):
		if c == mk[n] {
			m.pending = append(m.pending, c)
			return out
		}
	case c >= '0' && c <= '9' && n-len(mk) < maxMarkerDigits:
		m.pending = append(m.pending, c)
		return out
	case c == '\n' && n > len(mk):
		if v, err := strconv.Atoi(string(m.pending[len(mk):])); err == nil {
			m.status, m.found = v, true
			m.pending = m.pending[:0]
			return out
		}
	}
	// Not a marker: release the held bytes. The byte that broke the match
	// may itself start a marker.
	out = append(out, m.pending...)
	m.pending = m.pending[:0]
	if c == mk[0] {
		m.pending = append(m.pending, c)
		return out
	}
	return append(out, c)
}

// Flush writes out held-back bytes of a marker line the stream ended in.
func (m *markerWriter) Flush() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.pending) == 0 {
		return nil
	}
	_, err := m.w.Write(m.pending)
	m.pending = m.pending[:0]
	return err
}

// Status returns the status of the last exit-status marker line seen.
func (m *markerWriter) Status() (status int, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status, m.found
}

// First returns when the first byte arrived, or the zero time.
func (m *markerWriter) First() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.first
}
