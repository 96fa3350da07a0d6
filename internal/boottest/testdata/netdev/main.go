// Command netdev checks /dev/net0, the virtio-net device as one Ethernet
// frame per read and write, with raw system calls. It must not import net:
// that would link the network service, which opens /dev/net0 itself.
//
// With the argument "none" (booted without a network device) it checks
// that there is no device and no /etc/resolv.conf. Otherwise it expects
// QEMU user networking as gotoro configures it: the interface
// configuration from the kernel command line, /etc/resolv.conf, and an
// answer from the gateway (slirp) to an ARP request.
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

const (
	ioctlNetCfg   = 0x4E01
	siocgifhwaddr = 0x8927
)

var (
	guestIP = [4]byte{10, 0, 2, 15}
	gateway = [4]byte{10, 0, 2, 2}
	dns     = [4]byte{10, 0, 2, 3}
	wantMAC = []byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
)

func fail(format string, args ...any) {
	fmt.Printf("FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func check(err error, what string) {
	if err != nil {
		fail("%s: %v", what, err)
	}
}

func ioctl(fd int, req uintptr, p unsafe.Pointer) error {
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), req, uintptr(p))
	if e != 0 {
		return e
	}
	return nil
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "none" {
		noDevice()
		return
	}
	fd, err := syscall.Open("/dev/net0", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	check(err, "open /dev/net0")
	if _, err := syscall.Open("/dev/net0", syscall.O_RDWR, 0); err != syscall.EBUSY {
		fail("second open of /dev/net0: %v, want EBUSY", err)
	}
	mac := config(fd)
	lengths(fd)
	files()

	// An ARP request for the gateway; slirp answers as the host would.
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	check(err, "epoll_create1")
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLOUT | -syscall.EPOLLET, Fd: int32(fd)}
	check(syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &ev), "epoll_ctl")
	evs := make([]syscall.EpollEvent, 4)
	n, err := syscall.EpollWait(ep, evs, 1000)
	check(err, "epoll_wait")
	if n != 1 || evs[0].Events&syscall.EPOLLOUT == 0 {
		fail("an idle device is not writable: %d events %#x", n, evs[0].Events)
	}
	req := arpRequest(mac)
	if w, err := syscall.Write(fd, req); err != nil || w != len(req) {
		fail("write ARP request: %d, %v", w, err)
	}
	gwMAC := waitARPReply(fd, ep, mac)
	fmt.Printf("gateway %x is at % x\n", gateway, gwMAC)
	burst(fd, ep, req)

	// A blocking read, and a read into a buffer smaller than the frame.
	check(syscall.SetNonblock(fd, false), "clear O_NONBLOCK")
	check(writeFrame(fd, req), "write ARP request (blocking)")
	small := make([]byte, 20)
	for {
		n, err := syscall.Read(fd, small)
		check(err, "blocking read")
		if n != len(small) {
			fail("read into a 20-byte buffer gave %d bytes", n)
		}
		if binary.BigEndian.Uint16(small[12:]) == 0x0806 && bytes.Equal(small[0:6], mac) {
			break
		}
	}

	// Closing the device frees it for the next open.
	check(syscall.Close(fd), "close /dev/net0")
	fd2, err := syscall.Open("/dev/net0", syscall.O_RDWR, 0)
	check(err, "open /dev/net0 after close")
	syscall.Close(fd2)
	fmt.Println("netdev ok")
}

// noDevice checks a guest booted without a network device.
func noDevice() {
	if _, err := syscall.Open("/dev/net0", syscall.O_RDWR, 0); err != syscall.ENODEV {
		fail("open /dev/net0 without a device: %v, want ENODEV", err)
	}
	if _, err := os.Stat("/etc/resolv.conf"); !os.IsNotExist(err) {
		fail("stat /etc/resolv.conf without a network: %v, want not found", err)
	}
	if b, err := os.ReadFile("/etc/hosts"); err != nil || !bytes.Contains(b, []byte("localhost")) {
		fail("/etc/hosts: %q, %v", b, err)
	}
	fmt.Println("netdev none ok")
}

// config checks GOTORO_NETCFG and SIOCGIFHWADDR and returns the MAC.
func config(fd int) []byte {
	var c [32]byte
	check(ioctl(fd, ioctlNetCfg, unsafe.Pointer(&c)), "ioctl GOTORO_NETCFG")
	mac := append([]byte(nil), c[0:6]...)
	if !bytes.Equal(mac, wantMAC) {
		fail("MAC % x, want % x", mac, wantMAC)
	}
	if mtu := binary.LittleEndian.Uint16(c[6:]); mtu != 1500 {
		fail("MTU %d, want 1500", mtu)
	}
	if [4]byte(c[8:12]) != guestIP || c[12] != 24 {
		fail("address %v/%d, want %v/24", c[8:12], c[12], guestIP)
	}
	if [4]byte(c[16:20]) != gateway || [4]byte(c[20:24]) != dns {
		fail("gateway %v dns %v, want %v %v", c[16:20], c[20:24], gateway, dns)
	}
	if flags := binary.LittleEndian.Uint32(c[24:]); flags&1 == 0 {
		fail("flags %#x: no address configured", flags)
	}
	if !allZero(c[13:16]) || !allZero(c[28:32]) {
		fail("reserved bytes set: % x", c)
	}
	var ifr [40]byte
	check(ioctl(fd, siocgifhwaddr, unsafe.Pointer(&ifr)), "ioctl SIOCGIFHWADDR")
	if fam := binary.LittleEndian.Uint16(ifr[16:]); fam != 1 || !bytes.Equal(ifr[18:24], mac) {
		fail("SIOCGIFHWADDR: family %d address % x", fam, ifr[18:24])
	}
	if err := ioctl(fd, 0x1234, unsafe.Pointer(&ifr)); err != syscall.ENOTTY {
		fail("unknown ioctl: %v, want ENOTTY", err)
	}
	return mac
}

// lengths checks that writes of impossible frame sizes fail.
func lengths(fd int) {
	for _, n := range []int{0, 13, 1515, 4096} {
		if _, err := syscall.Write(fd, make([]byte, n)); err != syscall.EINVAL {
			fail("write of %d bytes: %v, want EINVAL", n, err)
		}
	}
}

// files checks the synthetic files Go's resolver reads.
func files() {
	const want = "nameserver 10.0.2.3\n"
	b, err := os.ReadFile("/etc/resolv.conf")
	check(err, "read /etc/resolv.conf")
	if string(b) != want {
		fail("/etc/resolv.conf is %q, want %q", b, want)
	}
	st, err := os.Stat("/etc/resolv.conf")
	check(err, "stat /etc/resolv.conf")
	if st.Size() != int64(len(want)) || st.Mode().IsDir() {
		fail("stat /etc/resolv.conf: size %d mode %v", st.Size(), st.Mode())
	}
	if _, err := os.OpenFile("/etc/resolv.conf", os.O_WRONLY, 0); err == nil {
		fail("/etc/resolv.conf opened for writing")
	}
	b, err = os.ReadFile("/etc/hosts")
	check(err, "read /etc/hosts")
	if !bytes.Contains(b, []byte("127.0.0.1\tlocalhost")) {
		fail("/etc/hosts is %q", b)
	}
}

// arpRequest returns an ARP request from guestIP for gateway.
func arpRequest(mac []byte) []byte {
	f := make([]byte, 42)
	copy(f[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(f[6:12], mac)
	binary.BigEndian.PutUint16(f[12:], 0x0806)
	a := f[14:]
	binary.BigEndian.PutUint16(a[0:], 1)      // Ethernet
	binary.BigEndian.PutUint16(a[2:], 0x0800) // IPv4
	a[4], a[5] = 6, 4
	binary.BigEndian.PutUint16(a[6:], 1) // request
	copy(a[8:14], mac)
	copy(a[14:18], guestIP[:])
	copy(a[24:28], gateway[:])
	return f
}

// waitARPReply reads frames until the gateway's ARP reply and returns the
// gateway's MAC. Other frames (IPv6 router advertisements, say) are
// skipped.
func waitARPReply(fd, ep int, mac []byte) []byte {
	deadline := time.Now().Add(20 * time.Second)
	buf := make([]byte, 2048)
	evs := make([]syscall.EpollEvent, 4)
	frames := 0
	for time.Now().Before(deadline) {
		n, err := syscall.Read(fd, buf)
		if err == syscall.EAGAIN {
			// Edge-triggered: a frame that arrives from now on is an edge.
			if _, err := syscall.EpollWait(ep, evs, 1000); err != nil && err != syscall.EINTR {
				fail("epoll_wait: %v", err)
			}
			continue
		}
		check(err, "read /dev/net0")
		frames++
		f := buf[:n]
		if n < 42 || binary.BigEndian.Uint16(f[12:]) != 0x0806 {
			continue
		}
		a := f[14:]
		if binary.BigEndian.Uint16(a[6:]) == 2 && [4]byte(a[14:18]) == gateway {
			if !bytes.Equal(f[0:6], mac) || !bytes.Equal(a[24:28], guestIP[:]) {
				fail("ARP reply not addressed to us: % x", f)
			}
			return append([]byte(nil), a[8:14]...)
		}
	}
	fail("no ARP reply from %v within 20s (%d other frames)", gateway, frames)
	return nil
}

// burst writes many frames without blocking, more than the transmit slots,
// waiting for EPOLLOUT whenever the device is full: transmit slots must
// be reclaimed and their reclaim must wake epoll. It reads (and drops)
// received frames meanwhile.
func burst(fd, ep int, f []byte) {
	const frames = 1000
	evs := make([]syscall.EpollEvent, 4)
	buf := make([]byte, 2048)
	full := 0
	for sent := 0; sent < frames; {
		var n int
		var err error
		if sent%300 == 0 {
			// writev: one frame per entry, up to the free slots.
			n, err = writev(fd, f, 200)
			if err == nil && (n == 0 || n%len(f) != 0) {
				fail("writev of 200 frames: %d bytes", n)
			}
			if err == nil {
				sent += n / len(f)
				continue
			}
		} else {
			n, err = syscall.Write(fd, f)
		}
		if err == syscall.EAGAIN {
			full++
			// No timeout: a device whose progress wakes nobody hangs here
			// (and the boot test times out).
			if _, err := syscall.EpollWait(ep, evs, -1); err != nil && err != syscall.EINTR {
				fail("epoll_wait: %v", err)
			}
			for {
				if _, err := syscall.Read(fd, buf); err != nil {
					break
				}
			}
			continue
		}
		if err != nil || n != len(f) {
			fail("write %d: %d, %v", sent, n, err)
		}
		sent++
	}
	for {
		if _, err := syscall.Read(fd, buf); err != nil {
			break
		}
	}
	fmt.Printf("burst: %d frames, transmit queue full %d times\n", frames, full)
}

// writev writes k copies of frame f with one writev.
func writev(fd int, f []byte, k int) (int, error) {
	iov := make([]syscall.Iovec, k)
	for i := range iov {
		iov[i].Base = &f[0]
		iov[i].SetLen(len(f))
	}
	n, _, e := syscall.Syscall(syscall.SYS_WRITEV, uintptr(fd), uintptr(unsafe.Pointer(&iov[0])), uintptr(k))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// writeFrame writes one frame, all of it.
func writeFrame(fd int, f []byte) error {
	n, err := syscall.Write(fd, f)
	if err == nil && n != len(f) {
		err = fmt.Errorf("short write: %d of %d", n, len(f))
	}
	return err
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
