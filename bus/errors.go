package bus

import (
	"errors"
	"fmt"
)

// Errors of the bus; test for them with errors.Is.
var (
	ErrRange       = errors.New("bus: endpoint out of range")
	ErrSelf        = errors.New("bus: an endpoint has no ring to itself")
	ErrTooLarge    = errors.New("bus: message too large")
	ErrShortBuffer = errors.New("bus: receive buffer too small")
	ErrNotPinned   = errors.New("bus: the calling thread is on no gotoro core")
)

// ShortBufferError says that the next message does not fit in the receive
// buffer; the message stays queued. It matches ErrShortBuffer.
type ShortBufferError struct {
	Size int // bytes of the message
	Have int // bytes of the buffer
}

func (e *ShortBufferError) Error() string {
	return fmt.Sprintf("bus: receive buffer too small: message of %d bytes, buffer of %d", e.Size, e.Have)
}

// Unwrap returns ErrShortBuffer.
func (e *ShortBufferError) Unwrap() error { return ErrShortBuffer }
