package netsvc

import (
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// Polling intervals of awaitAcked: the first check comes soon (a peer
// that reads acknowledges within a round trip), later ones back off so
// that a peer that never reads costs little.
const (
	ackPollFirst = time.Millisecond
	ackPollMax   = 100 * time.Millisecond
)

// awaitAcked waits, after the FIN was queued on ep, until the peer has
// acknowledged everything sent and the FIN (the endpoint left FIN-WAIT-1,
// CLOSING and LAST-ACK), and reports whether it did. It returns false if
// the connection failed (a reset: what was unsent is lost whatever the
// exit does, and the connection's end follows). netstack signals no event
// for the FIN's acknowledgement, so it polls the endpoint's state.
func awaitAcked(ep tcpip.Endpoint, done <-chan struct{}) bool {
	wait := ackPollFirst
	for {
		switch tcp.EndpointState(ep.State()) {
		case tcp.StateFinWait2, tcp.StateTimeWait, tcp.StateClose:
			return true
		case tcp.StateError:
			return false
		}
		select {
		case <-done:
			// The peer finished too: the ack of the FIN is what is
			// left; from here only the timer wakes the loop.
			done = nil
		case <-time.After(wait):
		}
		wait = min(2*wait, ackPollMax)
	}
}
