package qemu

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

// BootTrace is the timeline of one boot with Config.BootTrace: the host's
// own moments and the guest kernel's boot steps (see
// internal/bootabi/boottrace.go), all on the host's clock.
//
// The guest stamps its steps with the TSC. QEMU starts the guest's counter
// near 0 when the machine starts (under TCG it is the host's counter minus
// its value then; under KVM the vCPU's counter is set to 0 at reset) and it
// runs at the host's rate, tsc_hz. The host places it on its own clock at
// the moment a console line arrives whose counter value the guest noted
// just before writing it: the first console byte and the boot-trace line
// itself. Of the two, the one with the shorter apparent delay is used; the
// error is the delay between the guest writing a byte and the host reading
// it (tens of microseconds on an idle host).
type BootTrace struct {
	// Launched is when QEMU was started, Exited when it had exited.
	Launched time.Time `json:"launched"`
	Exited   time.Time `json:"exited"`
	// TraceLineEnd is when the boot-trace line's last byte arrived. The
	// guest prints that line on its way out, after its exit step, and
	// only when the boot is traced: what follows it (the write to the
	// exit port, QEMU's exit) is the exit an untraced run has. Zero in a
	// trace from a gotoro that did not record it.
	TraceLineEnd time.Time `json:"trace_line_end,omitzero"`
	// VMStart is when the guest's counter read 0: QEMU's machine start.
	VMStart time.Time `json:"vm_start"`
	// Steps are the guest's boot steps (bootabi.StepNames), the zero time
	// for a step that did not happen.
	Steps [bootabi.NumSteps]time.Time `json:"steps"`
	// CountsAtMain and Counts are the guest's counters
	// (bootabi.CountNames) when main.main started and at the exit.
	CountsAtMain [bootabi.NumCounts]uint64 `json:"counts_at_main"`
	Counts       [bootabi.NumCounts]uint64 `json:"counts"`
	// TSCHz is the guest's TSC rate, CPUs its core count.
	TSCHz uint64 `json:"tsc_hz"`
	CPUs  int    `json:"cpus"`
}

// Step returns the time of boot step i and whether it happened.
func (b *BootTrace) Step(i int) (time.Time, bool) {
	t := b.Steps[i]
	return t, !t.IsZero()
}

// traceLine is a boot-trace line as it arrived.
type traceLine struct {
	at   time.Time // arrival of its first byte
	end  time.Time // arrival of its newline
	text string    // after the marker, without the newline
}

// maxTraceLine bounds a boot-trace line; a longer one is not a trace line.
const maxTraceLine = 4096

// traceWriter passes the guest console through to w, except for
// boot-trace lines (bootabi.BootTraceMarker to the newline, printable
// ASCII), which it keeps with their arrival times. Like markerWriter, it
// holds back only bytes that may start such a line, and records when the
// first console byte arrived. It is safe for concurrent use; Flush writes
// out an unfinished line at the end of the stream.
type traceWriter struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
	started time.Time // arrival of pending's first byte
	first   time.Time // arrival of the first console byte
	lines   []traceLine
	now     func() time.Time
}

func newTraceWriter(w io.Writer) *traceWriter {
	return &traceWriter{w: w, now: time.Now}
}

// Write implements io.Writer. It reports len(p) unless w fails.
func (t *traceWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(p) > 0 && t.first.IsZero() {
		t.first = now
	}
	out := make([]byte, 0, len(p)+len(t.pending))
	for _, c := range p {
		out = t.step(out, c, now)
	}
	if len(out) > 0 {
		if _, err := t.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (t *traceWriter) step(out []byte, c byte, now time.Time) []byte {
	const mk = bootabi.BootTraceMarker
	n := len(t.pending)
	switch {
	case n < len(mk):
		if c == mk[n] {
			if n == 0 {
				t.started = now
			}
			t.pending = append(t.pending, c)
			return out
		}
	case c == '\n':
		t.lines = append(t.lines, traceLine{at: t.started, end: now, text: string(t.pending[len(mk):])})
		t.pending = t.pending[:0]
		return out
	case c >= ' ' && c <= '~' && n < maxTraceLine:
		t.pending = append(t.pending, c)
		return out
	}
	out = append(out, t.pending...)
	t.pending = t.pending[:0]
	if c == mk[0] {
		t.started = now
		t.pending = append(t.pending, c)
		return out
	}
	return append(out, c)
}

// Flush writes out held-back bytes of a line the stream ended in.
func (t *traceWriter) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		return nil
	}
	_, err := t.w.Write(t.pending)
	t.pending = t.pending[:0]
	return err
}

// trace builds the timeline from the last boot-trace line, with QEMU's
// launch and exit times.
func (t *traceWriter) trace(launched, exited time.Time) (*BootTrace, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return nil, errors.New("the guest printed no boot trace (an image made by an older gotoro?)")
	}
	l := t.lines[len(t.lines)-1]
	b, err := parseTrace(l.text, l.at, t.first, launched, exited)
	if err != nil {
		return nil, err
	}
	b.TraceLineEnd = l.end
	return b, nil
}

// parseTrace decodes a boot-trace line (the text after the marker) that
// arrived at lineAt, the console's first byte having arrived at firstAt.
func parseTrace(text string, lineAt, firstAt, launched, exited time.Time) (*BootTrace, error) {
	vals := map[string]uint64{}
	for _, f := range strings.Fields(text) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("boot trace: malformed field %q", f)
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("boot trace: field %q: %w", f, err)
		}
		if _, dup := vals[k]; dup {
			return nil, fmt.Errorf("boot trace: field %s twice", k)
		}
		vals[k] = n
	}
	need := func(k string) (uint64, error) {
		v, ok := vals[k]
		if !ok {
			return 0, fmt.Errorf("boot trace: no %s field", k)
		}
		return v, nil
	}
	b := &BootTrace{Launched: launched, Exited: exited}
	hz, err := need("hz")
	if err != nil {
		return nil, err
	}
	if hz == 0 {
		return nil, errors.New("boot trace: the guest's TSC rate is 0")
	}
	b.TSCHz = hz
	b.CPUs = int(vals["ncpu"])
	var tscs [bootabi.NumSteps]uint64
	for i, name := range bootabi.StepNames {
		if tscs[i], err = need(name); err != nil {
			return nil, err
		}
	}
	for i, name := range bootabi.CountNames {
		if b.CountsAtMain[i], err = need(name + "_main"); err != nil {
			return nil, err
		}
		if b.Counts[i], err = need(name); err != nil {
			return nil, err
		}
	}
	lineTSC, err := need("t")
	if err != nil {
		return nil, err
	}
	// The guest's counter 0 on the host clock, from each anchor; a later
	// arrival only adds delay, so the earliest estimate is the best.
	vmStart := lineAt.Add(-tscDuration(lineTSC, hz))
	if ft := tscs[bootabi.StepFirstOutput]; ft != 0 && !firstAt.IsZero() {
		if s := firstAt.Add(-tscDuration(ft, hz)); s.Before(vmStart) {
			vmStart = s
		}
	}
	b.VMStart = vmStart
	for i, v := range tscs {
		if v != 0 {
			b.Steps[i] = vmStart.Add(tscDuration(v, hz))
		}
	}
	return b, nil
}

// tscDuration converts ticks at hz to a duration.
func tscDuration(ticks, hz uint64) time.Duration {
	sec := ticks / hz
	rem := ticks % hz
	return time.Duration(sec)*time.Second + time.Duration(rem*uint64(time.Second)/hz)
}
