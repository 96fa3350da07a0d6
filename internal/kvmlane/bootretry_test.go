package main

import (
	"errors"
	"fmt"
	"testing"
)

func TestBootUntilUp(t *testing.T) {
	notUp := notUpError{failedError{"silent before its runner was up"}}
	other := failedError{"1 passed, 1 failed: x"}
	tests := []struct {
		name    string
		results []error // what each boot returns, in turn
		boots   int     // boots expected
		want    error
	}{
		{"up at once", []error{nil}, 1, nil},
		{"not up, then up", []error{notUp, nil}, 2, nil},
		{"not up twice", []error{notUp, notUp}, bootAttempts, notUp},
		{"a case failed", []error{other}, 1, other},
		{"not up, then a case failed", []error{notUp, other}, 2, other},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			boots, logs := 0, 0
			err := bootUntilUp(func() error {
				boots++
				return tt.results[boots-1]
			}, func(string, ...any) { logs++ })
			if boots != tt.boots {
				t.Errorf("booted %d times, want %d", boots, tt.boots)
			}
			if err != tt.want {
				t.Errorf("got %v, want %v", err, tt.want)
			}
			if logs != boots-1 {
				t.Errorf("logged %d boots again, want %d", logs, boots-1)
			}
		})
	}
}

// A guest that was never up fails the lane as any failed run does.
func TestNotUpErrorIsFailed(t *testing.T) {
	err := fmt.Errorf("lane: %w", notUpError{failedError{"silent"}})
	var f failedError
	if !errors.As(err, &f) || exitCode(err) != exitFailed {
		t.Fatalf("exitCode(%v) = %d, want %d", err, exitCode(err), exitFailed)
	}
}
