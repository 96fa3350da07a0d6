//go:build !linux

package bench

import "errors"

type exitTracer struct{}

func newExitTracer() (*exitTracer, error) {
	return nil, errors.New("counting VM exits needs Linux's KVM tracepoints")
}

func (t *exitTracer) start() error         { return nil }
func (t *exitTracer) stop() (Exits, error) { return Exits{}, nil }
func (t *exitTracer) close()               {}
