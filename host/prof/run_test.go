package prof

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qmp"
)

// fakeTarget is a guest whose vCPU 0 is always in leafA and vCPU 1
// halted at reset; it goes away after closeAfter ticks (if not 0) and
// fails ticks in failTicks.
type fakeTarget struct {
	*fakeMem
	rip        uint64
	ticks      int
	closeAfter int
	failTicks  map[int]bool
	stopped    bool
	conts      int
}

func (f *fakeTarget) Registers(stop bool) ([]qmp.Regs, error) {
	f.ticks++
	if f.closeAfter > 0 && f.ticks > f.closeAfter {
		return nil, fmt.Errorf("qmp stop: %w", qmp.ErrClosed)
	}
	f.stopped = stop
	if f.failTicks[f.ticks] {
		return nil, errors.New("register dump garbled")
	}
	return []qmp.Regs{{CPU: 0, RIP: f.rip, RSP: 0x10000}, {CPU: 1, RIP: 0xfff0, Halted: true}}, nil
}

func (f *fakeTarget) Cont() error {
	if !f.stopped {
		return errors.New("cont without stop")
	}
	f.conts++
	f.stopped = false
	return nil
}

func TestRun(t *testing.T) {
	s := testSymbols(t)
	a := fn(t, s, leafA)
	b := fn(t, s, midB)
	newTarget := func() *fakeTarget {
		m := newFakeMem()
		m.put(0x10000, b.entry+5)
		return &fakeTarget{fakeMem: m, rip: a.entry}
	}
	t.Run("duration", func(t *testing.T) {
		ft := newTarget()
		r, err := Run(context.Background(), Config{Target: ft, Symbols: s, Hz: 200, Duration: 100 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if r.Ended != "duration" || r.Ticks < 5 || r.Ticks > 25 {
			t.Errorf("ended %q after %d ticks, want duration after about 20", r.Ended, r.Ticks)
		}
		if len(r.Samples) != 2*r.Ticks || ft.conts != r.Ticks {
			t.Errorf("%d samples, %d conts for %d ticks", len(r.Samples), ft.conts, r.Ticks)
		}
		if r.Samples[0].Mode != User || r.Samples[1].Mode != Offline {
			t.Errorf("modes %s, %s; want user, offline", r.Samples[0].Mode, r.Samples[1].Mode)
		}
	})
	t.Run("guest exits", func(t *testing.T) {
		ft := newTarget()
		ft.closeAfter = 3
		ft.failTicks = map[int]bool{2: true}
		r, err := Run(context.Background(), Config{Target: ft, Symbols: s, Hz: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if r.Ended != "guest exited" || r.Ticks != 2 || r.Missed != 1 || r.LastErr == nil {
			t.Errorf("ended %q, %d ticks, %d missed (%v); want guest exited, 2, 1", r.Ended, r.Ticks, r.Missed, r.LastErr)
		}
	})
	t.Run("live", func(t *testing.T) {
		ft := newTarget()
		r, err := Run(context.Background(), Config{Target: ft, Symbols: s, Hz: 1000, Duration: 20 * time.Millisecond, Live: true})
		if err != nil {
			t.Fatal(err)
		}
		if ft.conts != 0 || r.Paused != 0 {
			t.Errorf("live sampling paused the guest (%d conts, %v)", ft.conts, r.Paused)
		}
	})
	t.Run("always failing", func(t *testing.T) {
		ft := newTarget()
		ft.failTicks = map[int]bool{}
		for i := 1; i < 100; i++ {
			ft.failTicks[i] = true
		}
		r, err := Run(context.Background(), Config{Target: ft, Symbols: s, Hz: 1000})
		if err == nil || !strings.Contains(err.Error(), "garbled") || r.Ended != "error" {
			t.Errorf("err = %v, ended %q; want the tick error", err, r.Ended)
		}
	})
	t.Run("interrupted", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		r, err := Run(ctx, Config{Target: newTarget(), Symbols: s, Hz: 100})
		if err != nil || r.Ended != "interrupted" {
			t.Errorf("err = %v, ended %q; want interrupted", err, r.Ended)
		}
	})
	for _, hz := range []int{0, -5} {
		if _, err := Run(context.Background(), Config{Target: newTarget(), Symbols: s, Hz: hz}); err == nil {
			t.Errorf("Run accepted %d Hz", hz)
		}
	}
}
