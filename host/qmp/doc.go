// Package qmp is a small client for the QEMU Machine Protocol: it connects
// to the monitor socket of a running QEMU (-qmp unix:PATH,server=on,wait=off),
// negotiates capabilities and runs commands one at a time, skipping the
// asynchronous events QEMU interleaves with replies. It also wraps the few
// commands gotoro's profiler needs: the human-monitor passthrough (register
// dumps) and memsave (reading guest virtual memory).
package qmp
