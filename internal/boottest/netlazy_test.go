package boottest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
)

// TestNetLazyIdle: a program that links package net and uses only
// sockets on this machine (loopback TCP and UDP, AF_UNIX) on a guest with
// a network device never starts the network service, as the service's
// own state (netsvc.ReadStats) tells in the guest.
func TestNetLazyIdle(t *testing.T) {
	needQEMU(t)
	out, res := boot(t, "netlazy", bootOpts{args: []string{"idle"}, devices: []qemu.Device{qemu.UserNetDevice(nil)}})
	wantExit(t, out, res, 0)
	if !strings.Contains(out, "netlazy idle ok") {
		t.Errorf("unexpected output:\n%s", out)
	}
}

// TestNetLazyRace: the first calls that need the network service, a dial
// to the host, a listen on a port the host forwards to and a datagram
// sent once from a socket bound to :0, race from three goroutines on
// cpus=1 and cpus=2; all work (the datagram is not lost), the service
// starts once, and the host reaches the listener with one connection
// attempt made as soon as the guest says listen has returned.
func TestNetLazyRace(t *testing.T) {
	needQEMU(t)
	cli := buildCLI(t)
	forCores(t, []int{1, 2}, func(t *testing.T, cpus int) {
		echo, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer echo.Close()
		go func() {
			for {
				c, err := echo.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					line, err := bufio.NewReader(c).ReadString('\n')
					if err == nil {
						fmt.Fprint(c, "echo:"+line)
					}
				}()
			}
		}()
		uc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer uc.Close()
		go func() {
			buf := make([]byte, 64)
			for {
				n, from, err := uc.ReadFrom(buf)
				if err != nil {
					return
				}
				uc.WriteTo(append([]byte("echo:"), buf[:n]...), from)
			}
		}()
		port := freePort(t)
		cmd := exec.Command(cli, "run", "-accel", "tcg", "-timeout", "5m", "-cpus", fmt.Sprint(cpus),
			"-p", fmt.Sprintf("%d:8097/tcp", port), "./testdata/netlazy", "race",
			fmt.Sprintf("%s:%d", qemu.UserGateway, echo.Addr().(*net.TCPAddr).Port),
			fmt.Sprintf("%s:%d", qemu.UserGateway, uc.LocalAddr().(*net.UDPAddr).Port))
		var out syncBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		listening := false
		for deadline := time.Now().Add(4 * time.Minute); !listening && time.Now().Before(deadline); {
			select {
			case err := <-done:
				t.Fatalf("the guest ended before listening: %v\n%s", err, out.String())
			case <-time.After(20 * time.Millisecond):
			}
			listening = strings.Contains(out.String(), "netlazy listening")
		}
		if !listening {
			cmd.Process.Kill()
			t.Fatalf("the guest did not listen:\n%s", out.String())
		}
		// One attempt: QEMU accepts on the host and then connects to the
		// guest, which must already listen.
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatalf("connecting to the guest's listener: %v\n%s", err, out.String())
		}
		c.SetDeadline(time.Now().Add(time.Minute))
		fmt.Fprintln(c, "hello")
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err != nil || line != "served\n" {
			t.Errorf("the guest's answer: %q, %v\n%s", line, err, out.String())
		}
		select {
		case err := <-done:
			if err != nil || !strings.Contains(out.String(), "netlazy race ok") {
				t.Errorf("%v\n%s", err, out.String())
			}
		case <-time.After(3 * time.Minute):
			cmd.Process.Kill()
			t.Fatalf("the guest did not end:\n%s", out.String())
		}
	})
}

// TestNetLazyFailedStart: a guest whose network device has no address
// (no net.ip on the kernel command line) boots as before; the first dial
// to another machine gets EADDRNOTAVAIL from the service's failed start,
// which logs why, and loopback still works.
func TestNetLazyFailedStart(t *testing.T) {
	needQEMU(t)
	dev := qemu.UserNetDevice(nil)
	dev.Cmdline = ""
	out, res := boot(t, "netlazy", bootOpts{args: []string{"unreachable"}, devices: []qemu.Device{dev}})
	wantExit(t, out, res, 0)
	for _, want := range []string{
		"gotoro: netsvc: netsvc: the network device has no address",
		"netlazy dial: dial tcp 10.0.2.2:9: connect: cannot assign requested address (99)",
		"netlazy unreachable ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
