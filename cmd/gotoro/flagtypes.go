package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gotoro/gotoro/host/build"
	"github.com/gotoro/gotoro/host/qemu"
	"github.com/gotoro/gotoro/internal/bootabi"
)

// envFlag collects repeated -e KEY=VALUE flags.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(s string) error {
	if k, _, ok := strings.Cut(s, "="); !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	*e = append(*e, s)
	return nil
}

// kernelOptFlag collects repeated -kernel-opt KEY=VALUE flags.
type kernelOptFlag []bootabi.Param

func (k *kernelOptFlag) String() string {
	var s []string
	for _, p := range *k {
		s = append(s, p.Key+"="+p.Value)
	}
	return strings.Join(s, " ")
}

func (k *kernelOptFlag) Set(s string) error {
	p, err := bootabi.ParseKernelOption(s)
	if err != nil {
		return err
	}
	*k = append(*k, p)
	return nil
}

// mountsFlag collects repeated -files DIR[:GUESTDIR] flags.
type mountsFlag []build.Mount

func (m *mountsFlag) String() string {
	var s []string
	for _, x := range *m {
		s = append(s, x.String())
	}
	return strings.Join(s, " ")
}

func (m *mountsFlag) Set(s string) error {
	x, err := build.ParseMount(s)
	if err != nil {
		return err
	}
	*m = append(*m, x)
	return nil
}

// sizeFlag is a memory size flag (256M, 1G, …).
type sizeFlag uint64

func (s *sizeFlag) String() string { return qemu.FormatSize(uint64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := qemu.ParseSize(v)
	if err != nil {
		return err
	}
	if n < qemu.MinGuestMemory {
		return fmt.Errorf("%s is too small: a guest needs at least %s", v, qemu.FormatSize(qemu.MinGuestMemory))
	}
	if err := qemu.CheckMemoryGranule(n); err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

// cpusFlag is the -cpus flag: 1 to bootabi.MaxCPUs.
type cpusFlag int

func (c *cpusFlag) String() string { return strconv.Itoa(int(*c)) }

func (c *cpusFlag) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > bootabi.MaxCPUs {
		return fmt.Errorf("want a number of cores from 1 to %d, got %q", bootabi.MaxCPUs, v)
	}
	*c = cpusFlag(n)
	return nil
}

// durationFlag is a duration flag that must not be negative.
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(v string) error {
	x, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration such as 30s or 5m, got %q", v)
	}
	if x < 0 {
		return fmt.Errorf("%s is negative", v)
	}
	*d = durationFlag(x)
	return nil
}

// accelFlag is the -accel flag.
type accelFlag qemu.Accel

func (a *accelFlag) String() string { return string(*a) }

func (a *accelFlag) Set(v string) error {
	x, err := qemu.ParseAccel(v)
	if err != nil {
		return err
	}
	*a = accelFlag(x)
	return nil
}

// goFlags are the go build flags gotoro passes through.
type goFlags struct {
	tags, ldflags, gcflags string
}

func (g *goFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&g.tags, "tags", "", "comma-separated build `tags` for the go command")
	fs.StringVar(&g.ldflags, "ldflags", "", "extra linker `flags` (added to gotoro's own)")
	fs.StringVar(&g.gcflags, "gcflags", "", "compiler `flags` for the go command")
}

// args returns the go command flags.
func (g *goFlags) args() []string {
	var a []string
	if g.tags != "" {
		a = append(a, "-tags="+g.tags)
	}
	if g.ldflags != "" {
		a = append(a, "-ldflags="+g.ldflags)
	}
	if g.gcflags != "" {
		a = append(a, "-gcflags="+g.gcflags)
	}
	return a
}

// guestFlags are the flags shared by run and test that shape the guest.
type guestFlags struct {
	mem    sizeFlag
	cpus   cpusFlag
	accel  accelFlag
	env    envFlag
	files  mountsFlag
	ktrace int
	kopts  kernelOptFlag
	net    networkFlag
}

func (g *guestFlags) register(fs *flag.FlagSet) {
	g.mem = sizeFlag(qemu.DefaultMemory)
	g.accel = accelFlag(qemu.AccelAuto)
	fs.Var(&g.mem, "mem", fmt.Sprintf("guest memory `size` (e.g. 512M, 1G; at least %s, a multiple of 8K); the program's soft memory limit GOMEMLIMIT defaults to 7/8 of the RAM free when it starts (-e GOMEMLIMIT=VALUE or off to change it)", qemu.FormatSize(qemu.MinGuestMemory)))
	g.cpus = cpusFlag(qemu.DefaultCPUs)
	fs.Var(&g.cpus, "cpus", fmt.Sprintf("number of virtual CPUs, each running its own kernel instance (1 to %d)", bootabi.MaxCPUs))
	fs.Var(&g.accel, "accel", "accelerator: auto, kvm or tcg")
	fs.Var(&g.env, "e", "set the guest environment variable `KEY=VALUE` (repeatable)")
	fs.Var(&g.files, "files", "pack the host directory `DIR[:GUESTDIR]` into the image (repeatable)")
	fs.IntVar(&g.ktrace, "ktrace", 0, "kernel tracing `level`: 1 boot facts and unimplemented system calls, 2 every system call")
	fs.Var(&g.kopts, "kernel-opt", "set a kernel option, `KEY=VALUE` (repeatable): xsave=off (no AVX) or xsave=avx (no AVX-512), kvmclock=0, x2apic=0, tscdeadline=0, apic_hz=0 (calibrate the one-shot timer), vdso=0, idlepoll=0 (halt at once when idle) or idlepoll=N (µs an idle core watches for work before it halts; 10, 20, 50, 100 or 200, default 50)")
	g.net = networkFlag(qemu.NetAuto)
	fs.Var(&g.net, "net", "guest network: auto (user if the program uses package net, else none), user (QEMU user networking: the guest is 10.0.2.15, the host 10.0.2.2) or none (loopback only)")
}
