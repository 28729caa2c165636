package main

import (
	"testing"
	"unsafe"
)

// TestRegisterFails checks that FLBPluginRegister fails with -1, which is
// what fails registration in Fluent Bit, for a missing definition and for
// a panic (a definition at an invalid address).
func TestRegisterFails(t *testing.T) {
	for _, tc := range []struct {
		name string
		def  unsafe.Pointer
	}{
		{"nil definition", nil},
		{"panic", unsafe.Add(unsafe.Pointer(nil), 8)},
	} {
		if got := FLBPluginRegister(tc.def); got != -1 {
			t.Errorf("%s: FLBPluginRegister = %d, want -1", tc.name, got)
		}
	}
}
