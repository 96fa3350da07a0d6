package netsvc

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Stats are counters of the running network service.
type Stats struct {
	SegmentsSent, SegmentsReceived uint64
	Retransmits, Timeouts          uint64
	ResetsSent, ResetsReceived     uint64
	SendErrors                     uint64
	LinkTxDropped                  uint64 // frames the link queue refused
	Established                    uint64 // connections open now
}

// ReadStats returns the service's counters, or false if it is not running.
func ReadStats() (Stats, bool) {
	sv := running
	if sv == nil {
		return Stats{}, false
	}
	t := sv.stack.Stats().TCP
	return Stats{
		SegmentsSent:     t.SegmentsSent.Value(),
		SegmentsReceived: t.ValidSegmentsReceived.Value(),
		Retransmits:      t.Retransmits.Value(),
		Timeouts:         t.Timeouts.Value(),
		ResetsSent:       t.ResetsSent.Value(),
		ResetsReceived:   t.ResetsReceived.Value(),
		SendErrors:       t.SegmentSendErrors.Value(),
		LinkTxDropped:    sv.stack.Stats().NICs.TxPacketsDroppedNoBufferSpace.Value(),
		Established:      t.CurrentEstablished.Value(),
	}, true
}

// reportStats prints the counters to w every period, for
// GOTORO_NETSVC_STATS=period (a duration) in the program's environment.
func reportStats(w io.Writer, period time.Duration) {
	for range time.Tick(period) {
		s, _ := ReadStats()
		fmt.Fprintf(w, "gotoro: netsvc: %+v\n", s)
	}
}

// statsFromEnv starts reportStats if the environment asks for it.
func statsFromEnv() {
	if v := os.Getenv("GOTORO_NETSVC_STATS"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			go reportStats(os.Stderr, d)
		}
	}
}
