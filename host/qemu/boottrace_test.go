package qemu

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/internal/bootabi"
)

const tmk = bootabi.BootTraceMarker

func TestTraceWriter(t *testing.T) {
	line := tmk + " t=5 hz=1000\n"
	for _, c := range []struct {
		name, in, out string
		lines         []string
	}{
		{"plain", "hello\n", "hello\n", nil},
		{"trace line", "hi\n" + line + "bye\n", "hi\nbye\n", []string{" t=5 hz=1000"}},
		{"exit marker passes", bootabi.ExitMarker + "200\n", bootabi.ExitMarker + "200\n", nil},
		{"mid-line", "abc" + line, "abc", []string{" t=5 hz=1000"}},
		{"unprintable byte", tmk + " t=\x01\n", tmk + " t=\x01\n", nil},
		{"unterminated", "x" + tmk + " t=5", "x" + tmk + " t=5", nil},
		{"restart on nul", "\x00gotoro-b" + line, "\x00gotoro-b", []string{" t=5 hz=1000"}},
		{"too long", tmk + strings.Repeat("a", maxTraceLine) + "\n", tmk + strings.Repeat("a", maxTraceLine) + "\n", nil},
	} {
		splits := [][]string{}
		for i := 0; i <= len(c.in); i++ {
			splits = append(splits, []string{c.in[:i], c.in[i:]})
		}
		splits = append(splits, strings.Split(c.in, ""))
		for _, parts := range splits {
			var buf bytes.Buffer
			w := newTraceWriter(&buf)
			for _, p := range parts {
				if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("%s: Write = %d, %v", c.name, n, err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, l := range w.lines {
				got = append(got, l.text)
			}
			if buf.String() != c.out || fmt.Sprint(got) != fmt.Sprint(c.lines) {
				t.Errorf("%s, parts %q: got %q, lines %q; want %q, %q", c.name, parts, buf.String(), got, c.out, c.lines)
				break
			}
		}
	}
}

// traceText builds a trace line's text from TSC values at 1 GHz (1 tick =
// 1 ns) for each step.
func traceText(t uint64, steps [bootabi.NumSteps]uint64) string {
	s := fmt.Sprintf(" t=%d hz=1000000000 ncpu=2", t)
	for i, n := range bootabi.StepNames {
		s += fmt.Sprintf(" %s=%d", n, steps[i])
	}
	for i, n := range bootabi.CountNames {
		s += fmt.Sprintf(" %s_main=%d %s=%d", n, 10*(i+1), n, 20*(i+1))
	}
	return s
}

func TestParseTrace(t *testing.T) {
	launched := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	var steps [bootabi.NumSteps]uint64
	for i := range steps {
		steps[i] = uint64(i+1) * 1_000_000 // step i at (i+1) ms of guest time
	}
	steps[bootabi.StepMain] = 0 // not reached
	line := uint64(20_000_000)
	// The machine started 30 ms after launch: the trace line (guest 20 ms)
	// arrives at 50 ms + 0.3 ms delay, the first output (guest 13 ms) at
	// 43 ms + 0.1 ms delay; the smaller delay wins.
	vm := launched.Add(30 * time.Millisecond)
	lineAt := vm.Add(20*time.Millisecond + 300*time.Microsecond)
	firstAt := vm.Add(13*time.Millisecond + 100*time.Microsecond)
	b, err := parseTrace(traceText(line, steps), lineAt, firstAt, launched, launched.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if d := b.VMStart.Sub(vm); d != 100*time.Microsecond {
		t.Errorf("VMStart off by %v, want the first output's 100µs", d)
	}
	if got, ok := b.Step(bootabi.StepEntry); !ok || got.Sub(b.VMStart) != time.Millisecond {
		t.Errorf("entry at %v after VMStart (%v)", got.Sub(b.VMStart), ok)
	}
	if _, ok := b.Step(bootabi.StepMain); ok {
		t.Errorf("main reported although its stamp was 0")
	}
	if b.TSCHz != 1e9 || b.CPUs != 2 || b.CountsAtMain[bootabi.CountSyscalls] != 10 || b.Counts[bootabi.CountInterrupts] != 60 {
		t.Errorf("fields: %+v", b)
	}
	// Without a first output, the line is the anchor.
	b, err = parseTrace(traceText(line, steps), lineAt, time.Time{}, launched, launched)
	if err != nil || b.VMStart.Sub(vm) != 300*time.Microsecond {
		t.Errorf("line anchor: VMStart off by %v, %v", b.VMStart.Sub(vm), err)
	}

	for _, bad := range []string{
		"",
		" t=1 hz=0",
		strings.Replace(traceText(line, steps), " entry=", " entree=", 1),
		strings.Replace(traceText(line, steps), " hz=1000000000", " hz=x", 1),
		traceText(line, steps) + " junk",
		traceText(line, steps) + " hz=5",
	} {
		if _, err := parseTrace(bad, lineAt, firstAt, launched, launched); err == nil {
			t.Errorf("parseTrace(%q) succeeded", bad)
		}
	}
}

func TestTSCDuration(t *testing.T) {
	for _, c := range []struct {
		ticks, hz uint64
		want      time.Duration
	}{
		{0, 2_245_780_000, 0},
		{2_245_780_000, 2_245_780_000, time.Second},
		{1_122_890_000, 2_245_780_000, 500 * time.Millisecond},
		{10_000_000_000 * 3600, 10_000_000_000, time.Hour},
	} {
		if got := tscDuration(c.ticks, c.hz); got != c.want {
			t.Errorf("tscDuration(%d, %d) = %v, want %v", c.ticks, c.hz, got, c.want)
		}
	}
}

// The trace keeps when the boot-trace line began and ended arriving: the
// guest prints it on its way out, and the bench tells the exit an
// untraced run has (after the line) from the printing (before it).
func TestTraceLineTimes(t *testing.T) {
	t0 := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var steps [bootabi.NumSteps]uint64
	for i := range steps {
		steps[i] = uint64(i+1) * 1_000_000
	}
	text := traceText(30_000_000, steps)
	var buf bytes.Buffer
	w := newTraceWriter(&buf)
	clock := t0
	w.now = func() time.Time { return clock }
	line := tmk + text + "\n"
	half := len(line) / 2
	for i, part := range []string{"hello\n", line[:half], line[half:], "bye\n"} {
		clock = t0.Add(time.Duration(i) * time.Millisecond)
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	b, err := w.trace(t0, t0.Add(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if d := b.TraceLineEnd.Sub(t0); d != 2*time.Millisecond {
		t.Errorf("TraceLineEnd at %v, want the newline's 2ms", d)
	}
	// The line's start (1 ms, guest 30 ms) anchors the guest's clock:
	// the first output (0 ms) would put it later.
	if d := b.VMStart.Sub(t0); d != -29*time.Millisecond {
		t.Errorf("VMStart at %v, want the line's start -29ms", d)
	}
	if buf.String() != "hello\nbye\n" {
		t.Errorf("console %q", buf.String())
	}
}
