// Package qemu boots one gotoro image in qemu-system-x86_64 (machine
// microvm, PVH entry through -kernel) and reports how the guest ended.
//
// The guest's serial console is streamed to a writer as it arrives. The
// guest ends the machine through the isa-debug-exit device; [Run] decodes
// QEMU's exit status into a [Result]: the guest's exit status, a guest fault,
// or a timeout. Anything else (QEMU failing, the guest resetting) is an error
// wrapping [ErrQEMUFailed]: the guest never writes a value that gives QEMU's
// own failure statuses, 0 and 1 (see bootabi.ExitValue).
//
// The accelerator is TCG unless KVM is asked for, or, with [AccelAuto], a
// short self-test proves that this host's KVM runs ring-0 SSE natively (see
// [ChooseAccel]).
package qemu
