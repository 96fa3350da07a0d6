package mpi

import "errors"

// Errors of the package; test for them with errors.Is.
var (
	ErrRank     = errors.New("mpi: rank out of range")
	ErrTag      = errors.New("mpi: tag out of range")
	ErrTruncate = errors.New("mpi: message larger than the receive buffer")
	ErrSize     = errors.New("mpi: buffer sizes do not match")
	ErrOp       = errors.New("mpi: unknown reduction operation")
	ErrPeer     = errors.New("mpi: a peer rank failed in the collective")
	ErrDeadlock = errors.New("mpi: receive that no send can match")
)
