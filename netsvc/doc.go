// Package netsvc is the guest's network service: the TCP/IP stack (gVisor's
// netstack) that carries a gotoro program's sockets to other machines.
//
// The kernel implements the socket system calls itself and joins sockets on
// the same machine directly. It cannot run a TCP/IP stack (kernel code
// never allocates), so the stack runs here, as ordinary goroutines in the
// program's own Go runtime:
//
//   - frames move between the virtio-net device (/dev/net0, one Ethernet
//     frame per read or write) and the stack's link endpoint;
//   - /dev/netctl carries the rest (internal/netctl, proto.go): the kernel hands over
//     each connection a program opens to another machine, together with a
//     stream socket descriptor that is the connection's other end, and the
//     service asks the kernel for such a descriptor when a connection
//     arrives for a port a program listens on. Datagrams travel as records
//     on /dev/netctl itself.
//
// gotoro build links this package into programs that use package net (the
// generated kernel file imports it). In the guest its init parks one
// goroutine that starts the service when a socket call first needs another
// machine (the kernel releases it, kernel/netstart.go); with no network
// device it does nothing. Outside a gotoro guest the package does nothing.
package netsvc
