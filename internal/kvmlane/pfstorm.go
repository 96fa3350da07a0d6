package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A vCPU in the emulate-and-inject loop (stalltrace.go, l1StateMark) makes
// KVM inject 5,000-14,000 page faults a second into the guest, where a running
// gotoro guest gets none: with nested paging its own page faults never
// leave it, and KVM injects one only when its emulator cannot read the
// guest's memory. The runner watches KVM's pf_guest counter so that such
// a guest is looked at after stormFor instead of at its case's silence
// bound (4 minutes in the lane).

const (
	// stormEvery is how often the counter is read.
	stormEvery = 5 * time.Second
	// stormRate is the injected page faults a second that count as the
	// loop; the loops seen ran at 4,600-14,000 a second under load.
	stormRate = 1000
	// stormFor is how long the rate must last.
	stormFor = 15 * time.Second
)

// pfStorm follows KVM's count of page faults injected into guests. Its
// wedged method may be called from several guests' watchers at once.
type pfStorm struct {
	mu    sync.Mutex
	last  uint64    // the count at the last reading
	at    time.Time // when it was read; zero before the first
	since time.Time // start of the current run of readings over stormRate
	read  func() (uint64, bool)
}

// step takes the count read at now and returns why the guest is wedged,
// or "". Readings further apart than twice stormEvery start over (a new
// guest; the lane runs one at a time).
func (p *pfStorm) step(count uint64, now time.Time) string {
	last, at := p.last, p.at
	p.last, p.at = count, now
	if at.IsZero() || now.Sub(at) > 2*stormEvery || count < last {
		p.since = time.Time{}
		return ""
	}
	rate := float64(count-last) / now.Sub(at).Seconds()
	if rate < stormRate {
		p.since = time.Time{}
		return ""
	}
	if p.since.IsZero() {
		p.since = at
	}
	if d := now.Sub(p.since); d >= stormFor {
		return fmt.Sprintf("KVM injected page faults into it at %.0f a second for %v (a running guest gets none)", rate, d.Round(time.Second))
	}
	return ""
}

// wedged is bootcase.Env.Wedged: it reads the counter every stormEvery.
func (p *pfStorm) wedged(now time.Time) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.at.IsZero() && now.Sub(p.at) < stormEvery {
		return ""
	}
	v, ok := p.read()
	if !ok {
		return ""
	}
	return p.step(v, now)
}

// readPFGuest reads KVM's pf_guest counter from debugfs.
func readPFGuest() (uint64, bool) {
	b, err := os.ReadFile("/sys/kernel/debug/kvm/pf_guest")
	if err != nil {
		return 0, false
	}
	v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return v, err == nil
}
