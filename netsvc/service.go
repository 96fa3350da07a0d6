package netsvc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"unsafe"

	"github.com/gotoro/gotoro/internal/netctl"
	glog "gvisor.dev/gvisor/pkg/log"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/link/ethernet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
)

const nicID = 1

// linkQueue is how many outgoing frames the stack may queue for the
// device. A full queue drops frames and TCP then waits for its
// retransmission timer, so it is sized for bursts of many connections.
const linkQueue = 8192

// service is the running network service.
type service struct {
	cfg   netCfg
	stack *stack.Stack
	link  *channel.Endpoint
	dev   *os.File // /dev/net0
	ctl   *os.File // /dev/netctl
	ctlFD int

	mu    sync.Mutex
	ports map[uint16]*udpPort // datagram ports the kernel asked for
	wmu   sync.Mutex          // serialises writes to ctl
}

// Errors of Start.
var (
	// ErrNoDevice means the guest has no network device (gotoro run -net none).
	ErrNoDevice = errors.New("netsvc: no network device")
)

var (
	running   *service // the started service, for ReadStats
	startOnce sync.Once
	startErr  error
)

// Start starts the network service now, once: it opens the network device
// and /dev/netctl, configures the stack from the device's configuration
// and starts the goroutines that serve them. It returns ErrNoDevice when
// the guest has no network device; sockets then reach this machine only.
// A gotoro guest need not call it: the service starts by itself when a
// socket call first needs another machine (start_gotoro.go).
func Start() error {
	startOnce.Do(func() {
		devFD, err := openDevice()
		if err == nil {
			if err = start(devFD); err != nil {
				syscall.Close(devFD)
			}
		}
		startErr = err
	})
	return startErr
}

// openDevice opens /dev/net0, or returns ErrNoDevice.
func openDevice() (int, error) {
	devFD, err := syscall.Open("/dev/net0", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ENOENT) {
		return -1, ErrNoDevice
	}
	if err != nil {
		return -1, fmt.Errorf("netsvc: opening /dev/net0: %w", err)
	}
	return devFD, nil
}

// start starts the service on the open device devFD, which it owns once
// it succeeds; on an error the caller still owns devFD.
func start(devFD int) error {
	// netstack reports dropped packets at the info level; a program's
	// console is not the place for that.
	glog.SetLevel(glog.Warning)
	var raw [netctl.NetCfgLen]byte
	if err := ioctl(devFD, ioctlNetCfg, unsafe.Pointer(&raw)); err != nil {
		return fmt.Errorf("netsvc: reading the interface configuration: %w", err)
	}
	cfg := parseNetCfg(raw)
	if !cfg.prefix.IsValid() {
		return fmt.Errorf("netsvc: the network device has no address (the kernel command line needs net.ip=A.B.C.D/N): %w", syscall.EADDRNOTAVAIL)
	}
	ctlFD, err := syscall.Open("/dev/netctl", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("netsvc: opening /dev/netctl: %w", err)
	}
	sv := &service{
		cfg:   cfg,
		ctlFD: ctlFD,
		ports: make(map[uint16]*udpPort),
	}
	if err := sv.newStack(); err != nil {
		syscall.Close(ctlFD)
		return err
	}
	// The address last: it tells the kernel that the service runs, and
	// the calls waiting for it go on.
	ip4 := cfg.prefix.Addr().As4()
	if err := ioctl(ctlFD, ioctlSetAddr, unsafe.Pointer(&ip4)); err != nil {
		syscall.Close(ctlFD)
		return fmt.Errorf("netsvc: telling the kernel the guest's address: %w", err)
	}
	sv.dev = os.NewFile(uintptr(devFD), "/dev/net0")
	sv.ctl = os.NewFile(uintptr(ctlFD), "/dev/netctl")
	running = sv
	reserveExitP()
	statsFromEnv()
	go sv.receiveFrames()
	go sv.sendFrames(context.Background())
	go sv.serveControl()
	return nil
}

// reserveExitP makes sure the Go scheduler has a processor (a P) besides
// the one of the goroutine that calls exit: the kernel's exit_group waits
// for the service to send what the program wrote (kernel/net_exit.go),
// but the Go runtime calls exit_group without giving up its P, so with
// GOMAXPROCS=1 (one vCPU) the service's goroutines could never run again
// and the exit lost every byte not yet sent. Two Ps on one vCPU cost
// little: the goroutines share it as threads do.
func reserveExitP() {
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}

// newStack makes the TCP/IP stack with one interface, the guest's address,
// a route to its network and a default route through the gateway.
func (sv *service) newStack() error {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	sv.stack = s
	sv.link = channel.New(linkQueue, uint32(sv.cfg.mtu)+14, tcpip.LinkAddress(sv.cfg.mac[:]))
	if err := s.CreateNIC(nicID, ethernet.New(sv.link)); err != nil {
		return fmt.Errorf("netsvc: creating the interface: %s", err)
	}
	pa := tcpip.ProtocolAddress{
		Protocol: ipv4.ProtocolNumber,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   tcpip.AddrFrom4(sv.cfg.prefix.Addr().As4()),
			PrefixLen: sv.cfg.prefix.Bits(),
		},
	}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("netsvc: adding address %s: %s", sv.cfg.prefix, err)
	}
	routes := []tcpip.Route{{Destination: subnet(sv.cfg.prefix.Masked()), NIC: nicID}}
	if sv.cfg.gw.IsValid() {
		routes = append(routes, tcpip.Route{
			Destination: subnet(netip.PrefixFrom(netip.IPv4Unspecified(), 0)),
			Gateway:     tcpip.AddrFrom4(sv.cfg.gw.As4()),
			NIC:         nicID,
		})
	}
	s.SetRouteTable(routes)
	// Segments like Linux's defaults: SACK on, a window that grows.
	sack := tcpip.TCPSACKEnabled(true)
	s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	fwd := tcp.NewForwarder(s, 0, 1024, sv.acceptTCP)
	s.SetTransportProtocolHandler(tcp.ProtocolNumber, fwd.HandlePacket)
	return nil
}

// subnet converts an IPv4 prefix.
func subnet(p netip.Prefix) tcpip.Subnet {
	a := p.Addr().As4()
	var m [4]byte
	for i := 0; i < p.Bits(); i++ {
		m[i/8] |= 0x80 >> (i % 8)
	}
	sn, err := tcpip.NewSubnet(tcpip.AddrFrom4(a), tcpip.MaskFromBytes(m[:]))
	if err != nil {
		panic(fmt.Sprintf("netsvc: subnet %s: %v", p, err))
	}
	return sn
}

// ioctl issues ioctl(fd, req, arg).
func ioctl(fd int, req uintptr, arg unsafe.Pointer) error {
	_, err := ioctlRet(fd, req, arg)
	return err
}

// ioctlArg issues ioctl(fd, req, arg) with an argument passed by value.
func ioctlArg(fd int, req, arg uintptr) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, arg); e != 0 {
		return e
	}
	return nil
}

// ioctlRet issues ioctl(fd, req, arg) and returns its result.
func ioctlRet(fd int, req uintptr, arg unsafe.Pointer) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(arg))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// logf reports a problem of the service on standard error.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gotoro: netsvc: "+format+"\n", args...)
}
