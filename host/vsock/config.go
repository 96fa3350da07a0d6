package vsock

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Forward forwards a host TCP port to a guest vsock port.
type Forward struct {
	HostAddr  string // host listen address, e.g. "127.0.0.1:8080"
	GuestPort uint32
}

// ParseForward parses HOSTPORT:GUESTPORT or HOSTADDR:HOSTPORT:GUESTPORT. A
// bare host port listens on 127.0.0.1 only.
func ParseForward(s string) (Forward, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return Forward{}, fmt.Errorf("invalid forward %q: want HOSTPORT:GUESTPORT", s)
	}
	host, guest := s[:i], s[i+1:]
	gp, err := strconv.ParseUint(guest, 10, 32)
	if err != nil {
		return Forward{}, fmt.Errorf("invalid forward %q: guest port %q is not a number", s, guest)
	}
	if !strings.Contains(host, ":") {
		host = "127.0.0.1:" + host
	}
	hp := host[strings.LastIndexByte(host, ':')+1:]
	if n, err := strconv.ParseUint(hp, 10, 16); err != nil || n == 0 {
		return Forward{}, fmt.Errorf("invalid forward %q: host port %q is not 1-65535", s, hp)
	}
	return Forward{HostAddr: host, GuestPort: uint32(gp)}, nil
}

func (f Forward) String() string { return fmt.Sprintf("%s:%d", f.HostAddr, f.GuestPort) }

// Config configures a vsock device.
type Config struct {
	// GuestCID is the guest's context ID (3 or more).
	GuestCID uint64
	// UDSPath is the Unix socket for host → guest connections; guest →
	// host connections to port P go to UDSPath_P. Empty: neither.
	UDSPath string
	// Forwards are host TCP ports forwarded into the guest.
	Forwards []Forward
	// BufAlloc is the bytes buffered per connection for data from the
	// guest (DefaultBufAlloc if 0).
	BufAlloc uint32
	// Log receives notes about refused or broken connections (nil: none).
	Log io.Writer
}

// DefaultBufAlloc is the default per-connection receive buffer.
const DefaultBufAlloc = 256 << 10
