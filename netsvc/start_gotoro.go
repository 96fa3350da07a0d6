//go:build gotoro

package netsvc

import (
	"errors"
	"syscall"
)

// In a gotoro guest the service starts on first need: init only opens the
// network device and parks, so a program that never talks to another
// machine does not pay for the TCP/IP stack. The kernel releases the
// goroutine started here when a socket call first needs the service and
// holds that call until the service runs (kernel/netstart.go).
func init() {
	devFD, err := openDevice()
	if err != nil {
		if !errors.Is(err, ErrNoDevice) {
			logf("%v; only this machine is reachable", err)
		}
		return
	}
	if err := ioctl(devFD, ioctlPark, nil); err != nil {
		syscall.Close(devFD)
		logf("parking until first need: %v; only this machine is reachable", err)
		return
	}
	go startOnNeed(devFD)
}

// startOnNeed waits until a socket call needs the service, then starts it
// on the open device devFD; a failure is logged and its errno goes to the
// calls that needed the service.
func startOnNeed(devFD int) {
	for {
		err := ioctl(devFD, ioctlAwaitNeed, nil)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EINTR) {
			logf("waiting for first need: %v; only this machine is reachable", err)
			syscall.Close(devFD)
			return
		}
	}
	startOnce.Do(func() { startErr = start(devFD) })
	if startErr == nil {
		return
	}
	logf("%v; only this machine is reachable", startErr)
	errno := syscall.ENETDOWN
	errors.As(startErr, &errno)
	if err := ioctlArg(devFD, ioctlStartFailed, uintptr(errno)); err != nil {
		logf("reporting the failed start: %v", err)
	}
	syscall.Close(devFD)
}
