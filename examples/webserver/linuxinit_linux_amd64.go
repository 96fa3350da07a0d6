package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

// sysFinitModule is finit_module(2) on x86-64.
const sysFinitModule = 313

// linuxInit prepares a Linux microVM in which this program is /init: the
// comparison peer of scripts/web-bench.sh, the same program on Debian's
// kernel. It loads the kernel modules listed in /modules/order, and brings
// up lo and eth0 as 10.0.2.15/24 (QEMU's user network; the host forwards
// to port 80 from 10.0.2.2, on the same network, so no route is needed).
// Never used in a gotoro guest.
func linuxInit() error {
	if os.Getpid() != 1 {
		return fmt.Errorf("-linux-init: not process 1")
	}
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		return err
	}
	for _, name := range strings.Fields(string(order)) {
		f, err := os.Open(filepath.Join("/modules", name))
		if err != nil {
			return err
		}
		params := []byte{0}
		_, _, e := syscall.Syscall(sysFinitModule, f.Fd(), uintptr(unsafe.Pointer(&params[0])), 0)
		f.Close()
		if e != 0 && e != syscall.EEXIST {
			return fmt.Errorf("loading %s: %v", name, e)
		}
	}
	s, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM, 0)
	if err != nil {
		return err
	}
	defer syscall.Close(s)
	if err := ifUp(s, "lo", [4]byte{127, 0, 0, 1}, [4]byte{255, 0, 0, 0}); err != nil {
		return err
	}
	return ifUp(s, "eth0", [4]byte{10, 0, 2, 15}, [4]byte{255, 255, 255, 0})
}

// ifUp gives interface name an address and mask and sets it up.
func ifUp(s int, name string, addr, mask [4]byte) error {
	var req [40]byte
	copy(req[:16], name)
	set := func(op uintptr, what string) error {
		if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(s), op, uintptr(unsafe.Pointer(&req[0]))); e != 0 {
			return fmt.Errorf("%s %s: %v", what, name, e)
		}
		return nil
	}
	sin := func(a [4]byte) {
		clear(req[16:])
		req[16] = syscall.AF_INET
		copy(req[20:24], a[:])
	}
	sin(addr)
	if err := set(syscall.SIOCSIFADDR, "address"); err != nil {
		return err
	}
	sin(mask)
	if err := set(syscall.SIOCSIFNETMASK, "netmask"); err != nil {
		return err
	}
	clear(req[16:])
	if err := set(syscall.SIOCGIFFLAGS, "flags"); err != nil {
		return err
	}
	*(*uint16)(unsafe.Pointer(&req[16])) |= syscall.IFF_UP | syscall.IFF_RUNNING
	return set(syscall.SIOCSIFFLAGS, "up")
}

// linuxHalt stops the microVM (QEMU runs with -no-reboot).
func linuxHalt() {
	syscall.Sync()
	syscall.Reboot(syscall.LINUX_REBOOT_CMD_RESTART)
}
