package kernel

import (
	"github.com/gotoro/gotoro/kernel/apic"
	"github.com/gotoro/gotoro/kernel/arch"
)

// The power button. QEMU microvm (with ACPI, the default) has an ACPI
// Generic Event Device: an event-selector register at gedBase and an
// edge-triggered interrupt on GSI 9 (QEMU's hw/i386/microvm.h fixes both).
// The QMP command system_powerdown sets the power-down bit and raises the
// interrupt; gotoro run sends it when it gets SIGINT or SIGTERM, and the
// kernel turns it into SIGTERM for the program, which can then stop
// cleanly (signal.NotifyContext, http.Server.Shutdown). A program that does
// not catch SIGTERM dies of it (status 143), as on Linux.
//
// Without ACPI tables (acpi=off, Firecracker) there is no GED and nothing
// is routed.

const (
	gedBase      = 0xfea00000
	gedGSI       = 9
	gedEvtSel    = 0x0 // event selector: which events fired (read clears)
	gedPowerDown = 0x2 // ACPI_GED_PWR_DOWN_EVT
	vecGED       = vecVirtio - 1
)

var gedUp bool

// gedEarly is a power-down requested before gedInit routed the interrupt
// (a SIGTERM to gotoro run in the guest's first milliseconds): QEMU
// raised the edge while nothing listened, and only the event selector
// kept it. gedDeliverEarly passes it on once the program's first thread
// exists.
var gedEarly bool

// gedInit routes the GED's interrupt when the machine has ACPI tables,
// then reads the event selector once for a request that came before.
//
//go:nosplit
func gedInit() {
	if !madt.Tables {
		return
	}
	if gedUp = apic.Route(gedGSI, vecGED); gedUp {
		gedEarly = arch.MMIORead32(gedBase+gedEvtSel)&gedPowerDown != 0
	}
}

// gedDeliverEarly queues SIGTERM for the program if the power button was
// pressed during the boot (gedEarly); called once thread 1 exists.
//
//go:nosplit
func gedDeliverEarly() {
	if !gedEarly {
		return
	}
	gedEarly = false
	bklLock()
	signalProcess(sigTERM)
	bklUnlock()
}

// gedInterrupt reads (and so acknowledges) the fired events and answers a
// power-down request with SIGTERM to the program.
func gedInterrupt() {
	sel := arch.MMIORead32(gedBase + gedEvtSel)
	apic.EOI()
	if sel&gedPowerDown == 0 {
		return
	}
	bklLock()
	signalProcess(sigTERM)
	bklUnlock()
}

// signalProcess queues sig for the program: for the first thread that
// does not block it, as Linux picks a thread for a process signal (or the
// first thread, where it stays pending).
func signalProcess(sig int) {
	first := -1
	for i := range threads {
		t := &threads[i]
		if s := t.loadState(); s == tsFree || s == tsDead {
			continue
		}
		if first < 0 {
			first = i
		}
		if t.sigmask&sigbit(sig) == 0 {
			tgkill(1, int32(i+1), sig)
			return
		}
	}
	if first >= 0 {
		tgkill(1, int32(first+1), sig)
	}
}
