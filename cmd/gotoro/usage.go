package main

import (
	"flag"
	"fmt"
)

const mainUsage = `gotoro builds Go programs into unikernel images and runs them in QEMU.

Usage:

	gotoro build [-o FILE] [-files DIR[:GUESTDIR]]... PKG
	gotoro run [flags] PKG|IMAGE [guest args...]
	gotoro test [flags] [test flags] PKG...
	gotoro bench boot|prof [-n RUNS] [-accel A] [PKG]
	gotoro prof [-duration D] [-hz N] [-o FILE] [run flags] PKG|IMAGE [guest args...]
	gotoro debug [run flags] PKG|IMAGE [guest args...]
	gotoro help [command]

Run 'gotoro help <command>' for a command's flags.
` + exitUsage

const exitUsage = `
Exit status (gotoro run, prof, debug):
	0-255  the guest program's own exit status, as it passed it to os.Exit
	       (or 2 for an unrecovered panic, as in a Linux process);
	       128+N  the program was killed by signal N (e.g. 143, SIGTERM
	              not handled after gotoro asked it to stop)
	137    the guest ran out of memory (the kernel printed "out of memory";
	       give it more with -mem), or the program was killed by SIGKILL
	124  the guest did not exit within -timeout
	125  gotoro or QEMU failed (QEMU's reason is printed), or bad usage
	126  the guest faulted (the kernel printed a report)
	130  interrupted, or the guest did not stop within -stop-timeout
A guest may exit with 124 to 130 itself: gotoro prints a line for each of
its own outcomes, so a status without one is the guest's.
gotoro test exits 1 if a package failed, like go test, and 125 or 130 as above.
`

const buildUsage = `usage: gotoro build [-o FILE] [-files DIR[:GUESTDIR]]... [flags] PKG

Build compiles the main package PKG together with the gotoro kernel into a
bootable image (an ELF file that QEMU boots with -kernel). PKG is a package
path as for go build; the package's module is not modified.

The default output is the base name of the package directory plus ".img",
in the current directory.

-files DIR[:GUESTDIR] packs the host directory DIR into the image, at
GUESTDIR in the guest's file system ("/" if omitted); it may be repeated.

Flags:
`

const runUsage = `usage: gotoro run [flags] PKG|IMAGE [guest args...]

Run builds PKG into a temporary image (or takes the image file IMAGE) and
boots it in QEMU, with the guest args after argv[0]. The guest console is
the standard output; gotoro exits with the guest's exit status.

The accelerator is KVM if /dev/kvm passes a self-test, TCG otherwise
(-accel auto); -debug stops the guest at its first instruction until gdb
attaches to port 1234.

Flags:
`

const testUsage = `usage: gotoro test [flags] [test flags] PKG... [-args ...]

Test builds the test binary of each package (like go test -c), boots it in
QEMU and reports like go test: "ok" per passing package, the output and
"FAIL" for a failing one. Exit status 1 if any failed. PKG is any package
the current module can resolve, including ones from the module cache.

The image holds the package's module tree at its own path (without .git
and nested modules; for a module over 256 MiB, or the standard library,
the package directory and the testdata directories above it) and GOROOT's
time zone database; the package directory is the working directory.

-mem defaults to 4G for tests (half the host's available memory if that
is less); a guest that runs out of memory says so and exits with 137.

Test flags, translated for the test binary as go test does:
	-run, -skip, -list, -count, -cpu, -parallel, -shuffle, -timeout,
	-bench, -benchtime, -benchmem, -short, -failfast, -v,
	and -test.NAME=VALUE flags, passed as they are.
Everything after -args goes to the test binary unchanged.

-timeout d (default 10m, or 1h when the guest runs under TCG, which
emulates every instruction and runs suites about ten times slower) is
passed to the test binary as -test.timeout, and QEMU is killed one minute
after that if the guest has not exited. A -timeout you give is kept.

The test may write in its tree, as go test lets it: the packed module tree
is writable, and its changes stay in guest memory (the host's tree is
never touched).

-net defaults to none: tests reach this guest's own sockets (loopback,
httptest servers) but no other machine unless -net user is given, and the
network service runs only then.

Flags:
`

// help prints the usage of a command (or the main usage) to stdout.
func (c *cli) help(args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stdout, mainUsage)
		return 0
	}
	var fs *flag.FlagSet
	switch args[0] {
	case "build":
		fs, _ = buildFlagSet()
	case "run":
		fs, _ = runFlagSet()
	case "test":
		fs, _ = testFlagSet()
	case "prof":
		fs, _ = profFlagSet()
	case "debug":
		fs, _ = runFlagSet()
		setUsage(fs, debugUsage)
	case "bench":
		fmt.Fprint(c.stdout, benchUsage)
		return 0
	default:
		fmt.Fprintf(c.stderr, "gotoro help: unknown command %q\n\n%s", args[0], mainUsage)
		return exitError
	}
	fs.SetOutput(c.stdout)
	fs.Usage()
	return 0
}

// setUsage makes fs print text, its flags and the exit statuses.
func setUsage(fs *flag.FlagSet, text string) {
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), text)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), exitUsage)
	}
}
