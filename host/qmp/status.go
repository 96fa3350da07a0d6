package qmp

import (
	"encoding/json"
	"fmt"
)

// RunState is QMP's query-status reply: whether the machine runs and its
// run state ("running", "paused", "postmigrate", "shutdown", ...).
type RunState struct {
	Running bool   `json:"running"`
	Status  string `json:"status"`
}

// Status asks QEMU for the machine's run state. An error from the monitor
// keeps its identity (errors.Is(err, ErrClosed) when QEMU has gone).
func (c *Client) Status() (RunState, error) {
	var st RunState
	raw, err := c.Execute("query-status", nil)
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("QEMU's machine status %q: %w", raw, err)
	}
	return st, nil
}
