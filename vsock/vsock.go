//go:build linux

// Package vsock is stream sockets between a gotoro guest and its host
// (virtio-vsock), as net.Listener and net.Conn. The host is CID 2; the
// guest's CID is set with gotoro run -cid (3 by default). On the host,
// gotoro run bridges guest ports to Unix sockets and TCP ports (see
// host/vsock).
//
// The package uses AF_VSOCK system calls and Go's netpoller (through
// os.File), so deadlines work and a blocked Read parks only its goroutine.
// It works in any Linux process with AF_VSOCK too.
package vsock

import (
	"fmt"
	"net"
	"strconv"
)

// Well-known context IDs.
const (
	HostCID = 2          // the host
	AnyCID  = 0xffffffff // bind: any local CID
)

// Addr is a vsock address.
type Addr struct {
	CID  uint32
	Port uint32
}

// Network returns "vsock".
func (a *Addr) Network() string { return "vsock" }

// String returns "vsock(CID):PORT".
func (a *Addr) String() string {
	return fmt.Sprintf("vsock(%d):%s", a.CID, strconv.FormatUint(uint64(a.Port), 10))
}

var _ net.Addr = (*Addr)(nil)
