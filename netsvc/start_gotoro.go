//go:build gotoro

package netsvc

import "errors"

// In a gotoro guest the service starts before main.
func init() {
	if err := Start(); err != nil && !errors.Is(err, ErrNoDevice) {
		logf("%v; only this machine is reachable", err)
	}
}
