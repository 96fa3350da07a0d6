// Package vsock is gotoro's virtio-vsock device on the host: a vhost-user
// backend for QEMU's vhost-user-vsock-device that bridges guest stream
// connections to host sockets, the way Firecracker does.
//
//   - guest → host: a guest connecting to CID 2, port P reaches the Unix
//     socket PATH_P (PATH is Config.UDSPath);
//   - host → guest: a host program connects to the Unix socket PATH, writes
//     "CONNECT <port>\n" and reads "OK <hostport>\n"; from then on the
//     socket is the connection to guest port <port>;
//   - TCP forwarding: each Config.Forwards entry listens on a host TCP port
//     and connects every accepted connection to a guest port.
//
// Data from the guest is buffered per connection up to the credit the
// device advertises (BufAlloc) and written to the host socket by one
// goroutine per connection; data to the guest is read only as far as the
// guest's credit allows, so neither side can make the other buffer without
// bound.
package vsock
