package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/host/tsc"
)

// hostSetup is what a boot needs to know about the host: the QEMU binary,
// the accelerator and the TSC rate.
type hostSetup struct {
	qemu   string
	choice qemu.Choice
	tscHz  uint64 // 0 if it could not be measured
}

// pendingSetup is a hostSetup being prepared in the background.
type pendingSetup struct {
	cancel context.CancelFunc
	done   chan struct{}
	h      *hostSetup
	err    error
}

// setupHost finds QEMU at once (so that a missing QEMU is reported before
// a slow build), then chooses the accelerator (maybe a KVM self-test) and
// measures the TSC in the background. The caller must call Wait or Abandon,
// so that no self-test is left running.
func (c *cli) setupHost(want qemu.Accel) (*pendingSetup, error) {
	path, err := qemu.Find("")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(c.ctx)
	p := &pendingSetup{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		h := &hostSetup{qemu: path}
		hzc := make(chan uint64, 1)
		go func() {
			hz, err := tsc.Hz()
			if err != nil {
				fmt.Fprintf(c.stderr, "gotoro: warning: %v; the guest will calibrate its clock itself\n", err)
			}
			hzc <- hz
		}()
		h.choice, p.err = qemu.ChooseAccel(ctx, path, want)
		h.tscHz = <-hzc
		p.h = h
	}()
	return p, nil
}

// Wait waits for the setup to finish.
func (p *pendingSetup) Wait() (*hostSetup, error) {
	<-p.done
	return p.h, p.err
}

// Abandon stops the setup if it is still running and waits for it.
func (p *pendingSetup) Abandon() {
	p.cancel()
	<-p.done
}

// note prints the accelerator choice when it is worth knowing: with
// -accel auto, if it fell back to TCG although /dev/kvm exists, or always
// when verbose.
func (h *hostSetup) note(c *cli, want qemu.Accel, verbose bool) {
	if want == qemu.AccelAuto && (verbose || h.choice.Notable) {
		fmt.Fprintf(c.stderr, "gotoro: %s\n", h.choice)
	}
}

// config returns the QEMU configuration for booting image with guest,
// with the network device -net asks for (see netDevices) carrying fwds.
func (h *hostSetup) config(image string, g qemu.Guest, gf *guestFlags, fwds []qemu.HostForward) (qemu.Config, error) {
	c := qemu.Config{
		Image:   image,
		Memory:  uint64(gf.mem),
		CPUs:    int(gf.cpus),
		Accel:   h.choice.Accel,
		Cmdline: g.Cmdline(h.tscHz, time.Now()),
		QEMU:    h.qemu,
	}
	var err error
	c.Devices, err = netDevices(gf.net, image, fwds)
	return c, err
}
