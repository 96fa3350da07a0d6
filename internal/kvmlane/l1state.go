package main

import (
	"strings"
	"sync"
)

// l1StateSeen holds the l1StateMark line of the last stall report the
// lane's bootcase.Env.StallInfo made, until the case's result takes it
// (runOne). A case's failure is then retried as L0's artefact only when
// the host's own report found the guest's saved state overwritten by L1's
// — not when that text appears anywhere in the case's log, which holds
// the guest's output too. Cases run one after the other, so one box
// serves them all.
var l1StateSeen verdictBox

// verdictBox is a line one goroutine leaves for another.
type verdictBox struct {
	mu   sync.Mutex
	line string
}

func (b *verdictBox) set(line string) {
	b.mu.Lock()
	b.line = line
	b.mu.Unlock()
}

// take returns the line left and empties the box.
func (b *verdictBox) take() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	line := b.line
	b.line = ""
	return line
}

// recordL1State wraps info (a StallInfo; nil stays nil) so that the
// l1StateMark line of each report it makes is left in box, without the
// mark.
func recordL1State(info func() string, box *verdictBox) func() string {
	if info == nil {
		return nil
	}
	return func() string {
		report := info()
		if _, rest, ok := strings.Cut(report, l1StateMark); ok {
			line, _, _ := strings.Cut(rest, "\n")
			box.set(line)
		}
		return report
	}
}
