package kernel

import (
	"github.com/gotoro/gotoro/internal/virtio"
	"github.com/gotoro/gotoro/kernel/ktime"
)

// vsLingerNs bounds how long exit_group waits for the host to take what
// the program sent over vsock (vsockLinger). A host that reads its end
// finishes in milliseconds; the bound is for one that does not, and
// leaves room for a host loaded enough that its backend is slow to run.
const vsLingerNs = 5e9 // the message in vsockLinger says 5 s

// vsockLinger runs at exit_group, before the machine stops. What the
// program wrote to a vsock connection may still be in the transmit ring
// (or the reply queue) when it exits, and the host backend takes packets
// only when its goroutines get to run: stopping the machine at once lost
// the end of a connection, which the host program then saw as a clean,
// early end of stream (TestVsockHostToGuest's echoes cut at 64 or 96 KiB
// under load; docs/vsock.md, "Exit"). As Linux does at process exit,
// every connection still open is closed (SHUTDOWN both ways), pending
// and half-open ones are reset, and the exit waits, at most vsLingerNs,
// until the device has taken every packet and the host has ended every
// closed connection with its reset, which it sends only once it has
// written everything the guest sent to the host socket.
//
//go:nosplit
func vsockLinger() {
	if !vsd.up {
		return
	}
	t := curThread()
	t.sigmask = ^uint64(0) // exiting: a pending signal must not turn the waits into a spin
	vsockPoll()
	for i := range vsocks {
		s := &vsocks[i]
		switch s.state {
		case vsConnected:
			if s.reset {
				vsRelease(i)
				continue
			}
			vsSendCtl(vsHdr(s, virtio.VsockOpShutdown, virtio.VsockShutdownRcv|virtio.VsockShutdownSend))
			vsRcvFree(s)
			s.state = vsLinger
		case vsPending, vsConnecting:
			if !s.reset {
				vsSendCtl(vsHdr(s, virtio.VsockOpRST, 0))
			}
			vsRelease(i)
		}
	}
	start := ktime.Now()
	end := start + vsLingerNs
	for vsUnsent() {
		now := ktime.Now()
		if now >= end {
			// Say so: the host may have lost the end of these.
			kprint("vsock: exit: the host did not finish ")
			kprintDec(uint64(vsLingering()))
			kprint(" closed connections within 5 s\n")
			return
		}
		waitOn(vsockKey(), min(now+5e6, end))
		vsockPoll()
	}
	if ktrace {
		kprint("ktrace: vsock exit waited ")
		kprintDec(uint64(ktime.Now()-start) / 1000)
		kprint(" us for the host\n")
	}
}

// vsLingering counts the connections closed by the program that the host
// has not ended yet.
func vsLingering() int {
	n := 0
	for i := range vsocks {
		if vsocks[i].state == vsLinger {
			n++
		}
	}
	return n
}

// vsUnsent reports whether a packet is still queued for the device or in
// its transmit ring, or a closed connection still waits for the host's
// reset.
func vsUnsent() bool {
	vsFlushCtl()
	if vsd.ctlN > 0 {
		return true
	}
	vsTxReap()
	for _, busy := range vsd.txBusy {
		if busy {
			return true
		}
	}
	return vsLingering() > 0
}
